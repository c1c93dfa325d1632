/**
 * A recovery code, shown once: to print (only the code goes to the printer) or to save as a text
 * file made in the page (a data: link, nothing is fetched), and a box to tick before going on.
 */
import { useState } from 'preact/hooks';
import { t } from '../i18n.js';

export function RecoveryCode({ code, username, onDone }: { code: string; username: string; onDone: () => void }) {
  const [kept, setKept] = useState(false);
  const text = `${t('recoveryCode.fileTitle', { username })}\n\n${code}\n`;
  return (
    <div class="recovery">
      <p>{t('recoveryCode.intro')}</p>
      <div class="print-target">
        <p class="print-only">{t('recoveryCode.fileTitle', { username })}</p>
        <p class="code" aria-label={t('recoveryCode.label')}>
          {code}
        </p>
      </div>
      <div class="actions">
        <button type="button" onClick={() => window.print()}>
          {t('recoveryCode.print')}
        </button>
        <a class="button" download="egide-recovery-code.txt" href={`data:text/plain;charset=utf-8,${encodeURIComponent(text)}`}>
          {t('recoveryCode.download')}
        </a>
      </div>
      <div class="check">
        <input id="recovery-kept" type="checkbox" checked={kept} onChange={(e) => setKept(e.currentTarget.checked)} />
        <label for="recovery-kept">{t('recoveryCode.kept')}</label>
      </div>
      <button type="button" class="primary" disabled={!kept} onClick={onDone}>
        {t('recoveryCode.continue')}
      </button>
    </div>
  );
}
