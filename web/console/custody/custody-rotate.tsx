/**
 * Rotating the mechanism key when a holder leaves: the holders to keep are ticked (the one who
 * leaves is not), a new key is made in the worker and sealed to them (rotate.ts).
 */
import { useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { account } from '../session.js';
import { useCommand } from '../ui/command-form.js';
import { Problem } from '../ui/problem.js';
import type { CustodyView } from './custody-view.js';
import { rotateMechanismKey } from './rotate.js';

export function CustodyRotate({ view, onDone }: { view: CustodyView; onDone: () => void }) {
  const me = account.value?.id;
  const others = view.holders.filter((h) => h.userId !== me && h.status === 'active' && !h.stale);
  const [keep, setKeep] = useState<Set<string>>(() => new Set(others.map((h) => h.userId)));
  const [done, setDone] = useState<string | null>(null);
  const { busy, error, run } = useCommand();
  const key = view.key;
  if (!key) return null;

  const toggle = (userId: string, on: boolean) => {
    const next = new Set(keep);
    if (on) next.add(userId);
    else next.delete(userId);
    setKeep(next);
  };

  const rotate = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const result = await rotateMechanismKey(view.orgId, key.keyId, [...keep]);
      setDone(t('custody.rotated', { n: result.holders }));
      onDone();
    });
  };

  return (
    <section aria-labelledby="custody-rotate-title" class="card">
      <h2 id="custody-rotate-title">{t('custody.rotateTitle')}</h2>
      <p>{t('custody.rotateIntro')}</p>
      <form onSubmit={rotate} noValidate>
        <fieldset>
          <legend>{t('custody.rotateKeep')}</legend>
          {others.length === 0 && <p class="muted">{t('custody.rotateOnlyYou')}</p>}
          {others.map((h) => (
            <p class="check" key={h.userId}>
              <input id={`keep-${h.userId}`} type="checkbox" checked={keep.has(h.userId)} onChange={(e) => toggle(h.userId, e.currentTarget.checked)} />
              <label for={`keep-${h.userId}`}>{h.username}</label>
            </p>
          ))}
        </fieldset>
        <p class="actions">
          <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
            {t('custody.rotateSubmit')}
          </button>
        </p>
      </form>
      <Problem code={error} />
      <div role="status">{done && <p class="alert alert-ok">{done}</p>}</div>
    </section>
  );
}
