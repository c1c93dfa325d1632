/**
 * What the page and its crypto worker say to each other. The worker holds every key (the
 * defender's key pair from the receipt, the case key); the page only ever sees plaintext it
 * typed or asked to open, sealed strings, and the authKey it sends to log in.
 */
import type { FilingMetadata, FilingSecrets, IntakeKeyInfo, JsonValue, PreparedFiling } from '../../src/sdk/index.js';

export type CryptoRequest =
  | { op: 'ready' }
  /** `caseId` and `receipt`: sealing again a request that may already have arrived keeps its identity (one request, one receipt). */
  | { op: 'file'; intakeKey: IntakeKeyInfo; pinnedKeyId: string; metadata: FilingMetadata; secrets: FilingSecrets; caseId?: string; receipt?: string }
  | { op: 'unlock'; receipt: string; receiptSalt: string }
  | { op: 'openCaseKey'; envelopes: Array<{ keyId: string; envelope: string }> }
  | { op: 'open'; items: Array<{ sealed: string; ad: string }> }
  | { op: 'seal'; value: JsonValue; ad: string }
  | { op: 'forget' };

export interface CryptoResults {
  ready: null;
  file: { body: PreparedFiling['body']; receipt: string; authKey: string };
  unlock: { authKey: string };
  openCaseKey: null;
  /** One entry per item: the opened value, or null when it did not open. */
  open: Array<JsonValue | null>;
  seal: string;
  forget: null;
}


