import { and, asc, eq, inArray, isNull, min, sql } from 'drizzle-orm';
import type { BaseLogger } from 'pino';
import { Compile } from 'typebox/compile';
import type { Validator } from 'typebox/compile';
import type { Database, Tx } from '../db/client.js';
import { outbox } from '../db/schema/index.js';
import type { Clock } from '../lib/clock.js';
import { loggableError } from '../lib/loggable-error.js';
import { every } from '../lib/periodic.js';
import type { OutboxRow } from './outbox.js';
import { OUTBOX_TOPICS, type AppTopics, type OutboxTopic, type TopicCatalogue, type TopicPattern, type TopicsMatching } from './topics.js';

/**
 * Hands a topic's committed outbox rows (in id order) to whatever delivers them: enqueues BullMQ
 * jobs, writes inbox rows... It must be idempotent (a row is handed again if the relay dies
 * before marking it dispatched); resolving means "done", throwing leaves the rows for the next pass.
 * `tx` is the claiming transaction (under a savepoint): rows written there commit with the
 * "dispatched" mark, or not at all when the handler throws. A handler may return a function to
 * run after that commit (e.g. queue the webhook deliveries it wrote); its failure is only logged.
 * Every row it gets has passed its topic's schema.
 */
export type OutboxHandler<T extends string = OutboxTopic, C extends TopicCatalogue = AppTopics> = (rows: Array<OutboxRow<T, C>>, tx: Tx) => Promise<void | (() => Promise<void>)>;

export interface OutboxRelay<C extends TopicCatalogue = AppTopics> {
  /**
   * Claims a topic, or a family of topics with a trailing `.*` (`referral.*`); an exact topic
   * wins over a family. A topic nobody registered is left in the outbox untouched (and logged once
   * it is older than `staleAfterMs`), so each module registers its own (escalation:
   * `deadline.opened`; notifications: theirs) and none marks another's rows dispatched.
   * Registering after start is fine: each pass reads the map.
   */
  register<P extends TopicPattern<C>>(topic: P, handler: OutboxHandler<TopicsMatching<P, C>, C>): void;
  /**
   * Adds a reader beside a topic's handler: it gets the same rows in the same claiming
   * transaction, after the handler, and its failure leaves the rows pending for both (so they are
   * handed again: a tap must be idempotent too). For a module that acts on another's events (the
   * on-call pager on alerts and escalations) without taking them from their owner.
   */
  tap<P extends TopicPattern<C>>(topic: P, handler: OutboxHandler<TopicsMatching<P, C>, C>): void;
  /** One pass: up to a batch of pending rows per registered topic; returns the largest count dispatched for one topic. */
  relayOnce(): Promise<number>;
  /** Polls every `intervalMs` (at once again while batches come back full). */
  start(intervalMs: number): void;
  /**
   * Waits for the background pass in progress, if any: rows it claimed are invisible to
   * `relayOnce` (skip locked) until it commits, so a caller that must see them handled waits here.
   */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** What the relay stores: the handlers' row types are checked at `register`, against the pattern they claim. */
type StoredHandler = (rows: Array<{ id: number; topic: string; payload: unknown; createdAt: Date }>, tx: Tx) => Promise<void | (() => Promise<void>)>;

/** Where a payload fails its schema: paths and rules only, never a value of the payload. */
function schemaFailures(validator: Validator, payload: unknown): string[] {
  const out = new Set<string>();
  for (const e of validator.Errors(payload)) {
    // TypeBox also reports an undeclared key as "schema is false" at the key's own path: its name
    // is the writer's, not ours to log; the object's "must not have additional properties" says it.
    if (e.keyword !== 'boolean') out.add(`${e.instancePath || '/'}: ${e.message}`);
  }
  return [...out].slice(0, 10);
}

/**
 * The transactional outbox's relay. Rows are claimed with `for update skip locked`, so any number
 * of worker processes relay side by side without handing a row twice at the same time; a row is
 * marked dispatched in the claiming transaction, after its handler succeeded: a crash in between
 * rolls the claim back and the row is handed again (at least once; handlers dedupe, e.g. by job id).
 *
 * Each claimed row is checked against its topic's schema (`topics`, the application's catalogue by
 * default) before a handler sees it. A row that fails is not handed on and not marked: it stays
 * pending, as a row of a topic nobody registered does, and is logged (its id, topic and the
 * failing paths, never the payload). Marking it dispatched would lose it for good; left pending,
 * it is still there for the operator, and a relay whose schema accepts it (the version of the code
 * that wrote it) hands it on. This process skips it from then on, so it never fills a batch.
 */
export function createOutboxRelay<C extends TopicCatalogue = AppTopics>(deps: {
  database: Database;
  clock: Clock;
  log: Pick<BaseLogger, 'info' | 'warn'>;
  batchSize?: number;
  staleAfterMs?: number;
  topics?: C;
}): OutboxRelay<C> {
  const { database, clock, log } = deps;
  const topics: TopicCatalogue = deps.topics ?? OUTBOX_TOPICS;
  const batchSize = deps.batchSize ?? 500;
  const staleAfterMs = deps.staleAfterMs ?? 5 * 60_000;
  const handlers = new Map<string, StoredHandler>();
  const taps: Array<{ pattern: string; handler: StoredHandler }> = [];
  const matches = (pattern: string, topic: string) => pattern === topic || (pattern.endsWith('.*') && topic.startsWith(pattern.slice(0, -1)));
  const validators = new Map<string, Validator>();
  /** Rows this process found failing their schema: left pending, never claimed again here. */
  const rejected = new Set<number>();
  /** When each unclaimed topic was last warned about (once per `staleAfterMs`, not every pass). */
  const warned = new Map<string, number>();

  const validatorOf = (topic: string): Validator | undefined => {
    let v = validators.get(topic);
    const schema = topics[topic];
    if (!v && schema) validators.set(topic, (v = Compile(schema)));
    return v;
  };

  const handlerOf = (topic: string): StoredHandler | undefined => {
    const exact = handlers.get(topic);
    if (exact) return exact;
    // The longest family wins: `referral.consent.*` before `referral.*`.
    for (let i = topic.lastIndexOf('.'); i > 0; i = topic.lastIndexOf('.', i - 1)) {
      const family = handlers.get(`${topic.slice(0, i)}.*`);
      if (family) return family;
    }
    return undefined;
  };
  let loop: { close(): Promise<void>; idle(): Promise<void> } | undefined;
  let stopped = false;
  let failing = false;

  /** One topic's pass, in a transaction of its own: a failing topic never holds up another's rows. */
  async function relayTopic(topic: string, handler: StoredHandler, validator: Validator): Promise<number> {
    const post: { after: Array<() => Promise<void>> } = { after: [] };
    const readers = [handler, ...taps.filter((x) => matches(x.pattern, topic)).map((x) => x.handler)];
    // Only while there are rejected rows, so the usual claim keeps one statement shape.
    const skip = rejected.size > 0 ? sql`${outbox.id} <> all(${`{${[...rejected].join(',')}}`}::bigint[])` : undefined;
    const count = await database.db.transaction(async (tx): Promise<number | 'again'> => {
      const claimed = await tx
        .select({ id: outbox.id, topic: outbox.topic, payload: outbox.payload, createdAt: outbox.createdAt })
        .from(outbox)
        .where(and(isNull(outbox.dispatchedAt), eq(outbox.topic, topic), skip))
        .orderBy(asc(outbox.id))
        .limit(batchSize)
        .for('update', { skipLocked: true });
      const rows = claimed.filter((r) => validator.Check(r.payload));
      if (rows.length < claimed.length) {
        const bad = claimed.filter((r) => !rows.includes(r));
        for (const r of bad) rejected.add(r.id);
        log.warn({ topic, ids: bad.map((r) => r.id), failures: schemaFailures(validator, bad[0]!.payload) }, 'outbox rows do not match their topic’s schema; left pending, not handed to the handler');
        // A batch of refused rows only: valid ones may wait behind them, claim again without them.
        if (rows.length === 0) return 'again';
      }
      if (rows.length === 0) return 0;
      try {
        // A savepoint: what a failing handler wrote is undone, the claim is simply released.
        await tx.transaction(async (sp) => {
          for (const read of readers) {
            const after = await read(rows, sp);
            if (after) post.after.push(after);
          }
        });
      } catch (err) {
        log.warn({ topic, rows: rows.length, err: loggableError(err) }, 'outbox handler failed; the rows stay pending');
        return 0;
      }
      const ids = rows.map((r) => r.id);
      await tx.update(outbox).set({ dispatchedAt: sql`${clock.now().toISOString()}::timestamptz` }).where(inArray(outbox.id, ids));
      return ids.length;
    });
    if (count === 'again') return relayTopic(topic, handler, validator);
    for (const after of post.after) {
      try {
        await after();
      } catch (err) {
        log.warn({ topic, err: loggableError(err) }, 'outbox after-commit step failed; its owner retries it');
      }
    }
    return count;
  }

  /** Warns about a topic's waiting rows once they are old, then once per `staleAfterMs`. */
  function warnStale(topic: string, oldest: Date | string | null, now: number, msg: string): void {
    if (oldest && now - new Date(oldest).getTime() > staleAfterMs && now - (warned.get(topic) ?? -Infinity) > staleAfterMs) {
      warned.set(topic, now);
      log.warn({ topic, oldest: new Date(oldest).toISOString() }, msg);
    }
  }

  /**
   * Which topics have pending rows (one grouped read on the pending index, so an idle pass costs
   * one query whatever the number of handlers), then one claim per topic that has a handler.
   */
  async function relayOnce(): Promise<number> {
    const pending = await database.db
      .select({ topic: outbox.topic, oldest: min(outbox.createdAt) })
      .from(outbox)
      .where(isNull(outbox.dispatchedAt))
      .groupBy(outbox.topic);
    let most = 0;
    const now = clock.now().getTime();
    for (const { topic, oldest } of pending) {
      const handler = handlerOf(topic);
      const validator = validatorOf(topic);
      if (handler && validator) {
        warned.delete(topic);
        most = Math.max(most, await relayTopic(topic, handler, validator));
      } else if (!handler) {
        // Never dropped nor marked: a module that forgot to register, or a topic written by a
        // newer version of the code. The rows wait for a handler; the operator is told.
        warnStale(topic, oldest, now, 'outbox rows with no handler are waiting; register the topic');
      } else {
        // Claimed by a family, but not in the catalogue: no schema to check it against, so it
        // is not handed on (a newer version of the code may know it).
        warnStale(topic, oldest, now, 'outbox rows of a topic with no schema are waiting; add it to the outbox topics');
      }
    }
    return most;
  }

  const tick = async () => {
    try {
      while (!stopped && (await relayOnce()) >= batchSize) {
        // a full batch: more are waiting
      }
      if (failing) log.info('outbox relay recovered');
      failing = false;
    } catch (err) {
      if (!failing) log.warn({ err: loggableError(err) }, 'outbox relay cannot reach the database; retrying');
      failing = true;
    }
  };

  return {
    register(topic, handler) {
      if (handlers.has(topic)) throw new Error(`outbox topic ${topic} already has a handler`);
      if (!topic.endsWith('.*') && !(topic in topics)) throw new Error(`outbox topic ${topic} has no schema in the outbox topics`);
      // The handler's rows are typed by the pattern; the relay hands it only rows of that pattern, checked against their schema.
      handlers.set(topic, handler as unknown as StoredHandler);
    },
    tap(topic, handler) {
      if (!topic.endsWith('.*') && !(topic in topics)) throw new Error(`outbox topic ${topic} has no schema in the outbox topics`);
      taps.push({ pattern: topic, handler: handler as unknown as StoredHandler });
    },
    relayOnce,
    start(intervalMs) {
      loop = every(intervalMs, tick);
    },
    async idle() {
      await loop?.idle();
    },
    async close() {
      stopped = true;
      await loop?.close();
    },
  };
}
