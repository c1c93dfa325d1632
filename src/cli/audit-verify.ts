import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { ExportVerifier, RangeVerifier, ready, verifyCheckpoint, type CheckpointRange, type SignedCheckpoint } from '../sdk/index.js';
import type { CliIo } from './cli-io.js';

export interface AuditVerifyOptions {
  /** A head saved from GET /v1/audit/head: `{seq, hash, signature, signingPublicKey}`. */
  head?: string;
  /** The checkpoints of a range export, saved from GET /v1/audit/checkpoints: `{start, end, signingPublicKey}`. */
  range?: string;
  /** The b64u audit signing public key the supervisor trusts (published out of band). */
  signingKey?: string;
}

type KeptHead = SignedCheckpoint & { signingPublicKey?: string };
type SavedRange = CheckpointRange & { signingPublicKey?: string; start: (SignedCheckpoint & { signedAt?: string }) | null; end: SignedCheckpoint & { signedAt?: string } };

function checkpointOf(raw: unknown): (SignedCheckpoint & { signedAt?: string }) | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const c = raw as Partial<SignedCheckpoint & { signedAt: string }>;
  if (typeof c.seq !== 'number' || typeof c.hash !== 'string' || typeof c.signature !== 'string') return null;
  return { seq: c.seq, hash: c.hash, signature: c.signature, ...(typeof c.signedAt === 'string' ? { signedAt: c.signedAt } : {}) };
}

async function readHead(path: string): Promise<KeptHead> {
  const raw = JSON.parse(await readFile(path, 'utf8')) as Partial<KeptHead>;
  if (typeof raw.seq !== 'number' || typeof raw.hash !== 'string' || typeof raw.signature !== 'string') throw new Error(`${path} is not a saved audit head ({seq, hash, signature, signingPublicKey})`);
  return { seq: raw.seq, hash: raw.hash, signature: raw.signature, ...(typeof raw.signingPublicKey === 'string' ? { signingPublicKey: raw.signingPublicKey } : {}) };
}

async function readRange(path: string): Promise<SavedRange> {
  const raw = JSON.parse(await readFile(path, 'utf8')) as { start?: unknown; end?: unknown; signingPublicKey?: unknown };
  const start = raw.start === null ? null : checkpointOf(raw.start);
  const end = checkpointOf(raw.end);
  if ((raw.start !== null && !start) || !end) throw new Error(`${path} is not a saved pair of audit checkpoints ({start, end, signingPublicKey} from GET /v1/audit/checkpoints)`);
  return { start, end, ...(typeof raw.signingPublicKey === 'string' ? { signingPublicKey: raw.signingPublicKey } : {}) };
}

/**
 * `egide audit verify <export.ndjson> [--head <head.json> | --range <checkpoints.json>] [--signing-key <b64u>]`:
 * verifies an export offline, line by line (an export can be millions of events), with the SDK.
 * With a kept head, also checks its signature and that the exported chain passes through it: a
 * rewrite of history, even with consistently recomputed hashes, then fails. With the checkpoints
 * of a range export, verifies the range as the console's worker does (RangeVerifier): both
 * signatures, the chain from the start checkpoint's hash, landing exactly on the end's.
 * Returns the exit code.
 */
export async function auditVerify(file: string, opts: AuditVerifyOptions, io: CliIo): Promise<number> {
  await ready();
  const fail = (msg: string) => {
    io.stdout.write(`FAILED: ${msg}\n`);
    return 1;
  };
  if (opts.head && opts.range) return fail('--head and --range do not go together: a range is checked against its own checkpoints');

  /** The key to check signatures with: the one given, else (with a warning) the one the saved file names. */
  const trustedKey = (named: string | undefined, what: 'head' | 'checkpoints'): { key: string } | { failed: string } => {
    const key = opts.signingKey ?? named;
    if (!key) return { failed: `the ${what} names no signing key; pass --signing-key` };
    if (!opts.signingKey) io.stderr.write(`warning: checking the ${what} with the key written in the ${what} file itself; pass --signing-key <b64u> with the key you trust\n`);
    else if (named && named !== opts.signingKey) return { failed: `the ${what} ${what === 'head' ? 'was' : 'were'} signed by another key (${named}), not ${opts.signingKey}` };
    return { key };
  };

  const readLines = async (verifier: { push(line: string): boolean }) => {
    const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
    for await (const line of lines) if (!verifier.push(line)) break;
  };
  const failed = (r: { firstBadSeq: number | null; reason: string; count: number }) => fail(r.firstBadSeq === null ? r.reason : `seq ${r.firstBadSeq}: ${r.reason} (${r.count} events verified before it)`);

  if (opts.range) {
    const range = await readRange(opts.range);
    const trusted = trustedKey(range.signingPublicKey, 'checkpoints');
    if ('failed' in trusted) return fail(trusted.failed);
    let verifier: RangeVerifier;
    try {
      verifier = new RangeVerifier(range, trusted.key);
    } catch (err) {
      return fail(`the checkpoints cannot be checked: ${err instanceof Error ? err.message : String(err)}`);
    }
    await readLines(verifier);
    const result = verifier.result();
    if (!result.ok) return failed(result);
    const signed = (c: { signedAt?: string }) => (c.signedAt ? ` signed ${c.signedAt}` : '');
    io.stdout.write(`ok: ${result.count} events verified, seq ${result.from.seq + 1} to ${result.head.seq}\n`);
    io.stdout.write(range.start ? `start: checkpoint seq ${range.start.seq}${signed(range.start)}, signature valid\n` : 'start: genesis\n');
    io.stdout.write(`end: checkpoint seq ${range.end.seq}${signed(range.end)}, signature valid, the chain lands on it\n`);
    return 0;
  }

  let head: KeptHead | null = null;
  if (opts.head) {
    head = await readHead(opts.head);
    const trusted = trustedKey(head.signingPublicKey, 'head');
    if ('failed' in trusted) return fail(trusted.failed);
    let valid = false;
    try {
      valid = verifyCheckpoint(head, trusted.key);
    } catch (err) {
      return fail(`the head cannot be checked: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!valid) return fail(`the signature of the head (seq ${head.seq}) does not verify with key ${trusted.key}`);
  }

  const verifier = new ExportVerifier(head);
  await readLines(verifier);
  const result = verifier.result();
  if (!result.ok) {
    // A range export read without its checkpoints starts past seq 1: say what is missing.
    const hint = result.code === 'audit_chain_broken' && result.count === 0 && /^expected seq 1, got \d+$/.test(result.reason) ? '; a range export is verified with --range <checkpoints.json>' : '';
    return failed({ ...result, reason: result.reason + hint });
  }
  io.stdout.write(`ok: ${result.count} events verified\nhead: seq ${result.head.seq} hash ${result.head.hash}\n`);
  if (head) io.stdout.write(`kept head: seq ${head.seq} signature valid, the chain passes through it\n`);
  return 0;
}
