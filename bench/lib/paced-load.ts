import http from 'node:http';
import { nowMs, summarize, type Summary } from './stats.js';

export interface PacedResult {
  rate: number;
  sent: number;
  /**
   * latency from the moment each request is handed to the connection pool: time waiting for a free
   * connection counts (a stalled server is not hidden), the load generator's own timer lateness does not
   */
  latency: Summary;
  /** how late the generator issued requests compared with the schedule (its own CPU starvation) */
  lag: Summary;
  non2xx: number;
  errors: number;
}

/**
 * An open-loop load at a steady rate: request i is due at start + i / rate, evenly spaced (not in
 * bursts once a second, as autocannon's rate option sends them), over at most `connections` kept-
 * alive connections. Latency counts from the time a request is handed to the pool, so time spent
 * waiting for a free connection is part of it; the generator's own lateness is reported apart.
 */
export async function pacedLoad(opts: { url: string; method?: 'GET' | 'POST'; headers?: Record<string, string>; nextBody?: () => string; rate: number; seconds: number; connections: number }): Promise<PacedResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections });
  const url = new URL(opts.url);
  const total = Math.round(opts.rate * opts.seconds);
  const latencies: number[] = [];
  const lags: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const start = nowMs();
  const inflight: Array<Promise<void>> = [];
  const one = (due: number) =>
    new Promise<void>((resolve) => {
      const body = opts.nextBody?.();
      const sent = nowMs();
      lags.push(Math.max(0, sent - due));
      const req = http.request(
        { agent, host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: opts.method ?? 'GET', headers: { ...opts.headers, ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}) } },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(nowMs() - sent);
            if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) non2xx++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / opts.rate;
    const wait = due - nowMs();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inflight.push(one(due));
  }
  await Promise.all(inflight);
  agent.destroy();
  return { rate: opts.rate, sent: total, latency: summarize(latencies), lag: summarize(lags), non2xx, errors };
}
