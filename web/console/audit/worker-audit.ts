/**
 * Verification of an audit export INSIDE the crypto worker: the exported NDJSON (the very bytes
 * the supervisor saves, and that `egide audit verify` checks) is streamed line by line through
 * the SDK's ExportVerifier, the CLI's own check, and the chain must pass through a head signed by
 * the key the console pinned. The page gives the pinned key, never the server's word for it: a
 * supervisor does not have to trust the server that served both the export and the head.
 *
 * A period's range goes through the SDK's RangeVerifier (`egide audit verify --range`): both
 * checkpoints signed by the pinned key, the chain from the start's hash, landing exactly on the
 * end's.
 *
 * Streamed and hashed incrementally: one event object at a time, never an array of them, so a
 * range of millions of events costs the memory of one chunk. Progress goes to the page as the
 * worker's progress messages (FileEvent), keyed by an id the page chose.
 */
/// <reference lib="webworker" />
import { ExportVerifier, RangeVerifier, verifyCheckpoint } from '../../../src/sdk/index.js';
import type { AuditRangeVerdict, AuditVerdict, CryptoRequest, CryptoResults, FileEvent } from '../protocol.js';

type ExportRequest = Extract<CryptoRequest, { op: 'verifyAuditExport' }>;
type RangeRequest = Extract<CryptoRequest, { op: 'verifyAuditRange' }>;
type AuditRequest = ExportRequest | RangeRequest;

export function isAuditRequest(request: CryptoRequest): request is AuditRequest {
  return request.op === 'verifyAuditExport' || request.op === 'verifyAuditRange';
}

/** How often progress is told, in bytes read (a message per event would cost more than the hashing). */
const PROGRESS_EVERY = 1 << 20;

export function createAuditOps(deps: { post(message: FileEvent): void }) {
  /** Streams the file's lines into `verifier` until it refuses one or the file ends, telling progress on the way. */
  async function feed(file: Blob, verifier: { push(line: string): boolean }, progressId: string): Promise<void> {
    const total = file.size;
    let read = 0;
    let told = 0;
    let rest = '';
    let stopped = false;

    const reader = file.stream().pipeThrough(new TextDecoderStream()).getReader();
    try {
      while (!stopped) {
        const { done, value } = await reader.read();
        if (done) break;
        read += value.length;
        let text = rest + value;
        let start = 0;
        for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
          if (!verifier.push(text.slice(start, nl))) {
            stopped = true;
            break;
          }
          start = nl + 1;
        }
        rest = stopped ? '' : text.slice(start);
        text = '';
        if (read - told >= PROGRESS_EVERY) {
          told = read;
          deps.post({ fileEvent: { fileId: progressId, kind: 'progress', sent: Math.min(read, total), total } });
        }
      }
      if (!stopped && rest !== '') verifier.push(rest);
    } finally {
      await reader.cancel().catch(() => undefined);
    }
    deps.post({ fileEvent: { fileId: progressId, kind: 'progress', sent: total, total } });
  }

  async function verifyExport(request: ExportRequest): Promise<AuditVerdict> {
    const { head, signingPublicKey, progressId } = request;
    let signed = false;
    try {
      signed = verifyCheckpoint(head, signingPublicKey);
    } catch {
      signed = false;
    }
    if (!signed) return { ok: false, code: 'audit_head_unsigned', count: 0, firstBadSeq: null, headSeq: head.seq };

    const verifier = new ExportVerifier(head);
    await feed(request.file, verifier, progressId);
    const result = verifier.result();
    if (!result.ok) return { ok: false, code: result.code, count: result.count, firstBadSeq: result.firstBadSeq, headSeq: head.seq };
    return { ok: true, count: result.count, headSeq: head.seq, last: result.head };
  }

  async function verifyRange(request: RangeRequest): Promise<AuditRangeVerdict> {
    const { range, signingPublicKey, progressId } = request;
    const verifier = new RangeVerifier(range, signingPublicKey);
    await feed(request.file, verifier, progressId);
    const result = verifier.result();
    if (!result.ok) return { ok: false, code: result.code, count: result.count, firstBadSeq: result.firstBadSeq, headSeq: range.end.seq };
    return { ok: true, count: result.count, fromSeq: result.from.seq, headSeq: result.head.seq, span: result.span };
  }

  return {
    handle(request: AuditRequest): Promise<CryptoResults[AuditRequest['op']]> {
      return request.op === 'verifyAuditRange' ? verifyRange(request) : verifyExport(request);
    },
  };
}
