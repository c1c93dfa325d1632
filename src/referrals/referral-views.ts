/**
 * What each side sees of a referral. Staff see everything in the clear about it (ids, states,
 * dates, codes); the partner sees its own referral without the case or the staff behind it; the
 * defender sees what is asked of them (recipient, fields, files, purpose), never staff ids.
 */
import type { ReferralPolicy } from './referral-policy.js';
import { referralView, type OrgInfo, type ReferralRow, type ReferralState } from './referral-repository.js';
import type { ReferralView } from '../contracts/referral.js';

/**
 * States withdrawn when the defender withdraws consent from the case; the others are final
 * (refused, declined, withdrawn, closed).
 */
export const OPEN_STATES: readonly ReferralState[] = ['awaiting_consent', 'consented', 'sent', 'accepted'];
/** What a partner organisation may see: sent to it and not withdrawn (a withdrawal ends its access). */
export const PARTNER_STATES: readonly ReferralState[] = ['sent', 'accepted', 'declined', 'closed'];

export const partnerMaySee = (r: Pick<ReferralRow, 'state'>): boolean => PARTNER_STATES.includes(r.state);
/**
 * What a partner may read: what it may act on, and a referral it was sent and that was then
 * withdrawn, so its inbox says the referral ended rather than letting it vanish. Only the
 * metadata: the packet and the envelopes went with the withdrawal.
 */
export const partnerMayRead = (r: Pick<ReferralRow, 'state' | 'sentAt'>): boolean => partnerMaySee(r) || (r.state === 'withdrawn' && r.sentAt !== null);
/** The defender sees what awaits their consent, and what was made without it (they are told afterwards). */
export const defenderMaySee = (r: Pick<ReferralRow, 'state' | 'consentBasis'>): boolean => r.state === 'awaiting_consent' || r.consentBasis === 'life_threat';

export function createViews(policy: ReferralPolicy) {
  const purposeLabel = (code: string) => policy.purposes.get(code) ?? { fr: code, en: code };
  const fieldLabels = (fields: readonly string[]) => fields.map((f) => ({ field: f, ...(policy.fields.get(f) ?? { fr: f, en: f }) }));

  return {
    /** Staff see everything in the clear about a referral. */
    staff(r: ReferralRow, org: OrgInfo): ReferralView {
      return { ...referralView(r, org), purposeLabel: purposeLabel(r.purpose) };
    },

    /** The partner's view: its referral, never the case id, the case reference or staff ids. */
    partner(r: ReferralRow, org: OrgInfo): ReferralView {
      const v = referralView(r, org);
      return {
        id: v.id,
        orgId: v.orgId,
        orgName: v.orgName,
        orgCategory: v.orgCategory,
        fields: v.fields,
        // The ids only: the partner finds each file's case, key and name in the packet entry file.<id>.
        files: v.files,
        purpose: v.purpose,
        purposeLabel: purposeLabel(v.purpose),
        state: v.state,
        consentBasis: v.consentBasis,
        hasPacket: v.hasPacket,
        sentAt: v.sentAt,
        respondedBy: v.respondedBy,
        respondedAt: v.respondedAt,
        responseReason: v.responseReason,
        endedAt: v.endedAt,
        // A withdrawal's reason is the staff's own words about the case: the partner learns only that it ended.
        endReason: v.state === 'withdrawn' ? null : v.endReason,
      };
    },

    /** The defender's view: who would receive what and why; `madeWithoutConsent` for the life-threat exception. */
    defender(r: ReferralRow, org: OrgInfo): ReferralView {
      const v = referralView(r, org);
      return {
        id: v.id,
        orgName: v.orgName,
        orgCategory: v.orgCategory,
        fields: v.fields,
        fieldLabels: fieldLabels(v.fields),
        // What the defender consents to includes these files: their client names them from the case's own file list.
        files: v.files,
        purpose: v.purpose,
        purposeLabel: purposeLabel(v.purpose),
        state: v.state,
        consentBasis: v.consentBasis,
        madeWithoutConsent: v.consentBasis === 'life_threat',
        createdAt: v.createdAt,
        consentAt: v.consentAt,
        defenderToldAt: v.defenderToldAt,
      };
    },
  };
}

export type ReferralViews = ReturnType<typeof createViews>;
