/**
 * What the evidence-file tests share: a listening app (tus needs real HTTP), uploads through
 * the SDK's own client, downloads and decryption as a client does them, the workers' files part
 * (sweep and erasure), and what a store leaves on disk for a file.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pino } from 'pino';
import { encryptedFileSize } from '../../src/sdk/index.js';
import { openDownload } from '../../src/sdk/client/file-download.js';
import { newFileKey, openFileKey, sealFileDescription, sealFileKey, uploadFile, type FileUploadOptions, type FileUploadResult } from '../../src/sdk/client/file-upload.js';
import { createQueue, type TypedQueue } from '../../src/queues/registry.js';
import { QUEUE } from '../../workers/file-upkeep.js';
import { startWorkers } from '../../workers/worker.js';
import type { TestApp } from '../helpers/app.js';
import { waitFor } from '../helpers/wait-for.js';
import type { Headers } from '../helpers/world.js';

/** The app on a real port (tus-js-client speaks HTTP); returns its origin. */
export async function listen(T: TestApp): Promise<string> {
  await T.app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(T.app.server.address() as AddressInfo).port}`;
}

/** Bytes that look like nothing, with a marker string planted at a few places (found only if the plaintext leaks). */
export function evidenceBytes(size: number, marker: string): Uint8Array {
  const bytes = new Uint8Array(randomBytes(size));
  const m = new TextEncoder().encode(marker);
  for (const at of [0, Math.floor(size / 2), Math.max(0, size - m.length)]) if (at + m.length <= size) bytes.set(m, at);
  return bytes;
}

/** A ReadableStream over bytes in pieces of odd sizes, as a file read would give them. */
export function streamOf(bytes: Uint8Array, piece = 50_000): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + piece));
      at += piece;
    },
  });
}

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export interface Uploader {
  token(): string;
  dek: Uint8Array;
}

/** Encrypts and uploads through tus with the SDK; `extra` overrides options (endpoint through a proxy, resume...). */
export function upload(origin: string, who: Uploader, caseId: string, fileId: string, bytes: Uint8Array, extra: Partial<FileUploadOptions> = {}): Promise<FileUploadResult> {
  return uploadFile({
    endpoint: `${origin}/v1/uploads`,
    token: who.token,
    caseId,
    fileId,
    dek: who.dek,
    plaintext: () => streamOf(bytes),
    plainSize: bytes.length,
    chunkSize: 1024 * 1024,
    retryDelays: [],
    ...extra,
  });
}

/** Attaches an uploaded file with its sealed description. */
export async function attach(T: TestApp, headers: Headers, caseId: string, fileId: string, dek: Uint8Array, d: { name: string; type: string; caption?: string; sha256: string }, keyEpoch?: number) {
  return T.app.inject({ method: 'PUT', url: `/v1/cases/${caseId}/files/${fileId}`, headers, payload: { ...sealFileDescription(d, dek, fileId), ...(keyEpoch !== undefined ? { keyEpoch } : {}) } });
}

/** Uploads `bytes` as `who` and attaches it with a sealed description (a JPEG unless `d.type` says otherwise); throws unless attached. */
export async function uploadAttached(T: TestApp, origin: string, who: Uploader, headers: Headers, caseId: string, bytes: Uint8Array, d: { name: string; type?: string; caption?: string }): Promise<{ fileId: string; up: FileUploadResult }> {
  const fileId = randomUUID();
  const up = await upload(origin, who, caseId, fileId, bytes);
  const attached = await attach(T, headers, caseId, fileId, who.dek, { name: d.name, type: d.type ?? 'image/jpeg', ...(d.caption ? { caption: d.caption } : {}), sha256: up.sha256 });
  if (attached.statusCode !== 200) throw new Error(`attach: ${attached.statusCode} ${attached.body}`);
  return { fileId, up };
}

/** Downloads a file as a client does: ciphertext over HTTP, checked against its hash, decrypted with the key opened from the case. */
export async function download(origin: string, headers: Headers, caseId: string, fileId: string, dek: Uint8Array, sealedKey: string, expectCipher?: string, expectPlain?: string): Promise<{ plain: Uint8Array; cipherSha256: string; reprDigest: string | null; status: number }> {
  const res = await fetch(`${origin}/v1/cases/${caseId}/files/${fileId}/content`, { headers });
  if (res.status !== 200) return { plain: new Uint8Array(), cipherSha256: '', reprDigest: null, status: res.status };
  const cipher = new Uint8Array(await res.arrayBuffer());
  const record = openFileKey(sealedKey, dek, fileId);
  const cipherSha256 = sha256Hex(cipher);
  const reader = openDownload(streamOf(cipher), record, { ciphertextSha256: expectCipher ?? cipherSha256, ...(expectPlain ? { plaintextSha256: expectPlain } : {}) }).plaintext.getReader();
  const parts: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  const plain = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    plain.set(p, at);
    at += p.length;
  }
  return { plain, cipherSha256, reprDigest: res.headers.get('repr-digest'), status: 200 };
}

/**
 * A TCP forwarder to the app that counts the bytes clients send and, once `cutAfter` have gone
 * through, drops every connection and refuses new ones: a phone losing its network mid-upload.
 */
export async function startCountingProxy(targetPort: number, cutAfter = Number.POSITIVE_INFINITY): Promise<{ origin: string; sent(): number; close(): Promise<void> }> {
  const { createConnection, createServer } = await import('node:net');
  let sent = 0;
  let cut = false;
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((client) => {
    if (cut) return client.destroy();
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    sockets.add(client).add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.on('data', (chunk: Buffer) => {
      if (cut) return;
      sent += chunk.length;
      if (sent >= cutAfter) {
        cut = true;
        for (const s of sockets) s.destroy();
        return;
      }
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    sent: () => sent,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The tus creation request as a client sends it (for tests of refusals: no body, no bytes). */
export function tusCreate(T: TestApp, headers: Headers, meta: Record<string, string>, length: number) {
  const encoded = Object.entries(meta)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',');
  return T.app.inject({ method: 'POST', url: '/v1/uploads', headers: { ...headers, 'tus-resumable': '1.0.0', 'upload-length': String(length), 'upload-metadata': encoded } });
}

/**
 * An upload left unfinished, as a client that lost its connection leaves it: created through tus
 * (a file of `plainSize` bytes) and `sentBytes` of it sent in one PATCH, never completed.
 */
export async function partialUpload(origin: string, who: Uploader, caseId: string, fileId: string, plainSize: number, sentBytes: number): Promise<void> {
  const b64 = (v: string) => Buffer.from(v).toString('base64');
  const auth = { authorization: `Bearer ${who.token()}`, 'tus-resumable': '1.0.0' };
  const size = encryptedFileSize(plainSize);
  if (sentBytes >= size) throw new Error('a partial upload sends less than the whole file');
  const created = await fetch(`${origin}/v1/uploads`, {
    method: 'POST',
    headers: { ...auth, 'upload-length': String(size), 'upload-metadata': `caseId ${b64(caseId)},fileId ${b64(fileId)},key ${b64(sealFileKey(newFileKey(), who.dek, fileId))}` },
  });
  if (created.status !== 201) throw new Error(`tus creation: ${created.status} ${await created.text()}`);
  const patched = await fetch(`${origin}/v1/uploads/${fileId}`, {
    method: 'PATCH',
    headers: { ...auth, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
    body: new Uint8Array(randomBytes(sentBytes)),
  });
  if (patched.status !== 204) throw new Error(`tus patch: ${patched.status} ${await patched.text()}`);
}

/** Every file under `dir` (relative paths, sorted); none when it does not exist. */
export async function filesUnder(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/**
 * Every file a local s3rver keeps on disk for the object `id` (and its `.info` / `.part` side
 * objects): the objects' own files, named after the key, and the directory of a multipart upload
 * still open for it (`<bucket>/._S3rver_uploads/<uploadId>/`: numbered parts, their md5, and a
 * `key` file naming the object, the only place the id appears). Paths relative to `dir`.
 */
export async function s3rverFilesOf(dir: string, id: string): Promise<string[]> {
  const all = await filesUnder(dir);
  const uploadDirs: string[] = [];
  for (const f of all) {
    if (path.basename(f) !== 'key' || !path.basename(path.dirname(path.dirname(f))).endsWith('_S3rver_uploads')) continue;
    const key = await readFile(path.join(dir, f), 'utf8').catch(() => '');
    if (key.includes(id)) uploadDirs.push(`${path.dirname(f)}${path.sep}`);
  }
  return all.filter((f) => f.includes(id) || uploadDirs.some((d) => f.startsWith(d)));
}

/** The audit events of `action` on the file `id`, oldest first. */
export const fileAudits = (T: TestApp, id: string, action: string) =>
  T.database.sql`select actor, role, outcome, reason, case_id from audit_events where resource = ${`file:${id}`} and action = ${action} order by id`;

export interface FileWorkers {
  /** The files module's queue (time-stamp jobs, the sweep's runs). */
  queue: TypedQueue<typeof QUEUE>;
  /** Resolves once two more sweeps completed: one of them started after whatever the caller did before. */
  sweepsAfterNow(): Promise<void>;
  /** Stops the sweep (resolves once no run is in progress) until the function it returns is called. */
  holdSweeps(): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * The workers (every module's part, the files module's among them), in this process, on the app's
 * container (its clock is the test's, its store the app's): the stale-upload sweep every
 * FILE_SWEEP_INTERVAL_SECONDS and the outbox handlers ('file.erase' removes bytes). The caller
 * closes them (before the app and any server they use).
 */
export async function startFileWorkers(T: TestApp): Promise<FileWorkers> {
  const workers = await startWorkers({ config: T.config, container: T.app.container, clock: T.clock, logger: pino({ level: 'silent' }) });
  const queue = createQueue(QUEUE, { connection: T.redis, config: T.config });
  const completed = async () => (await queue.getJobCounts('completed')).completed ?? 0;
  return {
    queue,
    async sweepsAfterNow() {
      const start = await completed();
      await waitFor(async () => (await completed()) >= start + 2, { what: 'two more sweeps', timeoutMs: 15_000 });
    },
    async holdSweeps() {
      await queue.pause();
      await waitFor(async () => (await queue.getActiveCount()) === 0, { what: 'the sweep in progress to end' });
      return () => queue.resume();
    },
    async close() {
      await workers.close();
      await queue.close();
    },
  };
}
