/**
 * My account: who I am and my key's fingerprint, a password change (the worker re-wraps the same
 * key; the current password and a code prove it is me), and the way to end every session of the
 * account at once, this one included.
 */
import { useState } from 'preact/hooks';
import { call, codeOf, forgetTokens } from '../api.js';
import { crypto } from '../crypto-client.js';
import { t } from '../i18n.js';
import { fingerprintOf } from '../keys/pinned-keys.js';
import { account, passwordChanged } from '../session.js';
import { Field } from '../ui/field.js';
import { NewPassword, passwordProblem } from '../ui/new-password.js';
import { Problem } from '../ui/problem.js';

function ChangePassword() {
  const [current, setCurrent] = useState('');
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [totp, setTotp] = useState('');
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [changed, setChanged] = useState(false);
  const problem = tried ? passwordProblem(password, again) : null;

  const submit = async (event: Event) => {
    event.preventDefault();
    setTried(true);
    setChanged(false);
    const me = account.value;
    if (!me || passwordProblem(password, again)) return;
    setBusy(true);
    setError(null);
    try {
      const params = await call('prelogin', { body: { username: me.username } });
      const m = await crypto({ op: 'changePassword', currentPassword: current, params, wrappedPrivateKey: me.wrappedPrivateKey, keyId: me.keyId, newPassword: password });
      await call('changePassword', { body: { currentAuthKey: m.currentAuthKey, totp: totp.trim(), salt: m.salt, verifier: m.verifier, wrappedPrivateKey: m.wrappedPrivateKey } });
      passwordChanged(await call('prelogin', { body: { username: me.username } }), await call('getMe'));
      setCurrent('');
      setPassword('');
      setAgain('');
      setTried(false);
      setChanged(true);
    } catch (err) {
      const code = codeOf(err);
      // Ended elsewhere (log out everywhere, a recovery): this tab's session is over too.
      if (code === 'session_ended') forgetTokens();
      else setError(code);
    } finally {
      setTotp('');
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="password-title">
      <h2 id="password-title">{t('account.passwordTitle')}</h2>
      {changed && (
        <p class="alert alert-ok" role="status">
          {t('account.passwordChanged')}
        </p>
      )}
      <Problem code={error} />
      <form onSubmit={submit} noValidate>
        <Field label={t('account.currentPassword')} value={current} onValue={setCurrent} type="password" autocomplete="current-password" required />
        <NewPassword password={password} again={again} onPassword={setPassword} onAgain={setAgain} problem={problem} />
        <Field label={t('signIn.totp')} hint={t('signIn.totpHint')} value={totp} onValue={setTotp} inputMode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxLength={6} required />
        <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
          {t('account.changePassword')}
        </button>
      </form>
    </section>
  );
}

function EndSessions() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      // The client forgets the token pair with it: this tab's session ends, and the sign-in form says so.
      await call('logOutEverywhere');
    } catch (err) {
      setError(codeOf(err));
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">{t('account.sessionsTitle')}</h2>
      <p>{t('account.sessionsIntro')}</p>
      <Problem code={error} />
      <button type="button" disabled={busy} aria-busy={busy} onClick={() => void submit()}>
        {t('account.logOutEverywhere')}
      </button>
    </section>
  );
}

export function Account() {
  const me = account.value;
  if (!me) return null;
  return (
    <div class="stack">
      <section class="card" aria-labelledby="account-title">
        <h1 id="account-title">{t('account.title')}</h1>
        <dl class="facts">
          <dt>{t('signIn.username')}</dt>
          <dd>{me.username}</dd>
          <dt>{t('account.role')}</dt>
          <dd>{t(`role.${me.role}`)}</dd>
          <dt>{t('account.keyId')}</dt>
          <dd class="code">{fingerprintOf(me.keyId)}</dd>
        </dl>
        <p class="hint">{t('account.keyIdHint')}</p>
      </section>
      <ChangePassword />
      <EndSessions />
    </div>
  );
}
