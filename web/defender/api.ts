/**
 * Calls to the egide API (same origin). Every failure becomes an ApiFailure with a `kind` the
 * page turns into plain words: the network (server down, no connection), rate limits (with
 * the wait), a wrong receipt, a refused request (problem `code`), or the server's own fault.
 */
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

let token: string | null = null;

export function setToken(value: string | null): void {
  token = value;
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

/** Sends a JSON request; resolves with the parsed body of a 2xx answer, rejects with ApiFailure. */
export async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(path, { method, headers, credentials: 'omit', cache: 'no-store', redirect: 'error', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch {
    throw new ApiFailure('network', 0, 'network');
  }
  const text = await response.text().catch(() => '');
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (response.ok) return parsed as T;
  const code = typeof (parsed as { code?: unknown } | null)?.code === 'string' ? (parsed as { code: string }).code : `http_${response.status}`;
  const retry = Number(response.headers.get('retry-after'));
  // A proxy in front of a stopped service answers 502/503/504: to the person, the service is down.
  if ([502, 503, 504].includes(response.status)) throw new ApiFailure('network', response.status, code, Number.isFinite(retry) && retry > 0 ? retry : null);
  throw new ApiFailure(kindOf(response.status, code), response.status, code, Number.isFinite(retry) && retry > 0 ? retry : null);
}

/** Logs in with the authKey derived from a receipt (the token stays in memory); resolves with the case id. */
export async function logIn(authKey: string): Promise<string> {
  const r = await api<{ accessToken: string; caseId: string }>('POST', '/v1/auth/receipt', { authKey });
  setToken(r.accessToken);
  return r.caseId;
}
