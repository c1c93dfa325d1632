import { Type, type Static, type TSchema } from 'typebox';
import { ex } from '../lib/openapi-examples.js';
import { KeyId, SEALED_JSON_BYTES, SealedValue, Timestamp, Uuid, Versioned, responses } from '../lib/schemas.js';
import { CommandState, OralConsentSchema } from './shared.js';
import { operation } from './operation.js';

export const N = <T extends TSchema>(s: T) => Type.Union([s, Type.Null()]);

export const Code = Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$' });

export const FieldName = Type.String({ pattern: '^[a-z][a-z0-9_.]{0,63}$' });

/** How many evidence files one referral may carry. */
export const MAX_REFERRAL_FILES = 20;

/**
 * A packet entry: a case field's name, or `file.<fileId>` (lower-case UUID) for an evidence file
 * (a field name has no hyphen, so the two never clash). The name is the AD's last part.
 */
export const PacketEntryName = Type.String({ pattern: '^(?:[a-z][a-z0-9_.]{0,63}|file\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$' });

export const Label = Type.Object({ fr: Type.String(), en: Type.String() });

export const Reason = Type.String({ minLength: 3, maxLength: 2000, description: 'why: kept on the timeline and in the audit log (no sensitive details: they belong in sealed notes)' });

export const Sealed = (what: string) => SealedValue(SEALED_JSON_BYTES.caseField, what);

/** The commands on one referral the staff console shows as buttons, each named after what it does. */
export const REFERRAL_COMMANDS = ['consent', 'send', 'withdraw'] as const;
export type ReferralCommand = (typeof REFERRAL_COMMANDS)[number];

/** Every view of a referral in one schema: staff, partner and defender views are subsets of it. */
export const Referral = Type.Object({
  id: Uuid,
  caseId: Type.Optional(Uuid),
  orgId: Type.Optional(Uuid),
  orgName: Type.String(),
  orgCategory: Type.String(),
  fields: Type.Array(Type.String()),
  fieldLabels: Type.Optional(Type.Array(Type.Object({ field: Type.String(), fr: Type.String(), en: Type.String() }))),
  files: Type.Optional(Type.Array(Uuid, { description: 'the evidence files of the case the referral shares (ids only: the server knows no names); the packet carries each as the entry `file.<fileId>`' })),
  purpose: Type.String(),
  purposeLabel: Label,
  state: Type.String(),
  consentBasis: N(Type.String()),
  madeWithoutConsent: Type.Optional(Type.Boolean()),
  consentBy: Type.Optional(N(Type.String())),
  consentAt: Type.Optional(N(Type.String())),
  consentAttestation: Type.Optional(N(Type.Object({ channel: Type.String(), takenAt: Type.String(), statement: Type.String() }))),
  defenderToldAt: Type.Optional(N(Type.String())),
  hasPacket: Type.Optional(Type.Boolean()),
  createdBy: Type.Optional(Uuid),
  createdAt: Type.Optional(Type.String()),
  sentAt: Type.Optional(N(Type.String())),
  respondedBy: Type.Optional(N(Type.String())),
  respondedAt: Type.Optional(N(Type.String())),
  responseReason: Type.Optional(N(Type.String())),
  endedAt: Type.Optional(N(Type.String())),
  endReason: Type.Optional(N(Type.String())),
  updatedAt: Type.Optional(Type.String()),
  actions: Type.Optional(Type.Array(CommandState(REFERRAL_COMMANDS), { description: "staff, in the list of a case: what the caller may do on this referral now (record the defender's answer, send the packet, withdraw), as the command itself would decide" })),
});

export const Report = Type.Object({ id: Uuid, status: Type.String(), note: N(Type.String()), reportedBy: Uuid, reportedAt: Type.String() });

/** A referral as one side sees it (staff, partner or defender: subsets of one schema). */
export type ReferralView = Static<typeof Referral>;
/** A partner's report on a referral. */
export type ReferralReport = Static<typeof Report>;

const ReferralParams = Type.Object({ referralId: Uuid });

const CaseParams = Type.Object({ caseId: Uuid });

const sec = [{ bearer: [] }];

export const proposeReferral = operation('proposeReferral', {
  tags: ['referrals'],
  summary: 'Propose a referral (recipient, fields, purpose) for the defender to consent to; or, by a supervisor with lifeThreat, refer to a state authority without consent',
  description: 'Refused from a case in `received` or `closed`. With `lifeThreat` the action checked is referral.exception (supervisors): the recipient must be of a category the referral policy allows without consent (409 recipient_not_eligible otherwise); the referral is consented at once on that basis, the reason is written to the audit log, and a notice for the defender is queued: `defenderToldAt` is when that notice was created. The defender then sees the referral in their list, marked `madeWithoutConsent`.',
  security: sec,
  params: CaseParams,
  body: Type.Object(
    {
      id: Uuid,
      orgId: Uuid,
      fields: Type.Array(FieldName, { minItems: 1, maxItems: 20 }),
      files: Type.Optional(Type.Array(Uuid, { maxItems: MAX_REFERRAL_FILES, description: 'evidence files of the case to share (each attached, i.e. available); the defender consents to them with the fields' })),
      purpose: Code,
      lifeThreat: Type.Optional(Type.Object({ reason: Reason }, { additionalProperties: false })),
    },
    {
      additionalProperties: false,
      examples: [
        { id: ex.referralId, orgId: ex.partnerOrgId, fields: ['identity', 'narrative'], purpose: 'legal_assistance' },
        { id: ex.referralId, orgId: ex.partnerOrgId, fields: ['identity', 'narrative'], files: [ex.fileId], purpose: 'legal_assistance' },
        // The exception: a supervisor, to a state authority, without the defender's consent.
        { id: ex.referralId, orgId: ex.stateOrgId, fields: ['identity', 'location'], purpose: 'protection_measure', lifeThreat: { reason: 'Menace imminente pour la vie ; accord de la défenseure impossible à recueillir à temps.' } },
      ],
    },
  ),
  response: responses({ 201: Referral }, [401, 403, 404, 409]),
});

export const listCaseReferrals = operation('listCaseReferrals', {
  tags: ['referrals'],
  summary: "The referrals of a case (staff: all; the defender: those awaiting consent or made without it)",
  security: sec,
  params: CaseParams,
  response: responses({ 200: Type.Object({ items: Type.Array(Referral) }) }, [401, 403, 404]),
});

export const listReferrals = operation('listReferrals', {
  tags: ['referrals'],
  summary: "Referrals to the caller's organisation, newest first (a supervisor sees all)",
  security: sec,
  querystring: Type.Object(
    { beforeAt: Type.Optional(Timestamp), beforeId: Type.Optional(Uuid), limit: Type.Optional(Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|100)$' })) },
    { additionalProperties: false },
  ),
  response: responses({ 200: Type.Object({ items: Type.Array(Referral) }) }, [401, 403, 404]),
});

export const getReferral = operation('getReferral', {
  tags: ['referrals'],
  summary: 'One referral: metadata, the sealed packet, the reports and the envelopes of the referral key the caller may open',
  security: sec,
  params: ReferralParams,
  response: responses(
    {
      200: Type.Object({
        referral: Referral,
        packet: Type.Optional(N(Type.Record(Type.String(), Type.String()))),
        envelopes: Type.Optional(Type.Array(Type.Object({ keyId: KeyId, envelope: Type.String() }))),
        reports: Type.Optional(Type.Array(Report)),
      }),
    },
    [401, 403, 404],
  ),
});

export const consentToReferral = operation('consentToReferral', {
  tags: ['referrals'],
  summary: 'Consent to or refuse a referral (the defender; or the assigned officer recording oral consent with an attestation)',
  security: sec,
  params: ReferralParams,
  body: Type.Object(
    { decision: Type.Union([Type.Literal('consent'), Type.Literal('refuse')]), attestation: Type.Optional(OralConsentSchema) },
    { additionalProperties: false, examples: [{ decision: 'consent' }, { decision: 'consent', attestation: { channel: 'phone_call', takenAt: '2026-03-02T10:15:00Z', statement: 'Destinataire, informations partagées et objet lus à la défenseure par téléphone ; elle a donné son accord.' } }] },
  ),
  response: responses({ 200: Referral }, [401, 403, 404, 409]),
});

export const uploadReferralPacket = operation('uploadReferralPacket', {
  tags: ['referrals'],
  summary: "Upload the packet of a consented referral: exactly the consented fields and files under a fresh referral DEK, sealed to the organisation's current key; sends the referral",
  description: 'The packet holds one entry per consented field (`<field>`) and one per consented file (`file.<fileId>`: the file\'s key record, name, type, hashes, size and case id, crypto-v1.md §9); an entry missing or not consented to is refused (400).',
  security: sec,
  params: ReferralParams,
  body: Type.Object(
    {
      packet: Type.Record(PacketEntryName, Sealed('under the referral DEK, AD egide/v1/referral/<referralId>/<entry>'), { maxProperties: 20 + MAX_REFERRAL_FILES, minProperties: 1, additionalProperties: false }),
      envelopes: Type.Array(
        Type.Object(
          { keyId: KeyId, envelope: Versioned(200, 'v1.<b64u(crypto_box_seal(referral DEK))>'), recipientType: Type.Union([Type.Literal('org'), Type.Literal('user')]), recipientId: Uuid },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: 5 },
      ),
    },
    {
      additionalProperties: false,
      examples: [
        {
          packet: { identity: ex.sealed, narrative: ex.sealed3 },
          envelopes: [
            { keyId: ex.orgKeyId, envelope: ex.envelope, recipientType: 'org', recipientId: ex.partnerOrgId },
            { keyId: ex.memberKeyId, envelope: ex.envelope2, recipientType: 'user', recipientId: ex.userId },
          ],
        },
        // A referral that shares an evidence file too: its entry is file.<fileId>.
        {
          packet: { identity: ex.sealed, narrative: ex.sealed3, [`file.${ex.fileId}`]: ex.sealed2 },
          envelopes: [{ keyId: ex.orgKeyId, envelope: ex.envelope, recipientType: 'org', recipientId: ex.partnerOrgId }],
        },
      ],
    },
  ),
  response: responses({ 200: Referral }, [401, 403, 404, 409]),
});

export const acceptReferral = operation('acceptReferral', { tags: ['referrals'], summary: 'The partner accepts a referral sent to its organisation', security: sec, params: ReferralParams, response: responses({ 200: Referral }, [401, 403, 404, 409]) });

export const declineReferral = operation('declineReferral', {
  tags: ['referrals'],
  summary: 'The partner declines a referral, with a reason; the packet and its envelopes are deleted',
  security: sec,
  params: ReferralParams,
  body: Type.Object({ reason: Reason }, { additionalProperties: false, examples: [{ reason: 'Capacité d’accueil atteinte ce trimestre : nous ne pouvons pas prendre ce dossier.' }] }),
  response: responses({ 200: Referral }, [401, 403, 404, 409]),
});

export const addReferralReport = operation('addReferralReport', {
  tags: ['referrals'],
  summary: 'The partner reports progress on an accepted referral; completed or unable_to_act closes it',
  security: sec,
  params: ReferralParams,
  body: Type.Object(
    {
      id: Uuid,
      status: Type.Union([Type.Literal('in_progress'), Type.Literal('completed'), Type.Literal('unable_to_act')]),
      note: Type.Optional(Sealed('under the referral DEK, AD egide/v1/referral/<referralId>/<reportId>/report')),
    },
    { additionalProperties: false, examples: [{ id: ex.reportId, status: 'in_progress', note: ex.sealed }, { id: ex.reportId, status: 'completed' }] },
  ),
  response: responses({ 201: Type.Object({ report: Report, referral: Referral }) }, [401, 403, 404, 409]),
});

export const withdrawReferral = operation('withdrawReferral', {
  tags: ['referrals'],
  summary: "Withdraw a referral: its packet and envelopes are deleted and the partner's access ends",
  security: sec,
  params: ReferralParams,
  body: Type.Object({ reason: Reason }, { additionalProperties: false, examples: [{ reason: 'Besoin désormais couvert par une mesure mise en œuvre par la CNDH.' }] }),
  response: responses({ 200: Referral }, [401, 403, 404, 409]),
});
