import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Database } from '../src/db/client.js';
import { outbox } from '../src/db/schema/index.js';
import type { Clock } from '../src/lib/clock.js';
import { loggableError } from '../src/lib/loggable-error.js';
import type { WorkerLogger } from './worker.js';

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
 */
export type OutboxHandler = (rows: OutboxRow[]) => Promise<void>;

export interface OutboxRelay {
  /**
   * Claims a topic. A topic nobody registered is left in the outbox untouched, so each module
   * registers its own (escalation: `deadline.opened`; notifications: theirs) and none marks
   * another's rows dispatched. Registering after start is fine: each pass reads the map.
   */
  register(topic: string, handler: OutboxHandler): void;
  /** One pass: up to a batch of pending rows per registered topic; returns the largest count dispatched for one topic. */
  relayOnce(): Promise<number>;
  /** Polls every `intervalMs` (at once again while batches come back full). */
  start(intervalMs: number): void;
  close(): Promise<void>;
}

/**
 * The transactional outbox's relay. Rows are claimed with `for update skip locked`, so any number
 * of worker processes relay side by side without handing a row twice at the same time; a row is
 * marked dispatched in the claiming transaction, after its handler succeeded: a crash in between
 * rolls the claim back and the row is handed again (at least once; handlers dedupe, e.g. by job id).
 */
export function createOutboxRelay(deps: { database: Database; clock: Clock; log: WorkerLogger; batchSize?: number }): OutboxRelay {
  const { database, clock, log } = deps;
  const batchSize = deps.batchSize ?? 500;
  const handlers = new Map<string, OutboxHandler>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  let failing = false;

  /** One topic's pass, in a transaction of its own: a failing topic never holds up another's rows. */
  async function relayTopic(topic: string, handler: OutboxHandler): Promise<number> {
    return database.db.transaction(async (tx) => {
      const rows = await tx
        .select({ id: outbox.id, topic: outbox.topic, payload: outbox.payload, createdAt: outbox.createdAt })
        .from(outbox)
        .where(and(isNull(outbox.dispatchedAt), eq(outbox.topic, topic)))
        .orderBy(asc(outbox.id))
        .limit(batchSize)
        .for('update', { skipLocked: true });
      if (rows.length === 0) return 0;
      try {
        await handler(rows.map((r) => ({ ...r, payload: r.payload as Record<string, unknown> })));
      } catch (err) {
        log.warn({ topic, rows: rows.length, err: loggableError(err) }, 'outbox handler failed; the rows stay pending');
        return 0;
      }
      const ids = rows.map((r) => r.id);
      await tx.update(outbox).set({ dispatchedAt: sql`${clock.now().toISOString()}::timestamptz` }).where(inArray(outbox.id, ids));
      return ids.length;
    });
  }

  async function relayOnce(): Promise<number> {
    let most = 0;
    for (const [topic, handler] of [...handlers]) most = Math.max(most, await relayTopic(topic, handler));
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
      timer = setInterval(() => {
        if (stopped) return;
        running = running.then(tick);
      }, intervalMs);
      timer.unref();
    },
    async close() {
      stopped = true;
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
