import { Type } from 'typebox';
import { ex } from '../lib/openapi-examples.js';
import { KeyId, PublicKey, Uuid, Versioned, responses } from '../lib/schemas.js';
import { PublicKeyFields } from './shared.js';
import { operation } from './operation.js';

/** What a partner organisation is: it decides, e.g., who may receive a referral made without consent (policies/referrals.yaml). */
export const PartnerCategory = Type.Union([Type.Literal('ngo'), Type.Literal('lawyers'), Type.Literal('programme'), Type.Literal('state_authority')], { description: 'default ngo' });

const Org = Type.Object({
  id: Uuid,
  kind: Type.Union([Type.Literal('mechanism'), Type.Literal('partner')]),
  category: Type.Union([Type.Literal('mechanism'), PartnerCategory]),
  name: Type.String(),
  currentKeyId: Type.Union([KeyId, Type.Null()]),
  createdAt: Type.String(),
  disabledAt: Type.Union([Type.String(), Type.Null()]),
});

export const OrgKey = Type.Object({ ...PublicKeyFields, current: Type.Boolean(), createdAt: Type.String(), retiredAt: Type.Union([Type.String(), Type.Null()]) });

export const KeyringEntry = Versioned(120, 'v1.<b64u(crypto_box_seal(orgPrivateKey, memberPublicKey))>, 80 bytes');

const OrgParams = Type.Object({ orgId: Uuid });

export const createOrg = operation('createOrg', {
  tags: ['orgs'],
  summary: 'Create a partner organisation (admin)',
  security: [{ bearer: [] }],
  body: Type.Object({ name: Type.String({ minLength: 2, maxLength: 200 }), category: Type.Optional(PartnerCategory) }, { additionalProperties: false, examples: [{ name: 'Direction nationale de la police', category: 'state_authority' }] }),
  response: responses({ 201: Org }, [401, 403, 409]),
});

export const listOrgs = operation('listOrgs', { tags: ['orgs'], summary: 'List organisations (a partner sees only their own)', security: [{ bearer: [] }], response: responses({ 200: Type.Object({ items: Type.Array(Org) }) }, [401, 403, 404]) });

export const listOrgKeys = operation('listOrgKeys', {
  tags: ['orgs'],
  summary: "An organisation's public keys, current and retired",
  security: [{ bearer: [] }],
  params: OrgParams,
  response: responses({ 200: Type.Object({ orgId: Uuid, kind: Type.Union([Type.Literal('mechanism'), Type.Literal('partner')]), keys: Type.Array(OrgKey) }) }, [401, 403, 404]),
});

export const createOrgKey = operation('createOrgKey', {
  tags: ['orgs'],
  summary: 'Register a new current organisation key made client-side (creation or rotation); the old key is retired',
  security: [{ bearer: [] }],
  params: OrgParams,
  body: Type.Object(
    {
      publicKey: PublicKey,
      keyId: KeyId,
      entries: Type.Array(Type.Object({ userId: Uuid, memberKeyId: KeyId, entry: KeyringEntry }, { additionalProperties: false }), { minItems: 1, maxItems: 200 }),
    },
    { additionalProperties: false, examples: [{ publicKey: ex.orgPublicKey, keyId: ex.orgKeyId, entries: [{ userId: ex.userId, memberKeyId: ex.memberKeyId, entry: ex.keyringEntry }] }] },
  ),
  response: responses({ 201: Type.Object({ orgId: Uuid, keyId: KeyId, publicKey: PublicKey, retiredKeyId: Type.Union([KeyId, Type.Null()]), entries: Type.Integer() }) }, [401, 403, 404, 409]),
});

export const listOrgKeyring = operation('listOrgKeyring', {
  tags: ['orgs'],
  summary: "Who holds which of an organisation's keys (no entry content)",
  security: [{ bearer: [] }],
  params: OrgParams,
  response: responses(
    {
      200: Type.Object({
        orgId: Uuid,
        items: Type.Array(
          Type.Object({
            userId: Uuid,
            username: Type.String(),
            role: Type.String(),
            status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]),
            keyId: Type.String({ description: 'keyId of the member key the entry is sealed to' }),
            stale: Type.Boolean({ description: 'the member has changed key pair since; they need a new entry' }),
            orgKeyId: KeyId,
            current: Type.Boolean(),
            createdAt: Type.String(),
          }),
        ),
      }),
    },
    [401, 403, 404],
  ),
});

export const addOrgKeyringEntry = operation('addOrgKeyringEntry', {
  tags: ['orgs'],
  summary: "A holder of the organisation's current key seals it, and every retired key they hold, to another member (one transaction)",
  description:
    "`entry` seals the current key; `retired` seals each retired key of the organisation the caller holds (an entry sealed to their registered key), so that the new holder reads older material too. An entry for a key the caller does not hold is refused (409 key_holder_required); one missing for a key they hold, with 400.",
  security: [{ bearer: [] }],
  params: OrgParams,
  body: Type.Object(
    {
      userId: Uuid,
      entry: KeyringEntry,
      retired: Type.Optional(
        Type.Array(Type.Object({ orgKeyId: KeyId, entry: KeyringEntry }, { additionalProperties: false }), { maxItems: 100, description: 'one entry per retired key of the organisation the caller holds' }),
      ),
    },
    { additionalProperties: false, examples: [{ userId: ex.userId, entry: ex.keyringEntry, retired: [{ orgKeyId: ex.orgKeyId, entry: ex.keyringEntry }] }] },
  ),
  response: responses({ 201: Type.Object({ orgId: Uuid, userId: Uuid, orgKeyId: KeyId, memberKeyId: KeyId, retiredKeyIds: Type.Array(KeyId) }) }, [401, 403, 404, 409]),
});

export const removeOrgKeyringMember = operation('removeOrgKeyringMember', {
  tags: ['orgs'],
  summary: "Remove every keyring entry of a member for an organisation (admin); a holder should then rotate the key",
  security: [{ bearer: [] }],
  params: Type.Object({ orgId: Uuid, userId: Uuid }),
  querystring: Type.Object({ reason: Type.Optional(Type.String({ minLength: 3, maxLength: 500 })) }, { additionalProperties: false }),
  response: responses({ 200: Type.Object({ orgId: Uuid, userId: Uuid, removed: Type.Integer() }) }, [401, 403, 404, 409]),
});
