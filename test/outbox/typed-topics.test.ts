/**
 * The outbox's topics are typed twice: by the compiler (`Outbox.add` takes the topic's payload,
 * the `@ts-expect-error` lines below fail `tsc` the day a wrong payload compiles) and by the relay,
 * which checks each row against its topic's schema before a handler sees it. A row that fails
 * stays pending and is reported without its content; a topic with no handler or no schema is
 * never dropped and is reported once it is old.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import type { BaseLogger } from 'pino';
import { Type } from 'typebox';
import { createDatabase } from '../../src/db/client.js';
import { fixedClock } from '../../src/lib/clock.js';
import { createOutbox, type OutboxRow } from '../../src/outbox/outbox.js';
import { createOutboxRelay } from '../../src/outbox/outbox-relay.js';
import { createTestDatabase } from '../helpers/db.js';

const tdb = await createTestDatabase();
const database = createDatabase(tdb.url, { max: 4 });
t.teardown(async () => {
  await database.close();
  await tdb.drop();
});
const { db, sql } = database;
const clock = fixedClock('2026-06-01T08:00:00.000Z');
const warnings: Array<{ obj: Record<string, unknown>; msg: string }> = [];
const log: Pick<BaseLogger, 'info' | 'warn'> = {
  info: () => undefined,
  // The relay logs an object and a message, as pino's overloads allow among others.
  warn: ((obj: Record<string, unknown>, msg?: string) => void warnings.push({ obj, msg: msg ?? '' })) as BaseLogger['warn'],
};
const STALE_MS = 60_000;
const outbox = createOutbox();
const caseId = randomUUID();
const SECRET = `Menaces ${randomUUID()}`;

const pendingOf = async (topic: string) => (await sql`select id from outbox where topic = ${topic} and dispatched_at is null order by id`).map((r) => Number(r.id));
const drain = async (relay: { relayOnce(): Promise<number> }) => {
  while ((await relay.relayOnce()) > 0) {
    // until a pass hands nothing
  }
};

t.test('a payload of its topic’s shape is handed on, typed; a wrong one does not compile and is not handed on', async (t) => {
  // A small batch: rows refused at the head of the topic must not hold up the valid ones behind them.
  const relay = createOutboxRelay({ database, clock, log, staleAfterMs: STALE_MS, batchSize: 2 });
  const opened: Array<OutboxRow<'deadline.opened'>> = [];
  const decisions: string[] = [];
  relay.register('deadline.opened', async (rows) => void opened.push(...rows));
  relay.register('measure.*', async (rows) => {
    // The family's rows are a union: the topic narrows the payload.
    for (const r of rows) if (r.topic === 'measure.answered') decisions.push(r.payload.decision);
  });
  const at = clock.now();
  const bad: number[] = [];
  await db.transaction(async (tx) => {
    // @ts-expect-error a deadline id is a uuid string: the writer refuses a number...
    await outbox.add(tx, 'deadline.opened', { deadlineId: 42 }, at);
    // @ts-expect-error ...and a key the topic does not declare (content slipped into a notification)
    await outbox.add(tx, 'deadline.opened', { deadlineId: randomUUID(), note: SECRET }, at);
    // @ts-expect-error ...and a payload missing what the topic needs
    await outbox.add(tx, 'measure.answered', { caseId, reference: 'E-1', measureId: randomUUID(), code: 'relocation', to: 'defender' }, at);
  });
  bad.push(...(await pendingOf('deadline.opened')), ...(await pendingOf('measure.answered')));
  const good = randomUUID();
  await outbox.add(db, 'deadline.opened', { deadlineId: good }, at);
  await outbox.add(db, 'measure.answered', { caseId, reference: 'E-1', measureId: randomUUID(), code: 'relocation', to: 'officer', decision: 'refuse' }, at);

  await drain(relay);
  t.same(opened.map((r) => r.payload), [{ deadlineId: good }], 'only the valid deadline.opened row reached its handler');
  t.same(decisions, ['refuse'], 'only the valid measure.answered row reached its handler');
  t.same([...(await pendingOf('deadline.opened')), ...(await pendingOf('measure.answered'))], bad, 'the rows that failed their schema stay pending, neither dropped nor marked');

  const refused = warnings.filter((w) => /schema/.test(w.msg));
  t.equal(refused.length, 2, 'one warning per topic with refused rows');
  t.same(refused.flatMap((w) => w.obj.ids as number[]).sort((a, b) => a - b), bad, 'naming the refused rows');
  t.match(JSON.stringify(refused), /\/deadlineId: must be string/, 'and where their payload fails');
  t.notMatch(JSON.stringify(warnings), SECRET, 'never what the payload says');
  t.notMatch(JSON.stringify(warnings), /"note"/, 'nor the name of a key it should not have');

  const before = warnings.length;
  await relay.relayOnce();
  t.equal(warnings.length, before, 'a refused row is reported once, not at every pass');
  t.same(opened.length, 1, 'and never handed on later');
});

t.test('a relay whose schema accepts a pending row (the version of the code that wrote it) hands it on', async (t) => {
  const [row] = await sql`select id from outbox where topic = 'deadline.opened' and dispatched_at is null and payload ? 'note'`;
  t.ok(row, 'the row with an undeclared key is still pending');
  const lenient = { 'deadline.opened': Type.Object({ deadlineId: Type.String({ format: 'uuid' }), note: Type.String() }) };
  const relay = createOutboxRelay({ database, clock, log, staleAfterMs: STALE_MS, topics: lenient });
  const seen: string[] = [];
  relay.register('deadline.opened', async (rows) => void seen.push(...rows.map((r) => r.payload.note)));
  await drain(relay);
  t.same(seen, [SECRET], 'handed on once a schema accepts it');
  t.same(await sql`select dispatched_at from outbox where id = ${row!.id} and dispatched_at is not null`.then((r) => r.length), 1, 'and marked dispatched');
});

t.test('a topic with no handler, or no schema, waits in the outbox and is reported once it is old', async (t) => {
  const relay = createOutboxRelay({ database, clock, log, staleAfterMs: STALE_MS });
  relay.register('measure.*', async () => undefined);
  // Rows written by something this version does not know: raw SQL, as an older or newer release would.
  const unknown = `experiment.${randomUUID().slice(0, 8)}`;
  await sql`insert into outbox (topic, payload, created_at) values
    (${unknown}, ${JSON.stringify({ caseId })}::jsonb, ${clock.now().toISOString()}::timestamptz),
    ('measure.renewed', ${JSON.stringify({ caseId, measureId: randomUUID() })}::jsonb, ${clock.now().toISOString()}::timestamptz)`;
  const about = (from: number) => warnings.slice(from).filter((w) => w.obj.topic === unknown || w.obj.topic === 'measure.renewed');
  const before = warnings.length;
  await relay.relayOnce();
  t.same(about(before), [], 'a fresh row is not yet worth a warning');
  clock.advance(STALE_MS + 1);
  await relay.relayOnce();
  await relay.relayOnce();
  const reported = about(before);
  t.same(
    reported.map((w) => [w.obj.topic, w.msg]).sort(),
    [
      [unknown, 'outbox rows with no handler are waiting; register the topic'],
      ['measure.renewed', 'outbox rows of a topic with no schema are waiting; add it to the outbox topics'],
    ].sort(),
    'each reported once, not once per pass',
  );
  t.same([...(await pendingOf(unknown)), ...(await pendingOf('measure.renewed'))].length, 2, 'both still undispatched');
});

t.test('registering: an unknown topic and a second handler are refused', async (t) => {
  const relay = createOutboxRelay({ database, clock, log });
  // @ts-expect-error not a topic of the catalogue
  t.throws(() => relay.register('experiment.nothing', async () => undefined), /no schema/);
  relay.register('deadline.opened', async () => undefined);
  t.throws(() => relay.register('deadline.opened', async () => undefined), /already has a handler/);
});

t.test('a catalogue of its own: a module’s topic is written and relayed typed by its schema', async (t) => {
  const toy = { 'toy.made': Type.Object({ n: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }) };
  const toyOutbox = createOutbox<typeof toy>();
  const relay = createOutboxRelay({ database, clock, log, topics: toy });
  const got: number[] = [];
  relay.register('toy.*', async (rows) => void got.push(...rows.map((r) => r.payload.n)));
  await toyOutbox.add(db, 'toy.made', { n: 7 }, clock.now());
  // @ts-expect-error the toy's payload, not another's
  await toyOutbox.add(db, 'toy.made', { deadlineId: randomUUID() }, clock.now());
  await drain(relay);
  t.same(got, [7], 'the toy row reached the toy handler');
  t.equal((await pendingOf('toy.made')).length, 1, 'the other stays pending');
});
