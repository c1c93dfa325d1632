/**
 * The client side of the evidence-upload benchmark, in a process of its own as a phone's or a
 * browser's upload is: only the SDK and tus-js-client live here, so the heap the garbage
 * collector walks is a client's, not the benchmark harness's (which holds an API instance).
 * Started by upload-client.ts; one request at a time over the IPC channel.
 */
import { createHash, randomBytes } from 'node:crypto';
import { fromB64u, ready } from '../../src/sdk/index.js';
import { newFileKey, sealFileKey, uploadFile } from '../../src/sdk/client/file-upload.js';
import { nodeSha256 } from '../../src/sdk/node/file-stream.js';
import { generatedStream, webStreamOf } from './byte-sources.js';
import { rawTusUpload } from './raw-tus-upload.js';
import type { UploadReply, UploadRequest } from './upload-client.js';

await ready();
/** Random bytes of each size asked for, made once: every round sends the same file. */
const buffers = new Map<number, { bytes: Buffer; sha256: string }>();
const bytesOf = (size: number) => {
  let b = buffers.get(size);
  if (!b) {
    const bytes = randomBytes(size);
    b = { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
    buffers.set(size, b);
  }
  return b;
};

async function serve(q: UploadRequest): Promise<UploadReply> {
  const dek = fromB64u(q.dek);
  const endpoint = `${q.origin}/v1/uploads`;
  const metadata = () => ({ caseId: q.caseId, fileId: q.fileId, key: sealFileKey(newFileKey(), dek, q.fileId) });
  switch (q.kind) {
    case 'encrypted': {
      const plain = bytesOf(q.bytes).bytes;
      const t0 = performance.now();
      const up = await uploadFile({ endpoint, token: () => q.token, caseId: q.caseId, fileId: q.fileId, dek, plaintext: () => webStreamOf(plain), plainSize: plain.length, chunkSize: q.chunkSize, retryDelays: [], sha256: nodeSha256 });
      return { ms: performance.now() - t0, size: up.size, sha256: null };
    }
    case 'raw': {
      const { bytes, sha256 } = bytesOf(q.bytes);
      const meta = metadata();
      const t0 = performance.now();
      await rawTusUpload({ endpoint, token: q.token, metadata: meta, body: bytes, size: bytes.length, chunkSize: q.chunkSize });
      return { ms: performance.now() - t0, size: bytes.length, sha256 };
    }
    case 'generated': {
      const meta = metadata();
      let reported = 0;
      const t0 = performance.now();
      await rawTusUpload({
        endpoint,
        token: q.token,
        metadata: meta,
        body: generatedStream(q.bytes),
        size: q.bytes,
        chunkSize: q.chunkSize,
        onProgress: (sent) => {
          if (sent - reported >= q.chunkSize || sent === q.bytes) process.send!({ progress: (reported = sent) });
        },
      });
      return { ms: performance.now() - t0, size: q.bytes, sha256: null };
    }
  }
}

process.on('message', (q: UploadRequest) => {
  serve(q).then(
    (reply) => process.send!({ reply }),
    (err: unknown) => process.send!({ error: err instanceof Error ? err.message : String(err) }),
  );
});
process.send!({ ready: true });
