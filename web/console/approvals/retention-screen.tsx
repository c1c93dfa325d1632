/**
 * The end of retention (listRetentionDue): closed cases whose retention period has ended. A
 * supervisor confirms each purge with a reason (the sealed content is erased; metadata, timeline
 * and audit log stay) or holds it with a reason (a procedure under way): a held case leaves the
 * list of what is due until the hold is released. The result of each command is said in words.
 */
import { useEffect, useState } from 'preact/hooks';
import { call, codeOf, type ResponseOf } from '../api.js';
import { formatDateTime, t } from '../i18n.js';
import { Problem } from '../ui/problem.js';
import { ReasonForm } from '../ui/reason-form.js';

type Item = ResponseOf<'listRetentionDue'>['items'][number];
type Open = { caseId: string; kind: 'purge' | 'hold' | 'release' } | null;

export function Retention() {
  const [due, setDue] = useState<Item[] | null>(null);
  const [held, setHeld] = useState<Item[] | null>(null);
  const [open, setOpen] = useState<Open>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);

  const load = () => {
    call('listRetentionDue', { query: { limit: '100' } }).then((r) => setDue(r.items), (err: unknown) => setError(codeOf(err)));
    call('listRetentionDue', { query: { limit: '100', held: 'true' } }).then((r) => setHeld(r.items), (err: unknown) => setError(codeOf(err)));
  };
  useEffect(load, []);
  const done = (message: string) => {
    setOpen(null);
    setStatus(message);
    load();
  };

  const send = (c: Item, kind: 'purge' | 'hold' | 'release') => async (reason: string) => {
    if (kind === 'purge') {
      const r = await call('purgeCase', { params: { caseId: c.caseId }, body: { reason } });
      done(t('retention.purged', { reference: r.reference, when: formatDateTime(r.purgedAt) }));
    } else if (kind === 'hold') {
      await call('holdRetention', { params: { caseId: c.caseId }, body: { reason } });
      done(t('retention.heldDone', { reference: c.reference }));
    } else {
      await call('releaseRetentionHold', { params: { caseId: c.caseId }, body: { reason } });
      done(t('retention.releasedDone', { reference: c.reference }));
    }
  };
  const label = (kind: 'purge' | 'hold' | 'release') => (kind === 'purge' ? t('retention.purge') : kind === 'hold' ? t('retention.hold') : t('retention.release'));
  const form = (c: Item) =>
    open?.caseId === c.caseId && (
      <ReasonForm key={open.kind} confirm={t('approvals.confirmCommand', { name: label(open.kind) })} {...(open.kind === 'purge' ? { hint: t('retention.purgeHint') } : {})} onCancel={() => setOpen(null)} send={send(c, open.kind)} />
    );
  const button = (c: Item, kind: 'purge' | 'hold' | 'release') => (
    <button type="button" data-command={kind} aria-expanded={open?.caseId === c.caseId && open.kind === kind} onClick={() => (setStatus(null), setOpen({ caseId: c.caseId, kind }))}>
      {label(kind)} <span class="visually-hidden">{c.reference}</span>
    </button>
  );

  return (
    <section aria-labelledby="retention-title">
      <h1 id="retention-title">{t('retention.title')}</h1>
      <p>{t('retention.intro')}</p>
      <Problem code={error} />
      <p role="status">{status ?? ''}</p>
      <h2>{t('retention.due')}</h2>
      {!due ? (
        <p aria-busy="true">{t('case.loading')}</p>
      ) : due.length === 0 ? (
        <p>{t('retention.noneDue')}</p>
      ) : (
        <ul class="approvals">
          {due.map((c) => (
            <li key={c.caseId} class="card approval" data-case-id={c.caseId}>
              <h3>
                <a href={`/console/cases/${c.caseId}`}>{t('approvals.case', { reference: c.reference })}</a>
              </h3>
              <p>
                {t('retention.closedAt')} {c.closedAt ? <time dateTime={c.closedAt}>{formatDateTime(c.closedAt)}</time> : '—'} · {t('retention.dueAt')} <time dateTime={c.dueAt}>{formatDateTime(c.dueAt)}</time>
              </p>
              <p class="actions">
                {button(c, 'purge')}
                {button(c, 'hold')}
              </p>
              {form(c)}
            </li>
          ))}
        </ul>
      )}
      <h2>{t('retention.held')}</h2>
      {!held ? (
        <p aria-busy="true">{t('case.loading')}</p>
      ) : held.length === 0 ? (
        <p>{t('retention.noneHeld')}</p>
      ) : (
        <ul class="approvals">
          {held.map((c) => (
            <li key={c.caseId} class="card approval" data-case-id={c.caseId}>
              <h3>
                <a href={`/console/cases/${c.caseId}`}>{t('approvals.case', { reference: c.reference })}</a>
              </h3>
              <p>
                {t('retention.heldSince')} <time dateTime={c.heldAt ?? c.dueAt}>{formatDateTime(c.heldAt ?? c.dueAt)}</time>
              </p>
              <p class="actions">{button(c, 'release')}</p>
              {form(c)}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
