/**
 * The supervisors' oversight board: every case's metadata with the queue's filters, overdue cases
 * first (an escalation fires at the due time or after it, so escalated cases are among them), the
 * escalations addressed to the signed-in supervisor, the load per officer, and assigning a pool
 * case or reassigning an open one with a reason (the case key sealed to the new officer in the
 * crypto worker).
 */
import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso/router';
import { call, codeOf, type ResponseOf } from '../api.js';
import { t } from '../i18n.js';
import { loadCatalogues } from '../ui/catalogues.js';
import { Problem } from '../ui/problem.js';
import { useLatestRequest } from '../ui/use-latest-request.js';
import { SelectField, TextArea } from '../ui/choices.js';
import { useCommand } from '../ui/command-form.js';
import { QueueFilters, FILTER_KEYS } from '../queue/queue-filters.js';
import { QueueTable } from '../case/queue-table.js';
import { Escalations } from './escalations.js';
import { StaffLoad, type Load } from './staff-load.js';
import { assignPoolCase, handOverCase } from './hand-over.js';
import { OfficerKeyCheck, type OfficerKey } from '../keys/officer-key.js';

type Item = ResponseOf<'listCases'>['items'][number];
const PAGE = '25';

/** The list query of the URL's filters; `overdue` split into the part shown first and the rest. */
function listQuery(query: Record<string, string>, overdue: 'true' | 'false' | null, cursor: string | null): Record<string, string> {
  const q: Record<string, string> = { limit: PAGE };
  for (const k of FILTER_KEYS) if (query[k]) q[k] = query[k];
  if (overdue) q.overdue = overdue;
  if (cursor) q.cursor = cursor;
  return q;
}

export function Board() {
  const { query, route } = useLocation();
  const [items, setItems] = useState<Item[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [load, setLoad] = useState<Load | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = JSON.stringify(listQuery(query, null, null));
  const beginLoad = useLatestRequest();

  /** Overdue cases first (all of the first page), then the others, each in the queue's order. */
  const loadCases = async (after: string | null) => {
    const current = beginLoad();
    setError(null);
    try {
      if (after) {
        const page = await call('listCases', { query: listQuery(query, query.overdue ? null : 'false', after) });
        if (!current()) return;
        setItems((prev) => [...(prev ?? []), ...page.items]);
        setCursor(page.nextCursor);
        return;
      }
      if (query.overdue) {
        const page = await call('listCases', { query: listQuery(query, null, null) });
        if (!current()) return;
        setItems(page.items);
        setCursor(page.nextCursor);
        return;
      }
      const [late, rest] = await Promise.all([call('listCases', { query: { ...listQuery(query, 'true', null), limit: '100' } }), call('listCases', { query: listQuery(query, 'false', null) })]);
      if (!current()) return;
      setItems([...late.items, ...rest.items]);
      setCursor(rest.nextCursor);
    } catch (err) {
      if (current()) setError(codeOf(err));
    }
  };
  const loadLoad = async () => {
    try {
      setLoad(await call('getStaffLoad'));
    } catch (err) {
      setError(codeOf(err));
    }
  };

  useEffect(() => {
    void loadCatalogues().catch(() => undefined);
    setItems(null);
    void loadCases(null);
  }, [key]);
  useEffect(() => void loadLoad(), []);

  const go = (next: Record<string, string>) => {
    const q = new URLSearchParams(Object.entries(next).filter(([, v]) => v !== ''));
    const s = q.toString();
    route(`/console/board${s ? `?${s}` : ''}`);
  };

  return (
    <section aria-labelledby="board-title">
      <h1 id="board-title">{t('oversight.title')}</h1>
      <Escalations />
      <h2 id="board-cases">{t('oversight.cases')}</h2>
      <p class="hint">{t('oversight.casesHint')}</p>
      <QueueFilters tab="all" query={query} onApply={(filters) => go(filters)} />
      <Problem code={error} />
      <h3 id="queue-results">{t('oversight.caseList')}</h3>
      {items === null ? (
        <p aria-busy="true">{t('queue.loading')}</p>
      ) : items.length === 0 ? (
        <p>{t('queue.empty')}</p>
      ) : (
        <QueueTable items={items} canTake={false} onTake={async () => undefined} />
      )}
      {cursor && (
        <button type="button" onClick={() => void loadCases(cursor)}>
          {t('queue.more')}
        </button>
      )}
      <h2 id="board-load">{t('oversight.load')}</h2>
      {load ? <StaffLoad load={load} /> : <p aria-busy="true">{t('case.loading')}</p>}
      {items && load && (
        <Reassign
          items={items}
          load={load}
          onDone={async () => {
            await Promise.all([loadCases(null), loadLoad()]);
          }}
        />
      )}
    </section>
  );
}

/** Assign a pool case, or reassign an open one, to an active officer, with a reason. */
function Reassign({ items, load, onDone }: { items: Item[]; load: Load; onDone: () => Promise<void> }) {
  const [caseId, setCaseId] = useState('');
  const [officerId, setOfficerId] = useState('');
  const [reason, setReason] = useState('');
  const [officerKey, setOfficerKey] = useState<OfficerKey | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const { busy, error, setError, run } = useCommand();
  const open = items.filter((i) => i.state !== 'closed');
  const chosen = open.find((i) => i.id === caseId);
  const officers = load.items.filter((o) => o.role === 'officer' && o.status === 'active' && o.userId !== chosen?.assigneeId);
  // A pool case gets its key through the officer grant; any other is sealed here, to a checked key.
  const sealsKey = chosen !== undefined && chosen.state !== 'received';
  const submit = async (e: Event) => {
    e.preventDefault();
    setStatus(null);
    if (!chosen || !officerId || reason.trim().length < 3) return setError('validation_failed');
    if (sealsKey && officerKey?.userId !== officerId) return setError('key_not_confirmed');
    await run(async () => {
      if (!sealsKey) await assignPoolCase(chosen.id, officerId, reason.trim());
      else await handOverCase(chosen.id, officerKey!, reason.trim());
      const name = load.items.find((o) => o.userId === officerId)?.username ?? '';
      setStatus(t('oversight.reassigned', { reference: chosen.reference, name }));
      setCaseId('');
      setOfficerId('');
      setReason('');
      await onDone();
    });
  };
  return (
    <form class="card" aria-labelledby="board-reassign" onSubmit={(e) => void submit(e)}>
      <h2 id="board-reassign">{t('oversight.reassign')}</h2>
      <p class="hint">{t('oversight.reassignHint')}</p>
      <SelectField label={t('oversight.case')} value={caseId} onValue={setCaseId} options={open.map((i): [string, string] => [i.id, `${i.reference} · ${t(`state.${i.state}`)}`])} blank={t('oversight.choose')} />
      <SelectField label={t('oversight.officer')} value={officerId} onValue={setOfficerId} options={officers.map((o): [string, string] => [o.userId, t('oversight.officerOption', { name: o.username, n: String(o.open) })])} blank={t('oversight.choose')} />
      {sealsKey && officerId && <OfficerKeyCheck userId={officerId} name={load.items.find((o) => o.userId === officerId)?.username ?? ''} onKey={(k) => setOfficerKey(k ?? null)} />}
      <TextArea label={t('oversight.reason')} hint={t('oversight.reasonHint')} value={reason} onValue={setReason} maxLength={2000} rows={2} />
      <Problem code={error} />
      <p role="status" class={status ? 'alert alert-ok' : 'visually-hidden'}>
        {status ?? ''}
      </p>
      <p class="actions">
        <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
          {t('oversight.reassignSubmit')}
        </button>
      </p>
    </form>
  );
}
