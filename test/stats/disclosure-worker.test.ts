/**
 * The disclosure control on its worker thread (createProtector): the same statuses as protect()
 * run in the calling thread, a refusal that comes back as a DisclosureError with its code and
 * cells, a solve that leaves the calling thread's event loop free, and a pool that closes.
 */
import t from 'tap';
import { createProtector, DisclosureError, protect, type DisclosurePolicy, type LinkedCells } from '../../src/stats/disclosure/index.js';
import { addTwoWay, annualReport, CellsBuilder, linkedRegionTables, randomGrid, seeded, yearOfQuarters, type ReportSizes } from './disclosure-tables.js';

const POLICY: DisclosurePolicy = { threshold: 5, minimumRange: 1 };
const HIDDEN: DisclosurePolicy = { threshold: 5, minimumRange: 1, hideZeros: true };
/** A year and its quarters: a solve of about a second, long beside a turn of the event loop. */
const YEAR: ReportSizes = { smallRegions: [40, 47], largeRegions: [60, 80], minShare: 0.8 };

type Outcome = { status: Array<[string, string]> } | { refused: { code: string; cells: readonly string[]; message: string } };

/** What a protect gave, in a form t.same compares: the statuses in their order, or the refusal. */
async function outcome(run: Promise<Map<string, string>>): Promise<Outcome> {
  try {
    return { status: [...(await run)] };
  } catch (error) {
    if (error instanceof DisclosureError) return { refused: { code: error.code, cells: error.cells, message: error.message } };
    throw error;
  }
}

function twoWay(grid: number[][]): LinkedCells {
  const b = new CellsBuilder();
  addTwoWay(b, 't', 'r', 'c', grid);
  return b.build();
}

/** Four quarters of one case each under a year of four: no suppression protects them while zeros are shown. */
function pinnedQuarters(): LinkedCells {
  const b = new CellsBuilder();
  addTwoWay(b, '2026', 'quarter', 'category', [[1], [1], [1], [1]]);
  return b.build();
}

t.test('the pool gives the statuses protect gives in the calling thread', async (t) => {
  const protector = createProtector();
  t.teardown(() => protector.close());
  const cases: Array<[string, LinkedCells, DisclosurePolicy]> = [];
  for (let seed = 1; seed <= 4; seed++) cases.push([`two-way table, seed ${seed}`, twoWay(randomGrid(seeded(seed), 3, 4)), POLICY]);
  for (let seed = 1; seed <= 3; seed++) cases.push([`linked region tables, seed ${seed}`, linkedRegionTables(seeded(100 + seed), 4, 4, 3), POLICY]);
  for (let seed = 1; seed <= 3; seed++) cases.push([`year of quarters, zeros hidden, seed ${seed}`, yearOfQuarters(seeded(200 + seed), 4), HIDDEN]);
  let suppressing = 0;
  for (const [name, cells, policy] of cases) {
    const here = await outcome(protect(cells, policy));
    const pooled = await outcome(protector.protect(cells, policy));
    t.same(pooled, here, name);
    if ('status' in here && here.status.some(([, s]) => s === 'complementary')) suppressing++;
  }
  // The comparison must cover the secondary suppression, not only tables published whole.
  t.ok(suppressing >= 3, `${suppressing} of the tables need complements`);
});

t.test('an unprotectable table is refused by the pool with a DisclosureError naming the cells', async (t) => {
  const protector = createProtector();
  t.teardown(() => protector.close());
  const refusal = await protector.protect(pinnedQuarters(), POLICY).then(
    () => undefined,
    (error: unknown) => error,
  );
  t.ok(refusal instanceof DisclosureError, 'a DisclosureError on the calling side');
  if (!(refusal instanceof DisclosureError)) return;
  t.equal(refusal.code, 'unprotectable');
  t.ok(refusal.cells.includes('2026|quarter=0|category=0'), 'names the pinned quarter');
  t.same(await outcome(protector.protect(pinnedQuarters(), POLICY)), await outcome(protect(pinnedQuarters(), POLICY)), 'the same refusal as in the calling thread');
  // A policy outside the model comes back with its own code.
  await t.rejects(protector.protect(twoWay([[1, 2]]), { threshold: 5, minimumRange: 4 }), { name: 'DisclosureError', code: 'invalid_input' });
});

t.test('a solve on the pool leaves the event loop free; in the calling thread it does not', async (t) => {
  const protector = createProtector();
  t.teardown(() => protector.close());
  const cells = annualReport(seeded(3), YEAR);
  // Both warm (the thread started, the solver's WebAssembly loaded), so only the solve is left.
  await protector.protect(twoWay([[1, 6]]), POLICY);
  await protect(twoWay([[1, 6]]), POLICY);

  const answers: Outcome[] = [];
  /** What happens first: the solve's answer, or a callback of the event loop's next turn. */
  const race = async (solve: Promise<Map<string, string>>): Promise<string[]> => {
    const order: string[] = [];
    const turn = new Promise<void>((resolve) =>
      setImmediate(() => {
        order.push('next turn');
        resolve();
      }),
    );
    const answered = outcome(solve).then((answer) => {
      order.push('solved');
      answers.push(answer);
    });
    await Promise.all([answered, turn]);
    return order;
  };
  t.same(await race(protector.protect(cells, POLICY)), ['next turn', 'solved'], 'on the pool, the loop turns while the report is protected');
  // The control: the same solve in the calling thread holds the loop until it is done.
  t.same(await race(protect(cells, POLICY)), ['solved', 'next turn'], 'in the calling thread, the loop waits for the solve');
  t.ok(answers[0] && 'status' in answers[0], 'the report is protected');
  t.same(answers[0], answers[1], 'the same statuses both ways, for a report the size of a year');
});

t.test('closing the pool ends its thread, a solve under way included, and it takes no more work', async (t) => {
  // A busy thread holds the process through its port; an idle one is let go (unref), so a pool
  // never closed still lets the process exit, and the ports counted here are the busy ones.
  const ports = () => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length;
  const before = ports();
  const protector = createProtector();
  const solving = protector.protect(annualReport(seeded(3), YEAR), POLICY);
  const settled = solving.then(
    () => 'solved',
    () => 'abandoned',
  );
  await new Promise((resolve) => setImmediate(resolve));
  t.ok(ports() > before, 'the busy thread holds a port');
  await protector.close();
  t.equal(await settled, 'abandoned', 'the solve under way is ended with the thread');
  t.equal(ports(), before, 'no port left open');
  await t.rejects(protector.protect(twoWay([[1, 6]]), POLICY), /closed/);
});
