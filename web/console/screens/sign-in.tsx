/** Password and TOTP. The password goes to the worker (Argon2id there); only the authKey leaves. */
import { useState } from 'preact/hooks';
import { codeOf } from '../api.js';
import { t } from '../i18n.js';
import { signIn } from '../session.js';
import { Field } from '../ui/field.js';
import { Problem } from '../ui/problem.js';

export function SignIn({ ended }: { ended: boolean }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(ended ? 'session_ended' : null);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(username.trim(), password, totp.trim());
      setPassword('');
    } catch (err) {
      setError(codeOf(err));
      setTotp('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card narrow" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">{t('signIn.title')}</h1>
      <p>{t('signIn.intro')}</p>
      <Problem code={error} />
      <form onSubmit={submit} noValidate>
        <Field label={t('signIn.username')} value={username} onValue={setUsername} autocomplete="username" autocapitalize="none" spellcheck={false} required />
        <Field label={t('signIn.password')} value={password} onValue={setPassword} type="password" autocomplete="current-password" required />
        <Field label={t('signIn.totp')} hint={t('signIn.totpHint')} value={totp} onValue={setTotp} inputMode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxLength={6} required />
        <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
          {busy ? t('signIn.working') : t('signIn.submit')}
        </button>
      </form>
      <p>
        <a href="/console/recover">{t('signIn.lostPassword')}</a>
      </p>
    </section>
  );
}
