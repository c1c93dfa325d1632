/** A case's metadata as staff read it (the case page, the printed dossier): codes in words, dates in the mechanism's time. */
import type { Verification } from '../../../src/contracts/case-verification.js';
import type { ResponseOf } from '../api.js';
import { formatDateTime, t } from '../i18n.js';
import { declineReasonLabel, intakeLabel } from '../ui/catalogues.js';
import { OverdueBadge, RiskBadge, UrgentBadge } from '../ui/badges.js';

/** The staff view of a case (the defender's has no region). */
export type StaffCase = Extract<ResponseOf<'getCase'>['case'], { region: string }>;

/** Whether the alleged violation was verified, in words. */
export const verificationLabel = (v: Verification): string => t(`verification.${v}`);

export function CaseMeta({ c, overdue = false }: { c: StaffCase; overdue?: boolean }) {
  return (
    <>
      <p class="badges">
        {c.urgent && <UrgentBadge />}
        {overdue && <OverdueBadge />}
        <RiskBadge level={c.riskLevel} />
      </p>
      <dl class="meta">
        <dt>{t('queue.col.state')}</dt>
        <dd>{t(`state.${c.state}`)}</dd>
        {c.declineReason && (
          <>
            <dt>{t('case.declineReason')}</dt>
            <dd data-decline-reason={c.declineReason}>{declineReasonLabel(c.declineReason)}</dd>
          </>
        )}
        <dt>{t('case.verification')}</dt>
        <dd data-verification={c.verification}>{verificationLabel(c.verification)}</dd>
        <dt>{t('case.filedAt')}</dt>
        <dd>{formatDateTime(c.createdAt)}</dd>
        <dt>{t('queue.col.region')}</dt>
        <dd>{intakeLabel('region', c.region)}</dd>
        <dt>{t('queue.col.category')}</dt>
        <dd>{intakeLabel('defenderCategory', c.defenderCategory)}</dd>
        <dt>{t('case.threats')}</dt>
        <dd>{c.threatTypes.map((x) => intakeLabel('threatType', x)).join(', ')}</dd>
        <dt>{t('case.language')}</dt>
        <dd>{intakeLabel('language', c.preferredLanguage)}</dd>
        <dt>{t('case.channel')}</dt>
        <dd>{intakeLabel('contactChannel', c.contactChannel)}</dd>
        <dt>{t('case.urgentClaimed')}</dt>
        <dd>{c.urgentClaimed ? t('queue.filter.yes') : t('queue.filter.no')}</dd>
      </dl>
    </>
  );
}
