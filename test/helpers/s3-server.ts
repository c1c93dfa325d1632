import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface LocalS3 {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: true;
  dir: string;
  close(): Promise<void>;
}

// s3rver ships no types; only what this helper touches is described.
interface S3rverInstance {
  configureBuckets(): Promise<void>;
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  store: { getResourcePath(bucket: string, key: string | undefined, resource: string): string };
}
type S3rverClass = new (options: {
  directory: string;
  silent: boolean;
  configureBuckets: { name: string }[];
}) => S3rverInstance;

const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;

/**
 * A local S3 (s3rver, files in a temp dir) on a random port of 127.0.0.1 with one bucket.
 *
 * s3rver 3.7.1 stores multipart parts but answers neither ListParts nor AbortMultipartUpload, both of which
 * @tus/s3-store calls (ListParts at every write and HEAD). Those two requests are answered here from s3rver's
 * own part files (`<bucket>/._S3rver_uploads/<uploadId>/<n>` and `<n>.md5`); everything else is s3rver's.
 */
export async function startS3Server(): Promise<LocalS3> {
  const dir = await mkdtemp(path.join(tmpdir(), 'egide-s3-'));
  const bucket = 'evidence';
  const s3 = new S3rver({ directory: dir, silent: true, configureBuckets: [{ name: bucket }] });
  await s3.configureBuckets();
  const app = s3.callback();
  const uploadsDir = s3.store.getResourcePath(bucket, undefined, 'uploads');

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const uploadId = url.searchParams.get('uploadId');
    if (uploadId !== null && (req.method === 'GET' || req.method === 'DELETE') && /^[0-9a-f]+$/.test(uploadId)) {
      const uploadDir = path.join(uploadsDir, uploadId);
      const answer = req.method === 'GET' ? listParts(uploadDir, url, uploadId, res) : abortUpload(uploadDir, res);
      answer.catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
      return;
    }
    app(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    forcePathStyle: true,
    dir,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function noSuchUpload(res: ServerResponse): void {
  res.statusCode = 404;
  res.setHeader('content-type', 'application/xml');
  res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>');
}

async function listParts(uploadDir: string, url: URL, uploadId: string, res: ServerResponse): Promise<void> {
  let names: string[];
  try {
    names = await readdir(uploadDir);
  } catch {
    noSuchUpload(res);
    return;
  }
  const key = decodeURIComponent(url.pathname.split('/').slice(2).join('/'));
  const numbers = names.filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
  const parts = await Promise.all(
    numbers.map(async (n) => {
      const [s, md5] = await Promise.all([stat(path.join(uploadDir, String(n))), readFile(path.join(uploadDir, `${n}.md5`), 'utf8')]);
      return `<Part><PartNumber>${n}</PartNumber><LastModified>${s.mtime.toISOString()}</LastModified><ETag>"${md5}"</ETag><Size>${s.size}</Size></Part>`;
    }),
  );
  res.setHeader('content-type', 'application/xml');
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?><ListPartsResult><Bucket>evidence</Bucket><Key>${key}</Key><UploadId>${uploadId}</UploadId>` +
      `<PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>${numbers.at(-1) ?? 0}</NextPartNumberMarker>` +
      `<MaxParts>10000</MaxParts><IsTruncated>false</IsTruncated>${parts.join('')}</ListPartsResult>`,
  );
}

async function abortUpload(uploadDir: string, res: ServerResponse): Promise<void> {
  try {
    await stat(uploadDir);
  } catch {
    noSuchUpload(res);
    return;
  }
  await rm(uploadDir, { recursive: true, force: true });
  res.statusCode = 204;
  res.end();
}
