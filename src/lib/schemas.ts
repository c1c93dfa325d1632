import { Type, type TSchema } from 'typebox';
import { paddedLength } from '../sdk/crypto/padding.js';

/** Shared TypeBox building blocks: every string is bounded, every byte string is base64url. */
export const Uuid = Type.String({ format: 'uuid', maxLength: 36 });
export const B64u = (maxLength: number, description?: string) => Type.String({ pattern: '^[A-Za-z0-9_-]*$', maxLength, ...(description ? { description } : {}) });
/** Key material in scheme v1 (`v1.<...>`): key envelopes, keyring entries, wrapped private keys. Fixed-size keys: never format 2. */
export const Versioned = (maxLength: number, description?: string) => Type.String({ pattern: '^v1\\.[A-Za-z0-9_.-]+$', maxLength, ...(description ? { description } : {}) });

/** How much JSON a sealed field may carry, by kind (the page's 20,000-character text fits `text` even in a two-byte script). */
export const SEALED_JSON_BYTES = { caseField: 72 * 1024, text: 48 * 1024 } as const;

/**
 * The longest sealed field holding at most `jsonBytes` of JSON: `v2.`, 32 characters of nonce,
 * `.`, and the padded plaintext plus its 16-byte tag in base64url. A format-1 value of the same
 * JSON is shorter, so the bound holds for both.
 */
export function sealedFieldMaxLength(jsonBytes: number): number {
  return 'v2.'.length + 32 + 1 + Math.ceil(((paddedLength(jsonBytes) + 16) * 4) / 3);
}

/**
 * A sealed field (docs/crypto-v1.md §3): format 2 (`v2.`, padded) from current clients, format 1
 * (`v1.`) still accepted. The services check the parts with the SDK's parser; this bounds the size.
 */
export const SealedValue = (jsonBytes: number, description: string) =>
  Type.String({ pattern: '^v[12]\\.[A-Za-z0-9_.-]+$', maxLength: sealedFieldMaxLength(jsonBytes), description: `v2.<b64u nonce>.<b64u ciphertext of the padded JSON> (v1. unpadded still accepted), ${description}` });
export const KeyId = Type.String({ pattern: '^[A-Za-z0-9_-]{22}$', description: 'b64u(generichash(16, publicKey))' });
export const PublicKey = Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: 'X25519 public key, base64url' });
export const Username = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{2,63}$', description: 'lower case letters, digits, dot, dash, underscore' });
export const Timestamp = Type.String({ format: 'date-time', maxLength: 40 });

/** A schema or null. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/**
 * A scalar or null as a JSON Schema type list, not anyOf: the response serializer then tests
 * typeof instead of running a validator per field of every row (for hot list routes).
 */
export const NullableScalar = <T>(schema: Record<string, unknown>) => Type.Unsafe<T | null>({ ...schema, type: [schema.type, 'null'] });

export const Problem = Type.Object(
  {
    type: Type.String({ maxLength: 200 }),
    title: Type.String({ maxLength: 200 }),
    status: Type.Integer(),
    code: Type.String({ maxLength: 64 }),
    detail: Type.Optional(Type.String({ maxLength: 2000 })),
    instance: Type.Optional(Type.String({ maxLength: 200 })),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String({ maxLength: 300 }), message: Type.String({ maxLength: 500 }) }), { maxItems: 20 })),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details with a stable `code`' },
);

/** A response documented with its own media type (Fastify picks the serializer by the reply's content type). */
export interface MediaResponse {
  description: string;
  content: Record<string, { schema: TSchema }>;
  /** each header's schema, its `description` included: @fastify/swagger wraps it as the header's `schema` and lifts the description */
  headers?: Record<string, Record<string, unknown> & { description?: string }>;
}

/**
 * A problem answer as the error handler sends it: `application/problem+json` (RFC 9457), so a
 * generated client knows the error body's type; the description says when a route gives it.
 */
export function problemResponse(description = 'RFC 9457 problem details with a stable `code`'): MediaResponse {
  return { description, content: { 'application/problem+json': { schema: Type.Ref('Problem') } } };
}

/**
 * The headers of a 429 answer (@fastify/rate-limit with `enableDraftSpec`, and the per-account
 * throttles, which send Retry-After only): documented on every route that can answer 429.
 */
export const RATE_LIMIT_HEADERS = {
  'Retry-After': { type: 'integer', minimum: 1, description: 'seconds to wait before trying again' },
  'RateLimit-Limit': { type: 'integer', minimum: 1, description: 'requests allowed in the window (route limits only)' },
  'RateLimit-Remaining': { type: 'integer', minimum: 0, description: 'requests left in the window (route limits only)' },
  'RateLimit-Reset': { type: 'integer', minimum: 0, description: 'seconds until the window resets (route limits only)' },
};

function tooManyRequests(): MediaResponse {
  return {
    ...problemResponse('Too many requests (`rate_limited`, or a lock of a credential step: `totp_locked`, `recovery_locked`, `filing_quota_exceeded`): wait for Retry-After'),
    headers: RATE_LIMIT_HEADERS,
  };
}

/** The error statuses a route may document (each answered with a problem document). */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 503;

/**
 * Route responses: the success schemas plus problem documents for the error statuses a route can
 * give. Typed so that the success entries keep their own schema types (a client takes its answer
 * types from them).
 */
export function responses<T extends Record<number, TSchema | MediaResponse>>(ok: T, errors: ErrorStatus[] = []): T & { [K in ErrorStatus]?: MediaResponse } {
  const out: Record<number, TSchema | MediaResponse> = { ...ok };
  for (const status of ([400, 401, 403, 404, 409, 413, 415, 429, 500, 503] as const).filter((s) => errors.includes(s) || s >= 500 || s === 400)) {
    out[status] = status === 429 ? tooManyRequests() : problemResponse();
  }
  return out as T & { [K in ErrorStatus]?: MediaResponse };
}
