/**
 * The audit viewer (supervisors): every recorded decision, newest first, filtered by who, case,
 * action, outcome and time; pages follow the keyset of the chain (`next`), never an offset, so a
 * deep page over millions of events costs what the first does. Reading it is itself audited: the
 * supervisor's own reads appear in the list. Export and verification below: of the period the
 * filters show, or of the whole log.
 */
import { useEffect, useId, useState } from 'preact/hooks';
import { call, codeOf } from '../api.js';
import { t, timeZone } from '../i18n.js';
import { Field } from '../ui/field.js';
import { Problem } from '../ui/problem.js';
import { SelectField } from '../ui/choices.js';
import { AuditEvents, actionText, type AuditItem } from './audit-events.js';
import { AuditExport } from './audit-export.js';
import { AuditRangeExport } from './audit-range-export.js';

const PAGE = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ACTION = /^[a-z][a-z0-9_.]{0,99}$/;
/** The actions a supervisor looks for most; any other code may be typed. */
const COMMON_ACTIONS = ['case.read', 'case.read_sealed', 'case.timeline', 'break_glass.read', 'case.break_glass', 'case.export', 'audit.read', 'audit.verify', 'auth.login'];

export interface AuditQuery {
  actor?: string;
  caseId?: string;
  action?: string;
  outcome?: 'allowed' | 'denied';
  from?: string;
  to?: string;
}

/** Pages of one query: the items shown, and the keyset of the next page (null on the last). */
export function useAuditPages(query: AuditQuery) {
  const [items, setItems] = useState<AuditItem[] | null>(null);
  const [next, setNext] = useState<number | null>(null);
  const [page, setPage] = useState(1);
  const [error, setError] = useState<string | null>(null);
  const load = async (after: number | null, number: number) => {
    setError(null);
    try {
      const r = await call('listAuditEvents', { query: { ...query, limit: String(PAGE), ...(after !== null ? { after: String(after) } : {}) } });
      setItems(r.items);
      setNext(r.next);
      setPage(number);
    } catch (err) {
      setError(codeOf(err));
    }
  };
  const key = JSON.stringify(query);
  useEffect(() => void load(null, 1), [key]);
  return { items, error, page, more: next !== null, nextPage: () => void load(next, page + 1), firstPage: () => void load(null, 1) };
}

function DateField({ label, value, onValue }: { label: string; value: string; onValue: (v: string) => void }) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <p class="hint" id={`${id}-zone`}>
        {t('audit.filter.zone', { zone: timeZone.value })}
      </p>
      <input id={id} type="datetime-local" aria-describedby={`${id}-zone`} value={value} onInput={(e) => onValue(e.currentTarget.value)} />
    </div>
  );
}

/**
 * A datetime-local value as the API's instant, or undefined. It is read in the mechanism's time
 * zone, the one every date of the console is shown in, not the browser's: a supervisor abroad
 * asks for the same hours the log shows.
 */
function instant(local: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  // The zone's offset at that instant, found by reading the guess back in the zone (twice: a change of offset in between).
  const offsetAt = (at: number) => {
    const p = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone: timeZone.value, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(at).map((x) => [x.type, x.value]));
    return Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)) - at;
  };
  let at = wall - offsetAt(wall);
  at = wall - offsetAt(at);
  return Number.isNaN(at) ? undefined : new Date(at).toISOString();
}

export function AuditViewer() {
  const [actor, setActor] = useState('');
  const [caseId, setCaseId] = useState('');
  const [action, setAction] = useState('');
  const [outcome, setOutcome] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [staff, setStaff] = useState<Array<[string, string]>>([]);
  const [query, setQuery] = useState<AuditQuery>({});
  const [invalid, setInvalid] = useState<{ caseId?: string; action?: string }>({});
  const pages = useAuditPages(query);

  useEffect(() => {
    call('listStaffDirectory').then((r) => setStaff(r.items.map((m) => [`u:${m.userId}`, m.username] as [string, string])), () => undefined);
  }, []);

  const apply = (event: Event) => {
    event.preventDefault();
    const bad = { ...(caseId && !UUID.test(caseId.trim()) ? { caseId: t('audit.filter.caseInvalid') } : {}), ...(action && !ACTION.test(action.trim()) ? { action: t('audit.filter.actionInvalid') } : {}) };
    setInvalid(bad);
    if (Object.keys(bad).length) return;
    const q: AuditQuery = {};
    if (actor) q.actor = actor;
    if (caseId.trim()) q.caseId = caseId.trim().toLowerCase();
    if (action.trim()) q.action = action.trim();
    if (outcome === 'allowed' || outcome === 'denied') q.outcome = outcome;
    const f = instant(from);
    const u = instant(to);
    if (f) q.from = f;
    if (u) q.to = u;
    setQuery(q);
  };

  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">{t('audit.title')}</h1>
      <p>{t('audit.intro')}</p>
      <form class="filters card" onSubmit={apply} aria-labelledby="audit-filters-title">
        <h2 id="audit-filters-title">{t('audit.filter.title')}</h2>
        <SelectField label={t('audit.filter.actor')} options={[...staff, ['system', t('audit.actorSystem')]]} value={actor} onValue={setActor} blank={t('audit.filter.any')} />
        <Field label={t('audit.filter.case')} hint={t('audit.filter.caseHint')} value={caseId} onValue={setCaseId} maxLength={36} autocapitalize="none" spellcheck={false} error={invalid.caseId ?? null} />
        <Field label={t('audit.filter.action')} hint={t('audit.filter.actionHint', { examples: COMMON_ACTIONS.slice(0, 3).map(actionText).join(', ') })} value={action} onValue={setAction} maxLength={100} autocapitalize="none" spellcheck={false} error={invalid.action ?? null} />
        <SelectField label={t('audit.filter.outcome')} options={[['allowed', t('audit.outcome.allowed')], ['denied', t('audit.outcome.denied')]]} value={outcome} onValue={setOutcome} blank={t('audit.filter.any')} />
        <DateField label={t('audit.filter.from')} value={from} onValue={setFrom} />
        <DateField label={t('audit.filter.to')} value={to} onValue={setTo} />
        <button type="submit">{t('audit.filter.apply')}</button>
      </form>
      <AuditPages pages={pages} caption={t('audit.title')} />
      <AuditRangeExport from={query.from} to={query.to} />
      <AuditExport />
    </section>
  );
}

export function AuditPages({ pages, caption }: { pages: ReturnType<typeof useAuditPages>; caption: string }) {
  return (
    <section aria-labelledby="audit-page-title">
      <h2 id="audit-page-title">{t('audit.page', { page: pages.page })}</h2>
      <Problem code={pages.error} />
      {pages.items === null ? <p aria-busy="true">{t('case.loading')}</p> : <AuditEvents items={pages.items} caption={caption} />}
      <p class="audit-paging">
        {pages.page > 1 && (
          <button type="button" onClick={pages.firstPage}>
            {t('audit.firstPage')}
          </button>
        )}{' '}
        {pages.more && (
          <button type="button" onClick={pages.nextPage}>
            {t('audit.nextPage')}
          </button>
        )}
      </p>
    </section>
  );
}
