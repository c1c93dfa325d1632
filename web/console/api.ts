/**
 * The console's calls to the egide API (same origin), all through the SDK's typed client. The
 * token pair lives in this module's memory only: a reload is a new session (password and TOTP).
 */
import { ApiError, createApiClient, type CallArgs, type OperationId, type ResponseOf } from '../../src/sdk/client/api-client.js';
import { signal } from '@preact/signals';

export { ApiError };
export type { ResponseOf };

/** False once the session ended (refresh refused, log out): the app shows the sign-in form. */
export const sessionAlive = signal(false);

const client = createApiClient({
  baseUrl: '',
  init: { credentials: 'omit', cache: 'no-store', redirect: 'error' },
  onTokens: (tokens) => {
    sessionAlive.value = tokens !== null;
  },
});

export function call<Id extends OperationId>(operationId: Id, ...input: CallArgs<Id>): Promise<ResponseOf<Id>> {
  return client.call(operationId, ...input);
}

/** A case transition of policies/workflow.yaml (`acknowledge`, `admit`...): the case view it leaves. */
export function transition(caseId: string, name: string, body: Parameters<typeof client.transition>[2] = {}): ReturnType<typeof client.transition> {
  return client.transition(caseId, name, body);
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
