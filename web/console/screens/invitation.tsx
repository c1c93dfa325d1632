/**
 * Accepting an invitation: the token comes in the link's fragment (never sent to a server, and
 * taken out of the address bar and history at once). The worker makes the key pair, the password
 * material and the recovery code; the person adds the TOTP secret to their app from a QR code
 * drawn here, proves it with a code, and writes the recovery code down before signing in.
 */
import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso/router';
import type { EnrolmentUpload } from '../../../src/sdk/index.js';
import { call, codeOf } from '../api.js';
import { crypto } from '../crypto-client.js';
import { t } from '../i18n.js';
import { Field } from '../ui/field.js';
import { NewPassword, passwordProblem } from '../ui/new-password.js';
import { Problem } from '../ui/problem.js';
import { RecoveryCode } from '../ui/recovery-code.js';
import { grouped, otpauthUri, TotpQr } from '../ui/totp-qr.js';

/** The token, read once from the fragment; the address bar no longer shows it. */
let heldToken: string | null = null;
function takeToken(): string {
  if (heldToken === null) {
    heldToken = location.hash.slice(1);
    if (location.hash) history.replaceState(null, '', '/console/invitation');
  }
  return heldToken;
}

interface Made {
  upload: EnrolmentUpload;
  totpSecret: string;
  recoveryCode: string;
}

export function Invitation() {
  const { route } = useLocation();
  const [token] = useState(takeToken);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [tried, setTried] = useState(false);
  const [totp, setTotp] = useState('');
  const [made, setMade] = useState<Made | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const valid = /^[A-Za-z0-9_-]{43}$/.test(token);
  const problem = tried ? passwordProblem(password, again) : null;

  const makeKeys = async (event: Event) => {
    event.preventDefault();
    setTried(true);
    if (passwordProblem(password, again) || !username.trim()) return;
    setBusy(true);
    setError(null);
    try {
      const e = await crypto({ op: 'enrol', password });
      setMade({ upload: e.upload, totpSecret: e.totpSecret, recoveryCode: e.recoveryCode });
      setPassword('');
      setAgain('');
    } catch (err) {
      setError(codeOf(err));
    } finally {
      setBusy(false);
    }
  };

  const confirm = async (event: Event) => {
    event.preventDefault();
    if (!made) return;
    setBusy(true);
    setError(null);
    try {
      const user = await call('completeEnrolment', { body: { token, ...made.upload, totpSecret: made.totpSecret, totpCode: totp.trim() } });
      // Signing in opens the key again from the password: nothing needs to stay in the worker.
      await crypto({ op: 'lock' });
      setUsername(user.username);
      setDone(true);
    } catch (err) {
      setError(codeOf(err));
      setTotp('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card narrow" aria-labelledby="invitation-title">
      <h1 id="invitation-title">{t('invitation.title')}</h1>
      {!valid ? (
        <p class="alert alert-error" role="alert">
          {t('invitation.noToken')}
        </p>
      ) : done && made ? (
        <>
          <h2>{t('invitation.step3')}</h2>
          <RecoveryCode code={made.recoveryCode} username={username.trim()} onDone={() => route('/console')} />
        </>
      ) : made ? (
        <>
          <h2>{t('invitation.step2')}</h2>
          <p>{t('invitation.scan')}</p>
          <TotpQr uri={otpauthUri(username.trim(), made.totpSecret)} label={t('invitation.qrLabel')} />
          <p>{t('invitation.secretText')}</p>
          <p class="code" data-secret>
            {grouped(made.totpSecret)}
          </p>
          <Problem code={error} />
          <form onSubmit={confirm} noValidate>
            <Field label={t('signIn.totp')} hint={t('signIn.totpHint')} value={totp} onValue={setTotp} inputMode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxLength={6} required />
            <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
              {t('invitation.confirm')}
            </button>
          </form>
        </>
      ) : (
        <>
          <h2>{t('invitation.step1')}</h2>
          <p>{t('invitation.intro')}</p>
          <Problem code={error} />
          <form onSubmit={makeKeys} noValidate>
            <Field
              label={t('signIn.username')}
              hint={t('invitation.usernameHint')}
              value={username}
              onValue={setUsername}
              autocomplete="username"
              autocapitalize="none"
              spellcheck={false}
              required
              error={tried && !username.trim() ? t('invitation.usernameMissing') : null}
            />
            <NewPassword password={password} again={again} onPassword={setPassword} onAgain={setAgain} problem={problem} />
            <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
              {busy ? t('invitation.working') : t('invitation.makeKeys')}
            </button>
          </form>
        </>
      )}
    </section>
  );
}
