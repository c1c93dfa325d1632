/**
 * Typed access to test/fixtures/crypto-v1.json, the interoperability vectors of scheme v1.
 *
 * The JSON is imported (not read with fs) so that a browser bundle can use this module too, and
 * so that tsc checks the declared shapes below against the file: a renamed or missing field in
 * the fixture fails the type-check instead of silently making a test vacuous. Byte strings stay
 * base64url text here; decoding needs libsodium, which a test loads with `ready()`.
 */
import fixture from '../fixtures/crypto-v1.json' with { type: 'json' };
import type { AuditEvent } from '../../src/sdk/index.js';

export interface KeyIdVector {
  publicKey: string;
  keyId: string;
}

export interface SealedFieldVector {
  dek: string;
  ad: string;
  nonce: string;
  /** Any JSON value; compared structurally after opening. */
  value: unknown;
  sealed: string;
}

export interface SealedFieldMustFailVector {
  dek: string;
  ad: string;
  sealed: string;
  why: string;
}

export interface KeyEnvelopeVector {
  /** 32-byte seed for `crypto_box_seed_keypair`. */
  recipientSeed: string;
  recipientPublicKey: string;
  recipientKeyId: string;
  envelope: string;
  dek: string;
}

export interface PasswordVector {
  password: string;
  salt: string;
  master: string;
  authKey: string;
  wrapKey: string;
  verifier: string;
  privateKey: string;
  publicKey: string;
  wrappedPrivateKey: string;
}

export interface ReceiptVector {
  receipt: string;
  digits: string;
  receiptSalt: string;
  authKey: string;
  verifier: string;
  defenderPublicKey: string;
  defenderKeyId: string;
}

export interface OrgKeyringVector {
  memberPrivateKey: string;
  memberPublicKey: string;
  entry: string;
  orgPrivateKey: string;
  orgPublicKey: string;
  orgKeyId: string;
}

export interface AuditChainEntryVector {
  event: AuditEvent;
  /** RFC 8785 canonical JSON of `event`. */
  canonical: string;
  /** hex chain hash after this event. */
  hash: string;
}

export interface AuditChainVector {
  /** hex, 32 zero bytes */
  genesis: string;
  entries: AuditChainEntryVector[];
}

export interface AuditCheckpointVector {
  signingPublicKey: string;
  /** `egide/v1/audit-checkpoint/<seq>/<hex hash>` of the chain's last entry. */
  message: string;
  signature: string;
}

export interface CryptoVectors {
  scheme: string;
  encoding: string;
  kdf: { alg: string; opslimit: number; memlimit: number };
  vectors: {
    keyId: KeyIdVector[];
    sealedField: SealedFieldVector[];
    sealedFieldMustFail: SealedFieldMustFailVector[];
    keyEnvelope: KeyEnvelopeVector[];
    password: PasswordVector[];
    receipt: ReceiptVector[];
    orgKeyring: OrgKeyringVector[];
    auditChain: AuditChainVector;
    auditCheckpoint: AuditCheckpointVector;
  };
}

/** JSON types `outcome` as string; narrowing it here keeps the cast out of every test. */
function auditEvent(e: (typeof fixture.vectors.auditChain.entries)[number]['event']): AuditEvent {
  if (e.outcome !== 'allowed' && e.outcome !== 'denied') {
    throw new Error(`crypto-v1.json: audit event ${e.seq} has outcome ${JSON.stringify(e.outcome)}`);
  }
  return { ...e, outcome: e.outcome };
}

/** Every entry not touched here is assigned as-is, so tsc checks it against the interfaces above. */
export const cryptoVectors: CryptoVectors = {
  ...fixture,
  vectors: {
    ...fixture.vectors,
    auditChain: {
      genesis: fixture.vectors.auditChain.genesis,
      entries: fixture.vectors.auditChain.entries.map((entry) => ({ ...entry, event: auditEvent(entry.event) })),
    },
  },
};

export const vectors = cryptoVectors.vectors;
