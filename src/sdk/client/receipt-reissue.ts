import type { Static } from 'typebox';
import type { ReissueReceiptBody } from '../../contracts/case-receipt.js';
import { CryptoError } from '../crypto/errors.js';
import { deriveReceiptKeys, formatReceipt, generateReceipt, receiptPublicKey } from '../crypto/receipt.js';
import { wipe } from '../crypto/sodium.js';
import { prepareRekey, type RekeyBundle, type RekeyRecipient } from './rekey.js';

/** The body of POST /v1/cases/:caseId/receipt, as its contract declares it. */
export type ReceiptReissueBody = Static<typeof ReissueReceiptBody>;
export type ReceiptReissueCause = ReceiptReissueBody['cause'];

export interface PreparedReceiptReissue {
  body: ReceiptReissueBody;
  /** The new receipt, "4821 0937 5562 1048": shown once to the officer, who hands it to the defender. Never sent. */
  receipt: string;
  /** The new case key; the caller keeps it to read on, or wipes it. */
  dek: Uint8Array;
}

/**
 * Prepares the re-issue of a defender's receipt on the officer's client, when the defender's
 * receipt is lost or seized: a new receipt drawn here, its key pair derived as at filing
 * (Argon2id, about a tenth of a second), and a re-key (prepareRekey) in which the defender's
 * envelope goes to the new receipt key and the old receipt key gets none. Whoever holds the old
 * receipt then opens nothing written afterwards, and the server stops its login.
 *
 * `bundle` is GET /v1/cases/:caseId/rekey, `oldDek` the case key opened from it (openRekeyDek),
 * `receiptSalt` the deployment's (GET /v1/keys/intake), `recipients` every other reader of the
 * case at their current key (the mechanism key pinned by the client, never the server's word):
 * the defender is added here. The body carries the new receipt's verifier, keyId and public key
 * only; the receipt, its authKey and its private key are wiped or returned, never in the body.
 *
 * The staff key of the internal notes is left as it is: the defender never holds it, so whoever
 * has the old receipt never could open a note, and the notes keep their key and their readers.
 */
export function prepareReceiptReissue(input: { bundle: RekeyBundle; oldDek: Uint8Array; receiptSalt: string; recipients: RekeyRecipient[]; cause: ReceiptReissueCause; receipt?: string }): PreparedReceiptReissue {
  const { bundle, oldDek, recipients } = input;
  const defender = bundle.envelopes.find((e) => e.recipientType === 'defender');
  if (!defender) throw new Error('the case has no defender envelope: there is no receipt to replace');
  if (recipients.some((r) => r.recipientType === 'defender')) throw new Error("recipients are the case's other readers: the defender's envelope goes to the new receipt key");
  const receipt = input.receipt ?? generateReceipt();
  const keys = deriveReceiptKeys(receipt, input.receiptSalt);
  try {
    if (keys.keyId === defender.keyId) throw new CryptoError('key_id_mismatch', 'this is the current receipt: draw a new one');
    const { body, dek } = prepareRekey({
      bundle: { ...bundle, staff: null },
      oldDek,
      revoke: [],
      recipients: [...recipients, { keyId: keys.keyId, publicKey: keys.keyPair.publicKey, recipientType: 'defender', recipientId: defender.recipientId }],
    });
    const { revoke: _none, ...rekeyed } = body;
    return { body: { ...rekeyed, cause: input.cause, receipt: { verifier: keys.verifier, keyId: keys.keyId, publicKey: receiptPublicKey(keys) } }, receipt: formatReceipt(receipt), dek };
  } finally {
    wipe(keys.authKey, keys.keyPair.privateKey);
  }
}
