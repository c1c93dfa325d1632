/** Which retired keys of an organisation the signed-in person holds and can open, to pass on with a grant. */
import type { Account } from '../session.js';

/**
 * The retired keys of `orgId` in the account's keyring whose entry is sealed to the account's
 * registered key (an entry for a key pair they changed since no longer opens).
 */
export function heldRetiredKeyIds(me: Account | null, orgId: string): string[] {
  return (me?.keyring ?? []).filter((k) => k.orgId === orgId && !k.current && k.memberKeyId === me?.keyId).map((k) => k.orgKeyId);
}
