import canonicalize from 'canonicalize';
import { CryptoError } from './errors.js';
import { assertKeySize, fromB64uExact, fromHex, toB64u, toHex, utf8 } from './encoding.js';
import { na } from './sodium.js';

/** Exactly the stored fields that enter the chain hash, in the names of the vectors. */
export interface AuditEvent {
  seq: number;
  /** RFC 3339 UTC with milliseconds, e.g. 2026-03-04T08:15:00.000Z */
  at: string;
  actor: string;
  role: string;
  action: string;
  resource: string;
  caseId: string | null;
  outcome: 'allowed' | 'denied';
  reason: string | null;
  requestId: string;
}

/** An event as exported or listed by the server, with the hash it claims. */
export interface ChainedAuditEvent extends AuditEvent {
  hash: string;
}

export interface SignedCheckpoint {
  seq: number;
  /** hex SHA-256 chain hash at `seq` */
  hash: string;
  /** b64u Ed25519 detached signature */
  signature: string;
}

export const GENESIS_HASH = '0'.repeat(64);
const HASH_BYTES = 32;

const json = JSON.stringify;

/**
 * RFC 8785 canonical JSON of exactly the chained fields: extra fields a server might add are
 * not hashed, and a missing one is an error rather than a silently different hash.
 *
 * Events of the expected shape (strings, `caseId`/`reason` null or string, a finite `seq`) take
 * a fast path: JCS of a fixed set of keys is those keys in sorted order with each value
 * serialised as JSON.stringify does, which is what `canonicalize` does too, without its generic
 * walk (sorting keys, a Set of seen objects, a surrogate scan per string). Anything else, and any
 * string that JSON.stringify had to escape as a lone surrogate (`\ud...`, which JCS refuses),
 * goes through the generic path, so both paths give the same text or the same error. Verifying an
 * export of a million events spends most of its time here (bench/audit-verify.bench.ts).
 */
export function canonicalEvent(event: AuditEvent): string {
  const { seq, at, actor, role, action, resource, caseId, outcome, reason, requestId } = event;
  if (
    typeof seq === 'number' &&
    Number.isFinite(seq) &&
    typeof at === 'string' &&
    typeof actor === 'string' &&
    typeof role === 'string' &&
    typeof action === 'string' &&
    typeof resource === 'string' &&
    (caseId === null || typeof caseId === 'string') &&
    typeof outcome === 'string' &&
    (reason === null || typeof reason === 'string') &&
    typeof requestId === 'string'
  ) {
    const text =
      `{"action":${json(action)},"actor":${json(actor)},"at":${json(at)},"caseId":${json(caseId)},"outcome":${json(outcome)},` +
      `"reason":${json(reason)},"requestId":${json(requestId)},"resource":${json(resource)},"role":${json(role)},"seq":${json(seq)}}`;
    if (!text.includes('\\ud')) return text;
  }
  const picked: AuditEvent = { seq, at, actor, role, action, resource, caseId, outcome, reason, requestId };
  for (const [k, v] of Object.entries(picked)) {
    if (v === undefined) throw new CryptoError('bad_format', `audit event lacks ${k}`);
  }
  const text = canonicalize(picked);
  if (text === undefined) throw new CryptoError('bad_format', 'audit event cannot be canonicalised');
  return text;
}

const encoder = new TextEncoder();
let scratch = new Uint8Array(4096);

/**
 * UTF-8 of a canonical event in a buffer reused from call to call (valid until the next call):
 * libsodium copies its input, so no event needs its own allocation.
 */
function canonicalBytes(event: AuditEvent): Uint8Array {
  const text = canonicalEvent(event);
  if (text.length * 3 > scratch.length) scratch = new Uint8Array(text.length * 3);
  const { written } = encoder.encodeInto(text, scratch);
  return scratch.subarray(0, written);
}

const HEX_DIGITS = encoder.encode('0123456789abcdef');
const hexText = new Uint8Array(HASH_BYTES * 2);
const asciiDecoder = new TextDecoder();

/**
 * Lowercase hex of a 32-byte hash, as `toHex` gives it, without a round trip through
 * WebAssembly per hash: the digits are written to a reused buffer and decoded in one go.
 */
function hashHex(hash: Uint8Array): string {
  for (let i = 0; i < HASH_BYTES; i++) {
    const b = hash[i]!;
    hexText[2 * i] = HEX_DIGITS[b >> 4]!;
    hexText[2 * i + 1] = HEX_DIGITS[b & 15]!;
  }
  return asciiDecoder.decode(hexText);
}

/** `hash_n = SHA-256(hash_(n-1) || utf8(JCS(event_n)))`, hex in and out. */
export function chainHash(previousHash: string, event: AuditEvent): string {
  const prev = fromHex(previousHash, 'previous hash');
  if (prev.length !== HASH_BYTES) throw new CryptoError('bad_length', 'previous hash must be 32 bytes');
  return hashHex(chainHashBytes(prev, canonicalBytes(event)));
}

function chainHashBytes(prev: Uint8Array, canonical: Uint8Array): Uint8Array {
  const s = na();
  const state = s.crypto_hash_sha256_init();
  s.crypto_hash_sha256_update(state, prev);
  s.crypto_hash_sha256_update(state, canonical);
  return s.crypto_hash_sha256_final(state);
}

export type ChainCheck = { ok: true; count: number; head: { seq: number; hash: string } } | { ok: false; count: number; firstBadSeq: number; reason: string };

/**
 * Verifies a run of events incrementally (an export can be millions of lines): each event must
 * follow the previous seq and carry the hash that the previous hash and its own content give.
 */
export class ChainVerifier {
  private prev: Uint8Array;
  private prevSeq: number;
  private count = 0;
  private failure: { firstBadSeq: number; reason: string } | null = null;

  /** Starts after a known point: genesis (seq 0) or a kept head. */
  constructor(from: { seq: number; hash: string } = { seq: 0, hash: GENESIS_HASH }) {
    this.prev = fromHex(from.hash, 'starting hash');
    if (this.prev.length !== HASH_BYTES) throw new CryptoError('bad_length', 'starting hash must be 32 bytes');
    this.prevSeq = from.seq;
  }

  /** Adds the next event; returns false (and remembers why) at the first one that does not verify. */
  push(event: ChainedAuditEvent): boolean {
    if (this.failure) return false;
    const seq = event.seq;
    if (seq !== this.prevSeq + 1) {
      // Name the position where the chain breaks, not the claimed seq: a smaller claimed seq
      // (a repeated or renumbered event) would name an event that has already verified.
      this.failure = { firstBadSeq: this.prevSeq + 1, reason: `expected seq ${this.prevSeq + 1}, got ${String(seq)}` };
      return false;
    }
    let hash: Uint8Array;
    try {
      hash = chainHashBytes(this.prev, canonicalBytes(event));
    } catch (err) {
      this.failure = { firstBadSeq: seq, reason: err instanceof Error ? err.message : 'malformed event' };
      return false;
    }
    if (hashHex(hash) !== event.hash) {
      this.failure = { firstBadSeq: seq, reason: `hash of seq ${seq} does not match its content and predecessor` };
      return false;
    }
    this.prev = hash;
    this.prevSeq = seq;
    this.count++;
    return true;
  }

  result(): ChainCheck {
    if (this.failure) return { ok: false, count: this.count, ...this.failure };
    return { ok: true, count: this.count, head: { seq: this.prevSeq, hash: toHex(this.prev) } };
  }
}

/** Verifies a whole list of events from a starting point (genesis by default). */
export function verifyChain(events: Iterable<ChainedAuditEvent>, from?: { seq: number; hash: string }): ChainCheck {
  const v = new ChainVerifier(from);
  for (const e of events) if (!v.push(e)) break;
  return v.result();
}

/** Why an export does not verify: the codes the console shows, the causes the CLI prints. */
export type ExportFailure = 'audit_line_malformed' | 'audit_chain_broken' | 'audit_head_differs' | 'audit_head_not_reached' | 'audit_range_overrun';

export type ExportCheck =
  | { ok: true; count: number; head: { seq: number; hash: string } }
  | { ok: false; code: ExportFailure; count: number; firstBadSeq: number | null; reason: string };

export interface ExportVerifierOptions {
  /** Where the export starts: genesis by default, or a checkpoint whose hash the caller trusts (a range export). */
  from?: { seq: number; hash: string };
  /** The export must end exactly at the kept head: an event after it fails (a range export ends at its end checkpoint). */
  endAtKept?: boolean;
  /** What the kept head is called in the reasons given (`kept head` by default). */
  keptName?: string;
}

/**
 * Verifies an NDJSON export of the audit log (GET /v1/audit/export) line by line as it is read,
 * so an export of millions of events costs the memory of one line: each line is parsed and
 * pushed through a ChainVerifier from genesis (or from a trusted starting point), and, with a
 * kept head, the chain must pass through it, so a rewrite of history, even with consistently
 * recomputed hashes, fails. Whether the kept head is signed by the trusted key is
 * `verifyCheckpoint`'s, checked by the caller first (RangeVerifier does it for a range).
 * `egide audit verify` and the console's crypto worker both verify here: the same bytes get the
 * same verdict from either.
 */
export class ExportVerifier {
  private readonly chain: ChainVerifier;
  private readonly kept: { seq: number; hash: string } | null;
  private readonly endAtKept: boolean;
  private readonly keptName: string;
  private lineNo = 0;
  private lastSeq: number;
  private keptReached = false;
  private firstAt: string | null = null;
  private lastAt: string | null = null;
  private failure: { code: ExportFailure; firstBadSeq: number; reason: string } | null = null;

  constructor(kept: { seq: number; hash: string } | null = null, options: ExportVerifierOptions = {}) {
    this.kept = kept;
    this.chain = new ChainVerifier(options.from);
    this.lastSeq = options.from?.seq ?? 0;
    this.endAtKept = options.endAtKept === true && kept !== null;
    this.keptName = options.keptName ?? 'kept head';
  }

  /** The next line, without its newline; false once the export failed (the rest need not be read). */
  push(line: string): boolean {
    if (this.failure) return false;
    this.lineNo++;
    if (line.trim() === '') return true;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      event = undefined;
    }
    if (typeof event !== 'object' || event === null) {
      this.failure = { code: 'audit_line_malformed', firstBadSeq: this.lastSeq + 1, reason: `line ${this.lineNo} is not valid JSON` };
      return false;
    }
    const e = event as ChainedAuditEvent;
    if (this.endAtKept && this.keptReached) {
      this.failure = { code: 'audit_range_overrun', firstBadSeq: this.kept!.seq + 1, reason: `the export goes on after the ${this.keptName}'s seq ${this.kept!.seq}` };
      return false;
    }
    if (!this.chain.push(e)) return false;
    this.lastSeq = e.seq;
    this.firstAt ??= e.at;
    this.lastAt = e.at;
    if (this.kept && e.seq === this.kept.seq) {
      if (e.hash !== this.kept.hash) {
        this.failure = { code: 'audit_head_differs', firstBadSeq: e.seq, reason: `the chain does not pass through the ${this.keptName} (hash ${e.hash}, the ${this.keptName} says ${this.kept.hash})` };
        return false;
      }
      this.keptReached = true;
    }
    return true;
  }

  /** When the first and the last verified events were recorded (as they say), or null before any. */
  span(): { first: string; last: string } | null {
    return this.firstAt !== null && this.lastAt !== null ? { first: this.firstAt, last: this.lastAt } : null;
  }

  result(): ExportCheck {
    const chain = this.chain.result();
    if (this.failure) return { ok: false, count: chain.count, ...this.failure };
    if (!chain.ok) return { ok: false, code: 'audit_chain_broken', count: chain.count, firstBadSeq: chain.firstBadSeq, reason: chain.reason };
    if (this.kept && !this.keptReached) {
      return { ok: false, code: 'audit_head_not_reached', count: chain.count, firstBadSeq: null, reason: `the export ends at seq ${chain.head.seq}, before the ${this.keptName}'s seq ${this.kept.seq}` };
    }
    return chain;
  }
}

/**
 * The two signed ends of a range export (GET /v1/audit/checkpoints): `start` null is genesis
 * (seq 0, the zero hash), which needs no signature.
 */
export interface CheckpointRange {
  start: SignedCheckpoint | null;
  end: SignedCheckpoint;
}

export type RangeFailure = ExportFailure | 'audit_checkpoint_unsigned';

export type RangeCheck =
  | { ok: true; count: number; from: { seq: number; hash: string }; head: { seq: number; hash: string }; span: { first: string; last: string } | null }
  | { ok: false; code: RangeFailure; count: number; firstBadSeq: number | null; reason: string };

/**
 * Verifies a range export (GET /v1/audit/export?afterSeq&toSeq) without trusting the server that
 * served it: both checkpoints must be signed by the key the caller trusts (pinned, or published
 * out of band), the chain is recomputed from the start checkpoint's hash, and it must land
 * exactly on the end checkpoint (its seq and its hash, nothing after). An event altered inside
 * the range, a start or end the key did not sign, a range cut short or run past its end: each
 * fails, named by seq. The CLI (`egide audit verify --range`) and the console's worker both
 * verify here.
 */
export class RangeVerifier {
  private readonly inner: ExportVerifier | null = null;
  private readonly from: { seq: number; hash: string };
  private readonly refused: { code: RangeFailure; firstBadSeq: number | null; reason: string } | null = null;

  constructor(range: CheckpointRange, signingPublicKey: Uint8Array | string) {
    this.from = range.start ? { seq: range.start.seq, hash: range.start.hash } : { seq: 0, hash: GENESIS_HASH };
    for (const [which, cp] of [
      ['start', range.start],
      ['end', range.end],
    ] as const) {
      if (!cp) continue;
      let valid = false;
      try {
        valid = verifyCheckpoint(cp, signingPublicKey);
      } catch {
        valid = false;
      }
      if (!valid) {
        this.refused = { code: 'audit_checkpoint_unsigned', firstBadSeq: cp.seq, reason: `the ${which} checkpoint (seq ${String(cp.seq)}) is not signed by the trusted key` };
        return;
      }
    }
    if (range.end.seq <= this.from.seq) {
      this.refused = { code: 'audit_head_not_reached', firstBadSeq: null, reason: `the end checkpoint (seq ${range.end.seq}) is not after the start (seq ${this.from.seq})` };
      return;
    }
    this.inner = new ExportVerifier({ seq: range.end.seq, hash: range.end.hash }, { from: this.from, endAtKept: true, keptName: 'end checkpoint' });
  }

  /** The next line, without its newline; false once the range failed (nothing more needs reading). */
  push(line: string): boolean {
    return this.inner ? this.inner.push(line) : false;
  }

  result(): RangeCheck {
    if (!this.inner) return { ok: false, count: 0, ...this.refused! };
    const r = this.inner.result();
    if (!r.ok) return r;
    return { ok: true, count: r.count, from: this.from, head: r.head, span: this.inner.span() };
  }
}

/** `egide/v1/audit-checkpoint/<seq>/<hex hash>`: what the server signs. */
export function checkpointMessage(seq: number, hash: string): string {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new CryptoError('bad_format', 'checkpoint seq must be a non-negative integer');
  if (fromHex(hash, 'checkpoint hash').length !== HASH_BYTES) throw new CryptoError('bad_length', 'checkpoint hash must be 32 bytes');
  return `egide/v1/audit-checkpoint/${seq}/${hash}`;
}

/** Signs a checkpoint with the server's Ed25519 signing key (64-byte libsodium secret key). */
export function signCheckpoint(seq: number, hash: string, signingSecretKey: Uint8Array): SignedCheckpoint {
  assertKeySize(signingSecretKey, 64, 'checkpoint signing key');
  return { seq, hash, signature: toB64u(na().crypto_sign_detached(utf8(checkpointMessage(seq, hash)), signingSecretKey)) };
}

/** A supervisor's client checks a head the server returns against the published signing key. */
export function verifyCheckpoint(checkpoint: SignedCheckpoint, signingPublicKey: Uint8Array | string): boolean {
  const pk = typeof signingPublicKey === 'string' ? fromB64uExact(signingPublicKey, 32, 'checkpoint signing public key', 'bad_key_size') : signingPublicKey;
  assertKeySize(pk, 32, 'checkpoint signing public key');
  const sig = fromB64uExact(checkpoint.signature, 64, 'checkpoint signature');
  return na().crypto_sign_verify_detached(sig, utf8(checkpointMessage(checkpoint.seq, checkpoint.hash)), pk);
}

/** Like `verifyCheckpoint` but throws `bad_signature`, for callers that must not go on. */
export function assertCheckpoint(checkpoint: SignedCheckpoint, signingPublicKey: Uint8Array | string): void {
  if (!verifyCheckpoint(checkpoint, signingPublicKey)) {
    throw new CryptoError('bad_signature', `audit checkpoint ${checkpoint.seq} is not signed by the expected key`);
  }
}
