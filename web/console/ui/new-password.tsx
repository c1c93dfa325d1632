/**
 * A new password, typed twice. The server never sees it (only a key derived from it), so it
 * cannot check its length: the console does, and says so before anything is derived.
 */
import { t } from '../i18n.js';
import { Field } from './field.js';

const MIN_PASSWORD = 12;

/** The catalogue key of what is wrong with the pair, or null. */
export function passwordProblem(password: string, again: string): string | null {
  if ([...password].length < MIN_PASSWORD) return 'password.tooShort';
  if (password !== again) return 'password.mismatch';
  return null;
}

interface Props {
  password: string;
  again: string;
  onPassword: (v: string) => void;
  onAgain: (v: string) => void;
  /** Shown once the person tried to go on. */
  problem: string | null;
}

export function NewPassword({ password, again, onPassword, onAgain, problem }: Props) {
  return (
    <>
      <Field
        label={t('password.new')}
        hint={t('password.rules', { min: MIN_PASSWORD })}
        value={password}
        onValue={onPassword}
        type="password"
        autocomplete="new-password"
        required
        error={problem === 'password.tooShort' ? t('password.tooShort', { min: MIN_PASSWORD }) : null}
      />
      <Field label={t('password.again')} value={again} onValue={onAgain} type="password" autocomplete="new-password" required error={problem === 'password.mismatch' ? t('password.mismatch') : null} />
    </>
  );
}
