import { and, asc, eq, inArray, lte, ne, or, sql } from 'drizzle-orm';
import { fetch } from 'undici';
import type { Db } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import { AppError } from '../lib/problem.js';
import type { ServerKeys } from '../lib/server-keys.js';
import { webhookDeliveries, webhookEndpoints } from '../db/schema/index.js';
import { openWebhookSecret, webhookSignature } from './webhook-secret.js';
import { openWebhookUrl, withoutUrl } from './webhook-url.js';
import { checkWebhookTarget, guardedDispatcher, type ConnectLookup, type Resolver } from './webhook-target.js';

/**
 * What one attempt did: `retry` asks the queue to try again later, `failed` was the last attempt,
 * `skipped` posted nothing (already settled, the endpoint disabled, or another claim holds it).
 * `origin` names the endpoint in logs: never the whole URL.
 */
export type AttemptOutcome = { outcome: 'delivered' | 'skipped' | 'failed' | 'retry'; statusCode: number | null; error: string | null; origin: string | null };

/** A delivery the sweep must (re)queue; `lapsedClaim` is the attempt number of a claim whose worker never recorded it. */
export interface DueDelivery {
  id: string;
  lapsedClaim: number | null;
  /** how many times an admin sent it again (each round is a job of its own) */
  round?: number;
}

/**
 * How long a claim holds beyond the attempt's own time limit: room for the two short
 * transactions around the POST on a busy pool. A claim that lapses only means the delivery may be
 * posted once more (at-least-once), never that it is lost.
 */
export const LEASE_MARGIN_MS = 5000;

/** fetch reports connection failures as "fetch failed" with the reason in `cause`. */
const causeOf = (err: Error): string => (err.cause instanceof Error ? `${err.message} (${err.cause.message})` : err.message);

/** `work`, or the signal's reason once it aborts (a name resolution has no signal of its own). */
function bounded<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const abort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', abort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/**
 * The worker side of partner webhooks: each delivery (a row of the log, written by the
 * notification dispatcher) is POSTed with `X-Egide-Delivery: <delivery id>`, `X-Egide-Event`,
 * `X-Egide-Timestamp` and `X-Egide-Signature: sha256=<hex HMAC(secret, timestamp.body)>`.
 *
 * **At-least-once.** An attempt is three steps, and no database connection is held while the
 * partner's server answers (or does not: up to `timeoutMs`):
 *  1. claim, in one short transaction: the row becomes `in_flight`, `attempts` + 1, with a lease
 *     of `timeoutMs` + LEASE_MARGIN_MS; a row already settled, or claimed by a live lease, is left
 *     alone;
 *  2. POST, outside any transaction, after opening the sealed URL and checking its target again;
 *  3. record, in another short transaction, only if the row still holds this claim (`attempts`
 *     unchanged): delivered, retrying (with the next attempt's time) or failed. A success is
 *     recorded even after a lapsed claim: delivered wins.
 * A worker that dies between 1 and 3 leaves the claim to lapse; the sweep (`due`) then queues the
 * delivery again and the next attempt posts the same body under the same delivery id. A receiver
 * may therefore see a delivery more than once and must ignore an `X-Egide-Delivery` it has already
 * processed; it never misses one that the log says was delivered.
 */
export function createWebhookDelivery(deps: {
  db: Db;
  clock: Clock;
  keys: Pick<ServerKeys, 'webhookSecretKey' | 'webhookUrlKey'>;
  /** WEBHOOK_TIMEOUT_MS: the whole attempt (name check, connection, answer) */
  timeoutMs?: number;
  /** attempts in all; the last failure marks the delivery failed */
  maxAttempts: number;
  /** delay before the attempt after attempt `n` (the queue's backoff), written as `next_attempt_at` */
  retryDelayMs: (attempt: number) => number;
  /** WEBHOOK_ALLOW_PRIVATE_TARGETS: http and local receivers, for development and tests only */
  allowPrivateTargets?: boolean;
  resolve?: Resolver;
  /** the name resolution deliveries connect with (tests simulate a re-pointed name) */
  connectLookup?: ConnectLookup;
}) {
  const { db, clock, keys, maxAttempts } = deps;
  const timeoutMs = deps.timeoutMs ?? 10_000;
  const leaseMs = timeoutMs + LEASE_MARGIN_MS;
  const target = (url: string) => checkWebhookTarget(url, { allowPrivate: deps.allowPrivateTargets === true, ...(deps.resolve ? { resolve: deps.resolve } : {}) });
  // Deliveries connect only to addresses that pass the same check, at connection time.
  const dispatcher = deps.allowPrivateTargets === true ? undefined : guardedDispatcher(deps.connectLookup);

  type Claim = { deliveryId: string; topic: string; body: string; attempt: number; endpointId: string; urlSealed: string; origin: string; secret: string };

  /** Step 1: one short transaction. */
  async function claim(deliveryId: string): Promise<Claim | AttemptOutcome> {
    return db.transaction(async (tx) => {
      const now = clock.now();
      const skipped = (error: string | null, origin: string | null = null): AttemptOutcome => ({ outcome: 'skipped', statusCode: null, error, origin });
      const [d] = await tx.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, deliveryId)).for('update');
      if (!d || d.status === 'delivered' || d.status === 'failed' || d.status === 'cancelled') return skipped(null);
      // Another worker holds it; if that worker died, the sweep queues it again once the lease lapses.
      if (d.status === 'in_flight' && d.leaseExpiresAt && d.leaseExpiresAt > now) return skipped('claimed by another attempt');
      const [e] = await tx
        .select({ id: webhookEndpoints.id, urlSealed: webhookEndpoints.urlSealed, origin: webhookEndpoints.urlOrigin, secret: webhookEndpoints.secret, disabledAt: webhookEndpoints.disabledAt })
        .from(webhookEndpoints)
        .where(eq(webhookEndpoints.id, d.endpointId));
      if (!e || e.disabledAt) {
        await tx.update(webhookDeliveries).set({ status: 'cancelled', nextAttemptAt: null, leaseExpiresAt: null }).where(eq(webhookDeliveries.id, d.id));
        return skipped('endpoint disabled', e?.origin ?? null);
      }
      // The budget counts claims: a last attempt whose worker died before recording is not re-run.
      if (d.attempts >= maxAttempts) {
        await tx.update(webhookDeliveries).set({ status: 'failed', lastError: 'the last attempt stopped before its result was recorded', nextAttemptAt: null, leaseExpiresAt: null }).where(eq(webhookDeliveries.id, d.id));
        return skipped('attempts exhausted', e.origin);
      }
      // Sealed at start (src/main.ts) before any worker runs; a row that is not is left for then.
      if (!e.urlSealed || !e.origin) throw new Error(`webhook endpoint ${e.id} has no sealed URL yet: a start of the service seals it`);
      const attempt = d.attempts + 1;
      await tx
        .update(webhookDeliveries)
        .set({ status: 'in_flight', attempts: attempt, leaseExpiresAt: new Date(now.getTime() + leaseMs), nextAttemptAt: null })
        .where(eq(webhookDeliveries.id, d.id));
      return { deliveryId: d.id, topic: d.topic, body: d.body, attempt, endpointId: e.id, urlSealed: e.urlSealed, origin: e.origin, secret: e.secret };
    });
  }

  /** Step 2: no transaction, no pooled connection. */
  async function post(c: Claim): Promise<{ statusCode: number | null; error: string | null }> {
    let statusCode: number | null = null;
    let error: string | null = null;
    let parsed: URL | null = null;
    try {
      const url = openWebhookUrl(c.urlSealed, c.endpointId, keys.webhookUrlKey);
      parsed = URL.canParse(url) ? new URL(url) : null;
      const signal = AbortSignal.timeout(timeoutMs);
      // Again at each delivery: the name may resolve elsewhere now than at registration.
      await bounded(target(url), signal);
      const timestamp = String(Math.floor(clock.now().getTime() / 1000));
      const signature = webhookSignature(openWebhookSecret(c.secret, c.endpointId, keys.webhookSecretKey), timestamp, c.body);
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-egide-timestamp': timestamp, 'x-egide-signature': signature, 'x-egide-delivery': c.deliveryId, 'x-egide-event': c.topic },
        body: c.body,
        redirect: 'manual',
        signal,
        ...(dispatcher ? { dispatcher } : {}),
      });
      statusCode = res.status;
      await res.body?.cancel();
      if (res.status < 200 || res.status >= 300) error = `HTTP ${res.status}`;
    } catch (err) {
      error = err instanceof AppError ? `refused: ${err.message}` : err instanceof Error ? `${err.name}: ${causeOf(err)}` : 'request failed';
    }
    // Stored and logged: never the URL's path, query or credentials.
    if (error !== null) error = (parsed ? withoutUrl(error, parsed) : error).slice(0, 200);
    return { statusCode, error };
  }

  /** Step 3: one statement, fenced by the claim. */
  async function record(c: Claim, result: { statusCode: number | null; error: string | null }): Promise<AttemptOutcome> {
    const now = clock.now();
    const ok = result.error === null;
    const final = c.attempt >= maxAttempts;
    const status = ok ? 'delivered' : final ? 'failed' : 'retrying';
    const held = and(eq(webhookDeliveries.status, 'in_flight'), eq(webhookDeliveries.attempts, c.attempt));
    const rows = await db
      .update(webhookDeliveries)
      .set({ status, lastStatusCode: result.statusCode, lastError: result.error, deliveredAt: ok ? now : null, nextAttemptAt: status === 'retrying' ? new Date(now.getTime() + deps.retryDelayMs(c.attempt)) : null, leaseExpiresAt: null })
      .where(and(eq(webhookDeliveries.id, c.deliveryId), ok ? ne(webhookDeliveries.status, 'delivered') : held))
      .returning({ id: webhookDeliveries.id });
    if (rows.length === 0) return { outcome: 'skipped', statusCode: result.statusCode, error: ok ? null : 'superseded: the claim lapsed and another attempt holds the delivery', origin: c.origin };
    return { outcome: ok ? 'delivered' : final ? 'failed' : 'retry', statusCode: result.statusCode, error: result.error, origin: c.origin };
  }

  return {
    /** Deliveries waiting for a (first or next) attempt, and claims that lapsed, for the sweep to (re)queue. */
    async due(limit = 100): Promise<DueDelivery[]> {
      const now = clock.now();
      const rows = await db
        .select({ id: webhookDeliveries.id, status: webhookDeliveries.status, attempts: webhookDeliveries.attempts, round: webhookDeliveries.round })
        .from(webhookDeliveries)
        .where(or(and(inArray(webhookDeliveries.status, ['pending', 'retrying']), lte(webhookDeliveries.nextAttemptAt, now)), and(eq(webhookDeliveries.status, 'in_flight'), lte(webhookDeliveries.leaseExpiresAt, now))))
        .orderBy(asc(sql`coalesce(${webhookDeliveries.nextAttemptAt}, ${webhookDeliveries.leaseExpiresAt})`))
        .limit(limit);
      return rows.map((r) => ({ id: r.id, lapsedClaim: r.status === 'in_flight' ? r.attempts : null, round: r.round }));
    },

    /** One attempt: claim, POST, record (see above). */
    async attempt(deliveryId: string): Promise<AttemptOutcome> {
      const claimed = await claim(deliveryId);
      if ('outcome' in claimed) return claimed;
      return record(claimed, await post(claimed));
    },
  };
}
