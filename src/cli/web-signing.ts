import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

/**
 * The offline Ed25519 key an operator signs the deployment manifest with (`egide web keygen`,
 * `egide web sign`). The private key stays off the server (a PKCS#8 PEM file); the public key
 * is published out of band (the institution's site, a poster, a press release) as base64url of
 * its 32 bytes, and `egide web verify --signing-key` checks the served signature with it.
 */

/** A new key pair: the private key as PKCS#8 PEM, the public key as base64url of its 32 bytes. */
export function newSigningKey(): { privatePem: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey: publicKeyText(publicKey) };
}

function publicKeyText(key: KeyObject): string {
  const x = key.export({ format: 'jwk' }).x;
  if (!x) throw new Error('not an Ed25519 key');
  return x;
}

/** Reads a private key file (PKCS#8 PEM, as `web keygen` writes it); refuses anything but Ed25519. */
export function readSigningKey(file: string): KeyObject {
  const key = createPrivateKey(readFileSync(file));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${file} is not an Ed25519 private key`);
  return key;
}

/** The public half of a private key, as published. */
export function publicKeyOf(privateKey: KeyObject): string {
  return publicKeyText(createPublicKey(privateKey));
}

/** The detached signature over the manifest's bytes, base64url (64 bytes). */
export function signManifest(manifest: Uint8Array, privateKey: KeyObject): string {
  return sign(null, manifest, privateKey).toString('base64url');
}

/**
 * A public key as given on the command line: base64url of its 32 bytes, or a file holding that,
 * or a PEM public key.
 */
export function parsePublicKey(value: string): KeyObject {
  const text = existsSync(value) ? readFileSync(value, 'utf8').trim() : value.trim();
  if (text.startsWith('-----BEGIN')) {
    const key = createPublicKey(text);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error('the signing key is not an Ed25519 public key');
    return key;
  }
  if (!/^[A-Za-z0-9_-]{43}$/.test(text)) throw new Error('the signing key is neither base64url of 32 bytes nor a PEM public key (nor a file holding one)');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: text }, format: 'jwk' });
}

/** Whether `signature` (base64url, as served) is the key's signature over the manifest's bytes. */
export function signatureHolds(manifest: Uint8Array, signature: string, publicKey: KeyObject): boolean {
  const bytes = Buffer.from(signature.trim(), 'base64url');
  if (bytes.length !== 64) return false;
  return verify(null, manifest, publicKey, bytes);
}
