/**
 * The typed HTTP client of the egide API, for Node and the browser (no Node built-ins: only
 * `fetch`, `URL`, `URLSearchParams`). Its types are `Static<>` of the routes' own contracts
 * (src/contracts): a change of a route's schema breaks the compile of every call it affects, with
 * no generation step. At run time it carries only the route table (method and URL per
 * operationId), not the schemas: the server validates, and a browser page stays small.
 *
 * - Calls by operationId: `client.call('getCase', { params: { caseId } })`.
 * - The token pair: the answers of the session operations (login, receipt login, refresh) are
 *   kept; an access token refused as `invalid_token` is renewed once with the refresh token and
 *   the call retried. Refresh tokens rotate and a reused one ends the session, so one refresh
 *   runs at a time and every call waiting on it retries with its result.
 * - Problems (RFC 9457) become an `ApiError` with the status, the stable `code`, the problem's
 *   other fields and `retryAfter` (seconds, from Retry-After).
 */
import type { Static, TSchema } from 'typebox';
import type { Contracts } from '../../contracts/index.js';
import { ROUTES, transitionPath, type OperationId } from '../../contracts/routes.js';

export type { OperationId };
import type { ProblemDocument } from '../../contracts/shared.js';
import type { TransitionBody } from '../../contracts/case-workflow.js';
import type { CaseView } from '../../contracts/case-view.js';

type SchemaOf<Id extends OperationId> = Contracts[Id]['schema'];
type SuccessStatus = 200 | 201 | 202 | 204;

/** The body of one documented answer: a schema, or a media response whose JSON schema is given. */
type AnswerBody<R> = R extends TSchema ? Static<R> : R extends { content: { 'application/json': { schema: infer S extends TSchema } } } ? Static<S> : unknown;

/** What a successful call resolves with: the union of the operation's 2xx answers. */
export type ResponseOf<Id extends OperationId> = {
  [K in keyof SchemaOf<Id>['response'] & SuccessStatus]: AnswerBody<SchemaOf<Id>['response'][K]>;
}[keyof SchemaOf<Id>['response'] & SuccessStatus];

/** One part of the request: required when its schema has a required field, absent when the operation has none. */
type Part<S, From extends string, Name extends string> = [S] extends [{ [P in From]: infer T extends TSchema }]
  ? {} extends Static<T>
    ? { [P in Name]?: Static<T> }
    : { [P in Name]: Static<T> }
  : { [P in Name]?: never };

/** Per-call options. */
export interface CallOptions {
  /** Extra request headers. */
  headers?: Record<string, string>;
  /**
   * Sent as Idempotency-Key. No operation of the API reads one today: what a client creates
   * (a case, a message, a report) carries an id the client chose, and a replay of it is refused
   * as `already_exists`. Kept so a client can adopt it without a new option.
   */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

/** The input of an operation: its path parameters, query and body, typed by its contract. */
export type InputOf<Id extends OperationId> = InputOfSchema<SchemaOf<Id>>;

/**
 * The three parts of one schema, distributed over the schema (not over each part): checked against
 * the union of every operation (the constraint of `call`), an intersection of three distributed
 * parts was the product of their members, past what the compiler represents (TS2590) once the API
 * had some 120 operations; this is one member per operation.
 */
type InputOfSchema<S> = S extends unknown ? Part<S, 'params', 'params'> & Part<S, 'querystring', 'query'> & Part<S, 'body', 'body'> & CallOptions : never;

/** The input argument: optional when nothing in it is required. */
export type CallArgs<Id extends OperationId> = {} extends InputOf<Id> ? [input?: InputOf<Id>] : [input: InputOf<Id>];

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

/** The problem document of a refusal, with whatever extra fields the route adds. */
export type ProblemDetails = ProblemDocument & Record<string, unknown>;

/**
 * A refused or failed call. `status` 0 with code `network` when no answer came (the server is
 * down, the connection was cut, the call was aborted).
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly title: string;
  readonly detail: string | undefined;
  constructor(
    readonly status: number,
    readonly code: string,
    /** The whole problem document (extra fields included); null when the answer was not one. */
    readonly problem: ProblemDetails | null,
    /** Seconds to wait before trying again, when the server said (Retry-After). */
    readonly retryAfter: number | null = null,
    readonly operationId: string = '',
  ) {
    super(problem?.detail ?? problem?.title ?? `${status} ${code}`);
    this.title = problem?.title ?? code;
    this.detail = problem?.detail;
  }
}

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

export interface ApiClientOptions {
  /** The API's origin (and prefix, if any): `https://egide.example.org`, or '' for the page's own origin. */
  baseUrl: string;
  /** The transport; `globalThis.fetch` by default (tests pass one over `app.inject`). */
  fetch?: Fetch;
  /** Defaults merged into every request (a page sets `credentials: 'omit'`, `cache: 'no-store'`...). */
  init?: Omit<RequestInit, 'method' | 'headers' | 'body' | 'signal'>;
  /** A pair to start with (e.g. kept by the caller across reloads). */
  tokens?: TokenPair | null;
  /** Told of every new pair (after a login or a refresh) and of the end of the session (null). */
  onTokens?: (tokens: TokenPair | null) => void;
}

/** The operations whose answer opens or renews a session: the client keeps the pair they return. */
const SESSION_OPERATIONS: ReadonlySet<OperationId> = new Set<OperationId>(['login', 'loginWithReceipt', 'refreshSession']);

/** The problem codes that mean the access token itself was refused (expired or invalid): worth one refresh. */
const RENEWABLE = new Set(['invalid_token']);

function retryAfterOf(response: Response, now: number): number | null {
  const raw = response.headers.get('retry-after');
  if (!raw) return null;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return seconds > 0 ? Math.ceil(seconds) : null;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? null : Math.max(1, Math.ceil((at - now) / 1000));
}

function isTokenPair(v: unknown): v is TokenPair {
  return typeof v === 'object' && v !== null && typeof (v as TokenPair).accessToken === 'string' && typeof (v as TokenPair).refreshToken === 'string';
}

function pathOf(url: string, params: Record<string, unknown> | undefined): string {
  return url.replace(/:(\w+)/g, (_, name: string) => {
    const value = params?.[name];
    if (value === undefined || value === null) throw new TypeError(`missing path parameter ${name}`);
    return encodeURIComponent(String(value));
  });
}

function queryOf(query: Record<string, unknown> | undefined): string {
  if (!query) return '';
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) q.append(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export interface ApiClient {
  /** Calls an operation by its operationId; resolves with its 2xx answer, rejects with ApiError. */
  call<Id extends OperationId>(operationId: Id, ...input: CallArgs<Id>): Promise<ResponseOf<Id>>;
  /**
   * Calls an operation as `call` does (the same token pair, renewed the same way) but resolves
   * with its successful answer unread, for a body to keep byte for byte or read as a stream (an
   * NDJSON export, a download); a refusal still rejects with ApiError.
   */
  raw<Id extends OperationId>(operationId: Id, ...input: CallArgs<Id>): Promise<Response>;
  /** A case transition of policies/workflow.yaml (`request_info`, `close`...), answered with the case view. */
  transition(caseId: string, name: string, body: TransitionBody, options?: CallOptions): Promise<Static<typeof CaseView>>;
  /** The pair held now, if any. */
  tokens(): TokenPair | null;
  /** Sets (or, with null, forgets) the pair. */
  setTokens(tokens: TokenPair | null): void;
  /** Renews the pair now (before it expires, e.g. during a long upload); false when the session is over. */
  refresh(): Promise<boolean>;
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  const transport: Fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  let pair: TokenPair | null = options.tokens ?? null;
  // The one refresh in flight, shared by every call that met an expired token meanwhile.
  let refreshing: Promise<boolean> | null = null;

  function setTokens(tokens: TokenPair | null): void {
    pair = tokens ? { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken } : null;
    options.onTokens?.(pair);
  }

  interface Request {
    operationId: string;
    method: string;
    path: string;
    body?: unknown;
    options: CallOptions;
  }

  async function send(req: Request, accessToken: string | null): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json', ...req.options.headers };
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    if (accessToken) headers.authorization = `Bearer ${accessToken}`;
    if (req.options.idempotencyKey) headers['idempotency-key'] = req.options.idempotencyKey;
    try {
      return await transport(`${base}${req.path}`, {
        ...options.init,
        method: req.method,
        headers,
        ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
        ...(req.options.signal ? { signal: req.options.signal } : {}),
      });
    } catch {
      throw new ApiError(0, 'network', null, null, req.operationId);
    }
  }

  async function read(req: Request, response: Response): Promise<unknown> {
    const text = await response.text().catch(() => '');
    const type = response.headers.get('content-type') ?? '';
    let parsed: unknown = null;
    if (text && type.includes('json')) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null;
      }
    } else if (text) {
      parsed = text;
    }
    if (response.ok) return response.status === 204 ? null : parsed;
    const problem = typeof parsed === 'object' && parsed !== null && typeof (parsed as { code?: unknown }).code === 'string' ? (parsed as ProblemDetails) : null;
    throw new ApiError(response.status, problem?.code ?? `http_${response.status}`, problem, retryAfterOf(response, Date.now()), req.operationId);
  }

  /** Renews the pair with the refresh token; false when there is none or the server refused it (the session is over). */
  function refresh(): Promise<boolean> {
    refreshing ??= (async () => {
      const held = pair;
      if (!held) return false;
      try {
        const response = await send({ operationId: 'refreshSession', method: ROUTES.refreshSession[0], path: ROUTES.refreshSession[1], body: { refreshToken: held.refreshToken }, options: {} }, null);
        const tokens = await read({ operationId: 'refreshSession', method: 'POST', path: '', options: {} }, response);
        if (!isTokenPair(tokens)) return false;
        setTokens(tokens);
        return true;
      } catch (err) {
        // Refused: the session ended (expired, revoked, or the token was reused). A network
        // failure keeps the pair, so a later call can try again.
        if (err instanceof ApiError && err.status !== 0) setTokens(null);
        return false;
      }
    })().finally(() => {
      refreshing = null;
    });
    return refreshing;
  }

  /** Sends the request with the pair held; an access token refused as expired is renewed once and the request sent again. */
  async function exchange(req: Request): Promise<Response> {
    const used = pair?.accessToken ?? null;
    const response = await send(req, used);
    if (response.status !== 401 || !used || req.operationId === 'refreshSession') return response;
    // Read the problem first: only a refused access token is worth a refresh.
    const failure = await read(req, response).then(
      () => null,
      (err: unknown) => err,
    );
    if (!(failure instanceof ApiError) || !RENEWABLE.has(failure.code)) throw failure;
    // Another call may have renewed the pair while this one was on the way: use it as it is.
    const renewed = pair !== null && pair.accessToken !== used ? true : await refresh();
    if (!renewed || !pair) throw failure;
    return send(req, pair.accessToken);
  }

  async function perform(req: Request): Promise<unknown> {
    return read(req, await exchange(req));
  }

  function requestOf(operationId: OperationId, args: unknown[]): Request {
    const [method, url] = (ROUTES as Record<string, readonly [string, string]>)[operationId]!;
    const input = (args[0] ?? {}) as { params?: Record<string, unknown>; query?: Record<string, unknown>; body?: unknown } & CallOptions;
    const { params, query, body, ...callOptions } = input;
    return { operationId, method, path: `${pathOf(url, params)}${queryOf(query)}`, ...(body !== undefined ? { body } : {}), options: callOptions };
  }

  async function call<Id extends OperationId>(operationId: Id, ...args: CallArgs<Id>): Promise<ResponseOf<Id>> {
    const result = await perform(requestOf(operationId, args));
    if (SESSION_OPERATIONS.has(operationId) && isTokenPair(result)) setTokens(result);
    // Both end the session the pair belongs to: keeping it would only earn refusals.
    if (operationId === 'logout' || operationId === 'logOutEverywhere') setTokens(null);
    return result as ResponseOf<Id>;
  }

  async function transition(caseId: string, name: string, body: TransitionBody, callOptions: CallOptions = {}): Promise<Static<typeof CaseView>> {
    const path = pathOf(transitionPath(name), { caseId });
    return (await perform({ operationId: name, method: 'POST', path, body, options: callOptions })) as Static<typeof CaseView>;
  }

  async function raw<Id extends OperationId>(operationId: Id, ...args: CallArgs<Id>): Promise<Response> {
    const req = requestOf(operationId, args);
    const response = await exchange(req);
    // A refusal is read as `call` reads it, and rejects with its ApiError.
    if (!response.ok) await read(req, response);
    return response;
  }

  return { call, raw, transition, tokens: () => pair, setTokens, refresh };
}
