import { Type } from 'typebox';
import { ex } from '../lib/openapi-examples.js';
import { KeyId, Nullable, Timestamp, Uuid, Versioned, responses } from '../lib/schemas.js';
import { KeyEpoch, PublicKeyFields } from './shared.js';
import { operation } from './operation.js';

const Fingerprint = PublicKeyFields.fingerprint;
const Name = Type.String({ maxLength: 64 });
const Status = Type.Union([Type.Literal('active'), Type.Literal('disabled')]);

const Holder = Type.Object({
  userId: Uuid,
  username: Name,
  role: Type.String({ maxLength: 20 }),
  status: Status,
  keyId: KeyId,
  fingerprint: Type.String({ maxLength: 40, description: "fingerprint of the member key the entry is sealed to" }),
  stale: Type.Boolean({ description: 'the member has changed key pair since: the entry no longer opens' }),
  grantedBy: Nullable(Name),
  grantedAt: Timestamp,
});

/** What the warning about too few holders carries, for the custody screen and the admins' health page. */
export const KeyholderWarning = Type.Object(
  {
    code: Type.Literal('too_few_keyholders'),
    holders: Type.Integer({ minimum: 0 }),
    minimum: Type.Integer({ minimum: 1 }),
    backup: Type.Boolean({ description: 'a split backup of the current key was recorded; one made before the last rotation does not count (it does not open cases moved to the new key)' }),
    screen: Type.Literal('/console/custody', { description: 'where a supervisor who holds the key grants it to another, or makes a split backup' }),
  },
  { description: 'fewer active members hold the current mechanism key than policies/custody.yaml asks' },
);

const Backup = Type.Object({
  id: Uuid,
  keyId: KeyId,
  fingerprint: Fingerprint,
  current: Type.Boolean({ description: 'a backup of the current key; one made before the last rotation rebuilds only the older key, which does not open cases moved to the new key: make a new backup' }),
  threshold: Type.Integer(),
  shares: Type.Integer(),
  custodians: Type.Array(Name),
  madeBy: Name,
  madeAt: Timestamp,
});

export const getCustody = operation('getCustody', {
  tags: ['custody'],
  summary: 'Custody of the mechanism key: who holds it and the search key (names, fingerprints, granted by whom and when), the split backups made, and the warning when too few hold it (audited)',
  security: [{ bearer: [] }],
  response: responses(
    {
      200: Type.Object({
        orgId: Uuid,
        key: Nullable(Type.Object({ keyId: KeyId, publicKey: PublicKeyFields.publicKey, fingerprint: Fingerprint, createdAt: Timestamp })),
        /** Holders of the current key. */
        holders: Type.Array(Holder),
        /** Entries for retired keys (kept while a case is still sealed to them). */
        olderKeys: Type.Array(
          Type.Object({ keyId: KeyId, fingerprint: Fingerprint, retiredAt: Nullable(Timestamp), holders: Type.Array(Name), cases: Type.Integer({ minimum: 0, description: 'cases whose mechanism envelope is still sealed to this key' }) }),
        ),
        casesOnOlderKeys: Type.Integer({ minimum: 0, description: 'cases whose mechanism envelope is still sealed to a retired key: a holder moves them onto the current key (GET /v1/custody/rewrap)' }),
        searchHolders: Type.Array(Holder),
        searchGeneration: Type.Integer({ minimum: 1, description: 'the generation of the search key: one more at each re-issue (POST /v1/search-key/reissue)' }),
        casesToReindex: Type.Integer({ minimum: 0, description: 'cases whose tokens were computed with an older search key: no search finds them until a holder re-indexes them (GET /v1/search-key/reindex)' }),
        backups: Type.Array(Backup),
        policy: Type.Object({ threshold: Type.Integer(), shares: Type.Integer(), minimumHolders: Type.Integer() }),
        warning: Nullable(KeyholderWarning),
      }),
    },
    [401, 403],
  ),
});

export const recordCustodyBackup = operation('recordCustodyBackup', {
  tags: ['custody'],
  summary: 'Record that a split backup of the current mechanism key was made (k of n, the custodians by name); never a share',
  description: 'Only by a holder of the current mechanism key; k and n must be those of policies/custody.yaml, one custodian name per share.',
  security: [{ bearer: [] }],
  body: Type.Object(
    {
      keyId: KeyId,
      threshold: Type.Integer({ minimum: 2, maximum: 15 }),
      shares: Type.Integer({ minimum: 2, maximum: 15 }),
      custodians: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 2, maxItems: 15 }),
    },
    { additionalProperties: false, examples: [{ keyId: ex.memberKeyId, threshold: 3, shares: 5, custodians: ['Aminata Traoré', 'Moussa Diarra', 'Fatoumata Coulibaly', 'Ibrahim Keïta', 'Awa Sangaré'] }] },
  ),
  response: responses({ 201: Backup }, [401, 403, 404, 409]),
});

export const startCustodyRestore = operation('startCustodyRestore', {
  tags: ['custody'],
  summary: 'Restoring from a split backup, step 1: a challenge sealed to the current mechanism key, which only its private key (rebuilt from the shares) opens',
  security: [{ bearer: [] }],
  body: Type.Object({}, { additionalProperties: false, examples: [{}] }),
  response: responses({ 200: Type.Object({ challengeId: Uuid, challenge: Versioned(200, 'v1.<b64u(crypto_box_seal(32 random bytes, mechanismPublicKey))>'), keyId: KeyId, expiresInSeconds: Type.Integer() }) }, [401, 403, 404]),
});

export const finishCustodyRestore = operation('finishCustodyRestore', {
  tags: ['custody'],
  summary: "Restoring from a split backup, step 2: the opened challenge proves possession of the mechanism private key, and the caller's own keyring entry for it is stored",
  description: 'The caller need not hold the key yet: the answer is the proof. A wrong or expired answer is refused and audited; a challenge of a key rotated since, with 409.',
  security: [{ bearer: [] }],
  body: Type.Object(
    { challengeId: Uuid, answer: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: 'b64u of the 32 opened bytes' }), entry: Versioned(120, "v1.<b64u(crypto_box_seal(mechanismPrivateKey, callerPublicKey))>") },
    { additionalProperties: false, examples: [{ challengeId: ex.userId, answer: 'q0B2nM7l0wYdJ6b7S1Vf3kQ8rH2cXz9pL4tU5aE6iO0', entry: ex.keyringEntry }] },
  ),
  response: responses({ 201: Type.Object({ keyId: KeyId, userId: Uuid }) }, [401, 403, 404, 409]),
});

const MechanismEnvelope = Type.Object({ keyId: KeyId, envelope: Versioned(200, 'v1.<b64u(crypto_box_seal(key, mechanismPublicKey))>') }, { additionalProperties: false });

export const getCustodyRewrap = operation('getCustodyRewrap', {
  tags: ['custody'],
  summary: "After a rotation: the cases whose mechanism envelope is still sealed to a retired mechanism key, how many remain, and the next ones with that envelope, for a holder's client to move onto the current key (audited)",
  description:
    'Recomputed from the database on every call, so a run that stopped half-way continues from what remains. Only a holder of the current key asks; only envelopes of retired keys the caller holds (an entry sealed to their registered key) are served, with the envelope of the case\'s staff key sealed to the same key; `unreachable` counts the cases sealed to a retired key they do not hold. No sealed value is served.',
  security: [{ bearer: [] }],
  querystring: Type.Object({ limit: Type.Optional(Type.String({ pattern: '^(?:[1-9]|[1-4][0-9]|50)$', description: 'how many cases to serve, 1 to 50 (default 20)' })) }, { additionalProperties: false }),
  response: responses(
    {
      200: Type.Object({
        keyId: KeyId,
        remaining: Type.Integer({ minimum: 0, description: 'cases whose mechanism envelope is sealed to a retired key' }),
        unreachable: Type.Integer({ minimum: 0, description: 'of those, the cases sealed to a retired key the caller holds no entry for' }),
        cases: Type.Array(
          Type.Object({
            caseId: Uuid,
            reference: Type.String({ maxLength: 32 }),
            epoch: KeyEpoch,
            envelope: MechanismEnvelope,
            staffEnvelope: Nullable(MechanismEnvelope),
          }),
          { maxItems: 50 },
        ),
      }),
    },
    [401, 403, 404],
  ),
});

export const rewrapCustodyCase = operation('rewrapCustodyCase', {
  tags: ['custody'],
  summary: "Moves one case's mechanism envelope from a retired mechanism key onto the current one: the same case key, re-sealed by a holder's client (a re-wrap, not a re-key)",
  description:
    "The old envelope (and the case's staff-key envelope of the same key, sent as `staffEnvelope`) is replaced in one transaction; the case key, its epoch and every sealed value stay. The new envelope must be sealed to the current mechanism key at the case's current epoch (409 intake_key_changed, key_epoch_changed); the caller must hold the retired key (409 key_holder_required). Idempotent: a case already on the current key answers `moved: false`.",
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }, { additionalProperties: false }),
  body: Type.Object(
    {
      epoch: KeyEpoch,
      fromKeyId: KeyId,
      keyId: KeyId,
      envelope: Versioned(200, 'v1.<b64u(crypto_box_seal(DEK, currentMechanismPublicKey))>'),
      staffEnvelope: Type.Optional(Versioned(200, 'v1.<b64u(crypto_box_seal(staffKey, currentMechanismPublicKey))>')),
    },
    { additionalProperties: false, examples: [{ epoch: 1, fromKeyId: ex.keyId, keyId: ex.orgKeyId, envelope: ex.envelope }] },
  ),
  response: responses({ 200: Type.Object({ caseId: Uuid, keyId: KeyId, moved: Type.Boolean(), staffKey: Type.Boolean({ description: "the case's staff key was moved too" }) }) }, [401, 403, 404, 409]),
});
