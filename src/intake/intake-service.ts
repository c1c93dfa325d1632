import type { Static } from 'typebox';
import { CryptoError, fromB64u, keyIdOf, parseSealedField } from '../sdk/index.js';
import type { IntakeBody, fileCase, fileCaseOnBehalf } from '../contracts/case.js';
import { AppError, type FieldError } from '../lib/problem.js';
import { checkEnvelope } from '../lib/key-envelope.js';
import type { Db } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import { actorOf, type RequestContext } from '../access/principal.js';
import type { UserRepository } from '../users/user-repository.js';
import type { AccessService } from '../access/access-service.js';
import type { AuditService } from '../audit/audit-service.js';
import { createCommandRunner } from '../audit/audited-command.js';
import type { CaseRepository } from '../cases/case-repository.js';
import type { IntakeList, IntakePolicy } from './intake-policy.js';
import type { DeadlineService } from '../deadlines/deadline-service.js';

/** The sealed fields of a filing; `relatives` is optional (nobody else at risk). */
export const INTAKE_FIELDS = ['identity', 'contact', 'location', 'narrative', 'relatives'] as const;

/** A filing: the body of POST /v1/cases, the same shape the SDK's prepareFiling produces. */
export type IntakeInput = Static<typeof IntakeBody>;

/**
 * What staff add when they record a request on a defender's behalf (oral or written statement,
 * third party, own initiative); `filer` is the case key sealed to the recording officer's own key.
 */
export type OnBehalf = Pick<Static<typeof fileCaseOnBehalf.schema.body>, 'source' | 'consent' | 'filer'>;

export type IntakeReceipt = Static<(typeof fileCase.schema.response)[201]>;

export type IntakeService = ReturnType<typeof createIntakeService>;

/**
 * Filing a protection request, online and without an account. Everything is checked before
 * anything is written, then one transaction writes the case, its sealed fields, the envelopes
 * (mechanism and defender), the timeline, the audit event, the acknowledgement deadline and its
 * outbox entry: a refused filing leaves nothing behind.
 */
/** A second filing with the same receipt verifier breaks its unique index (the receipt must be fresh). */
function isReceiptVerifierTaken(err: unknown): boolean {
  let e: unknown = err;
  // drizzle wraps the driver's error in `cause`
  while (e && typeof e === 'object' && !('constraint_name' in e) && 'cause' in e) e = (e as { cause: unknown }).cause;
  return typeof e === 'object' && e !== null && (e as { code?: string }).code === '23505' && String((e as { constraint_name?: string }).constraint_name).includes('receipt_verifier');
}

export function createIntakeService(deps: {
  db: Db;
  cases: CaseRepository;
  access: Pick<AccessService, 'authorize'>;
  audit: Pick<AuditService, 'record'>;
  clock: Clock;
  intake: IntakePolicy;
  deadlines: Pick<DeadlineService, 'apply'>;
  users: Pick<UserRepository, 'byId'>;
}) {
  const { db, cases, access, clock, intake, deadlines } = deps;
  const command = createCommandRunner({ db, audit: deps.audit });

  function validate(input: IntakeInput): FieldError[] {
    const errors: FieldError[] = [];
    const code = (list: IntakeList, value: string, field: string) => {
      if (!intake.has(list, value)) errors.push({ field: `/body/metadata/${field}`, message: `unknown ${list} code` });
    };
    const m = input.metadata;
    code('region', m.region, 'region');
    code('defenderCategory', m.defenderCategory, 'defenderCategory');
    code('gender', m.gender, 'gender');
    code('disability', m.disability, 'disability');
    code('language', m.preferredLanguage, 'preferredLanguage');
    code('contactChannel', m.contactChannel, 'contactChannel');
    code('filedFor', m.filedFor, 'filedFor');
    m.threatTypes.forEach((t, i) => code('threatType', t, `threatTypes/${i}`));
    if (new Set(m.threatTypes).size !== m.threatTypes.length) errors.push({ field: '/body/metadata/threatTypes', message: 'codes repeat' });
    for (const [name, sealed] of Object.entries(input.fields)) {
      try {
        parseSealedField(sealed);
      } catch (err) {
        errors.push({ field: `/body/fields/${name}`, message: err instanceof CryptoError ? `${err.code}: ${err.message}` : 'is not a sealed field' });
      }
    }
    for (const required of ['identity', 'contact', 'narrative'] as const) {
      if (!input.fields[required]) errors.push({ field: `/body/fields/${required}`, message: 'is required' });
    }
    const check = (field: string, fn: () => void) => {
      try {
        fn();
      } catch (err) {
        errors.push({ field, message: err instanceof CryptoError ? `${err.code}: ${err.message}` : 'is invalid' });
      }
    };
    check('/body/envelopes/mechanism/envelope', () => checkEnvelope(input.envelopes.mechanism.envelope));
    check('/body/envelopes/defender/envelope', () => checkEnvelope(input.envelopes.defender.envelope));
    check('/body/envelopes/defender/keyId', () => {
      if (keyIdOf(fromB64u(input.envelopes.defender.publicKey)) !== input.envelopes.defender.keyId) throw new CryptoError('key_id_mismatch', 'keyId is not the keyId of publicKey');
    });
    check('/body/receiptVerifier', () => {
      if (fromB64u(input.receiptVerifier).length !== 32) throw new CryptoError('bad_length', 'must be 32 bytes');
    });
    return errors;
  }

  return {
    /**
     * Files a request: online by the defender (no account), or recorded by staff on their behalf
     * (`onBehalf`: source, consent state, and an envelope for the recording officer).
     */
    async file(ctx: RequestContext, input: IntakeInput, onBehalf?: OnBehalf): Promise<IntakeReceipt> {
      const errors = validate(input);
      if (onBehalf) {
        if (!intake.has('source', onBehalf.source) || onBehalf.source === 'online') errors.push({ field: '/body/source', message: 'a source other than online' });
        try {
          checkEnvelope(onBehalf.filer.envelope);
        } catch (err) {
          errors.push({ field: '/body/filer/envelope', message: err instanceof CryptoError ? `${err.code}: ${err.message}` : 'is invalid' });
        }
      }
      const now = clock.now();
      const action = onBehalf ? 'case.file_on_behalf' : 'request.create';
      const resource = `case:${input.caseId}`;
      // One transaction; a refused filing (an id or receipt already used, a mechanism key that
      // changed) leaves nothing but its denial in the audit log, written after the rollback.
      return command(ctx, { action, resource, caseId: null }, async (tx) => {
        await access.authorize(ctx, action, { resource, caseId: null }, tx, { audit: false });
        if (errors.length > 0) throw new AppError('validation_failed', 'the request is not valid', { errors });
        const filer = onBehalf && ctx.principal.kind === 'user' ? ctx.principal : null;
        if (onBehalf && (!filer || (await deps.users.byId(filer.userId, tx))?.keyId !== onBehalf.filer.keyId)) {
          throw new AppError('validation_failed', "the filer envelope must be sealed to the recording officer's own key", { errors: [{ field: '/body/filer/keyId', message: 'not your current key' }] });
        }
        const m = input.metadata;
        let filed: Awaited<ReturnType<typeof cases.file>>;
        try {
          filed = await cases.file(
            {
              row: {
                id: input.caseId,
                state: 'received',
                // A claimed urgency counts until an officer lifts it: safety first.
                urgent: m.claimedUrgent,
                urgentClaimed: m.claimedUrgent,
                // Someone filing for another person needs that person's consent before anything is disclosed.
                consent: onBehalf ? onBehalf.consent : m.filedFor === 'self' ? 'given' : 'unknown',
                source: onBehalf ? onBehalf.source : 'online',
                filedFor: m.filedFor,
                filedBy: filer ? filer.userId : null,
                region: m.region,
                defenderCategory: m.defenderCategory,
                gender: m.gender,
                disability: m.disability,
                threatTypes: m.threatTypes,
                preferredLanguage: m.preferredLanguage,
                contactChannel: m.contactChannel,
                defenderCard: m.defenderCard ?? null,
                receiptVerifier: input.receiptVerifier,
                defenderKeyId: input.envelopes.defender.keyId,
                defenderPublicKey: input.envelopes.defender.publicKey,
                mechanismKeyId: input.envelopes.mechanism.keyId,
                createdAt: now,
                updatedAt: now,
              },
              fields: Object.entries(input.fields).map(([field, sealed]) => ({ field, sealed })),
              envelopes: [
                { keyId: input.envelopes.mechanism.keyId, envelope: input.envelopes.mechanism.envelope, recipientType: 'org', recipientId: null },
                { keyId: input.envelopes.defender.keyId, envelope: input.envelopes.defender.envelope, recipientType: 'defender', recipientId: input.caseId },
                ...(onBehalf && filer ? [{ keyId: onBehalf.filer.keyId, envelope: onBehalf.filer.envelope, recipientType: 'user' as const, recipientId: filer.userId }] : []),
              ],
              timeline: { actor: filer ? actorOf(ctx.principal) : 'defender', action: onBehalf ? `filed_${onBehalf.source}` : 'filed', toState: 'received', reason: m.claimedUrgent ? 'urgency claimed at filing' : null },
            },
            tx,
          );
        } catch (err) {
          if (isReceiptVerifierTaken(err)) throw new AppError('already_exists', 'this receipt is already in use; the client must draw a new one');
          throw err;
        }
        if (!filed.currentKeyId) throw new AppError('service_unavailable', 'the mechanism is not set up yet');
        // The client sealed the case key to the key it pinned; nothing was stored rather than a
        // case nobody holding the current key can open (or, after a suspected compromise, one
        // sealed to a key that was retired for a reason).
        if (filed.currentKeyId !== input.envelopes.mechanism.keyId) throw new AppError('intake_key_changed', `the current mechanism key is ${filed.currentKeyId}; reload the intake page`);
        const reference = filed.reference;
        // An existing id is the client's to fix (it chooses ids); nothing was written.
        if (reference === undefined) throw new AppError('already_exists', 'a case with this id exists; the client must choose a new id');
        await deps.audit.record(ctx, { action, resource, caseId: input.caseId, outcome: 'allowed' }, tx);
        // A claimed urgency is treated as urgent until an officer confirms or lifts it.
        const started = await deadlines.apply({ caseId: input.caseId, event: 'case.received', at: now, urgent: m.claimedUrgent }, tx);
        const ack = started.find((d) => d.rule === 'acknowledge');
        if (!ack) throw new Error('policies/deadlines.yaml starts no acknowledge deadline on case.received');
        return { caseId: input.caseId, reference, acknowledgeBy: ack.dueAt.toISOString() };
      });
    },
  };
}
