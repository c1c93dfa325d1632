/**
 * The page's side of the crypto worker. One worker for the whole console, started from its
 * static, content-hashed file (the console's CSP allows `worker-src 'self'` and nothing else).
 * Violations of the CSP inside the worker are reported through the page (see protocol.ts).
 */
import { createWorkerChannel } from '../common/worker-rpc.js';
import type { CryptoRequest, CryptoResults, FileEvent, WorkerViolation } from './protocol.js';

let worker: Worker | null = null;
/** Who listens to the worker's news of an upload, by file id. */
const fileListeners = new Map<string, (event: FileEvent['fileEvent']) => void>();
const channel = createWorkerChannel<CryptoRequest>((data) => {
  const fileEvent = (data as Partial<FileEvent>).fileEvent;
  if (fileEvent) return fileListeners.get(fileEvent.fileId)?.(fileEvent);
  const violation = (data as Partial<WorkerViolation>).violation;
  if (!violation) return;
  // The test of the console (and a curious admin's devtools) hears it here.
  console.error(`CSP violation in the crypto worker: ${violation.directive} ${violation.blockedURI}`);
  window.dispatchEvent(new CustomEvent('egide:worker-violation', { detail: violation }));
});

function start(): Worker {
  const w = new Worker(__CONSOLE_WORKER__, { name: 'egide-crypto' });
  channel.attach(w);
  w.addEventListener('error', () => (worker = null));
  return w;
}

export function crypto<R extends CryptoRequest>(request: R): Promise<CryptoResults[R['op']]> {
  worker ??= start();
  return channel.call(worker, request) as Promise<CryptoResults[R['op']]>;
}

/** Wipes the keys and stops the worker (log out): nothing of the session survives in it. */
export function stopCrypto(): void {
  worker?.terminate();
  worker = null;
  channel.failAll('stopped', 'stopped');
}

/** Listens to the worker's news of one upload (its URL, its progress) until the returned function is called. */
export function onFileEvent(fileId: string, listener: (event: FileEvent['fileEvent']) => void): () => void {
  fileListeners.set(fileId, listener);
  return () => {
    if (fileListeners.get(fileId) === listener) fileListeners.delete(fileId);
  };
}
