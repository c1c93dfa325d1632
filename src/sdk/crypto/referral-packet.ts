import { type KeyEnvelope, openEnvelope, sealEnvelope } from './envelope.js';
import { type BoxKeyPair, generateDek } from './keys.js';
import { referralFieldAd } from './associated-data.js';
import { type JsonValue, type SealedField, openField, sealField } from './sealed-field.js';
import { na } from './sodium.js';

/** What the referring officer's client uploads: chosen fields under a fresh referral DEK, and that DEK sealed to the partner organisation. */
export interface ReferralPacket {
  referralId: string;
  fields: Record<string, SealedField>;
  envelope: KeyEnvelope;
  /** The same referral DEK sealed to each of `copiesTo` (the referring staff, to read the partner's reports), in that order. */
  copies: KeyEnvelope[];
}

/**
 * Builds a referral packet from fields the officer's client has already opened. The partner
 * never receives the case DEK. `orgPublicKey` must come from `pinnedPublicKey` or the org's
 * registered key.
 */
export function createReferralPacket(referralId: string, fields: Record<string, JsonValue>, orgPublicKey: Uint8Array, copiesTo: Uint8Array[] = []): ReferralPacket {
  const dek = generateDek();
  try {
    // fromEntries defines own properties: assigning `obj[name]` would drop a field named "__proto__".
    const sealed: Record<string, SealedField> = Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, sealField(value, dek, referralFieldAd(referralId, name))]));
    return { referralId, fields: sealed, envelope: sealEnvelope(dek, orgPublicKey), copies: copiesTo.map((publicKey) => sealEnvelope(dek, publicKey)) };
  } finally {
    na().memzero(dek);
  }
}

/** The partner's client opens a packet with the organisation key pair (from its keyring entry). */
export function openReferralPacket(packet: Pick<ReferralPacket, 'referralId' | 'fields' | 'envelope'>, orgKeyPair: BoxKeyPair): Record<string, JsonValue> {
  const dek = openEnvelope(packet.envelope, orgKeyPair);
  try {
    return Object.fromEntries(Object.entries(packet.fields).map(([name, sealed]) => [name, openField(sealed, dek, referralFieldAd(packet.referralId, name))]));
  } finally {
    na().memzero(dek);
  }
}
