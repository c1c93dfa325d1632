import { AppError, type FieldError } from '../lib/problem.js';
import { checkEnvelope } from '../lib/key-envelope.js';
import { CryptoError, parseSealedField, type RecipientType } from '../sdk/index.js';
import type { Queryable } from '../db/client.js';
import type { OrgRepository } from '../orgs/org-repository.js';
import type { UserRepository } from '../users/user-repository.js';
import type { CaseRepository, CaseRow } from './case-repository.js';
import type { SealedContentRepository } from './sealed-content-repository.js';
import type { BodyOf } from '../contracts/operation.js';
import type { rekeyCase } from '../contracts/case-rekey.js';

export type RekeyInput = BodyOf<typeof rekeyCase>;

export type EnvelopeRow = { keyId: string; envelope: string; recipientType: RecipientType; recipientId: string };

export const readerOf = (r: { recipientType: string; recipientId: string }): string => `${r.recipientType}:${r.recipientId}`;
const placeOf = (i: { kind: string; id: string; field: string }): string => `${i.kind}:${i.id}/${i.field}`;
/** At most a few names in a refusal's detail: ids only, never content. */
const some = (xs: string[]): string => (xs.length > 5 ? `${xs.slice(0, 5).join(', ')} and ${xs.length - 5} more` : xs.join(', '));

// Nothing is left to re-key, and no key to protect it with.
export const purged = (at: Date) => new AppError('case_purged', `the sealed content of this case was purged on ${at.toISOString()}`);
export const notHolder = () => new AppError('key_holder_required', 'no envelope of this case opens with your keys: only a reader of the case can re-key it');

/** Why the caller cannot re-key the case (nothing left to re-seal, or no envelope of theirs), or null. */
export const rekeyRefusal = (c: { purgedAt: Date | null }, own: readonly unknown[]): AppError | null => (c.purgedAt ? purged(c.purgedAt) : own.length === 0 ? notHolder() : null);

/** Checks shapes that need no database (every sealed value and envelope parses). */
export function checkShapes(input: RekeyInput): void {
  const errors: FieldError[] = [];
  const attempt = (field: string, check: () => void) => {
    try {
      check();
    } catch (err) {
      if (!(err instanceof CryptoError)) throw err;
      errors.push({ field, message: `${err.code}: ${err.message}` });
    }
  };
  input.items.forEach((i, n) => attempt(`/body/items/${n}/sealed`, () => parseSealedField(i.sealed)));
  input.envelopes.forEach((e, n) => attempt(`/body/envelopes/${n}/envelope`, () => checkEnvelope(e.envelope)));
  input.staff?.envelopes.forEach((e, n) => attempt(`/body/staff/envelopes/${n}/envelope`, () => checkEnvelope(e.envelope)));
  input.staff?.notes.forEach((i, n) => attempt(`/body/staff/notes/${n}/sealed`, () => parseSealedField(i.sealed)));
  if (errors.length > 0) throw new AppError('validation_failed', 'every sealed value must be v1.<nonce>.<ciphertext> and every envelope v1.<sealed key>', { errors: errors.slice(0, 20) });
}

/**
 * What a re-key is checked against: who reads the case and at which key, and what is sealed on
 * it. The server cannot check the cryptography; the plan checks that nothing is left behind.
 */
export function createRekeyPlanner(deps: {
  cases: Pick<CaseRepository, 'envelopes'>;
  sealed: Pick<SealedContentRepository, 'items'>;
  users: Pick<UserRepository, 'byId'>;
  orgs: Pick<OrgRepository, 'mechanism' | 'currentKey'>;
}) {
  const { cases, sealed, users, orgs } = deps;

  /**
   * The key a reader's new envelope must be addressed to: the defender's receipt key, an
   * organisation's current key, an active user's current key. Null (with why) when the reader
   * cannot be given one: the client must revoke them too.
   */
  async function currentKeyOf(c: CaseRow, reader: { recipientType: RecipientType; recipientId: string }, tx: Queryable): Promise<{ keyId: string; publicKey: string | null } | { none: string }> {
    switch (reader.recipientType) {
      case 'defender':
        // Kept at filing (null only for cases filed before it was), so any key holder can re-seal to the defender.
        return c.defenderKeyId && reader.recipientId === c.id ? { keyId: c.defenderKeyId, publicKey: c.defenderPublicKey } : { none: 'this defender envelope is not the case defender' };
      case 'org': {
        const key = await orgs.currentKey(reader.recipientId, tx);
        return key ? { keyId: key.keyId, publicKey: key.publicKey } : { none: `organisation ${reader.recipientId} has no current key` };
      }
      case 'user': {
        const u = await users.byId(reader.recipientId, tx);
        return u && u.status === 'active' ? { keyId: u.keyId, publicKey: u.publicKey } : { none: `user ${reader.recipientId} is not active` };
      }
    }
  }

  /** The plan of what a re-key writes against the locked case; throws the refusal when it cannot. */
  async function plan(c: CaseRow, input: RekeyInput, ownKeyIds: string[], tx: Queryable) {
    const current = await cases.envelopes(c.id, tx);
    if (!current.some((e) => ownKeyIds.includes(e.keyId))) throw notHolder();
    if (input.epoch !== c.keyEpoch) throw new AppError('key_epoch_changed', `the case is at key epoch ${c.keyEpoch}, not ${input.epoch}: fetch GET /v1/cases/${c.id}/rekey again`);

    // What is revoked: existing envelopes, never the mechanism's nor the defender's.
    const byKeyId = new Map(current.map((e) => [e.keyId, e]));
    const unknown = input.revoke.filter((k) => !byKeyId.has(k));
    if (unknown.length > 0) throw new AppError('conflict', `no envelope of this case has keyId ${some(unknown)}`);
    const mechanism = await orgs.mechanism(tx);
    for (const k of input.revoke) {
      const e = byKeyId.get(k)!;
      if (e.recipientType === 'defender') throw new AppError('conflict', `envelope ${k} is the defender's: the defender always keeps reading their own case`);
      if (e.recipientType === 'org' && e.recipientId === mechanism?.id) throw new AppError('conflict', `envelope ${k} is the mechanism's: every case key stays sealed to the mechanism key, so that a supervisor can always re-grant access`);
    }
    const revoked = current.filter((e) => input.revoke.includes(e.keyId));

    // Who stays: one new envelope per remaining reader, at their current key.
    const remaining = new Map<string, EnvelopeRow>();
    for (const e of current) if (!input.revoke.includes(e.keyId)) remaining.set(readerOf(e), e);
    const expected = new Map<string, string>();
    for (const [reader, e] of remaining) {
      const key = await currentKeyOf(c, e, tx);
      if ('none' in key) throw new AppError('conflict', `${key.none}: revoke envelope ${e.keyId} too`);
      expected.set(reader, key.keyId);
    }
    const oldEnvelopes = new Set(current.map((e) => e.envelope));
    const seen = new Set<string>();
    const envelopeProblems: string[] = [];
    for (const e of input.envelopes) {
      const reader = readerOf(e);
      const keyId = expected.get(reader);
      if (keyId === undefined) envelopeProblems.push(`${reader} is not a remaining reader`);
      else if (seen.has(reader)) envelopeProblems.push(`${reader} has two envelopes`);
      else if (e.keyId !== keyId) envelopeProblems.push(`the envelope of ${reader} must be addressed to their current key ${keyId}, not ${e.keyId}`);
      else if (oldEnvelopes.has(e.envelope)) envelopeProblems.push(`the envelope of ${reader} is the current one: it seals the old key`);
      seen.add(reader);
    }
    const missingReaders = [...expected.keys()].filter((r) => !seen.has(r));
    if (missingReaders.length > 0) envelopeProblems.push(`no new envelope for ${some(missingReaders)}`);
    if (envelopeProblems.length > 0) throw new AppError('rekey_incomplete', `envelopes: ${some(envelopeProblems)}`);

    // What is re-sealed: every sealed value of the case, exactly once, each a new ciphertext.
    const stored = new Map((await sealed.items(c.id, tx)).map((i) => [placeOf(i), i]));
    const given = new Set<string>();
    const duplicate: string[] = [];
    const extra: string[] = [];
    const unchanged: string[] = [];
    for (const i of input.items) {
      const place = placeOf(i);
      if (given.has(place)) duplicate.push(place);
      given.add(place);
      const old = stored.get(place);
      if (!old) extra.push(place);
      else if (old.sealed === i.sealed) unchanged.push(place);
    }
    const missing = [...stored.keys()].filter((p) => !given.has(p));
    const itemProblems = [
      missing.length ? `${missing.length} sealed value(s) not re-sealed (${some(missing)})` : '',
      extra.length ? `${extra.length} not sealed values of this case (${some(extra)})` : '',
      duplicate.length ? `${duplicate.length} given twice (${some(duplicate)})` : '',
      unchanged.length ? `${unchanged.length} unchanged, still under the old key (${some(unchanged)})` : '',
    ].filter(Boolean);
    if (itemProblems.length > 0) throw new AppError('rekey_incomplete', `items: ${itemProblems.join('; ')}`);

    const mechanismKeyId = input.envelopes.find((e) => e.recipientType === 'org' && e.recipientId === mechanism?.id)?.keyId ?? c.mechanismKeyId;
    // The readers who stay, each at the key their new envelope goes to: a staff key goes to the same.
    return { revoked, mechanismKeyId, remaining: expected };
  }

  return { currentKeyOf, plan };
}
