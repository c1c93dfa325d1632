import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { ExportVerifier, ready, verifyCheckpoint, type SignedCheckpoint } from '../sdk/index.js';
import type { CliIo } from './cli-io.js';

export interface AuditVerifyOptions {
  /** A head saved from GET /v1/audit/head: `{seq, hash, signature, signingPublicKey}`. */
  head?: string;
  /** The b64u audit signing public key the supervisor trusts (published out of band). */
  signingKey?: string;
}

type KeptHead = SignedCheckpoint & { signingPublicKey?: string };

async function readHead(path: string): Promise<KeptHead> {
  const raw = JSON.parse(await readFile(path, 'utf8')) as Partial<KeptHead>;
  if (typeof raw.seq !== 'number' || typeof raw.hash !== 'string' || typeof raw.signature !== 'string') throw new Error(`${path} is not a saved audit head ({seq, hash, signature, signingPublicKey})`);
  return { seq: raw.seq, hash: raw.hash, signature: raw.signature, ...(typeof raw.signingPublicKey === 'string' ? { signingPublicKey: raw.signingPublicKey } : {}) };
}

/**
 * `egide audit verify <export.ndjson> [--head <head.json>] [--signing-key <b64u>]`: verifies an
 * export offline, line by line (an export can be millions of events), with the SDK. With a kept
 * head, also checks its signature and that the exported chain passes through it: a rewrite of
 * history, even with consistently recomputed hashes, then fails. Returns the exit code.
 */
export async function auditVerify(file: string, opts: AuditVerifyOptions, io: CliIo): Promise<number> {
  await ready();
  const fail = (msg: string) => {
    io.stdout.write(`FAILED: ${msg}\n`);
    return 1;
  };

  let head: KeptHead | null = null;
  if (opts.head) {
    head = await readHead(opts.head);
    const key = opts.signingKey ?? head.signingPublicKey;
    if (!key) return fail('the head names no signing key; pass --signing-key');
    if (!opts.signingKey) io.stderr.write('warning: checking the head with the key written in the head file itself; pass --signing-key <b64u> with the key you trust\n');
    else if (head.signingPublicKey && head.signingPublicKey !== opts.signingKey) return fail(`the head was signed by another key (${head.signingPublicKey}), not ${opts.signingKey}`);
    let valid = false;
    try {
      valid = verifyCheckpoint(head, key);
    } catch (err) {
      return fail(`the head cannot be checked: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!valid) return fail(`the signature of the head (seq ${head.seq}) does not verify with key ${key}`);
  }

  const verifier = new ExportVerifier(head);
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of lines) if (!verifier.push(line)) break;
  const result = verifier.result();
  if (!result.ok) return fail(result.firstBadSeq === null ? result.reason : `seq ${result.firstBadSeq}: ${result.reason} (${result.count} events verified before it)`);
  io.stdout.write(`ok: ${result.count} events verified\nhead: seq ${result.head.seq} hash ${result.head.hash}\n`);
  if (head) io.stdout.write(`kept head: seq ${head.seq} signature valid, the chain passes through it\n`);
  return 0;
}
