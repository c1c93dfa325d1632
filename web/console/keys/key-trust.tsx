/**
 * A key about to be sealed to, with its fingerprint, checked against the one pinned at first use
 * (pinned-keys.ts). A key seen for the first time is pinned and its fingerprint shown to compare;
 * a key other than the pinned one is a warning, and nothing may be sealed to it until the person
 * ticks that they compared the new fingerprint with its holder (then it is pinned in its place).
 */
import { useEffect, useId, useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { account } from '../session.js';
import { Icon } from '../ui/badges.js';
import { consolePins, fingerprintOf, type PinState } from './pinned-keys.js';

interface KeyTrustProps {
  /** `org:<orgId>` or `user:<userId>`. */
  subject: string;
  keyId: string;
  /** The fingerprint the API gave; the one shown is recomputed from the keyId, and they must agree. */
  fingerprint?: string;
  /** True once the key may be sealed to: pinned already, first seen, or a change confirmed. */
  onTrusted: (trusted: boolean) => void;
}

export function KeyTrust({ subject, keyId, fingerprint, onTrusted }: KeyTrustProps) {
  const owner = account.value?.id ?? 'anonymous';
  const [pin, setPin] = useState<PinState | null>(null);
  const [checked, setChecked] = useState(false);
  const id = useId();
  const shown = fingerprintOf(keyId);
  const disagrees = fingerprint !== undefined && fingerprint !== shown;

  useEffect(() => {
    const pins = consolePins();
    const state = pins.check(owner, subject, keyId);
    // Trust on first use: the first key seen for this subject is the one later keys are compared with.
    if (state.state === 'new' && !disagrees) pins.pin(owner, subject, keyId);
    setPin(state);
    setChecked(false);
    onTrusted(!disagrees && state.state !== 'changed');
  }, [owner, subject, keyId]);

  const confirm = (yes: boolean) => {
    setChecked(yes);
    // Ticked, the new key replaces the pinned one; unticked again, the old pin comes back.
    if (pin?.state === 'changed') consolePins().pin(owner, subject, yes ? keyId : pin.pinnedKeyId);
    onTrusted(yes);
  };

  if (!pin) return null;
  if (disagrees) {
    return (
      <p class="alert alert-error" role="alert" data-code="key_id_mismatch">
        <Icon shape="triangle" /> {t('keys.mismatch')}
      </p>
    );
  }
  if (pin.state === 'changed') {
    return (
      <div class="alert alert-error key-changed" role="alert" data-key-id={keyId}>
        <p>
          <Icon shape="triangle" /> <strong>{t('keys.changed')}</strong>
        </p>
        <p>{t('keys.changedHint')}</p>
        <dl class="meta">
          <dt>{t('keys.previous')}</dt>
          <dd class="code">{fingerprintOf(pin.pinnedKeyId)}</dd>
          <dt>{t('keys.new')}</dt>
          <dd class="code fingerprint">{shown}</dd>
        </dl>
        <p class="check">
          <input id={`${id}-checked`} type="checkbox" checked={checked} onChange={(e) => confirm(e.currentTarget.checked)} />
          <label for={`${id}-checked`}>{t('keys.confirmChecked')}</label>
        </p>
        {checked && <p role="status">{t('keys.confirmed')}</p>}
      </div>
    );
  }
  return (
    <p role="status" class="fingerprint" data-key-id={keyId}>
      {subject.startsWith('org:') ? t('keys.orgFingerprint', { fingerprint: shown }) : t('actions.fingerprint', { fingerprint: shown })} <br />
      <span class="hint">{pin.state === 'new' ? t('actions.fingerprintHint') : t('keys.same')}</span>
    </p>
  );
}
