/**
 * Evidence files for the access matrix, made through the API as a client makes them, with the
 * tus requests written out (light-my-request serves the hijacked tus replies like any other):
 * a creation (POST /v1/uploads) whose metadata binds the upload to its case, one PATCH of the
 * whole ciphertext (a real format-2 file under a fresh file key), the attach with a sealed
 * description. Shared files also carry an RFC 3161 token from a throw-away local authority.
 */
import { randomUUID } from 'node:crypto';
import { collect, encodeFileKey, encryptFile, encryptedFileSize, fileFieldAd, sealField, type FileKeyRecord } from '../../../src/sdk/index.js';
import { newFileKey, sealFileDescription } from '../../../src/sdk/client/file-upload.js';
import { createTimestampClient } from '../../../src/files/timestamp-authority.js';
import { startTimestampAuthority } from '../../helpers/timestamp-authority.js';
import type { Case, Who, World } from './world.js';

/** Plaintext bytes of every matrix file: small, a format-2 file of one chunk. */
const PLAIN_BYTES = 1000;
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** An upload as its client knows it: the ids, the file key and the headers of each tus request. */
export interface MatrixUpload {
  c: Case;
  fileId: string;
  record: FileKeyRecord;
  /** the ciphertext bytes (what Upload-Length declares) */
  size: number;
}

/** A new upload's ids and key, nothing sent yet. */
export function newUpload(c: Case): MatrixUpload {
  return { c, fileId: randomUUID(), record: newFileKey(), size: encryptedFileSize(PLAIN_BYTES) };
}

/** The headers of the tus creation request (POST /v1/uploads) of `u`. */
export function creationHeaders(u: MatrixUpload): Record<string, string> {
  const key = sealField(encodeFileKey(u.record), u.c.dek, fileFieldAd(u.fileId, 'key'));
  return { 'tus-resumable': '1.0.0', 'upload-length': String(u.size), 'upload-metadata': `caseId ${b64(u.c.id)},fileId ${b64(u.fileId)},key ${b64(key)}` };
}

export const TUS = { 'tus-resumable': '1.0.0' };

/** The headers of a PATCH from offset 0. */
export const appendHeaders = { ...TUS, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' };

/** The whole ciphertext of `u`: its plaintext encrypted under its key and stream header. */
export async function ciphertextOf(u: MatrixUpload): Promise<Buffer> {
  const plain = new Blob([new Uint8Array(PLAIN_BYTES).fill(0x2a)]).stream() as ReadableStream<Uint8Array>;
  const cipher = await collect(plain.pipeThrough(encryptFile(u.record.key, { format: 2, header: u.record.header })));
  if (cipher.length !== u.size) throw new Error(`ciphertext of ${cipher.length} bytes, ${u.size} declared`);
  return Buffer.from(cipher);
}

/** The sealed description an attach sends. */
export const descriptionOf = (u: MatrixUpload) => sealFileDescription({ name: 'photo.jpg', type: 'image/jpeg', sha256: '0'.repeat(64) }, u.c.dek, u.fileId);

async function expect(w: World, who: Who, method: string, url: string, status: number, payload?: unknown, headers?: Record<string, string>): Promise<void> {
  const r = await w.call(who, method, url, payload, headers);
  if (r.statusCode !== status) throw new Error(`${method} ${url}: expected ${status}, got ${r.statusCode}: ${r.body}`);
}

/** `who` creates an upload on case `c` (state uploading, no byte stored). */
export async function created(w: World, c: Case, who: Who): Promise<MatrixUpload> {
  const u = newUpload(c);
  await expect(w, who, 'POST', '/v1/uploads', 201, undefined, creationHeaders(u));
  return u;
}

/** `who` creates an upload on `c` and sends all its bytes (state received). */
export async function received(w: World, c: Case, who: Who): Promise<MatrixUpload> {
  const u = await created(w, c, who);
  await expect(w, who, 'PATCH', `/v1/uploads/${u.fileId}`, 204, await ciphertextOf(u), appendHeaders);
  return u;
}

/** `who` uploads a file to `c` and attaches it (state available). */
export async function attached(w: World, c: Case, who: Who): Promise<MatrixUpload> {
  const u = await received(w, c, who);
  await expect(w, who, 'PUT', `/v1/cases/${c.id}/files/${u.fileId}`, 200, descriptionOf(u));
  return u;
}

/**
 * Time-stamps files with a local RFC 3161 authority (openssl), the token written as the
 * time-stamp job writes it (the matrix runs no worker; `file.received` has no handler yet).
 */
export async function stamp(w: World, files: readonly MatrixUpload[]): Promise<void> {
  const tsa = await startTimestampAuthority();
  try {
    const client = createTimestampClient({ url: tsa.url, trustedCaPem: tsa.caPem });
    for (const f of files) {
      const [row] = await w.T.database.sql<Array<{ sha: string }>>`select ciphertext_sha256 as sha from case_files where id = ${f.fileId}`;
      if (!row?.sha) throw new Error(`file ${f.fileId} has no ciphertext hash`);
      const { token, genTime } = await client.stamp(Buffer.from(row.sha, 'hex'));
      await w.T.database.sql`update case_files set timestamp_token = ${Buffer.from(token)}, timestamped_at = ${genTime.toISOString()}::timestamptz where id = ${f.fileId}`;
    }
  } finally {
    await tsa.close();
  }
}

/**
 * A referral packet carries files in `referrals.files` (the file keys sealed into the packet);
 * no route sets it yet, so the column is written as the packet would write it.
 */
export async function carry(w: World, referralId: string, files: readonly MatrixUpload[]): Promise<void> {
  const ids = files.map((f) => f.fileId);
  await w.T.database.sql`update referrals set files = ${ids}::uuid[] where id = ${referralId}`;
}
