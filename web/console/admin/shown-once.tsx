/**
 * A one-time secret (an invitation link, a TOTP reset token, a webhook's signing secret) shown
 * once: the API never gives it again, so the admin copies it now and hands it over out of band.
 */
import { useId } from 'preact/hooks';
import { t } from '../i18n.js';
import { useCopy } from '../ui/use-copy.js';

export function ShownOnce({ title, intro, value, onDone }: { title: string; intro: string; value: string; onDone: () => void }) {
  const { copied, copy } = useCopy();
  const id = useId();
  return (
    <section class="card alert-warn" aria-labelledby={`${id}-title`} data-shown-once>
      <h2 id={`${id}-title`}>{title}</h2>
      <p>{intro}</p>
      <p class="code" data-secret>
        {value}
      </p>
      <p class="actions">
        <button type="button" onClick={() => void copy(value)}>
          {t('admin.copy')}
        </button>
        <button type="button" onClick={onDone}>
          {t('admin.shownOnceDone')}
        </button>
      </p>
      {copied !== null && (
        <p class={copied ? 'alert alert-ok' : 'alert alert-error'} role="status">
          {copied ? t('admin.copied') : t('admin.copyFailed')}
        </p>
      )}
    </section>
  );
}
