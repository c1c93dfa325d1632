/**
 * The parts of a printed dossier: assessments, measures and referrals as their lists give them,
 * sealed parts opened in the worker (the page receives display text only), and the case's files.
 */
import type { ResponseOf } from '../api.js';
import { formatDateTime, hasText, lang, t } from '../i18n.js';
import { RiskBadge } from '../ui/badges.js';

type Version = ResponseOf<'listCaseAssessments'>['versions'][number];
type Measure = ResponseOf<'listCaseMeasures'>['items'][number];
type Referral = ResponseOf<'listCaseReferrals'>['items'][number];

/** A sealed part as the worker opened it: null when it did not open. */
export type Opened = string | null;

const codeText = (prefix: string, code: string): string => (hasText(`${prefix}.${code}`) ? t(`${prefix}.${code}`) : code);

/** `threats.0.facts` → "Threat 1: facts"; `reasoning.vulnerability` → "Reasoning: vulnerability". */
function assessmentFieldLabel(field: string): string {
  const parts = field.split('.');
  const last = codeText('dossier.part', parts[parts.length - 1] ?? field);
  if (parts[0] === 'threats' && parts.length === 3) return t('dossier.threatPart', { n: Number(parts[1]) + 1, part: last });
  if (parts[0] === 'reasoning' && parts.length === 2) return t('dossier.reasoningPart', { part: last });
  return field;
}

function OpenedText({ text }: { text: Opened }) {
  return text === null ? <p class="alert alert-error">{t('case.fieldUnopened')}</p> : <p class="sealed-text">{text}</p>;
}

export function DossierAssessments({ versions, opened }: { versions: Version[]; opened: Map<string, Opened> }) {
  if (versions.length === 0) return <p>{t('dossier.none')}</p>;
  return (
    <ol class="dossier-list">
      {versions.map((v) => (
        <li key={v.id}>
          <h3>{t('dossier.assessmentVersion', { version: v.version, at: formatDateTime(v.createdAt) })}</h3>
          <p class="badges">
            <RiskBadge level={v.level} />
          </p>
          <dl class="facts">
            <dt>{t('dossier.score')}</dt>
            <dd>{v.score === null ? '—' : String(v.score)}</dd>
            <dt>{t('dossier.vulnerability')}</dt>
            <dd>{v.vulnerability.rating}</dd>
            <dt>{t('dossier.capacity')}</dt>
            <dd>{v.capacity.rating}</dd>
            <dt>{t('dossier.threats')}</dt>
            <dd>{v.threats.length}</dd>
          </dl>
          {Object.keys(v.sealed).sort().map((field) => (
            <div key={field}>
              <h4>{assessmentFieldLabel(field)}</h4>
              <OpenedText text={opened.get(`${v.id}/${field}`) ?? null} />
            </div>
          ))}
        </li>
      ))}
    </ol>
  );
}

export function DossierMeasures({ items, opened, label }: { items: Measure[]; opened: Map<string, Opened>; label: (code: string) => string }) {
  if (items.length === 0) return <p>{t('dossier.none')}</p>;
  return (
    <ol class="dossier-list">
      {items.map((m) => (
        <li key={m.id}>
          <h3>{label(m.code)}</h3>
          <dl class="facts">
            <dt>{t('dossier.status')}</dt>
            <dd>{codeText('dossier.measureStatus', m.status)}</dd>
            <dt>{t('dossier.proposedAt')}</dt>
            <dd>{formatDateTime(m.proposedAt)}</dd>
            <dt>{t('dossier.implementer')}</dt>
            <dd>{codeText('dossier.implementerBy', m.implementer)}</dd>
            {m.urgent && (
              <>
                <dt>{t('dossier.urgentTrack')}</dt>
                <dd>{t('queue.filter.yes')}</dd>
              </>
            )}
            {m.endsAt && (
              <>
                <dt>{t('dossier.endsAt')}</dt>
                <dd>{formatDateTime(m.endsAt)}</dd>
              </>
            )}
            {m.decisionReason && (
              <>
                <dt>{t('dossier.decisionReason')}</dt>
                <dd>{m.decisionReason}</dd>
              </>
            )}
          </dl>
          {m.details !== null && (
            <>
              <h4>{t('dossier.details')}</h4>
              <OpenedText text={opened.get(m.id) ?? null} />
            </>
          )}
        </li>
      ))}
    </ol>
  );
}

export function DossierReferrals({ items }: { items: Referral[] }) {
  if (items.length === 0) return <p>{t('dossier.none')}</p>;
  return (
    <ol class="dossier-list">
      {items.map((r) => (
        <li key={r.id}>
          <h3>{r.orgName}</h3>
          <dl class="facts">
            <dt>{t('dossier.purpose')}</dt>
            <dd>{lang.value === 'fr' ? r.purposeLabel.fr : r.purposeLabel.en}</dd>
            <dt>{t('dossier.status')}</dt>
            <dd>{codeText('dossier.referralState', r.state)}</dd>
            <dt>{t('dossier.fields')}</dt>
            <dd>{r.fields.map((f) => (hasText(`case.field.${f}`) ? t(`case.field.${f}`) : f)).join(', ')}</dd>
            {r.createdAt && (
              <>
                <dt>{t('dossier.proposedAt')}</dt>
                <dd>{formatDateTime(r.createdAt)}</dd>
              </>
            )}
            {r.madeWithoutConsent && (
              <>
                <dt>{t('dossier.withoutConsent')}</dt>
                <dd>{t('queue.filter.yes')}</dd>
              </>
            )}
          </dl>
        </li>
      ))}
    </ol>
  );
}

/** Files of a case: there are none in egide yet; the heading is there for when there are. */
export function DossierFiles() {
  return <p>{t('dossier.noFile')}</p>;
}
