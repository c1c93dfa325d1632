/**
 * The search key re-issued when a member leaves, and the cases re-indexed with the new key
 * (search/reissue.ts): what it does, how many cases no search finds until re-indexed, the button
 * of a supervisor who holds both the search key and the mechanism key, then the re-index with
 * progress. It starts right after the re-issue; a run stopped half-way continues with the same
 * button, from what the server says remains. The leave screen links here (#search-reissue).
 */
import { useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { account } from '../session.js';
import { useCommand } from '../ui/command-form.js';
import { Problem } from '../ui/problem.js';
import { reindexCases, reissueSearchKey } from '../search/reissue.js';
import type { CustodyView } from './custody-view.js';

export function SearchReissue({ view, holder, onDone }: { view: CustodyView; holder: boolean; onDone: () => void }) {
  const [remaining, setRemaining] = useState<number | null>(null);
  // How many cases this run set out to re-index, for the progress bar.
  const [total, setTotal] = useState(0);
  const [reissued, setReissued] = useState(false);
  const { busy, error, run } = useCommand();
  const me = account.value?.id;
  const holdsSearch = view.searchHolders.some((h) => h.userId === me && h.status === 'active' && !h.stale);
  if (view.searchHolders.length === 0) return null;
  const left = remaining ?? view.casesToReindex;

  const reindex = async () => {
    let first = true;
    await reindexCases((n) => {
      if (first) setTotal((old) => Math.max(old, n));
      first = false;
      setRemaining(n);
    });
  };

  const reissue = () =>
    void run(async () => {
      const n = await reissueSearchKey();
      setReissued(true);
      setTotal(n);
      setRemaining(n);
      await reindex();
      onDone();
    });

  const resume = () =>
    void run(async () => {
      await reindex();
      onDone();
    });

  const done = Math.max(total - left, 0);
  const able = holder && holdsSearch;
  return (
    <section id="search-reissue" aria-labelledby="search-reissue-title" class="card" data-reindex-remaining={left} data-search-generation={view.searchGeneration}>
      <h2 id="search-reissue-title">{t('custody.searchReissueTitle')}</h2>
      <p>{t('custody.searchReissueWhat')}</p>
      <p>{t('custody.searchReissueLeaver')}</p>
      <div role="status">
        {reissued && <p class="alert alert-ok">{t('custody.searchReissued')}</p>}
        {left > 0 ? (
          <p class="alert alert-warn" data-reindex="remaining">
            {t('custody.reindexRemaining', { n: left })}
          </p>
        ) : (
          (reissued || view.searchGeneration > 1) && (
            <p data-reindex="done">{t('custody.reindexNone')}</p>
          )
        )}
      </div>
      {total > 0 && (
        <>
          <label for="search-reindex-progress">{t('custody.reindexProgress', { done, total })}</label>
          <progress id="search-reindex-progress" max={total} value={done} />
        </>
      )}
      {able ? (
        <p class="actions">
          <button type="button" class="primary" disabled={busy} aria-busy={busy} onClick={reissue} data-search-reissue>
            {t('custody.searchReissueSubmit')}
          </button>{' '}
          {left > 0 && (
            <button type="button" disabled={busy} onClick={resume} data-search-reindex>
              {t('custody.reindexContinue')}
            </button>
          )}
        </p>
      ) : (
        <p class="muted">{t('custody.searchReissueHolders')}</p>
      )}
      <Problem code={error} />
    </section>
  );
}
