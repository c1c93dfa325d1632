/** The idle lock: the keys were wiped from the worker; the password opens them again, here. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { codeOf } from '../api.js';
import { t } from '../i18n.js';
import { account, signOut, unlock } from '../session.js';
import { Field } from '../ui/field.js';
import { Problem } from '../ui/problem.js';

export function Lock() {
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await unlock(password);
    } catch (err) {
      setError(codeOf(err));
    } finally {
      setPassword('');
      setBusy(false);
    }
  };

  return (
    <section class="card narrow" aria-labelledby="lock-title">
      <h1 id="lock-title" tabIndex={-1} ref={heading}>
        {t('lock.title')}
      </h1>
      <p>{t('lock.intro', { username: account.value?.username ?? '' })}</p>
      <Problem code={error} />
      <form onSubmit={submit} noValidate>
        <Field label={t('signIn.password')} value={password} onValue={setPassword} type="password" autocomplete="current-password" required />
        <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
          {t('lock.unlock')}
        </button>
      </form>
      <button type="button" class="link" onClick={() => void signOut()}>
        {t('nav.signOut')}
      </button>
    </section>
  );
}
