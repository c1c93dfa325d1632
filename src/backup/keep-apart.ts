/**
 * KEEP-APART.md, written into every backup: what the backup deliberately lacks and where the
 * operator keeps it instead. A backup holds only ciphertext and public keys; whoever steals it
 * without these learns nothing of the cases, and whoever loses these cannot run the restored
 * deployment as the same one.
 */
export function keepApartText(input: { createdAt: string; auditSigningPublicKey: string; mechanismKeys: Array<{ keyId: string; fingerprint: string; retiredAt: string | null }> }): string {
  const mechanism = input.mechanismKeys.map((k) => `  - ${k.fingerprint} (keyId ${k.keyId})${k.retiredAt ? `, retired ${k.retiredAt}` : ', current'}`).join('\n') || '  - (none yet: the deployment is not bootstrapped)';
  return `# What this backup does not hold: keep it apart

Backup of ${input.createdAt}. It holds the database (cases and files as ciphertext only), the
evidence files' ciphertext, the policies, the public keys and a manifest of SHA-256 hashes.
It holds no secret. Keep these elsewhere, each under its own protection, never beside the backup:

1. The server secrets of \`.env\` (or the secret store the deployment reads them from):
   - \`AUDIT_SIGNING_KEY\`: signs the audit checkpoints. Its public key, kept in
     keys/public-keys.json, is ${input.auditSigningPublicKey}. A restored deployment with another
     key still verifies the chain, but the stored checkpoints no longer verify under its key.
   - \`JWT_SIGNING_KEY\`: signs sessions (a new one only ends every session).
   - \`SERVER_SECRET\`: TOTP secrets, webhook secrets and webhook URLs are sealed under keys derived
     from it: without it every staff member's TOTP must be reset and every webhook set again.
   - \`METRICS_TOKEN\`, \`ONCALL_SMS_SECRET\`, \`S3_SECRET_ACCESS_KEY\`, \`SMTP_URL\` credentials.
   - the passwords in \`DATABASE_URL\` and \`DATABASE_OWNER_URL\`.
2. The Shamir shares of the mechanism key (the offline split backup made on the console's
   custody screen, k of n per policies/custody.yaml): printed codes, each with its custodian.
   If every supervisor who holds the mechanism key is gone, k codes rebuild it and the cases
   open again (README, "Backup and restore"). The mechanism key${input.mechanismKeys.length > 1 ? 's' : ''} of this backup:
${mechanism}
   Shares of a key retired before this backup open only the cases still sealed to that key.
3. The manifest's SHA-256, printed by \`egide backup\`: \`egide restore --manifest-sha256\` checks it,
   so a backup swapped as a whole is refused.

Staff private keys are never on the server: each person's key is wrapped by their password (and
their recovery code), which only they hold.
`;
}
