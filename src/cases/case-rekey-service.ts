import { and, asc, eq, isNotNull } from 'drizzle-orm';
import { AppError, type FieldError } from '../lib/problem.js';
import { checkEnvelope } from '../intake/intake-service.js';
import { appealGroundsAd, assessmentFieldAd, caseFieldAd, caseReportNoteAd, CryptoError, measureDetailsAd, messageBodyAd, parseSealedField, type RecipientType, type RekeyItemKind } from '../sdk/index.js';
import { actorOf, type RequestContext } from '../access/principal.js';
import type { Db, Queryable, Tx } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import type { AccessService } from '../access/access-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { OrgRepository } from '../orgs/org-repository.js';
import type { UserRepository } from '../users/user-repository.js';
import { appeals, assessments, caseEnvelopes, caseFields, caseReports, measures, messages } from '../db/schema/index.js';
import type { CaseRepository, CaseRow } from './case-repository.js';
import type { CaseService } from './case-service.js';
import { createCommandRunner } from '../audit/audited-command.js';
import { denialReason } from '../audit/decision-trail.js';
import type { CaseParticipation } from '../access/case-participation.js';
import { caseScope } from '../access/case-scope.js';

/** One value sealed under the case DEK, at its place (kind, id, field), with the AD it is bound to. */
export interface SealedItem {
  kind: RekeyItemKind;
  id: string;
  field: string;
  ad: string;
  sealed: string;
}

type Replacement = { id: string; field: string; sealed: string };

/** How to find and rewrite one kind of sealed value of a case. */
interface SealedSource {
  /** Every value of this kind on the case, with its AD (computed from its place, as readers do). */
  list(caseId: string, tx: Queryable): Promise<Array<Omit<SealedItem, 'kind'>>>;
  /** Writes the re-sealed values; the caller has checked that they cover `list` exactly. */
  write(caseId: string, items: readonly Replacement[], at: Date, tx: Tx): Promise<void>;
  /**
   * Erases every value of this kind on the case (retention purge, src/retention/): afterwards
   * `list` returns nothing; the rows' metadata stays where the column may be emptied.
   */
  purge(caseId: string, tx: Tx): Promise<void>;
}

/**
 * EVERY column sealed under a case's DEK, and nothing else: a re-key that missed one would leave
 * it readable only with the old DEK (lost to the remaining readers, still open to the revoked one).
 * A module that adds a sealed column under the case DEK MUST add it here (and its kind to
 * REKEY_ITEM_KINDS in src/sdk/client/rekey.ts, with its AD; the type makes this table incomplete
 * until then). Referral packets are not here: they are under their own referral DEK.
 */
export const SEALED_UNDER_CASE_DEK: { readonly [K in RekeyItemKind]: SealedSource } = {
  /** case_fields.sealed, AD egide/v1/case/<caseId>/<field> */
  case_field: {
    async list(caseId, tx) {
      const rows = await tx.select({ field: caseFields.field, sealed: caseFields.sealed }).from(caseFields).where(eq(caseFields.caseId, caseId)).orderBy(asc(caseFields.field));
      return rows.map((r) => ({ id: caseId, field: r.field, ad: caseFieldAd(caseId, r.field), sealed: r.sealed }));
    },
    async write(caseId, items, at, tx) {
      for (const i of items) await tx.update(caseFields).set({ sealed: i.sealed, updatedAt: at }).where(and(eq(caseFields.caseId, caseId), eq(caseFields.field, i.field)));
    },
    // The column is the row's only content (and not nullable): the rows go.
    async purge(caseId, tx) {
      await tx.delete(caseFields).where(eq(caseFields.caseId, caseId));
    },
  },
  /** messages.body, AD egide/v1/message/<id>/<sender>/body */
  message: {
    async list(caseId, tx) {
      const rows = await tx.select({ id: messages.id, sender: messages.sender, body: messages.body }).from(messages).where(eq(messages.caseId, caseId)).orderBy(asc(messages.createdAt), asc(messages.id));
      return rows.map((r) => ({ id: r.id, field: 'body', ad: messageBodyAd(r.id, r.sender), sealed: r.body }));
    },
    async write(caseId, items, _at, tx) {
      for (const i of items) await tx.update(messages).set({ body: i.sealed }).where(and(eq(messages.id, i.id), eq(messages.caseId, caseId)));
    },
    // body is not nullable and a message without it says nothing worth keeping: the rows go.
    async purge(caseId, tx) {
      await tx.delete(messages).where(eq(messages.caseId, caseId));
    },
  },
  /** assessments.sealed (a map field -> sealed), AD egide/v1/assessment/<id>/<field> */
  assessment: {
    async list(caseId, tx) {
      const rows = await tx.select({ id: assessments.id, sealed: assessments.sealed }).from(assessments).where(eq(assessments.caseId, caseId)).orderBy(asc(assessments.version));
      return rows.flatMap((r) =>
        Object.entries(r.sealed)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([field, sealed]) => ({ id: r.id, field, ad: assessmentFieldAd(r.id, field), sealed })),
      );
    },
    async write(caseId, items, _at, tx) {
      // Coverage is exact, so each assessment's new map has exactly the fields of the old one.
      const maps = new Map<string, Record<string, string>>();
      for (const i of items) maps.set(i.id, { ...maps.get(i.id), [i.field]: i.sealed });
      for (const [id, map] of maps) await tx.update(assessments).set({ sealed: map }).where(and(eq(assessments.id, id), eq(assessments.caseId, caseId)));
    },
    async purge(caseId, tx) {
      await tx.update(assessments).set({ sealed: {} }).where(eq(assessments.caseId, caseId));
    },
  },
  /** measures.details, AD egide/v1/measure/<id>/details */
  measure: {
    async list(caseId, tx) {
      const rows = await tx.select({ id: measures.id, details: measures.details }).from(measures).where(and(eq(measures.caseId, caseId), isNotNull(measures.details))).orderBy(asc(measures.proposedAt), asc(measures.id));
      return rows.map((r) => ({ id: r.id, field: 'details', ad: measureDetailsAd(r.id), sealed: r.details! }));
    },
    async write(caseId, items, _at, tx) {
      for (const i of items) await tx.update(measures).set({ details: i.sealed }).where(and(eq(measures.id, i.id), eq(measures.caseId, caseId)));
    },
    async purge(caseId, tx) {
      await tx.update(measures).set({ details: null }).where(eq(measures.caseId, caseId));
    },
  },
  /** case_reports.note, AD egide/v1/<incident|checkin|alert>/<id>/note */
  case_report: {
    async list(caseId, tx) {
      const rows = await tx.select({ id: caseReports.id, kind: caseReports.kind, note: caseReports.note }).from(caseReports).where(and(eq(caseReports.caseId, caseId), isNotNull(caseReports.note))).orderBy(asc(caseReports.at), asc(caseReports.id));
      return rows.map((r) => ({ id: r.id, field: 'note', ad: caseReportNoteAd(r.kind, r.id), sealed: r.note! }));
    },
    async write(caseId, items, _at, tx) {
      for (const i of items) await tx.update(caseReports).set({ note: i.sealed }).where(and(eq(caseReports.id, i.id), eq(caseReports.caseId, caseId)));
    },
    async purge(caseId, tx) {
      await tx.update(caseReports).set({ note: null }).where(eq(caseReports.caseId, caseId));
    },
  },
  /** appeals.grounds, AD egide/v1/appeal/<id>/grounds */
  appeal: {
    async list(caseId, tx) {
      const rows = await tx.select({ id: appeals.id, grounds: appeals.grounds }).from(appeals).where(and(eq(appeals.caseId, caseId), isNotNull(appeals.grounds))).orderBy(asc(appeals.filedAt), asc(appeals.id));
      return rows.map((r) => ({ id: r.id, field: 'grounds', ad: appealGroundsAd(r.id), sealed: r.grounds! }));
    },
    async write(caseId, items, _at, tx) {
      for (const i of items) await tx.update(appeals).set({ grounds: i.sealed }).where(and(eq(appeals.id, i.id), eq(appeals.caseId, caseId)));
    },
    async purge(caseId, tx) {
      await tx.update(appeals).set({ grounds: null }).where(eq(appeals.caseId, caseId));
    },
  },
};

export const KINDS = Object.keys(SEALED_UNDER_CASE_DEK) as RekeyItemKind[];

/** Every sealed value of a case, kind by kind. */
export async function sealedItemsOf(caseId: string, tx: Queryable): Promise<SealedItem[]> {
  const out: SealedItem[] = [];
  for (const kind of KINDS) for (const item of await SEALED_UNDER_CASE_DEK[kind].list(caseId, tx)) out.push({ kind, ...item });
  return out;
}

export interface RekeyInput {
  epoch: number;
  revoke: string[];
  envelopes: Array<{ keyId: string; envelope: string; recipientType: RecipientType; recipientId: string }>;
  items: Array<{ kind: RekeyItemKind; id: string; field: string; sealed: string }>;
}

type EnvelopeRow = { keyId: string; envelope: string; recipientType: RecipientType; recipientId: string };

const readerOf = (r: { recipientType: string; recipientId: string }): string => `${r.recipientType}:${r.recipientId}`;
const placeOf = (i: { kind: string; id: string; field: string }): string => `${i.kind}:${i.id}/${i.field}`;
/** At most a few names in a refusal's detail: ids only, never content. */
const some = (xs: string[]): string => (xs.length > 5 ? `${xs.slice(0, 5).join(', ')} and ${xs.length - 5} more` : xs.join(', '));

export type CaseRekeyService = ReturnType<typeof createCaseRekeyService>;

/**
 * Removing a reader of a case (crypto.md, Key envelope): the reader's envelope is deleted AND the
 * case is re-keyed, by a client that holds the case key: new DEK, every sealed value re-sealed
 * under it (same AD), envelopes re-issued to the remaining readers. The server cannot check the
 * cryptography; it checks that nothing is left behind: the epoch the client read, every sealed
 * value exactly once and changed, an envelope for every remaining reader at their current key.
 * There is deliberately no way to delete an envelope without re-keying: the revoked reader may
 * have kept the old DEK. Allowed on a closed case too (its content is still there to protect).
 */
export function createCaseRekeyService(deps: {
  db: Db;
  cases: Pick<CaseRepository, 'byId' | 'byIdForUpdate' | 'update' | 'addTimeline'>;
  caseService: Pick<CaseService, 'sealedFacts'>;
  users: Pick<UserRepository, 'byId'>;
  orgs: Pick<OrgRepository, 'mechanism' | 'currentKey'>;
  access: Pick<AccessService, 'authorize'>;
  audit: Pick<AuditService, 'record'>;
  /** A supervisor re-keys a case they are part of, or through an open break-glass. */
  participation: Pick<CaseParticipation, 'facts'>;
  clock: Clock;
}) {
  const { db, cases, caseService, users, orgs, access, audit, participation, clock } = deps;

  const command = createCommandRunner({ db, audit });

  /** For the bundle, a read: its allowed read is audited already; the refusal is added to it. */
  async function refuse(ctx: RequestContext, caseId: string, error: AppError): Promise<never> {
    await audit.record(ctx, { action: 'case.rekey', resource: `case:${caseId}`, caseId, outcome: 'denied', reason: denialReason(error.code, error.detail) });
    throw error;
  }

  // Nothing is left to re-key, and no key to protect it with.
  const purged = (at: Date) => new AppError('case_purged', `the sealed content of this case was purged on ${at.toISOString()}`);
  const notHolder = () => new AppError('key_holder_required', 'no envelope of this case opens with your keys: only a reader of the case can re-key it');

  async function envelopesOf(caseId: string, tx: Queryable): Promise<EnvelopeRow[]> {
    return tx
      .select({ keyId: caseEnvelopes.keyId, envelope: caseEnvelopes.envelope, recipientType: caseEnvelopes.recipientType, recipientId: caseEnvelopes.recipientId })
      .from(caseEnvelopes)
      .where(eq(caseEnvelopes.caseId, caseId))
      .orderBy(asc(caseEnvelopes.createdAt), asc(caseEnvelopes.keyId));
  }

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

  /** Checks shapes that need no database (every sealed value and envelope parses). */
  function checkShapes(input: RekeyInput): void {
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
    if (errors.length > 0) throw new AppError('validation_failed', 'every sealed value must be v1.<nonce>.<ciphertext> and every envelope v1.<sealed key>', { errors: errors.slice(0, 20) });
  }

  /** The plan of what a re-key writes against the locked case; throws the refusal when it cannot. */
  async function plan(c: CaseRow, input: RekeyInput, ownKeyIds: string[], tx: Tx) {
    const current = await envelopesOf(c.id, tx);
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
    const stored = new Map((await sealedItemsOf(c.id, tx)).map((i) => [placeOf(i), i]));
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
    return { revoked, mechanismKeyId };
  }

  return {
    /**
     * What a re-keying client needs, read in one snapshot: the epoch, who reads the case (and the
     * key each one's new envelope must go to), the caller's own envelope(s), and every sealed value
     * with its AD. Audited as a read of sealed data.
     */
    async bundle(ctx: RequestContext, caseId: string) {
      const { c, envelopes: own, facts } = await caseService.sealedFacts(ctx, caseId);
      // Refused before the read is audited, so the request holds one event: the denial.
      const refusal = c?.purgedAt ? purged(c.purgedAt) : own.length === 0 ? notHolder() : null;
      await access.authorize(ctx, 'case.rekey', { resource: `case:${caseId}`, caseId: c ? caseId : null, found: c !== undefined, facts, refusal }, undefined, { read: true });
      if (!c) throw new AppError('not_found');
      const ownKeyIds = own.map((e) => e.keyId);
      const out = await db.transaction(
        async (tx) => {
          const row = (await cases.byId(caseId, tx))!;
          const all = await envelopesOf(caseId, tx);
          const mine = all.filter((e) => ownKeyIds.includes(e.keyId));
          if (mine.length === 0) return null;
          const envelopes = [];
          for (const e of all) {
            const key = await currentKeyOf(row, e, tx);
            envelopes.push({ keyId: e.keyId, recipientType: e.recipientType, recipientId: e.recipientId, currentKeyId: 'none' in key ? null : key.keyId, publicKey: 'none' in key ? null : key.publicKey });
          }
          return { caseId, epoch: row.keyEpoch, envelopes, own: mine.map((e) => ({ keyId: e.keyId, envelope: e.envelope })), items: await sealedItemsOf(caseId, tx) };
        },
        { isolationLevel: 'repeatable read', accessMode: 'read only' },
      );
      // Only if the caller's envelope was revoked between the two reads (the read above is then audited too).
      if (!out) return refuse(ctx, caseId, notHolder());
      return out;
    },

    /**
     * Replaces every sealed value and every envelope of the case at once, moving it to the next
     * key epoch. One transaction with the case row locked; a refusal changes nothing.
     */
    async rekey(ctx: RequestContext, caseId: string, input: RekeyInput) {
      checkShapes(input);
      const { envelopes: own } = await caseService.sealedFacts(ctx, caseId);
      const ownKeyIds = own.map((e) => e.keyId);
      return command(ctx, { action: 'case.rekey', resource: `case:${caseId}`, caseId }, async (tx) => {
        const c = await cases.byIdForUpdate(caseId, tx);
        const reason = input.revoke.length > 0 ? `revoke ${input.revoke.join(', ')}` : 'no envelope revoked';
        const facts = { ...caseScope(c), ...(await participation.facts(ctx.principal, c, tx)) };
        await access.authorize(ctx, 'case.rekey', { resource: `case:${caseId}`, caseId: c ? caseId : null, facts }, tx, { reason });
        if (!c) throw new AppError('not_found');
        if (c.purgedAt) throw purged(c.purgedAt);
        const p = await plan(c, input, ownKeyIds, tx);

        const now = clock.now();
        for (const kind of KINDS) {
          const items = input.items.filter((i) => i.kind === kind);
          if (items.length > 0) await SEALED_UNDER_CASE_DEK[kind].write(caseId, items, now, tx);
        }
        await tx.delete(caseEnvelopes).where(eq(caseEnvelopes.caseId, caseId));
        if (input.envelopes.length > 0) {
          await tx.insert(caseEnvelopes).values(input.envelopes.map((e) => ({ caseId, keyId: e.keyId, envelope: e.envelope, recipientType: e.recipientType, recipientId: e.recipientId, createdAt: now })));
        }
        const epoch = c.keyEpoch + 1;
        await cases.update(caseId, { keyEpoch: epoch, mechanismKeyId: p.mechanismKeyId, updatedAt: now }, tx);
        const who = p.revoked.map((e) => `${readerOf(e)} (key ${e.keyId})`);
        await cases.addTimeline({ caseId, at: now, actor: actorOf(ctx.principal), action: 'case.rekeyed', fromState: c.state, toState: c.state, reason: `key epoch ${epoch}; ${who.length > 0 ? `revoked ${who.join(', ')}` : 'no reader revoked'}` }, tx);
        return {
          caseId,
          epoch,
          revoked: p.revoked.map((e) => ({ keyId: e.keyId, recipientType: e.recipientType, recipientId: e.recipientId })),
          envelopes: input.envelopes.map((e) => ({ keyId: e.keyId, recipientType: e.recipientType, recipientId: e.recipientId })),
          items: input.items.length,
        };
      });
    },
  };
}
