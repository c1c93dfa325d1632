import type { Static } from 'typebox';
import type { IntakeBody } from '../../contracts/case.js';
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

/** The body of POST /v1/cases, as its contract declares it. */
export type FilingBody = Static<typeof IntakeBody>;
/** The codes of a request, in the clear: what the mechanism triages on. */
export type FilingMetadata = FilingBody['metadata'];

export interface PreparedFiling {
  /** The body of POST /v1/cases. */
  body: FilingBody;
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
    const seal = (name: keyof FilingSecrets, value: JsonValue): SealedField => sealField(value, dek, caseFieldAd(caseId, name));
    const { identity, contact, narrative, location, relatives } = input.secrets;
    const fields: FilingBody['fields'] = {
      identity: seal('identity', identity),
      contact: seal('contact', contact),
      ...(location !== undefined ? { location: seal('location', location) } : {}),
      narrative: seal('narrative', narrative),
      ...(relatives !== undefined ? { relatives: seal('relatives', relatives) } : {}),
    };
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
