/** What the custody screen shows, as getCustody answers it, and whether the signed-in person holds the current key. */
import type { ResponseOf } from '../api.js';
import type { Account } from '../session.js';

export type CustodyView = ResponseOf<'getCustody'>;
export type Holder = CustodyView['holders'][number];

export function holdsCurrent(view: CustodyView, me: Account | null): boolean {
  return !!me && !!view.key && me.keyring.some((k) => k.orgId === view.orgId && k.orgKeyId === view.key?.keyId);
}

export function keyringOf(me: Account | null): Array<{ orgKeyId: string; entry: string }> {
  return (me?.keyring ?? []).map((k) => ({ orgKeyId: k.orgKeyId, entry: k.entry }));
}
