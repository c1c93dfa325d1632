/**
 * The blind index: finding a case by who it is about without the server reading names
 * (docs/crypto-v1.md §16). A staff client holding the search key turns a case's defender name and
 * phone numbers into keyed tokens, uploads them padded to a fixed count, and searches by sending
 * the tokens of what was typed. The server only ever compares opaque tokens.
 *
 *   t = b64u(crypto_generichash(16, utf8("egide/v1/search/" + kind + "/" + norm(value)), searchKey))
 *
 * test/fixtures/blind-index-v1.json holds vectors computed by an independent implementation
 * (test/fixtures/blind-index-v1.py, Python's hashlib and unicodedata).
 */
import { CryptoError } from './errors.js';
import { assertKeySize, fromB64uExact, toB64u, utf8 } from './encoding.js';
import { type BoxKeyPair, keyIdOf } from './keys.js';
import { openSecret, sealSecret } from './envelope.js';
import { na, randomBytes } from './sodium.js';

export const SEARCH_KEY_BYTES = 32;
export const SEARCH_TOKEN_BYTES = 16;
/** The policy's default (policies/search.yaml, `tokensPerCase`); the server says the deployment's own value. */
export const DEFAULT_TOKENS_PER_CASE = 12;
/** The deployment's default country calling code (Mali) for phone numbers written without one. */
export const DEFAULT_COUNTRY_CODE = '223';

export type SearchTokenKind = 'name' | 'word' | 'phone';

/**
 * The spec's `norm`: Unicode NFKD, combining marks removed, lower case, every run of characters
 * that are neither letters nor digits to one space, trimmed. "Aïssata  Traoré-Diallo" and
 * "aissata traore diallo" normalise alike; Arabic letters stay letters (their vowel marks go).
 */
export function normalise(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** How phone numbers of a deployment are read: its country code, and how long its national numbers are. */
export interface PhoneOptions {
  /** the country calling code prepended to a number written without one (default 223, Mali) */
  countryCode?: string;
  /**
   * digits of a national number (Mali: 8). A number written without `+` or `00` that is exactly
   * the country code followed by this many digits is read as already international
   * ("223 76 12 34 56"); 0 turns that reading off.
   */
  nationalDigits?: number;
}

const PHONE_SEPARATORS = /[\s.\-()/\u00a0]/g;

/**
 * A phone number as its digits in E.164 (country code included, no `+`), or null when the text is
 * not a phone number (anything but digits, a leading `+` and the separators space . - ( ) /, or
 * fewer than 6 or more than 15 digits once read). How it is read:
 * - `+` first: the digits after it are international, country code included;
 * - `00` first: the international call prefix, read as `+`;
 * - otherwise a national number: one leading `0` (a trunk prefix elsewhere; Mali has none) is
 *   dropped, then the deployment's country code is prepended, unless the digits already are that
 *   country code followed by a national number (see PhoneOptions.nationalDigits).
 */
export function normalisePhone(value: string, options: PhoneOptions = {}): string | null {
  const countryCode = options.countryCode ?? DEFAULT_COUNTRY_CODE;
  const nationalDigits = options.nationalDigits ?? 8;
  const compact = value.normalize('NFKC').trim().replace(PHONE_SEPARATORS, '');
  let digits: string;
  if (/^\+\d+$/.test(compact)) digits = compact.slice(1);
  else if (/^00\d+$/.test(compact)) digits = compact.slice(2);
  else if (/^\d+$/.test(compact)) {
    const national = compact.startsWith('0') ? compact.slice(1) : compact;
    const alreadyInternational = nationalDigits > 0 && compact.startsWith(countryCode) && compact.length === countryCode.length + nationalDigits;
    digits = alreadyInternational ? compact : countryCode + national;
  } else return null;
  return digits.length >= 6 && digits.length <= 15 ? digits : null;
}

/** One token: `b64u(generichash(16, "egide/v1/search/<kind>/<normalised value>", searchKey))`. */
export function searchToken(searchKey: Uint8Array, kind: SearchTokenKind, normalisedValue: string): string {
  assertKeySize(searchKey, SEARCH_KEY_BYTES, 'search key');
  return toB64u(na().crypto_generichash(SEARCH_TOKEN_BYTES, utf8(`egide/v1/search/${kind}/${normalisedValue}`), searchKey));
}

/** The words of a normalised name that are tokens: two letters (characters) or more, each once. */
function wordsOf(normalisedName: string): string[] {
  return [...new Set(normalisedName.split(' ').filter((w) => [...w].length >= 2))];
}

/** What a case is searchable by: the defender's name and phone numbers (as written). */
export interface Searchable {
  name?: string | null;
  phones?: readonly string[];
}

/**
 * The real tokens of a case, each once, most specific first: the whole name, then each phone,
 * then each word of the name in order. That order is what `padTokens` keeps when a case has more
 * tokens than the fixed count. A phone that does not read as one (normalisePhone) is skipped.
 */
export function searchTokens(searchKey: Uint8Array, what: Searchable, options: PhoneOptions = {}): string[] {
  const out: string[] = [];
  const name = normalise(what.name ?? '');
  if (name.length > 0) out.push(searchToken(searchKey, 'name', name));
  for (const phone of what.phones ?? []) {
    const p = normalisePhone(phone, options);
    if (p !== null) out.push(searchToken(searchKey, 'phone', p));
  }
  for (const w of wordsOf(name)) out.push(searchToken(searchKey, 'word', w));
  return [...new Set(out)];
}

/**
 * The set a case uploads: its real tokens padded with random ones to exactly `count`, sorted so
 * that the position of a token says nothing about its kind. A case with more real tokens than
 * `count` keeps the first `count` of them (searchTokens puts the name and the phones first): the
 * fixed count is what hides how long a name is or how many phones a case has, so it is never
 * exceeded; the words dropped are the last of a long name, still found through its other tokens.
 */
export function padTokens(tokens: readonly string[], count: number = DEFAULT_TOKENS_PER_CASE): string[] {
  if (!Number.isInteger(count) || count < 1) throw new CryptoError('bad_length', 'the token count must be a positive integer');
  const kept = [...new Set(tokens)].slice(0, count);
  while (kept.length < count) kept.push(toB64u(randomBytes(SEARCH_TOKEN_BYTES)));
  return kept.sort();
}

/**
 * The tokens of what a member of staff typed in the search box: the whole name and each of its
 * words, and the phone token when the text reads as a phone number. "traore aminata", "Aminata"
 * and "+223 76-12-34-56" each find the case of Aminata Traoré reachable on 76 12 34 56.
 */
export function queryTokens(searchKey: Uint8Array, typed: string, options: PhoneOptions = {}): string[] {
  const phone = normalisePhone(typed, options);
  if (phone !== null) return [searchToken(searchKey, 'phone', phone)];
  const name = normalise(typed);
  if (name.length === 0) return [];
  return [...new Set([searchToken(searchKey, 'name', name), ...wordsOf(name).map((w) => searchToken(searchKey, 'word', w))])];
}

/** A new search key: made once, by a holder of the mechanism key, and sealed to every member of staff. */
export function generateSearchKey(): Uint8Array {
  return randomBytes(SEARCH_KEY_BYTES);
}

/** A staff keyring entry: the search key sealed to one member's public key. */
export interface SearchKeyEntry {
  /** keyId of the member key that opens the entry */
  memberKeyId: string;
  /** `v1.<b64u(crypto_box_seal(searchKey, memberPublicKey))>` */
  entry: string;
}

/** Seals the search key to a member (creating the staff keyring, or granting it to one more member). */
export function sealSearchKeyEntry(searchKey: Uint8Array, memberPublicKey: Uint8Array): SearchKeyEntry {
  return { memberKeyId: keyIdOf(memberPublicKey), entry: sealSecret(searchKey, memberPublicKey, 'search key') };
}

/** Opens one's own staff keyring entry: the search key. */
export function openSearchKeyEntry(entry: SearchKeyEntry | string, member: BoxKeyPair): Uint8Array {
  if (typeof entry !== 'string' && entry.memberKeyId !== keyIdOf(member.publicKey)) {
    throw new CryptoError('key_id_mismatch', `search key entry is for member keyId ${entry.memberKeyId}, not this key pair`);
  }
  return openSecret(typeof entry === 'string' ? entry : entry.entry, member, 'search key entry');
}

/** Checks a token as sent (base64url of exactly 16 bytes); the server uses it on every upload and search. */
export function checkSearchToken(token: string): void {
  fromB64uExact(token, SEARCH_TOKEN_BYTES, 'search token');
}
