/**
 * The console's calls to the egide API (same origin), all through the SDK's typed client. The
 * token pair lives in this module's memory only: a reload is a new session (password and TOTP).
 */
import { ApiError, createApiClient, type CallArgs, type OperationId, type ResponseOf } from '../../src/sdk/client/api-client.js';
import { signal } from '@preact/signals';
import { keepSessionFresh } from '../common/session-keepalive.js';

export { ApiError };
export type { ResponseOf };

/** False once the session ended (refresh refused, log out): the app shows the sign-in form. */
export const sessionAlive = signal(false);

/** Who follows the access token (the crypto worker's own requests: a file's upload or download). */
const tokenListeners = new Set<(accessToken: string | null) => void>();

const client = createApiClient({
  baseUrl: '',
  init: { credentials: 'omit', cache: 'no-store', redirect: 'error' },
  onTokens: (tokens) => {
    sessionAlive.value = tokens !== null;
    for (const listener of tokenListeners) listener(tokens?.accessToken ?? null);
  },
});

/** Renews the session a minute before its access token expires, until the returned function is called (a long upload or download). */
export function keepSessionAlive(): () => void {
  return keepSessionFresh(() => client.tokens()?.accessToken ?? null, () => client.refresh());
}

/** Told the access token now and each new one (after a refresh, null at the end) until the returned function is called. */
export function followAccessToken(listener: (accessToken: string | null) => void): () => void {
  listener(client.tokens()?.accessToken ?? null);
  tokenListeners.add(listener);
  return () => void tokenListeners.delete(listener);
}

/** The problem codes that mean the session is over on the server (ended elsewhere, or its refresh token spent). */
const ENDED: ReadonlySet<string> = new Set(['session_ended', 'invalid_refresh_token']);

/**
 * Any call refused because the session ended elsewhere (log out everywhere, an administrator)
 * ends it here too, once: the app then shows the sign-in form with the reason, whatever the
 * screen that met it.
 */
function endedElsewhere(err: unknown): never {
  if (err instanceof ApiError && ENDED.has(err.code) && sessionAlive.value) forgetTokens();
  throw err;
}

export function call<Id extends OperationId>(operationId: Id, ...input: CallArgs<Id>): Promise<ResponseOf<Id>> {
  return client.call(operationId, ...input).catch(endedElsewhere);
}

/**
 * An operation's successful answer unread, for a body kept byte for byte (the audit export, saved
 * and verified as the server sent it): the session's token and its renewal as for `call`.
 */
export function callRaw<Id extends OperationId>(operationId: Id, ...input: CallArgs<Id>): Promise<Response> {
  return client.raw(operationId, ...input).catch(endedElsewhere);
}

/** A case transition of policies/workflow.yaml (`acknowledge`, `admit`...): the case view it leaves. */
export function transition(caseId: string, name: string, body: Parameters<typeof client.transition>[2] = {}): ReturnType<typeof client.transition> {
  return client.transition(caseId, name, body).catch(endedElsewhere);
}

/** Forgets the token pair (after a log out, or when the session is over). */
export function forgetTokens(): void {
  client.setTokens(null);
  sessionAlive.value = false;
}

/** The problem `code` of a failure (`network` when no answer came). */
export function codeOf(err: unknown): string {
  if (err instanceof ApiError) return err.code;
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') return err.code;
  return 'unexpected';
}
