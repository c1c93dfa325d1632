import { sql, type SQL } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { outbox } from '../db/schema/index.js';
import type { AppTopics, OutboxTopic, PayloadOf, TopicCatalogue } from './topics.js';

/**
 * One outbox row as the relay hands it to a handler. For a topic of the catalogue the payload is
 * typed (and was checked against the topic's schema); a row read without a known topic (`OutboxRow`,
 * the default) has a plain JSON object. A union of topics gives a union of rows, so switching on
 * `row.topic` narrows `row.payload`.
 */
export type OutboxRow<T extends string = string, C extends TopicCatalogue = AppTopics> = T extends OutboxTopic<C>
  ? { id: number; topic: T; payload: PayloadOf<T, C>; createdAt: Date }
  : { id: number; topic: string; payload: Readonly<Record<string, unknown>>; createdAt: Date };

export interface Outbox<C extends TopicCatalogue = AppTopics> {
  /**
   * Writes a job for the relay in the caller's transaction, so nothing is relayed unless the
   * change commits. The payload must be the topic's: a wrong one does not compile.
   */
  add<T extends OutboxTopic<C>>(tx: Queryable, topic: T, payload: PayloadOf<T, C>, at: Date): Promise<void>;
}

/**
 * The outbox writer every service uses. It holds nothing: the row goes in through the caller's
 * transaction. Payloads are checked by type here and by schema in the relay (checking them here
 * too would cost every command a validation for what the compiler already proves).
 */
export function createOutbox<C extends TopicCatalogue = AppTopics>(): Outbox<C> {
  return {
    async add(tx, topic, payload, at) {
      await tx.insert(outbox).values({ topic, payload, createdAt: at });
    },
  };
}

/**
 * The `topic, payload, created_at` values of an outbox row as SQL, typed like `Outbox.add`, for
 * a statement that writes the row together with the change it announces
 * (`insert into outbox (topic, payload, created_at) select ${outboxValues(...)} from d`).
 */
export function outboxValues<T extends OutboxTopic>(topic: T, payload: PayloadOf<T>, at: Date): SQL {
  return sql`${topic}, ${JSON.stringify(payload)}::jsonb, ${at.toISOString()}::timestamptz`;
}
