import { caseFieldAd } from '../crypto/associated-data.js';
import { sealEnvelope, type KeyEnvelope } from '../crypto/envelope.js';
import { generateDek, pinnedPublicKey } from '../crypto/keys.js';
import { deriveReceiptKeys, generateReceipt, receiptPublicKey, type ReceiptKeys } from '../crypto/receipt.js';
import { sealField, type JsonValue, type SealedField } from '../crypto/sealed-field.js';
import { wipe } from '../crypto/sodium.js';

/** What the intake endpoint publishes (GET /v1/keys/intake). */
export interface IntakeKeyInfo {
  publicKey: string;
  keyId: string;
  receiptSalt: string;
}

/** The sealed part of a request: what the defender typed, never sent in the clear. */
export interface FilingSecrets {
  identity: JsonValue;
  contact: JsonValue;
  narrative: JsonValue;
  location?: JsonValue;
  relatives?: JsonValue;
}

export interface FilingMetadata {
  region: string;
  defenderCategory: string;
  gender: string;
  disability: string;
  threatTypes: string[];
  claimedUrgent: boolean;
  preferredLanguage: string;
  contactChannel: string;
  filedFor: string;
  defenderCard?: boolean;
}

export interface PreparedFiling {
  /** The body of POST /v1/cases. */
  body: {
    caseId: string;
    metadata: FilingMetadata;
    fields: Partial<Record<keyof FilingSecrets, SealedField>>;
    envelopes: { mechanism: { keyId: string; envelope: string }; defender: { keyId: string; publicKey: string; envelope: string } };
    receiptVerifier: string;
  };
  /** Shown to the defender once: it is the only way back to the case. */
  receipt: string;
  /** The defender's keys from the receipt (for reading the case right away); wipe when done. */
  receiptKeys: ReceiptKeys;
  /** The DEK sealed to each of `alsoSealTo` (e.g. the officer recording a statement). */
  extraEnvelopes: KeyEnvelope[];
}

/**
 * Prepares a protection request on the defender's device: a new case id and key (DEK), every
 * sensitive field sealed under it, the DEK sealed to the mechanism key (checked against the keyId
 * the page pins, never the server's word) and to the defender's own key from a fresh receipt.
 * The DEK is wiped before returning. Argon2id runs once (about a tenth of a second).
 */
export function prepareFiling(input: { intakeKey: IntakeKeyInfo; pinnedKeyId: string; metadata: FilingMetadata; secrets: FilingSecrets; caseId?: string; receipt?: string; alsoSealTo?: Uint8Array[] }): PreparedFiling {
  const mechanismKey = pinnedPublicKey(input.intakeKey.publicKey, input.pinnedKeyId);
  const caseId = input.caseId ?? globalThis.crypto.randomUUID();
  const receipt = input.receipt ?? generateReceipt();
  const receiptKeys = deriveReceiptKeys(receipt, input.intakeKey.receiptSalt);
  const dek = generateDek();
  try {
    const fields: Partial<Record<keyof FilingSecrets, SealedField>> = {};
    for (const [name, value] of Object.entries(input.secrets) as Array<[keyof FilingSecrets, JsonValue | undefined]>) {
      if (value !== undefined) fields[name] = sealField(value, dek, caseFieldAd(caseId, name));
    }
    const mechanism = sealEnvelope(dek, mechanismKey);
    const defender = sealEnvelope(dek, receiptKeys.keyPair.publicKey);
    return {
      body: {
        caseId,
        metadata: input.metadata,
        fields,
        envelopes: { mechanism, defender: { ...defender, publicKey: receiptPublicKey(receiptKeys) } },
        receiptVerifier: receiptKeys.verifier,
      },
      receipt,
      receiptKeys,
      extraEnvelopes: (input.alsoSealTo ?? []).map((pk) => sealEnvelope(dek, pk)),
    };
  } finally {
    wipe(dek);
  }
}
