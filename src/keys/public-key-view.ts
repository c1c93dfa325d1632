

/** The fingerprint of a keyId (base64url of 16 bytes). */
export function fingerprintOf(keyId: string): string {
  const hex = Buffer.from(keyId, 'base64url').toString('hex').toUpperCase();
  return hex.match(/.{4}/g)!.join(' ');
}

export function publicKeyView(k: { keyId: string; publicKey: string }) {
  return { keyId: k.keyId, publicKey: k.publicKey, fingerprint: fingerprintOf(k.keyId) };
}
