/**
 * The officer's queue: the intake pool (received, nobody assigned), the officer's own cases and,
 * for a supervisor, every case; filters of the case list kept in the URL query (codes only,
 * nothing secret), keyset pages ("Show more"), and "Take this case" on a pool row (acknowledge).
 * Roles without a queue get the home page, or for a partner member their organisation's referrals.
 */
import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso/router';
import { call, codeOf, transition, type ResponseOf } from '../api.js';
import { t } from '../i18n.js';
import { account } from '../session.js';
import { loadCatalogues } from '../ui/catalogues.js';
import { Problem } from '../ui/problem.js';
import { useLatestRequest } from '../ui/use-latest-request.js';
import { QueueFilters, FILTER_KEYS, filtersOf } from '../queue/queue-filters.js';
import { QueueCounts, type Counts } from '../queue/queue-counts.js';
import { SavedViews } from '../queue/saved-views.js';
import { QueueTable } from '../case/queue-table.js';
import { Home } from './home.js';
import { ReferralInbox } from '../lazy-screens.js';

type Item = ResponseOf<'listCases'>['items'][number];
type Tab = 'pool' | 'mine' | 'all';
const PAGE = '15';

/** The start page: the queue for officers and supervisors, a partner's referral inbox, the home page for the others. */
export function Start() {
  const role = account.value?.role;
  if (role === 'partner') return <ReferralInbox />;
  return role === 'officer' || role === 'supervisor' ? <Queue /> : <Home />;
}

/** A tab's name (literal keys, which the catalogues' test checks). */
function tabName(tab: Tab): string {
  return tab === 'pool' ? t('queue.tab.pool') : tab === 'mine' ? t('queue.tab.mine') : t('queue.tab.all');
}

function tabsOf(role: string | undefined): Tab[] {
  return role === 'supervisor' ? ['pool', 'mine', 'all'] : ['pool', 'mine'];
}

/** The list query of a tab and the filters of the URL. */
function listQuery(tab: Tab, query: Record<string, string>, cursor: string | null): Record<string, string> {
  const q: Record<string, string> = { limit: PAGE };
  for (const k of FILTER_KEYS) if (query[k]) q[k] = query[k];
  if (tab === 'pool') {
    q.state = 'received';
    q.assignee = 'none';
  } else if (tab === 'mine') q.assignee = 'me';
  if (cursor) q.cursor = cursor;
  return q;
}

/** A tab's name with its count ("Intake pool (3)"); every case in scope for the supervisor's tab. */
function tabLabel(tab: Tab, counts: Counts | null): string {
  const name = tabName(tab);
  if (!counts) return name;
  const n = tab === 'all' ? Object.values(counts.byState).reduce((a, b) => a + b, 0) : counts[tab];
  return t('queue.tabCount', { name, n });
}

function Queue() {
  const { query, route } = useLocation();
  const me = account.value;
  const tabs = tabsOf(me?.role);
  const tab: Tab = tabs.includes(query.tab as Tab) ? (query.tab as Tab) : 'pool';
  const [items, setItems] = useState<Item[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [counts, setCounts] = useState<Counts | null>(null);
  const key = JSON.stringify(listQuery(tab, query, null));
  const beginLoad = useLatestRequest();
  const beginCount = useLatestRequest();

  const load = async (after: string | null) => {
    const current = beginLoad();
    setBusy(true);
    setError(null);
    try {
      const page = await call('listCases', { query: listQuery(tab, query, after) });
      if (!current()) return;
      setItems((prev) => (after && prev ? [...prev, ...page.items] : page.items));
      setCursor(page.nextCursor);
    } catch (err) {
      if (current()) setError(codeOf(err));
    } finally {
      if (current()) setBusy(false);
    }
  };

  const count = async () => {
    const current = beginCount();
    try {
      const answer = await call('countCases');
      if (current()) setCounts(answer);
    } catch {
      // The counts are a convenience: the list itself says what failed.
      if (current()) setCounts(null);
    }
  };

  useEffect(() => {
    void loadCatalogues().catch(() => undefined);
    setItems(null);
    void load(null);
    void count();
  }, [key]);

  const take = async (item: Item) => {
    setError(null);
    setStatus(null);
    try {
      await transition(item.id, 'acknowledge');
      setStatus(t('queue.taken', { reference: item.reference }));
      await Promise.all([load(null), count()]);
    } catch (err) {
      setError(codeOf(err));
    }
  };

  const go = (next: Record<string, string>) => {
    const q = new URLSearchParams(Object.entries(next).filter(([, v]) => v !== ''));
    const s = q.toString();
    route(`/console${s ? `?${s}` : ''}`);
  };

  return (
    <section aria-labelledby="queue-title">
      <h1 id="queue-title">{t('queue.title')}</h1>
      <p class="muted">{t('home.signedInAs', { username: me?.username ?? '', role: t(`role.${me?.role ?? 'officer'}`) })}</p>
      <nav aria-label={t('queue.tabs')} class="tabs">
        <ul>
          {tabs.map((name) => (
            <li key={name}>
              <a href={`/console?tab=${name}`} aria-current={name === tab ? 'page' : undefined}>
                {tabLabel(name, counts)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <QueueCounts counts={counts} />
      <QueueFilters tab={tab} query={query} onApply={(filters) => go({ tab, ...filters })} />
      <Problem code={error} />
      <p role="status" class={status ? 'alert alert-ok' : 'visually-hidden'}>
        {status ?? ''}
      </p>
      <h2 id="queue-results">{tabName(tab)}</h2>
      {items === null ? (
        <p aria-busy="true">{t('queue.loading')}</p>
      ) : items.length === 0 ? (
        <p>{t('queue.empty')}</p>
      ) : (
        <QueueTable items={items} canTake={tab === 'pool' && me?.role === 'officer'} onTake={take} />
      )}
      {cursor && (
        <button type="button" onClick={() => void load(cursor)} disabled={busy} aria-busy={busy}>
          {t('queue.more')}
        </button>
      )}
      <SavedViews tab={tab} filters={filtersOf(query)} />
    </section>
  );
}
