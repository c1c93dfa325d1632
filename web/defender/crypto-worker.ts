/**
 * The crypto worker: libsodium (WebAssembly) and every key live here, off the page's thread, so
 * that the Argon2id derivation of the receipt (64 MiB, a few seconds on a modest phone) never
 * freezes the page, and so that the page loads fast: this bundle (the big one) is fetched only
 * when the person starts typing or comes back with a receipt.
 */
/// <reference lib="webworker" />
import {
  CryptoError,
  deriveReceiptKeys,
  keyIdOf,
  openEnvelope,
  openField,
  prepareFiling,
  ready,
  sealField,
  toB64u,
  wipe,
  type BoxKeyPair,
  type JsonValue,
  type KeyEnvelope,
} from '../../src/sdk/index.js';
import { serveWorker } from '../common/worker-rpc.js';
import type { CryptoRequest, CryptoResults } from './protocol.js';

declare const self: DedicatedWorkerGlobalScope;

let defenderKeys: BoxKeyPair | null = null;
let caseKey: Uint8Array | null = null;

function forget(): void {
  if (defenderKeys) wipe(defenderKeys.privateKey);
  if (caseKey) wipe(caseKey);
  defenderKeys = null;
  caseKey = null;
}

async function handle(request: CryptoRequest): Promise<CryptoResults[CryptoRequest['op']]> {
  await ready();
  switch (request.op) {
    case 'ready':
      return null;
    case 'file': {
      forget();
      const { intakeKey, pinnedKeyId, metadata, secrets, caseId, receipt } = request;
      const prepared = prepareFiling({ intakeKey, pinnedKeyId, metadata, secrets, ...(caseId ? { caseId } : {}), ...(receipt ? { receipt } : {}) });
      // The defender goes on to follow the case with the keys of this receipt: no second Argon2id run.
      defenderKeys = prepared.receiptKeys.keyPair;
      const authKey = toB64u(prepared.receiptKeys.authKey);
      wipe(prepared.receiptKeys.authKey);
      return { body: prepared.body, receipt: prepared.receipt, authKey };
    }
    case 'unlock': {
      forget();
      const keys = deriveReceiptKeys(request.receipt, request.receiptSalt);
      defenderKeys = keys.keyPair;
      const authKey = toB64u(keys.authKey);
      wipe(keys.authKey);
      return { authKey };
    }
    case 'openCaseKey': {
      const keys = defenderKeys ?? fail('locked', 'no receipt has been entered');
      const mine = request.envelopes.find((e) => e.keyId === keyIdOf(keys.publicKey)) ?? fail('key_id_mismatch', 'no envelope for this receipt');
      if (caseKey) wipe(caseKey);
      caseKey = openEnvelope(mine as KeyEnvelope, keys);
      return null;
    }
    case 'open': {
      const dek = caseKey ?? fail('locked', 'the case key is not open');
      return request.items.map(({ sealed, ad }) => {
        try {
          return openField(sealed, dek, ad);
        } catch {
          return null;
        }
      });
    }
    case 'seal': {
      const dek = caseKey ?? fail('locked', 'the case key is not open');
      return sealField(request.value as JsonValue, dek, request.ad);
    }
    case 'forget':
      forget();
      return null;
  }
}

function fail(code: string, message: string): never {
  throw Object.assign(new Error(message), { code });
}

serveWorker<CryptoRequest>(self, handle, (err) => (err instanceof CryptoError ? err.code : ((err as { code?: string }).code ?? 'crypto_failed')));
