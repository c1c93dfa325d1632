import { CryptoError, fromB64u, keyIdOf, parseWrappedKey } from '../sdk/index.js';
import { AppError } from '../lib/problem.js';

/** Checks the shapes of uploaded key material with the SDK's strict decoders; the server cannot check more (it cannot open them). */
export function checkKeyMaterial(input: { publicKey?: string; keyId?: string; salt?: string; verifier?: string; wrappedPrivateKey?: string; recoveryWrap?: string | undefined }): void {
  const problems: Array<{ field: string; message: string }> = [];
  const attempt = (field: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      problems.push({ field: `/body/${field}`, message: err instanceof CryptoError ? `${err.code}: ${err.message}` : 'is invalid' });
    }
  };
  const exact = (value: string, bytes: number) => {
    if (fromB64u(value).length !== bytes) throw new CryptoError('bad_length', `must be ${bytes} bytes`);
  };
  // v1.<24-byte nonce>.<48-byte ciphertext>: a wrap is never a (padded) sealed field.
  const wrap = (value: string) => void parseWrappedKey(value);
  const { publicKey, keyId, salt, verifier, wrappedPrivateKey, recoveryWrap } = input;
  if (publicKey !== undefined) attempt('publicKey', () => exact(publicKey, 32));
  if (publicKey !== undefined && keyId !== undefined) {
    attempt('keyId', () => {
      if (keyIdOf(fromB64u(publicKey)) !== keyId) throw new CryptoError('key_id_mismatch', 'keyId is not the keyId of publicKey');
    });
  }
  if (salt !== undefined) attempt('salt', () => exact(salt, 16));
  if (verifier !== undefined) attempt('verifier', () => exact(verifier, 32));
  if (wrappedPrivateKey !== undefined) attempt('wrappedPrivateKey', () => wrap(wrappedPrivateKey));
  if (recoveryWrap !== undefined) attempt('recoveryWrap', () => wrap(recoveryWrap));
  if (problems.length > 0) throw new AppError('validation_failed', 'key material is malformed', { errors: problems });
}

