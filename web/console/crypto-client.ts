/**
 * The page's side of the crypto worker. One worker for the whole console, started from its
 * static, content-hashed file (the console's CSP allows `worker-src 'self'` and nothing else).
 * Violations of the CSP inside the worker are reported through the page (see protocol.ts).
 */
import type { CryptoRequest, CryptoResults, WorkerCall, WorkerReply, WorkerViolation } from './protocol.js';

export class CryptoFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

let worker: Worker | null = null;
const pending = new Map<number, Pending>();
let nextId = 1;

function start(): Worker {
  const w = new Worker(__CONSOLE_WORKER__, { name: 'egide-crypto' });
  w.onmessage = (event: MessageEvent<WorkerReply | WorkerViolation>) => {
    const data = event.data;
    if ('violation' in data) {
      // The test of the console (and a curious admin's devtools) hears it here.
      console.error(`CSP violation in the crypto worker: ${data.violation.directive} ${data.violation.blockedURI}`);
      window.dispatchEvent(new CustomEvent('egide:worker-violation', { detail: data.violation }));
      return;
    }
    const p = pending.get(data.id);
    if (!p) return;
    pending.delete(data.id);
    if (data.ok) p.resolve(data.result);
    else p.reject(new CryptoFailure(data.code, data.message));
  };
  w.onerror = (event) => {
    event.preventDefault();
    for (const p of pending.values()) p.reject(new CryptoFailure('crypto_failed', 'the crypto worker stopped'));
    pending.clear();
    worker = null;
  };
  return w;
}

export function crypto<R extends CryptoRequest>(request: R): Promise<CryptoResults[R['op']]> {
  worker ??= start();
  const w = worker;
  const id = nextId++;
  return new Promise<CryptoResults[R['op']]>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    w.postMessage({ id, request } satisfies WorkerCall);
  });
}

/** Wipes the keys and stops the worker (log out): nothing of the session survives in it. */
export function stopCrypto(): void {
  worker?.terminate();
  worker = null;
  for (const p of pending.values()) p.reject(new CryptoFailure('stopped', 'stopped'));
  pending.clear();
}
