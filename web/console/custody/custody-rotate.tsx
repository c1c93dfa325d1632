/**
 * Rotating the mechanism key when a holder leaves: the holders to keep are ticked (the one who
 * leaves is not), a new key is made in the worker and sealed to them (rotate.ts).
 */
import { useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { account } from '../session.js';
import { useCommand } from '../ui/command-form.js';
import { CustodyStep } from './custody-step.js';
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

  const rotate = () => {
    void run(async () => {
      const result = await rotateMechanismKey(view.orgId, key.keyId, [...keep]);
      setDone(t('custody.rotated', { n: result.holders }));
      onDone();
    });
  };

  return (
    <CustodyStep name="custody-rotate" title={t('custody.rotateTitle')} intro={t('custody.rotateIntro')} submit={t('custody.rotateSubmit')} busy={busy} error={error} done={done} onSubmit={rotate}>
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
    </CustodyStep>
  );
}
