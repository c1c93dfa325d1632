/**
 * What each side sees of a referral. Staff see everything in the clear about it (ids, states,
 * dates, codes); the partner sees its own referral without the case or the staff behind it; the
 * defender sees what is asked of them (recipient, fields, purpose), never staff ids.
 */
import type { ReferralPolicy } from './referral-policy.js';
import type { ReferralReportRow, ReferralRow, ReferralState } from './referral-repository.js';

/**
 * States withdrawn when the defender withdraws consent from the case; the others are final
 * (refused, declined, withdrawn, closed).
 */
export const OPEN_STATES: readonly ReferralState[] = ['awaiting_consent', 'consented', 'sent', 'accepted'];
/** What a partner organisation may see: sent to it and not withdrawn (a withdrawal ends its access). */
export const PARTNER_STATES: readonly ReferralState[] = ['sent', 'accepted', 'declined', 'closed'];

export const partnerMaySee = (r: Pick<ReferralRow, 'state'>): boolean => PARTNER_STATES.includes(r.state);
/** The defender sees what awaits their consent, and what was made without it (they are told afterwards). */
export const defenderMaySee = (r: Pick<ReferralRow, 'state' | 'consentBasis'>): boolean => r.state === 'awaiting_consent' || r.consentBasis === 'life_threat';

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

export interface OrgInfo {
  orgName: string;
  orgCategory: string;
}

export function createViews(policy: ReferralPolicy) {
  const purposeLabel = (code: string) => policy.purposes.get(code) ?? { fr: code, en: code };
  const fieldLabels = (fields: readonly string[]) => fields.map((f) => ({ field: f, ...(policy.fields.get(f) ?? { fr: f, en: f }) }));

  return {
    staff(r: ReferralRow, org: OrgInfo) {
      return {
        id: r.id,
        caseId: r.caseId,
        orgId: r.orgId,
        orgName: org.orgName,
        orgCategory: org.orgCategory,
        fields: r.fields,
        purpose: r.purpose,
        purposeLabel: purposeLabel(r.purpose),
        state: r.state,
        consentBasis: r.consentBasis,
        consentBy: r.consentBy,
        consentAt: iso(r.consentAt),
        consentAttestation: r.consentAttestation,
        defenderToldAt: iso(r.defenderToldAt),
        hasPacket: r.packet !== null,
        createdBy: r.createdBy,
        createdAt: r.createdAt.toISOString(),
        sentAt: iso(r.sentAt),
        respondedBy: r.respondedBy,
        respondedAt: iso(r.respondedAt),
        responseReason: r.responseReason,
        endedAt: iso(r.endedAt),
        endReason: r.endReason,
        updatedAt: r.updatedAt.toISOString(),
      };
    },

    /** The partner's view: its referral, never the case id, the case reference or staff ids. */
    partner(r: ReferralRow, org: OrgInfo) {
      return {
        id: r.id,
        orgId: r.orgId,
        orgName: org.orgName,
        orgCategory: org.orgCategory,
        fields: r.fields,
        purpose: r.purpose,
        purposeLabel: purposeLabel(r.purpose),
        state: r.state,
        consentBasis: r.consentBasis,
        hasPacket: r.packet !== null,
        sentAt: iso(r.sentAt),
        respondedBy: r.respondedBy,
        respondedAt: iso(r.respondedAt),
        responseReason: r.responseReason,
        endedAt: iso(r.endedAt),
        endReason: r.endReason,
      };
    },

    /** The defender's view: who would receive what and why; `madeWithoutConsent` for the life-threat exception. */
    defender(r: ReferralRow, org: OrgInfo) {
      return {
        id: r.id,
        orgName: org.orgName,
        orgCategory: org.orgCategory,
        fields: r.fields,
        fieldLabels: fieldLabels(r.fields),
        purpose: r.purpose,
        purposeLabel: purposeLabel(r.purpose),
        state: r.state,
        consentBasis: r.consentBasis,
        madeWithoutConsent: r.consentBasis === 'life_threat',
        createdAt: r.createdAt.toISOString(),
        consentAt: iso(r.consentAt),
        defenderToldAt: iso(r.defenderToldAt),
      };
    },

    report(p: ReferralReportRow) {
      return { id: p.id, status: p.status, note: p.note, reportedBy: p.reportedBy, reportedAt: p.reportedAt.toISOString() };
    },
  };
}

export type ReferralViews = ReturnType<typeof createViews>;
