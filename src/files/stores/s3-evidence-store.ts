import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { S3Store, type MetadataValue } from '@tus/s3-store';
import { DataStore, MemoryKvStore, Upload } from '@tus/server';
import { assertEvidenceId, EvidenceFileMissingError, tusEvidenceId } from './evidence-id.js';
import type { ByteRange, EvidenceStore, EvidenceStoreConfig, EvidenceStoreLog } from './evidence-store.js';

type S3Config = Extract<EvidenceStoreConfig, { kind: 's3' }>;

/**
 * Evidence in an S3 bucket through @tus/s3-store: one multipart upload per file, completed by S3Store itself
 * at the write that reaches the length. S3Store keeps `<key>.info` (needed to answer HEAD after completion)
 * and, between PATCHes, a `<key>.part` holding a tail shorter than the 5 MiB minimum part.
 */
export class S3EvidenceStore implements EvidenceStore {
  readonly datastore: S3Datastore;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly cache = new MemoryKvStore<MetadataValue>();

  constructor(
    config: S3Config,
    private readonly log?: EvidenceStoreLog,
  ) {
    this.bucket = config.bucket;
    this.prefix = config.prefix ?? '';
    const clientConfig: S3ClientConfig = {
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
      // The SDK's default CRC32 trailers (aws-chunked bodies) are refused by many S3-compatible servers;
      // the ciphertext is authenticated end to end by the client's encryption anyway.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    };
    this.client = new S3Client(clientConfig);
    const inner = new ClosableS3Store({
      ...(config.partSize === undefined ? {} : { partSize: config.partSize }),
      cache: this.cache,
      s3ClientConfig: { ...clientConfig, bucket: config.bucket },
    });
    this.datastore = new S3Datastore(inner, this);
  }

  key(id: string): string {
    return `${this.prefix}${id}`;
  }

  async start(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }

  async close(): Promise<void> {
    this.datastore.destroy();
    this.client.destroy();
  }

  async complete(id: string): Promise<void> {
    assertEvidenceId(id);
    // S3Store completes the multipart upload itself in the write that reaches the length: here we only check.
    if ((await this.size(id)) !== null) return;
    const upload = await this.datastore.getUpload(id);
    throw new Error(`upload incomplete: ${upload.offset} of ${upload.size ?? 'unknown'} bytes`);
  }

  async open(id: string, range?: ByteRange): Promise<Readable> {
    assertEvidenceId(id);
    try {
      const out = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.key(id),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      if (!(out.Body instanceof Readable)) throw new Error('S3 GetObject did not return a Node stream');
      return out.Body;
    } catch (error) {
      if (isMissing(error)) throw new EvidenceFileMissingError();
      throw error;
    }
  }

  async size(id: string): Promise<number | null> {
    assertEvidenceId(id);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(id) }));
      return head.ContentLength ?? 0;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async remove(id: string): Promise<void> {
    assertEvidenceId(id);
    const key = this.key(id);
    // S3Store.remove() throws once the multipart upload is completed and never deletes `.part`: done here instead.
    try {
      const info = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: `${key}.info` }));
      const uploadId = info.Metadata?.['upload-id'];
      if (uploadId) {
        try {
          await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }));
        } catch (error) {
          if (!isMissing(error)) throw error; // already completed or aborted
        }
      }
    } catch (error) {
      if (!isMissing(error)) {
        this.log?.warn({ err: error }, 'evidence upload abort failed');
        throw error;
      }
    }
    const out = await this.client.send(
      new DeleteObjectsCommand({
        Bucket: this.bucket,
        Delete: { Objects: [{ Key: key }, { Key: `${key}.info` }, { Key: `${key}.part` }], Quiet: true },
      }),
    );
    if (out.Errors && out.Errors.length > 0) {
      this.log?.warn({ codes: out.Errors.map((e) => e.Code) }, 'evidence object removal failed');
      throw new Error('evidence object removal failed');
    }
    await this.cache.delete(key);
  }

  async restore(id: string, source: Readable, size: number): Promise<void> {
    assertEvidenceId(id);
    // A single PUT (up to 5 GiB): the object reads like one S3Store completed. Without the tus `.info`
    // side object, which only a client resuming an upload asks for.
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key(id), Body: source, ContentLength: size }));
  }

  async list(): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          ...(this.prefix ? { Prefix: this.prefix } : {}),
          ...(token === undefined ? {} : { ContinuationToken: token }),
        }),
      );
      for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return keys.sort();
  }
}

class ClosableS3Store extends S3Store {
  destroy(): void {
    this.client.destroy();
  }
}

/**
 * What the tus server writes through. S3Store keys objects by the upload id alone (it has no prefix option),
 * so ids are mapped to prefixed keys on the way in and back on the way out.
 */
class S3Datastore extends DataStore {
  constructor(
    private readonly inner: ClosableS3Store,
    private readonly store: S3EvidenceStore,
  ) {
    super();
    this.extensions = ['creation', 'creation-with-upload', 'creation-defer-length', 'termination'];
  }

  destroy(): void {
    this.inner.destroy();
  }

  override async create(upload: Upload): Promise<Upload> {
    const id = tusEvidenceId(upload.id);
    // Only what tus needs is kept: no client metadata reaches the `.info` object.
    const stored = new Upload({
      id: this.store.key(id),
      offset: 0,
      ...(upload.size === undefined ? {} : { size: upload.size }),
      metadata: {},
    });
    await this.inner.create(stored);
    upload.storage = stored.storage;
    upload.creation_date = stored.creation_date;
    return upload;
  }

  override async write(readable: Readable, id: string, offset: number): Promise<number> {
    return this.inner.write(readable, this.store.key(tusEvidenceId(id)), offset);
  }

  override async getUpload(id: string): Promise<Upload> {
    const found = await this.inner.getUpload(this.store.key(tusEvidenceId(id)));
    return new Upload({
      id,
      offset: found.offset,
      ...(found.size === undefined ? {} : { size: found.size }),
      metadata: {},
      ...(found.storage === undefined ? {} : { storage: found.storage }),
      ...(found.creation_date === undefined ? {} : { creation_date: found.creation_date }),
    });
  }

  override async declareUploadLength(id: string, length: number): Promise<void> {
    return this.inner.declareUploadLength(this.store.key(tusEvidenceId(id)), length);
  }

  override async remove(id: string): Promise<void> {
    await this.store.remove(tusEvidenceId(id));
  }
}

function isMissing(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const name = 'name' in error ? error.name : undefined;
  const status =
    '$metadata' in error && typeof error.$metadata === 'object' && error.$metadata !== null && 'httpStatusCode' in error.$metadata
      ? error.$metadata.httpStatusCode
      : undefined;
  return name === 'NotFound' || name === 'NoSuchKey' || name === 'NoSuchUpload' || status === 404;
}
