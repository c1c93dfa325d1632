/**
 * The page's side of the crypto worker. The worker starts from its own URL on this origin
 * (worker-src 'self'), named by the build after its contents (the page's meta tag): the code
 * that holds the keys is the file the deployment manifest lists, the same for everyone. It is
 * loaded lazily (first keystroke, or the receipt form), never before it is needed.
 */
import { createWorkerChannel, CryptoFailure } from '../common/worker-rpc.js';
import type { CryptoRequest, CryptoResults, WorkerEvent } from './protocol.js';

export { CryptoFailure };

let worker: Promise<Worker> | null = null;
const eventListeners = new Set<(e: WorkerEvent) => void>();
const channel = createWorkerChannel<CryptoRequest>((data) => {
  if (data && typeof data === 'object' && 'event' in data) for (const l of eventListeners) l(data as WorkerEvent);
});

/** Told of what the worker reports while it works (an upload's URL and progress), until the returned function is called. */
export function onWorkerEvent(listener: (e: WorkerEvent) => void): () => void {
  eventListeners.add(listener);
  return () => eventListeners.delete(listener);
}

function meta(name: string): string {
  return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? '';
}

async function startWorker(): Promise<Worker> {
  const url = meta('egide-crypto-src');
  if (!/^\/assets\/crypto-[0-9a-f]{12}\.js$/.test(url)) throw new CryptoFailure('not_built', 'the crypto worker is not configured');
  const w = new Worker(url, { name: 'egide-crypto' });
  channel.attach(w);
  // A worker that stopped is started again by the next call.
  w.addEventListener('error', () => (worker = null));
  return w;
}

/** Starts loading the worker (idempotent); a failed load is retried on the next call. */
export function preloadCrypto(): Promise<Worker> {
  if (!worker) {
    worker = startWorker();
    worker.catch(() => {
      worker = null;
    });
  }
  return worker;
}

export async function crypto<R extends CryptoRequest>(request: R): Promise<CryptoResults[R['op']]> {
  const w = await preloadCrypto();
  return channel.call(w, request) as Promise<CryptoResults[R['op']]>;
}

/** Wipes the keys in the worker and stops it (quick exit, log out). */
export function destroyCrypto(): void {
  const current = worker;
  worker = null;
  if (current) void current.then((w) => w.terminate()).catch(() => undefined);
  channel.failAll('stopped', 'stopped');
}
