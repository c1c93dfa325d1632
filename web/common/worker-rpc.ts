/**
 * The request/reply channel between a page and its crypto worker, for both web applications: the
 * page numbers its requests and waits for the reply of each; the worker answers each with its
 * result or with a refusal that keeps its stable code (a CryptoError's code: key_id_mismatch,
 * decrypt_failed...). Errors never carry key material or plaintext: the SDK's messages do not.
 */
/// <reference lib="webworker" />

export interface WorkerCall<Req> {
  id: number;
  request: Req;
}

export type WorkerReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; code: string; message: string };

export class CryptoFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The page's side: one per worker. `other` receives messages that are not replies (e.g. a CSP violation report). */
export function createWorkerChannel<Req>(other: (data: unknown) => void = () => undefined) {
  const pending = new Map<number, { resolve(value: unknown): void; reject(err: unknown): void }>();
  let nextId = 1;
  const failAll = (code: string, message: string): void => {
    for (const p of pending.values()) p.reject(new CryptoFailure(code, message));
    pending.clear();
  };
  return {
    /** Routes the worker's messages to the waiting calls. */
    attach(w: Worker): void {
      w.onmessage = (event: MessageEvent<unknown>) => {
        const data = event.data as Partial<WorkerReply>;
        const p = typeof data.id === 'number' ? pending.get(data.id) : undefined;
        if (!p) return other(event.data);
        pending.delete(data.id as number);
        if (data.ok) p.resolve((data as { result: unknown }).result);
        else p.reject(new CryptoFailure((data as { code: string }).code, (data as { message: string }).message));
      };
      w.onerror = (event) => {
        event.preventDefault();
        failAll('crypto_failed', 'the crypto worker stopped');
      };
    },
    call(w: Worker, request: Req): Promise<unknown> {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        w.postMessage({ id, request } satisfies WorkerCall<Req>);
      });
    },
    /** Rejects every call still waiting (the worker stopped, or the session ended). */
    failAll,
  };
}

/** The worker's side: answers each request with `handle`'s result, or its refusal's code. */
export function serveWorker<Req>(scope: DedicatedWorkerGlobalScope, handle: (request: Req) => Promise<unknown>, codeOf: (err: unknown) => string): void {
  scope.onmessage = (event: MessageEvent<WorkerCall<Req>>) => {
    const { id, request } = event.data;
    handle(request).then(
      (result) => scope.postMessage({ id, ok: true, result } satisfies WorkerReply),
      (err: unknown) => scope.postMessage({ id, ok: false, code: codeOf(err), message: err instanceof Error ? err.message : String(err) } satisfies WorkerReply),
    );
  };
}
