import { CryptoError, fromB64u } from '../sdk/index.js';

const ENVELOPE_BYTES = 80; // crypto_box_seal of a 32-byte key

/**
 * A key envelope's shape (the server cannot open it): `v1.<b64u(80 bytes)>`. Every service that
 * stores an envelope (filing, case access, rekey, referral) checks it the same way.
 */
export function checkEnvelope(value: string): void {
  const [v, body, ...rest] = value.split('.');
  if (v !== 'v1' || body === undefined || rest.length > 0) throw new CryptoError('bad_format', 'must be v1.<b64u>');
  if (fromB64u(body).length !== ENVELOPE_BYTES) throw new CryptoError('bad_length', `must seal a 32-byte key (${ENVELOPE_BYTES} bytes)`);
}
