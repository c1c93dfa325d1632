import { type KeyEnvelope, sealEnvelope } from './envelope.js';
import { generateDek } from './keys.js';
import { type SealedField, openField, sealField } from './sealed-field.js';
import { na } from './sodium.js';

/** A ciphertext and the AD it is bound to: a case field, a message body, a file key, ... */
export interface SealedItem<Id extends string = string> {
  id: Id;
  ad: string;
  sealed: string;
}

export interface Rekeyed<Id extends string = string> {
  dek: Uint8Array;
  items: Array<{ id: Id; ad: string; sealed: SealedField }>;
  envelopes: KeyEnvelope[];
}

/**
 * Removing a reader: a new DEK, every item re-encrypted under it (same AD), and envelopes
 * re-issued to the remaining readers only. A removed reader who kept the old DEK can read
 * nothing written after this. Fails whole (nothing returned) if any item does not open.
 */
export function rekey<Id extends string>(oldDek: Uint8Array, items: ReadonlyArray<SealedItem<Id>>, remainingReaders: Uint8Array[]): Rekeyed<Id> {
  const dek = generateDek();
  try {
    const out = items.map((item) => ({ id: item.id, ad: item.ad, sealed: sealField(openField(item.sealed, oldDek, item.ad), dek, item.ad) }));
    return { dek, items: out, envelopes: remainingReaders.map((pk) => sealEnvelope(dek, pk)) };
  } catch (err) {
    na().memzero(dek);
    throw err;
  }
}
