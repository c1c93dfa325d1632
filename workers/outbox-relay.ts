import { and, asc, eq, inArray, isNull, min, sql } from 'drizzle-orm';
import type { Database, Tx } from '../src/db/client.js';
import { outbox } from '../src/db/schema/index.js';
import type { Clock } from '../src/lib/clock.js';
import { loggableError } from '../src/lib/loggable-error.js';
import type { WorkerLogger } from '../src/lib/worker-logger.js';
import { every } from './periodic.js';

export interface OutboxRow {
  id: number;
  topic: string;
  payload: Record<string, unknown>;
  createdAt: Date;
}

/**
 * Hands a topic's committed outbox rows (in id order) to whatever delivers them: enqueues BullMQ
 * jobs, writes inbox rows... It must be idempotent (a row is handed again if the relay dies
 * before marking it dispatched); resolving means "done", throwing leaves the rows for the next pass.
 * `tx` is the claiming transaction (under a savepoint): rows written there commit with the
 * "dispatched" mark, or not at all when the handler throws. A handler may return a function to
 * run after that commit (e.g. queue the webhook deliveries it wrote); its failure is only logged.
 */
export type OutboxHandler = (rows: OutboxRow[], tx: Tx) => Promise<void | (() => Promise<void>)>;

export interface OutboxRelay {
  /**
   * Claims a topic, or a family of topics with a trailing `.*` (`referral.*`); an exact topic
   * wins over a family. A topic nobody registered is left in the outbox untouched (and logged once
   * it is older than `staleAfterMs`), so each module registers its own (escalation:
   * `deadline.opened`; notifications: theirs) and none marks another's rows dispatched.
   * Registering after start is fine: each pass reads the map.
   */
  register(topic: string, handler: OutboxHandler): void;
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

/**
 * The transactional outbox's relay. Rows are claimed with `for update skip locked`, so any number
 * of worker processes relay side by side without handing a row twice at the same time; a row is
 * marked dispatched in the claiming transaction, after its handler succeeded: a crash in between
 * rolls the claim back and the row is handed again (at least once; handlers dedupe, e.g. by job id).
 */
export function createOutboxRelay(deps: { database: Database; clock: Clock; log: WorkerLogger; batchSize?: number; staleAfterMs?: number }): OutboxRelay {
  const { database, clock, log } = deps;
  const batchSize = deps.batchSize ?? 500;
  const staleAfterMs = deps.staleAfterMs ?? 5 * 60_000;
  const handlers = new Map<string, OutboxHandler>();
  /** When each unclaimed topic was last warned about (once per `staleAfterMs`, not every pass). */
  const warned = new Map<string, number>();

  const handlerOf = (topic: string): OutboxHandler | undefined => {
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
  async function relayTopic(topic: string, handler: OutboxHandler): Promise<number> {
    const post: { after?: () => Promise<void> } = {};
    const count = await database.db.transaction(async (tx) => {
      const rows = await tx
        .select({ id: outbox.id, topic: outbox.topic, payload: outbox.payload, createdAt: outbox.createdAt })
        .from(outbox)
        .where(and(isNull(outbox.dispatchedAt), eq(outbox.topic, topic)))
        .orderBy(asc(outbox.id))
        .limit(batchSize)
        .for('update', { skipLocked: true });
      if (rows.length === 0) return 0;
      try {
        // A savepoint: what a failing handler wrote is undone, the claim is simply released.
        const after = await tx.transaction((sp) => handler(rows.map((r) => ({ ...r, payload: r.payload as Record<string, unknown> })), sp));
        if (after) post.after = after;
      } catch (err) {
        log.warn({ topic, rows: rows.length, err: loggableError(err) }, 'outbox handler failed; the rows stay pending');
        return 0;
      }
      const ids = rows.map((r) => r.id);
      await tx.update(outbox).set({ dispatchedAt: sql`${clock.now().toISOString()}::timestamptz` }).where(inArray(outbox.id, ids));
      return ids.length;
    });
    if (post.after) {
      try {
        await post.after();
      } catch (err) {
        log.warn({ topic, err: loggableError(err) }, 'outbox after-commit step failed; its owner retries it');
      }
    }
    return count;
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
      if (handler) {
        warned.delete(topic);
        most = Math.max(most, await relayTopic(topic, handler));
      } else if (oldest && now - new Date(oldest).getTime() > staleAfterMs && now - (warned.get(topic) ?? -Infinity) > staleAfterMs) {
        // Never dropped nor marked: a module that forgot to register, or a topic written by a
        // newer version of the code. The rows wait for a handler; the operator is told.
        warned.set(topic, now);
        log.warn({ topic, oldest: new Date(oldest).toISOString() }, 'outbox rows with no handler are waiting; register the topic');
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
      handlers.set(topic, handler);
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
