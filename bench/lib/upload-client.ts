/**
 * An upload client in a child process (upload-client-process.ts), asked to upload one file at a
 * time: encrypted by the SDK, raw bytes with tus-js-client, or a large raw input generated while
 * it is sent. The timings are taken there, around the upload alone.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface UploadRequest {
  /** `encrypted`: `bytes` of plaintext through uploadFile; `raw`: `bytes` random bytes as they are; `generated`: the same, made while sent */
  kind: 'encrypted' | 'raw' | 'generated';
  origin: string;
  token: string;
  caseId: string;
  fileId: string;
  /** the case DEK, base64url: the file key record is sealed under it */
  dek: string;
  bytes: number;
  chunkSize: number;
}

export interface UploadReply {
  ms: number;
  /** bytes on the wire */
  size: number;
  /** hex SHA-256 of what was sent, for `raw` */
  sha256: string | null;
}

type Message = { ready: true } | { progress: number } | { reply: UploadReply } | { error: string };

export interface UploadClient {
  pid: number;
  upload(q: UploadRequest, onProgress?: (sent: number) => void): Promise<UploadReply>;
  close(): Promise<void>;
}

export async function launchUploadClient(): Promise<UploadClient> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./upload-client-process.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let pending: { resolve(r: UploadReply): void; reject(e: Error): void; onProgress?: ((sent: number) => void) | undefined } | null = null;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`upload client exited with ${code}`)));
  });
  child.on('message', (m: Message) => {
    if ('progress' in m) pending?.onProgress?.(m.progress);
    else if ('reply' in m) pending?.resolve(m.reply);
    else if ('error' in m) pending?.reject(new Error(`upload client: ${m.error}`));
  });
  void exited.then(() => pending?.reject(new Error('upload client exited')));
  return {
    pid: child.pid!,
    upload(q, onProgress) {
      if (pending) throw new Error('one upload at a time');
      return new Promise<UploadReply>((resolve, reject) => {
        pending = {
          resolve: (r) => ((pending = null), resolve(r)),
          reject: (e) => ((pending = null), reject(e)),
          onProgress,
        };
        child.send(q);
      });
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
