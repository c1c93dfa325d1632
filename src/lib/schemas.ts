import { Type, type TSchema } from 'typebox';

/** Shared TypeBox building blocks: every string is bounded, every byte string is base64url. */
export const Uuid = Type.String({ format: 'uuid', maxLength: 36 });
export const B64u = (maxLength: number, description?: string) => Type.String({ pattern: '^[A-Za-z0-9_-]*$', maxLength, ...(description ? { description } : {}) });
export const Versioned = (maxLength: number, description?: string) => Type.String({ pattern: '^v1\\.[A-Za-z0-9_.-]+$', maxLength, ...(description ? { description } : {}) });
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

/**
 * The headers of a 429 answer (@fastify/rate-limit with `enableDraftSpec`, and the per-account
 * throttles, which send Retry-After only): documented on every route that can answer 429.
 */
export const RATE_LIMIT_HEADERS = {
  'Retry-After': { type: 'integer', minimum: 1, description: 'seconds to wait before trying again' },
  'RateLimit-Limit': { type: 'integer', minimum: 1, description: 'requests allowed in the window (route limits only)' },
  'RateLimit-Remaining': { type: 'integer', minimum: 0, description: 'requests left in the window (route limits only)' },
  'RateLimit-Reset': { type: 'integer', minimum: 0, description: 'seconds until the window resets (route limits only)' },
} as const;

const TooManyRequests = Type.Unsafe({
  $ref: 'Problem',
  description: 'Too many requests (`rate_limited`, or a lock of a credential step: `totp_locked`, `recovery_locked`, `filing_quota_exceeded`): wait for Retry-After',
  headers: RATE_LIMIT_HEADERS,
});

/** Route responses: the success schemas plus problem documents for the error statuses a route can give. */
export function responses<T extends Record<number, TSchema>>(ok: T, errors: number[] = []): T & Record<number, TSchema> {
  const out: Record<number, TSchema> = { ...ok };
  for (const status of [400, 401, 403, 404, 409, 413, 415, 429, 500, 503].filter((s) => errors.includes(s) || s >= 500 || s === 400)) {
    out[status] = status === 429 ? TooManyRequests : Type.Ref('Problem');
  }
  return out as T & Record<number, TSchema>;
}
