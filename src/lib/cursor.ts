import { fieldInvalid } from './problem.js';

/**
 * Keyset cursors of the lists (cases, deadlines, retention): opaque to clients, checked here
 * before any of their values reaches a query, so a forged one is a 400, never a cast error (500).
 */
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export const isUuid = (s: unknown): s is string => typeof s === 'string' && UUID_RE.test(s);

/**
 * An instant exactly as the service writes it (`toISOString()`). Date.parse alone accepts
 * 30 February (it rolls over to March) where PostgreSQL refuses it.
 */
export const isIsoInstant = (s: unknown): s is string => typeof s === 'string' && ISO_RE.test(s) && !Number.isNaN(Date.parse(s)) && new Date(s).toISOString() === s;

export const encodeKeyset = (key: object): string => Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');

/** The object inside a cursor, or 400 `validation_failed` on `field`; the caller checks each value. */
export function decodeKeyset(cursor: string, field: string): Record<string, unknown> {
  const bad = notACursor(field);
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) throw bad;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad;
  return v as Record<string, unknown>;
}

export const notACursor = (field: string) => fieldInvalid(field, 'not a cursor of this list');
