/**
 * The page's calls to the egide API (same origin), through the SDK's typed client: each call is
 * named by its operationId and typed by the route's own contract. Every failure becomes an
 * ApiFailure with a `kind` the page turns into plain words: the network (server down, no
 * connection), rate limits (with the wait), a wrong receipt, a refused request (problem `code`),
 * or the server's own fault. The session's tokens stay in the client, in memory only.
 */
import { ApiError, createApiClient, type CallArgs, type OperationId, type ResponseOf } from '../../src/sdk/client/api-client.js';
import type { TransitionBody } from '../../src/contracts/case-workflow.js';
import { keepSessionFresh } from '../common/session-keepalive.js';

export type { ResponseOf };

export type FailureKind = 'network' | 'rate_limited' | 'unauthenticated' | 'not_found' | 'too_large' | 'invalid' | 'conflict' | 'key_changed' | 'server';

export class ApiFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    readonly status: number,
    readonly code: string,
    /** Seconds to wait before retrying (429), when the server said. */
    readonly retryAfter: number | null = null,
  ) {
    super(`${kind} (${status} ${code})`);
  }
}


const tokenListeners = new Set<(accessToken: string) => void>();
const client = createApiClient({
  baseUrl: '',
  init: { credentials: 'omit', cache: 'no-store', redirect: 'error' },
  // The crypto worker makes its own requests (evidence uploads and downloads): it is told each new token.
  onTokens: (pair) => {
    for (const l of tokenListeners) l(pair?.accessToken ?? '');
  },
});

/** The session's current access token ('' when there is none). */
export function accessToken(): string {
  return client.tokens()?.accessToken ?? '';
}

/** Renews the session a minute before its access token expires, until the returned function is called (a long upload or download). */
export function keepSessionAlive(): () => void {
  return keepSessionFresh(() => client.tokens()?.accessToken ?? null, () => client.refresh());
}

/** Told of each new access token (a login, a refresh) until the returned function is called. */
export function onAccessToken(listener: (accessToken: string) => void): () => void {
  tokenListeners.add(listener);
  return () => tokenListeners.delete(listener);
}

function kindOf(status: number, code: string): FailureKind {
  if (status === 429) return 'rate_limited';
  if (status === 401) return 'unauthenticated';
  if (status === 404) return 'not_found';
  if (status === 413) return 'too_large';
  if (code === 'intake_key_changed') return 'key_changed';
  if (status === 400 || status === 415) return 'invalid';
  if (status === 409 || status === 403) return 'conflict';
  return 'server';
}

function failureOf(err: unknown): unknown {
  if (!(err instanceof ApiError)) return err;
  // No answer, or a proxy in front of a stopped service (502/503/504): to the person, the service is down.
  if (err.status === 0 || [502, 503, 504].includes(err.status)) return new ApiFailure('network', err.status, err.status === 0 ? 'network' : err.code, err.retryAfter);
  return new ApiFailure(kindOf(err.status, err.code), err.status, err.code, err.retryAfter);
}

/** Calls an operation; resolves with its typed answer, rejects with ApiFailure. */
export function call<Id extends OperationId>(operationId: Id, ...input: CallArgs<Id>): Promise<ResponseOf<Id>> {
  return client.call(operationId, ...input).catch((err: unknown) => {
    throw failureOf(err);
  });
}

/** A case transition of the workflow (the defender's: `provide_info`). */
export async function transition(caseId: string, name: string, body: TransitionBody = {}): Promise<void> {
  try {
    await client.transition(caseId, name, body);
  } catch (err) {
    throw failureOf(err);
  }
}

/** Logs in with the authKey derived from a receipt (the tokens stay in memory); resolves with the case id. */
export async function logIn(authKey: string): Promise<string> {
  return (await call('loginWithReceipt', { body: { authKey } })).caseId;
}

/** Ends the session on the server (best effort) and forgets it here at once. */
export function logOut(): void {
  if (client.tokens()) void call('logout').catch(() => undefined);
  client.setTokens(null);
}

/** Forgets the session here only (quick exit: nothing more is sent). */
export function forgetSession(): void {
  client.setTokens(null);
}
