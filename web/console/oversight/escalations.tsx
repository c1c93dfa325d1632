/**
 * The escalations addressed to the signed-in supervisor: the deadline steps of the ladder that
 * reached them (their own inbox, topic deadline.step), each with the case, the rule, the step that
 * fired and why it fires (policies/deadlines.yaml: a reminder before the due time, level 1 at it,
 * level 2 half a window later), its level and due time. Ids and codes only, as the inbox holds.
 */
import { useEffect, useState } from 'preact/hooks';
import { call, codeOf, type ResponseOf } from '../api.js';
import { formatDateTime, t } from '../i18n.js';
import { ruleText } from '../case/case-deadlines.js';
import { Problem } from '../ui/problem.js';

type Item = ResponseOf<'listNotifications'>['items'][number];

/** The step's name and why it fired (literal keys, which the catalogues' test checks). */
function stepText(step: unknown): { name: string; why: string } {
  if (step === 'reminder') return { name: t('oversight.step.reminder'), why: t('oversight.why.reminder') };
  if (step === 'level2') return { name: t('oversight.step.level2'), why: t('oversight.why.level2') };
  return { name: t('oversight.step.level1'), why: t('oversight.why.level1') };
}

export function Escalations() {
  const [items, setItems] = useState<Item[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    call('listNotifications', { query: { limit: '100' } }).then(
      (page) => setItems(page.items.filter((n) => n.topic === 'deadline.step' && n.payload.step !== 'reminder')),
      (err: unknown) => setError(codeOf(err)),
    );
  }, []);
  return (
    <section aria-labelledby="board-escalations">
      <h2 id="board-escalations">{t('oversight.escalations')}</h2>
      <Problem code={error} />
      {items === null ? (
        !error && <p aria-busy="true">{t('case.loading')}</p>
      ) : items.length === 0 ? (
        <p>{t('oversight.escalationsEmpty')}</p>
      ) : (
        <ul class="inbox">
          {items.map((n) => {
            const step = stepText(n.payload.step);
            const rule = typeof n.payload.rule === 'string' ? ruleText(n.payload.rule) : '';
            const dueAt = typeof n.payload.dueAt === 'string' ? n.payload.dueAt : null;
            return (
              <li key={n.id} class="card notice" data-escalation-step={String(n.payload.step ?? '')}>
                <p>
                  <strong>{rule}</strong> · {step.name} ({t('oversight.level', { level: String(n.payload.level ?? '') })})
                  {n.payload.markForHead === true && <> · {t('oversight.forHead')}</>}
                </p>
                <p>{step.why}</p>
                <p class="muted">
                  {dueAt && (
                    <>
                      {t('oversight.dueAt')} <time dateTime={dueAt}>{formatDateTime(dueAt)}</time>
                      {' · '}
                    </>
                  )}
                  {t('oversight.firedAt')} <time dateTime={n.createdAt}>{formatDateTime(n.createdAt)}</time>
                  {n.caseId && n.reference && (
                    <>
                      {' · '}
                      <a href={`/console/cases/${n.caseId}`}>{t('notifications.case', { reference: n.reference })}</a>
                    </>
                  )}
                </p>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
