/**
 * Recovery with the recovery code: the code opens the private key in the worker (the server only
 * hands out the wrap and a challenge sealed to the key), a new password wraps it again, a NEW
 * recovery code replaces the one just used, and every session of the account ends.
 */
import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso/router';
import { call, codeOf } from '../api.js';
import { crypto } from '../crypto-client.js';
import { t } from '../i18n.js';
import { Field } from '../ui/field.js';
import { NewPassword, passwordProblem } from '../ui/new-password.js';
import { Problem } from '../ui/problem.js';
import { RecoveryCode } from '../ui/recovery-code.js';

export function Recover() {
  const { route } = useLocation();
  const [username, setUsername] = useState('');
  const [code, setCode] = useState('');
  const [opened, setOpened] = useState<{ challengeId: string; answer: string; publicKey: string } | null>(null);
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [tried, setTried] = useState(false);
  const [totp, setTotp] = useState('');
  const [newCode, setNewCode] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const problem = tried ? passwordProblem(password, again) : null;

  /** A challenge answered by the key the code opens (a fresh one after a refused finish: each is used once). */
  const open = async () => {
    const start = await call('startRecovery', { body: { username: username.trim() } });
    const r = await crypto({ op: 'recoveryOpen', recoveryCode: code, recoveryWrap: start.recoveryWrap, challenge: start.challenge });
    const next = { challengeId: start.challengeId, ...r };
    setOpened(next);
    return next;
  };

  const first = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await open();
    } catch (err) {
      setError(codeOf(err));
    } finally {
      setBusy(false);
    }
  };

  const finish = async (event: Event) => {
    event.preventDefault();
    setTried(true);
    if (passwordProblem(password, again)) return;
    setBusy(true);
    setError(null);
    try {
      const o = opened ?? (await open());
      const m = await crypto({ op: 'recoveryRewrap', password });
      const { recoveryCode, ...material } = m;
      await call('finishRecovery', { body: { username: username.trim(), challengeId: o.challengeId, answer: o.answer, totp: totp.trim(), publicKey: o.publicKey, ...material } });
      await crypto({ op: 'lock' });
      setCode('');
      setPassword('');
      setAgain('');
      setNewCode(recoveryCode);
    } catch (err) {
      setError(codeOf(err));
      setTotp('');
      setOpened(null);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card narrow" aria-labelledby="recover-title">
      <h1 id="recover-title">{t('recover.title')}</h1>
      {newCode ? (
        <>
          <p class="alert alert-ok" role="status">
            {t('recover.done')}
          </p>
          <h2>{t('recover.newCode')}</h2>
          <RecoveryCode code={newCode} username={username.trim()} onDone={() => route('/console')} />
        </>
      ) : !opened && !tried ? (
        <>
          <p>{t('recover.intro')}</p>
          <Problem code={error} />
          <form onSubmit={first} noValidate>
            <Field label={t('signIn.username')} value={username} onValue={setUsername} autocomplete="username" autocapitalize="none" spellcheck={false} required />
            <Field label={t('recover.code')} hint={t('recover.codeHint')} value={code} onValue={setCode} autocomplete="off" autocapitalize="none" spellcheck={false} required />
            <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
              {t('recover.next')}
            </button>
          </form>
          <p>
            <a href="/console">{t('recover.back')}</a>
          </p>
        </>
      ) : (
        <>
          <p class="alert alert-ok" role="status">
            {t('recover.opened')}
          </p>
          <Problem code={error} />
          <form onSubmit={finish} noValidate>
            <NewPassword password={password} again={again} onPassword={setPassword} onAgain={setAgain} problem={problem} />
            <Field label={t('signIn.totp')} hint={t('signIn.totpHint')} value={totp} onValue={setTotp} inputMode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxLength={6} required />
            <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
              {t('recover.finish')}
            </button>
          </form>
        </>
      )}
    </section>
  );
}
