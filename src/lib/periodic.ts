/**
 * Runs `pass` every `intervalMs`, one pass at a time: a beat that comes while a pass is still
 * running is skipped, not queued. (Queuing them, as `running = running.then(pass)` does, piles up
 * a pass per beat while PostgreSQL is down and each pass waits out its connection timeout, then
 * runs them all back to back on recovery.) `close()` stops the beats and waits for the pass in
 * progress. The timer does not keep the process alive. `pass` handles its own errors.
 */
export function every(intervalMs: number, pass: () => Promise<void>, opts: { now?: boolean } = {}): { close(): Promise<void>; idle(): Promise<void> } {
  let running: Promise<void> | null = null;
  let stopped = false;
  const beat = () => {
    if (stopped || running) return;
    running = pass().finally(() => {
      running = null;
    });
  };
  const timer = setInterval(beat, intervalMs);
  timer.unref();
  if (opts.now) beat();
  return {
    /** Resolves once no pass is running (at once when none is). */
    async idle() {
      await running;
    },
    async close() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
