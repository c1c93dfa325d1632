import { Type } from 'typebox';
import { ex } from '../lib/openapi-examples.js';
import { KeyId, Nullable, Timestamp, Uuid, Versioned, responses } from '../lib/schemas.js';
import { PublicKeyFields } from './shared.js';
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
        /** Entries for retired keys (kept: they open the envelopes of older cases). */
        olderKeys: Type.Array(Type.Object({ keyId: KeyId, fingerprint: Fingerprint, retiredAt: Nullable(Timestamp), holders: Type.Array(Name) })),
        searchHolders: Type.Array(Holder),
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
