/**
 * After a rotation, the cases still sealed to a previous mechanism key: how many remain, with a
 * button that moves them onto the current key in this browser (rewrap.ts), with progress. It
 * starts by itself right after a rotation made on this screen; a run stopped half-way continues
 * with the same button, from what the server says remains. When none remain, the screen says so.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { useCommand } from '../ui/command-form.js';
import { Problem } from '../ui/problem.js';
import type { CustodyView } from './custody-view.js';
import { moveCasesToCurrentKey, type RewrapProgress } from './rewrap.js';

export function CustodyRewrap({ view, holder, start, onDone }: { view: CustodyView; holder: boolean; start: boolean; onDone: () => void }) {
  const [progress, setProgress] = useState<RewrapProgress | null>(null);
  // What this run set out to move (the cases sealed to a key the account holds), for the progress bar.
  const [total, setTotal] = useState(0);
  const started = useRef(false);
  const { busy, error, run } = useCommand();
  const remaining = progress?.remaining ?? view.casesOnOlderKeys;

  const move = () =>
    void run(async () => {
      let first = true;
      const last = await moveCasesToCurrentKey((p) => {
        if (first) setTotal(p.remaining - p.unreachable);
        first = false;
        setProgress(p);
      });
      setProgress(last);
      onDone();
    });

  // Right after a rotation made on this screen, the move starts by itself (once).
  useEffect(() => {
    if (start && holder && view.casesOnOlderKeys > 0 && !started.current) {
      started.current = true;
      move();
    }
  }, [start, holder, view]);

  if (view.olderKeys.length === 0 && remaining === 0) return null;
  const done = Math.max(total - (remaining - (progress?.unreachable ?? 0)), 0);
  return (
    <section aria-labelledby="custody-rewrap-title" class="card" data-rewrap-remaining={remaining}>
      <h2 id="custody-rewrap-title">{t('custody.rewrapTitle')}</h2>
      {/* A live region from the start: the count going down, then "none left", are announced. */}
      <div role="status">
        {remaining === 0 ? (
          <p class="alert alert-ok" data-rewrap="done">
            {t('custody.rewrapNone')}
          </p>
        ) : (
          <p data-rewrap="remaining">{t('custody.rewrapRemaining', { n: remaining })}</p>
        )}
      </div>
      {remaining > 0 && (
        <>
          <p>{t('custody.rewrapWhy')}</p>
          {total > 0 && (
            <>
              <label for="custody-rewrap-progress">{t('custody.rewrapProgress', { done, total })}</label>
              <progress id="custody-rewrap-progress" max={total} value={done} />
            </>
          )}
          {progress && progress.unreachable > 0 && <p class="alert alert-warn">{t('custody.rewrapUnreachable', { n: progress.unreachable })}</p>}
          {holder ? (
            <p class="actions">
              <button type="button" class="primary" disabled={busy} aria-busy={busy} onClick={move}>
                {progress ? t('custody.rewrapContinue') : t('custody.rewrapStart')}
              </button>
            </p>
          ) : (
            <p class="muted">{t('custody.rewrapHolders')}</p>
          )}
        </>
      )}
      <Problem code={error} />
    </section>
  );
}
