import fp from 'fastify-plugin';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, problemDocument, type FieldError, type ProblemCode } from '../lib/problem.js';
import { loggableError, rootCause } from '../lib/loggable-error.js';

/** Errors from PostgreSQL or Redis being unreachable: the client gets 503, not 500. */
const UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', '57P01', '57P03', '53300']);

function isUnavailable(error: unknown): boolean {
  const e = rootCause(error) as { code?: string; errno?: string; message?: string; name?: string } | null;
  if (!e) return false;
  if (e.code && UNAVAILABLE.has(e.code)) return true;
  if (e.errno && UNAVAILABLE.has(e.errno)) return true;
  return e.name === 'MaxRetriesPerRequestError' || /Connection is closed|Stream isn't writeable/.test(e.message ?? '');
}

/** Maps Fastify's own error codes to problem codes. */
const FASTIFY_CODES: Record<string, ProblemCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'bad_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'bad_json',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported_media_type',
  FST_ERR_NOT_FOUND: 'route_not_found',
  FST_JWT_NO_AUTHORIZATION_IN_HEADER: 'unauthenticated',
  FST_JWT_AUTHORIZATION_TOKEN_EXPIRED: 'invalid_token',
  FST_JWT_AUTHORIZATION_TOKEN_INVALID: 'invalid_token',
  FST_JWT_AUTHORIZATION_TOKEN_UNTRUSTED: 'invalid_token',
  FST_JWT_BAD_REQUEST: 'invalid_token',
  FST_JWT_BAD_COOKIE_REQUEST: 'invalid_token',
};

function validationErrors(err: FastifyError): FieldError[] {
  const context = err.validationContext ?? 'body';
  return (err.validation ?? []).slice(0, 20).map((v) => {
    const missing = (v.params as { missingProperty?: string; requiredProperties?: string[] } | undefined)?.missingProperty ?? (v.params as { requiredProperties?: string[] } | undefined)?.requiredProperties?.[0];
    const path = `/${context}${v.instancePath ?? ''}${missing ? `/${missing}` : ''}`;
    return { field: path, message: v.message ?? 'is invalid' };
  });
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, code: ProblemCode, detail?: string, errors?: FieldError[]): FastifyReply {
  const doc = problemDocument(code, detail, request.id, errors);
  return reply.code(doc.status).type('application/problem+json; charset=utf-8').send(doc);
}

/**
 * Errors the router raises before any route or hook runs (a URL that is not valid UTF-8, a path
 * parameter over maxParamLength): Fastify answers them with its own JSON unless given this, so
 * they too are problem documents (found by test/security/fuzz). Passed to Fastify() as
 * `frameworkErrors` by src/server.ts.
 */
export function frameworkErrorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void sendProblem(request, reply, err.code === 'FST_ERR_ASYNC_CONSTRAINT' ? 'internal' : 'validation_failed', err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path parameter is too long' : 'the URL is not valid');
}

export interface ErrorsOptions {
  /**
   * Runs before an error is answered (the app audits refusals there: plugins/refusal-audit.ts).
   * If it fails (the audit log cannot be written), that failure is answered instead: a refusal is
   * never served without its audit record.
   */
  beforeAnswer?: (request: FastifyRequest, err: unknown) => Promise<void>;
}

/**
 * The one error handler: every failure becomes RFC 9457 problem+json with a stable code. 5xx
 * details stay in the log (with the request id), never in the response.
 */
export default fp<ErrorsOptions>(
  async function errorsPlugin(fastify, opts) {
    const beforeAnswer = opts.beforeAnswer;
    fastify.setErrorHandler(async (error: FastifyError | AppError, request, reply) => {
      let err = error;
      if (beforeAnswer) {
        try {
          await beforeAnswer(request, err);
        } catch (failure) {
          err = failure as FastifyError;
        }
      }
      if (err instanceof AppError) {
        if (err.extra.retryAfter) void reply.header('retry-after', String(err.extra.retryAfter));
        return sendProblem(request, reply, err.code, err.detail, err.extra.errors);
      }
      if ((err as FastifyError).validation) {
        return sendProblem(request, reply, 'validation_failed', 'the request does not match the schema', validationErrors(err as FastifyError));
      }
      const code = (err as FastifyError).code;
      const mapped = code ? FASTIFY_CODES[code] : undefined;
      if (mapped) return sendProblem(request, reply, mapped);
      if ((err as FastifyError).statusCode === 429) return sendProblem(request, reply, 'rate_limited', 'too many requests; wait and retry');
      if (err instanceof SyntaxError && (err as FastifyError).statusCode === 400) return sendProblem(request, reply, 'bad_json');
      if (isUnavailable(err)) {
        request.log.warn({ err: loggableError(err) }, 'dependency unavailable');
        void reply.header('retry-after', '5');
        return sendProblem(request, reply, 'service_unavailable', 'a dependency is unavailable; retry shortly');
      }
      const status = (err as FastifyError).statusCode;
      if (status && status >= 400 && status < 500) {
        request.log.info({ err: { message: err.message, code } }, 'client error');
        return sendProblem(request, reply, status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : status === 404 ? 'route_not_found' : 'validation_failed');
      }
      request.log.error({ err: loggableError(err) }, 'unhandled error');
      return sendProblem(request, reply, 'internal');
    });

    fastify.setNotFoundHandler((request, reply) => sendProblem(request, reply, 'route_not_found', `no route ${request.method} ${request.url.split('?')[0]}`));
    // The API speaks JSON only: Fastify's built-in text/plain parser would hand a route a string
    // where it expects an object (a 400 from the schema instead of the 415 a wrong content type
    // deserves). Without it, text/plain is refused as unsupported (found by test/security/fuzz).
    fastify.removeContentTypeParser('text/plain');
  },
  { name: 'errors' },
);
