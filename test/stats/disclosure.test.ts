/**
 * Statistical disclosure control against a brute force: for many random small tables (two-way
 * tables with margins, two tables sharing their region totals, a year made of its quarters),
 * every table a reader could hold consistent with what `protect` publishes is enumerated, and
 * each suppressed cell must take at least minimumRange + 1 values there, with the same minimum
 * and maximum as `auditIntervals` finds by integer programming. A refusal must be justified: the
 * brute force shows the refused cell pinned even with every other count suppressed.
 */
import t, { type Test } from 'tap';
import { auditIntervals, checkDisclosurePolicy, DisclosureError, protect, type CellStatus, type DisclosurePolicy, type LinkedCells } from '../../src/stats/disclosure/index.js';
import { enumerateTables, TooManyTables } from './disclosure-brute-force.js';
import { addTwoWay, CellsBuilder, linkedRegionTables, randomGrid, seeded, yearOfQuarters } from './disclosure-tables.js';

const POLICY: DisclosurePolicy = { threshold: 5, minimumRange: 1 };

type Outcome = { kind: 'protected'; problems: string[] } | { kind: 'refused'; problems: string[] };

/** What a reader could infer, checked three ways: the rules, the audit, and the brute force. */
async function verify(cells: LinkedCells, policy: DisclosurePolicy): Promise<Outcome> {
  let status: Map<string, CellStatus>;
  try {
    status = await protect(cells, policy);
  } catch (error) {
    if (error instanceof DisclosureError && error.code === 'unprotectable') return { kind: 'refused', problems: justifyRefusal(cells, policy, error.cells) };
    throw error;
  }
  const problems: string[] = [];
  const { threshold, minimumRange } = policy;
  for (const [key, value] of cells.values) {
    const given = status.get(key);
    const least = policy.hideZeros ? 0 : 1;
    if (value >= least && value < threshold && given !== 'below_threshold') problems.push(`${key} = ${value} is ${given}`);
    if (value === 0 && !policy.hideZeros && given !== 'published') problems.push(`${key} = 0 is ${given}`);
    if (given === 'complementary' && value < threshold) problems.push(`complement ${key} = ${value}`);
  }
  const audit = await auditIntervals(cells, status, policy);
  const suppressed = [...status].filter(([, s]) => s !== 'published').map(([key]) => key);
  if (suppressed.join() !== [...audit.keys()].join()) problems.push('the audit does not cover exactly the suppressed cells');
  // A cap above every true count and every finite bound: the enumeration then reaches each bound.
  const finite = [...audit.values()].map((i) => i.max).filter(Number.isFinite);
  const cap = Math.max(...cells.values.values(), ...finite) + 2 * threshold + 2;
  const brute = enumerateTables(cells, status, policy, { cap });
  for (const [key, interval] of audit) {
    const seen = brute.cells.get(key);
    const value = cells.values.get(key) ?? 0;
    if (!seen) {
      problems.push(`${key} missing from the brute force`);
      continue;
    }
    if (seen.values.size < minimumRange + 1) problems.push(`${key} = ${value} takes only ${[...seen.values].join(', ')}`);
    if (interval.max - interval.min < minimumRange) problems.push(`${key} audited [${interval.min}, ${interval.max}]`);
    if (seen.min !== interval.min) problems.push(`${key}: brute min ${seen.min}, audit ${interval.min}`);
    if (Number.isFinite(interval.max) ? seen.max !== interval.max : seen.max < value + threshold) problems.push(`${key}: brute max ${seen.max}, audit ${interval.max}`);
  }
  return { kind: 'protected', problems };
}

/**
 * A refused cell must be pinned even with every count of at least the threshold suppressed too.
 * The brute force runs on the relations around the cell (fewer relations can only widen what a
 * reader infers, so a cell pinned there is pinned).
 */
function justifyRefusal(cells: LinkedCells, policy: DisclosurePolicy, refused: readonly string[]): string[] {
  if (refused.length === 0) return ['a refusal names no cell'];
  const widest = new Map([...cells.values].map(([key, value]): [string, CellStatus] => [key, value >= policy.threshold ? 'complementary' : value >= 1 || policy.hideZeros ? 'below_threshold' : 'published']));
  const total = [...cells.values.values()].reduce((s, v) => s + v, 0);
  const problems: string[] = [];
  for (const key of refused) {
    let pinned = false;
    for (let radius = 1; radius <= 3 && !pinned; radius++) {
      const around = relationsAround(cells, widest, key, radius);
      try {
        const seen = enumerateTables(cells, widest, policy, { cap: total + policy.threshold, relations: around, limit: 200_000 }).cells.get(key);
        pinned = (seen?.values.size ?? 0) < policy.minimumRange + 1;
      } catch (error) {
        if (!(error instanceof TooManyTables)) throw error;
      }
    }
    if (!pinned) problems.push(`refused ${key} = ${cells.values.get(key)} is not shown pinned`);
  }
  return problems;
}

function relationsAround(cells: LinkedCells, status: ReadonlyMap<string, CellStatus>, key: string, radius: number): LinkedCells['relations'] {
  const reached = new Set([key]);
  const chosen = new Set<number>();
  for (let step = 0; step < radius; step++) {
    cells.relations.forEach((relation, i) => {
      const members = [relation.total, ...relation.parts];
      if (!chosen.has(i) && members.some((m) => reached.has(m))) chosen.add(i);
    });
    for (const i of chosen) for (const m of [cells.relations[i]?.total ?? '', ...(cells.relations[i]?.parts ?? [])]) if (status.get(m) !== 'published') reached.add(m);
  }
  return [...chosen].map((i) => cells.relations[i]).filter((r) => r !== undefined);
}

function twoWay(grid: number[][]): LinkedCells {
  const b = new CellsBuilder();
  addTwoWay(b, 't', 'r', 'c', grid);
  return b.build();
}

/** Runs one family of random instances; every failure message carries its seed. */
async function family(t: Test, name: string, seeds: number, make: (random: () => number) => LinkedCells, policy = POLICY): Promise<void> {
  let refused = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const outcome = await verify(make(seeded(seed)), policy);
    if (outcome.kind === 'refused') refused++;
    t.same(outcome.problems, [], `${name}, seed ${seed} (${outcome.kind})`);
  }
  t.ok(refused < seeds / 2, `${name}: most tables can be protected (${refused} of ${seeds} refused)`);
}

t.test('random two-way tables with margins agree with the brute force', async (t) => {
  for (const [rows, cols] of [
    [2, 2],
    [2, 3],
    [3, 3],
  ] as const) {
    await family(t, `${rows}x${cols}`, 40, (random) => twoWay(randomGrid(random, rows, cols)));
  }
});

t.test('two tables sharing their region totals agree with the brute force', async (t) => {
  await family(t, 'region x quarter + region x category', 25, (random) => linkedRegionTables(random, 2, 4, 2 + Math.floor(random() * 2)));
});

t.test('a year made of its quarters agrees with the brute force', async (t) => {
  await family(t, 'quarters x category', 30, (random) => yearOfQuarters(random, 2 + Math.floor(random() * 2)));
});

t.test('a minimum range of 2 holds against the brute force', async (t) => {
  await family(t, '3x3, minimum range 2', 30, (random) => twoWay(randomGrid(random, 3, 3)), { threshold: 5, minimumRange: 2 });
});

const HIDDEN: DisclosurePolicy = { threshold: 5, minimumRange: 1, hideZeros: true };

t.test('with zeros hidden too, random tables, linked tables and years of quarters agree with the brute force', async (t) => {
  await family(t, '3x3, zeros hidden', 30, (random) => twoWay(randomGrid(random, 3, 3)), HIDDEN);
  await family(t, 'region x quarter + region x category, zeros hidden', 20, (random) => linkedRegionTables(random, 2, 4, 2 + Math.floor(random() * 2)), HIDDEN);
  await family(t, 'quarters x category, zeros hidden', 25, (random) => yearOfQuarters(random, 2 + Math.floor(random() * 2)), HIDDEN);
});

t.test('four quarters of one case each under a year of four are protected once zeros are hidden too', async (t) => {
  const b = new CellsBuilder();
  addTwoWay(b, '2026', 'quarter', 'category', [[1], [1], [1], [1]]);
  const outcome = await verify(b.build(), HIDDEN);
  t.equal(outcome.kind, 'protected');
  t.same(outcome.problems, [], 'no quarter is given away: each may be 0 to 4 for a reader');
});

t.test('a single small cell in a row gets complements that close a rectangle', async (t) => {
  const cells = twoWay([
    [2, 7, 9],
    [6, 8, 10],
    [0, 5, 12],
  ]);
  const status = await protect(cells, POLICY);
  const suppressed = Object.fromEntries([...status].filter(([, s]) => s !== 'published'));
  // Alone in its row, the 2 would be the row total minus the published cells: its row and its
  // column each get a complement, and the cell at their crossing closes both.
  t.same(suppressed, { 't|r=0|c=0': 'below_threshold', 't|r=0|c=1': 'complementary', 't|r=1|c=0': 'complementary', 't|r=1|c=1': 'complementary' });
  const audit = await auditIntervals(cells, status, POLICY);
  t.same(audit.get('t|r=0|c=0'), { min: 1, max: 3 });
  t.same((await verify(cells, POLICY)).problems, []);
});

t.test('a table without small counts is published untouched, zeros included', async (t) => {
  const cells = twoWay([
    [5, 0, 12],
    [9, 30, 0],
  ]);
  const status = await protect(cells, POLICY);
  t.equal(status.size, cells.values.size);
  t.ok([...status.values()].every((s) => s === 'published'), 'every cell published');
  t.same(await auditIntervals(cells, status, POLICY), new Map());
});

t.test('a table where every count is small is suppressed whole and stays protected', async (t) => {
  const cells = twoWay([
    [1, 1],
    [1, 0],
  ]);
  const status = await protect(cells, POLICY);
  for (const [key, value] of cells.values) t.equal(status.get(key), value === 0 ? 'published' : 'below_threshold', key);
  t.same((await auditIntervals(cells, status, POLICY)).get('t|r=0|c=0'), { min: 1, max: 2 });
  t.same((await verify(cells, POLICY)).problems, []);
});

t.test('four quarters of one case each under a year of four cannot be protected', async (t) => {
  const b = new CellsBuilder();
  addTwoWay(b, '2026', 'quarter', 'category', [[1], [1], [1], [1]]);
  const cells = b.build();
  const refusal = await protect(cells, POLICY).then(
    () => undefined,
    (error: unknown) => error,
  );
  t.ok(refusal instanceof DisclosureError && refusal.code === 'unprotectable', 'refused as unprotectable');
  if (!(refusal instanceof DisclosureError)) return;
  t.ok(refusal.cells.includes('2026|quarter=0|category=0'), 'names the pinned quarter');
  t.notMatch(refusal.message, /2026|quarter/, 'the message names no cell');
  t.same(justifyRefusal(cells, POLICY, refusal.cells), []);
});

t.test('a threshold of 1 suppresses nothing', async (t) => {
  const cells = twoWay([
    [1, 2],
    [0, 3],
  ]);
  const status = await protect(cells, { threshold: 1, minimumRange: 4 });
  t.ok([...status.values()].every((s) => s === 'published'), 'every cell published');
});

t.test('a minimum range of 2 suppresses more than a range of 1 would', async (t) => {
  const cells = twoWay([
    [3, 6, 8],
    [7, 9, 6],
    [6, 11, 14],
  ]);
  const narrow = await protect(cells, POLICY);
  const wide = await protect(cells, { threshold: 5, minimumRange: 2 });
  const count = (status: Map<string, CellStatus>): number => [...status.values()].filter((s) => s === 'complementary').length;
  t.ok(count(wide) >= count(narrow), `${count(wide)} complements for a range of 2, ${count(narrow)} for 1`);
  for (const interval of (await auditIntervals(cells, wide, { threshold: 5, minimumRange: 2 })).values()) t.ok(interval.max - interval.min >= 2);
  t.same((await verify(cells, { threshold: 5, minimumRange: 2 })).problems, []);
});

t.test('the same input gives the same statuses, whatever the order of cells and relations', async (t) => {
  const cells = linkedRegionTables(seeded(7), 3, 4, 3);
  const shuffled: LinkedCells = { values: new Map([...cells.values].reverse()), relations: [...cells.relations].reverse(), ...(cells.totals ? { totals: cells.totals } : {}) };
  const first = await protect(cells, POLICY);
  t.same([...(await protect(cells, POLICY))], [...first]);
  t.same([...(await protect(shuffled, POLICY))], [...first]);
});

t.test('the audit reports an upper bound that nothing published gives as Infinity', async (t) => {
  const cells: LinkedCells = {
    values: new Map([
      ['total', 12],
      ['a', 2],
      ['b', 10],
    ]),
    relations: [{ total: 'total', parts: ['a', 'b'] }],
  };
  const status = new Map<string, CellStatus>([
    ['total', 'complementary'],
    ['a', 'below_threshold'],
    ['b', 'complementary'],
  ]);
  const audit = await auditIntervals(cells, status, POLICY);
  t.same(Object.fromEntries(audit), { a: { min: 1, max: 4 }, b: { min: 5, max: Infinity }, total: { min: 6, max: Infinity } });
});

t.test('inputs and policies outside the model are refused', async (t) => {
  t.throws(() => checkDisclosurePolicy({ threshold: 0, minimumRange: 0 }), DisclosureError);
  t.throws(() => checkDisclosurePolicy({ threshold: 5, minimumRange: 4 }), /cannot hold/);
  t.throws(() => checkDisclosurePolicy({ threshold: 5, minimumRange: 1.5 }), DisclosureError);
  t.doesNotThrow(() => checkDisclosurePolicy({ threshold: 5, minimumRange: 3 }));
  const broken = twoWay([[1, 2]]);
  const values = new Map(broken.values);
  values.set('t', 4);
  await t.rejects(protect({ ...broken, values }, POLICY), { code: 'invalid_input', cells: ['t'] });
  await t.rejects(protect({ values: new Map([['a', -1]]), relations: [] }, POLICY), { code: 'invalid_input' });
  await t.rejects(protect({ values: new Map([['a', 1]]), relations: [{ total: 'a', parts: ['b'] }] }, POLICY), { code: 'invalid_input', cells: ['b'] });
  const status = new Map<string, CellStatus>([['a', 'complementary']]);
  await t.rejects(auditIntervals({ values: new Map([['a', 3]]), relations: [] }, status, POLICY), { code: 'invalid_input' });
});
