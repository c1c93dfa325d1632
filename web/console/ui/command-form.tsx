/**
 * What every command form of the case page shares: the focus taken into the form when it opens
 * (a keyboard user lands where the words go), the confirm and cancel buttons, and the command run
 * with its busy state and the problem's code when the API refuses it.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { codeOf } from '../api.js';
import { t } from '../i18n.js';

/** A ref for the form; once `ready`, its first control takes the focus. */
export function useFocusFirst(ready = true) {
  const ref = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (ready) ref.current?.querySelector<HTMLElement>('input, select, textarea')?.focus();
  }, [ready]);
  return ref;
}

/** The form's confirm (submit) and cancel buttons. */
export function FormButtons({ busy, confirm, onCancel }: { busy: boolean; confirm: string; onCancel: () => void }) {
  return (
    <p class="actions">
      <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
        {confirm}
      </button>
      <button type="button" onClick={onCancel}>
        {t('actions.cancel')}
      </button>
    </p>
  );
}

/** Runs a command once at a time: `busy` meanwhile, `error` the problem's code when it failed. */
export function useCommand() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (command: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await command();
    } catch (err) {
      setError(codeOf(err));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}
