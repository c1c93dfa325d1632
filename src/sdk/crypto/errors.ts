/**
 * Every refusal of the crypto layer is a CryptoError with a stable `code`, so a caller (the
 * intake page, a CLI, a partner's client) can tell a tampered ciphertext from a typo in a
 * receipt without parsing messages. Messages name the problem but never include key material
 * or plaintext.
 */
export type CryptoErrorCode =
  /** `await ready()` was not called before a synchronous operation. */
  | 'not_ready'
  /** A versioned string had a version prefix this kind of value does not have (or none). */
  | 'unsupported_version'
  /** A string was not canonical base64url without padding. */
  | 'bad_base64url'
  /** A versioned string had the wrong number of parts. */
  | 'bad_format'
  /** A decoded byte string (nonce, ciphertext, salt, hash) had an impossible length. */
  | 'bad_length'
  /** A key was not of the size its algorithm needs. */
  | 'bad_key_size'
  /** Authentication failed: wrong key, other associated data, or altered ciphertext. */
  | 'decrypt_failed'
  /** A public key's keyId is not the one the caller pinned. */
  | 'key_id_mismatch'
  /** An associated-data part was empty or contained a separator. */
  | 'bad_associated_data'
  /** A value cannot be sealed (not JSON-serialisable) or did not open to JSON. */
  | 'bad_plaintext'
  /** A format-2 sealed field opened but its padding is missing or not the one canonical padding. */
  | 'bad_padding'
  /** A receipt was not 16 decimal digits once spaces and dashes are removed. */
  | 'bad_receipt'
  /** A recovery code was not 52 Crockford base32 characters. */
  | 'bad_recovery_code'
  /** KDF parameters offered by a server are not the scheme's. */
  | 'bad_kdf_params'
  /** A file stream was truncated, reordered or had data after its final chunk. */
  | 'bad_stream'
  /** A file's key record (file-key.ts) is not the canonical JSON of a version, format, key and header. */
  | 'bad_file_key'
  /** An audit event or checkpoint did not verify. */
  | 'bad_signature'
  /** A custody share code is malformed or its checksum does not match (a typo). */
  | 'bad_share_code'
  /** Custody share codes of different keys or splits, the same share twice, or fewer than the threshold. */
  | 'share_mismatch';

export class CryptoError extends Error {
  override readonly name = 'CryptoError';
  constructor(
    readonly code: CryptoErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isCryptoError(err: unknown, code?: CryptoErrorCode): err is CryptoError {
  return err instanceof CryptoError && (code === undefined || err.code === code);
}
