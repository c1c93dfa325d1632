import { setTimeout as pause } from 'node:timers/promises';

export interface WaitOptions {
  /** what is awaited, for the error when it never comes */
  what: string;
  /** gives up after this long (default 10 s) */
  timeoutMs?: number;
  /** how often `check` runs (default 50 ms) */
  everyMs?: number;
}

/** Polls `check` until it returns a truthy value (returned) or `timeoutMs` has passed (the last value). */
async function poll<R>(check: () => R | Promise<R>, timeoutMs: number, everyMs: number): Promise<{ ok: boolean; value: R }> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return { ok: true, value };
    if (Date.now() > end) return { ok: false, value };
    await pause(everyMs);
  }
}

/**
 * The one way a test waits for something another process or loop does (a worker, a queue, a
 * webhook receiver): runs `check` until it returns a truthy value and returns that value, or
 * throws after `timeoutMs` naming `what` and the last value seen. It waits for a condition,
 * never for a fixed time; where the app exposes the event itself (a BullMQ job's completion, a
 * log line), wait on that instead.
 */
export async function waitFor<R>(check: () => R | Promise<R>, opts: WaitOptions): Promise<NonNullable<R>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const r = await poll(check, timeoutMs, opts.everyMs ?? 50);
  if (!r.ok) throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what} (last: ${JSON.stringify(r.value)})`);
  return r.value as NonNullable<R>;
}

/** The same, for tests that assert on the outcome themselves: true once `check` holds, false at the timeout. */
export async function holdsWithin(check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<boolean> {
  return (await poll(check, timeoutMs, everyMs)).ok;
}
