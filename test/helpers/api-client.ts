import type { FastifyInstance } from 'fastify';
import { createApiClient, type ApiClient, type ApiClientOptions, type Fetch } from '../../src/sdk/index.js';

/** The origin the transport pretends to be: only the path and query reach the app. */
const ORIGIN = 'http://egide.test';

/**
 * A `fetch` over `app.inject`: the client's requests reach the app as they would over HTTP
 * (headers, JSON body), without a socket. `remoteAddress` is the caller's address (throttles are
 * per address); `seen` records each request's method and path, for tests that count calls.
 */
export function injectFetch(app: FastifyInstance, opts: { remoteAddress?: string; seen?: string[] } = {}): Fetch {
  return async (input, init) => {
    const url = new URL(input, ORIGIN);
    opts.seen?.push(`${init.method ?? 'GET'} ${url.pathname}`);
    const res = await app.inject({
      method: (init.method ?? 'GET') as 'GET',
      url: `${url.pathname}${url.search}`,
      headers: { ...(init.headers as Record<string, string>) },
      ...(typeof init.body === 'string' ? { payload: init.body } : {}),
      ...(opts.remoteAddress ? { remoteAddress: opts.remoteAddress } : {}),
    });
    const headers = new Headers();
    for (const [k, v] of Object.entries(res.headers)) {
      if (v === undefined) continue;
      for (const one of Array.isArray(v) ? v : [v]) headers.append(k, String(one));
    }
    const empty = res.statusCode === 204 || res.statusCode === 304;
    return new Response(empty ? null : res.rawPayload, { status: res.statusCode, headers });
  };
}

/** The typed API client over `app.inject`. */
export function apiClient(app: FastifyInstance, opts: { remoteAddress?: string; seen?: string[] } & Omit<ApiClientOptions, 'baseUrl' | 'fetch'> = {}): ApiClient {
  const { remoteAddress, seen, ...rest } = opts;
  return createApiClient({ baseUrl: ORIGIN, fetch: injectFetch(app, { ...(remoteAddress ? { remoteAddress } : {}), ...(seen ? { seen } : {}) }), ...rest });
}

/** The client of someone the test already logged in (an actor of helpers/actors.ts), holding their token pair. */
export function clientOf(app: FastifyInstance, who: { accessToken: string; refreshToken: string }): ApiClient {
  return apiClient(app, { tokens: { accessToken: who.accessToken, refreshToken: who.refreshToken } });
}
