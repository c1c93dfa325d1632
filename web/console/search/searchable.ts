/**
 * What a case is searchable by, read from its opened sealed fields (runs in the crypto worker).
 * The filing seals `identity` as `{ name }` (the defender page) or a plain string (older clients
 * and the SDK's tests), and `contact` as `{ text }` or a string: free text in which the phone
 * numbers are found.
 */
import { normalisePhone, type JsonValue, type Searchable } from '../../../src/sdk/index.js';

function textOf(value: JsonValue | null, key: string): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const inner = value[key];
    if (typeof inner === 'string') return inner;
  }
  return '';
}

/** Runs of digits with the separators a phone is written with, optionally after + or 00. */
const PHONE_LIKE = /\+?\d[\d\s.\-()/\u00a0]{4,}\d/g;

/** The phone numbers written in a contact text, each as written (blind-index reads them). */
function phonesIn(text: string): string[] {
  const out = new Set<string>();
  for (const match of text.match(PHONE_LIKE) ?? []) if (normalisePhone(match) !== null) out.add(match.trim());
  return [...out];
}

export function searchableOf(identity: JsonValue | null, contact: JsonValue | null): Searchable {
  return { name: textOf(identity, 'name'), phones: phonesIn(textOf(contact, 'text')) };
}
