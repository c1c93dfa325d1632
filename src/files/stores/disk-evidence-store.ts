import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FileStore } from '@tus/file-store';
import { DataStore, Upload, type KvStore } from '@tus/server';
import { assertEvidenceId, EvidenceFileMissingError, tusEvidenceId } from './evidence-id.js';
import type { ByteRange, EvidenceStore, EvidenceStoreLog } from './evidence-store.js';

const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;

/**
 * The embedded store: uploads in progress under `<dir>/partial/` (FileStore's `<id>` and `<id>.json`),
 * complete files renamed into `<dir>/files/<id>` so that a half-written upload can never be read as a file.
 */
export class DiskEvidenceStore implements EvidenceStore {
  readonly datastore: DiskDatastore;
  private readonly partialDir: string;
  private readonly filesDir: string;

  constructor(
    private readonly directory: string,
    private readonly log?: EvidenceStoreLog,
  ) {
    this.partialDir = path.join(directory, 'partial');
    this.filesDir = path.join(directory, 'files');
    this.datastore = new DiskDatastore(this);
  }

  async start(): Promise<void> {
    for (const dir of [this.directory, this.partialDir, this.filesDir]) {
      await mkdir(dir, { recursive: true, mode: PRIVATE_DIR });
      // mkdir leaves an existing directory's mode alone; the evidence directory must not stay readable by others.
      await chmod(dir, PRIVATE_DIR);
    }
    this.datastore.attach(new FileStore({ directory: this.partialDir, configstore: new PrivateJsonStore(this.partialDir) }));
  }

  async close(): Promise<void> {}

  partialPath(id: string): string {
    return path.join(this.partialDir, id);
  }

  filePath(id: string): string {
    return path.join(this.filesDir, id);
  }

  async complete(id: string): Promise<void> {
    assertEvidenceId(id);
    const info = await readUploadInfo(this.partialDir, id);
    if (info === undefined) {
      if ((await this.size(id)) !== null) return; // already complete: a retried completion is fine
      throw new Error('no upload in progress for this evidence id');
    }
    const written = (await stat(this.partialPath(id))).size;
    if (info.size === undefined || written !== info.size) {
      throw new Error(`upload incomplete: ${written} of ${info.size ?? 'unknown'} bytes`);
    }
    // Same filesystem: the rename is atomic, a reader sees either no file or the whole of it.
    await rename(this.partialPath(id), this.filePath(id));
    await rm(`${this.partialPath(id)}.json`, { force: true });
  }

  async open(id: string, range?: ByteRange): Promise<Readable> {
    assertEvidenceId(id);
    if ((await this.size(id)) === null) throw new EvidenceFileMissingError();
    return createReadStream(this.filePath(id), range ? { start: range.start, end: range.end } : {});
  }

  async size(id: string): Promise<number | null> {
    assertEvidenceId(id);
    try {
      const s = await stat(this.filePath(id));
      return s.isFile() ? s.size : null;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async remove(id: string): Promise<void> {
    assertEvidenceId(id);
    const paths = [this.partialPath(id), `${this.partialPath(id)}.json`, this.filePath(id)];
    const results = await Promise.allSettled(paths.map((p) => rm(p, { force: true })));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      this.log?.warn({ err: failed.reason }, 'evidence file removal failed');
      throw failed.reason;
    }
  }

  async restore(id: string, source: Readable, size: number): Promise<void> {
    assertEvidenceId(id);
    // Written beside the file and renamed, like a finished upload: a reader never sees half of it.
    const partial = `${this.partialPath(id)}.restore`;
    await pipeline(source, createWriteStream(partial, { mode: PRIVATE_FILE, flags: 'wx' }));
    const written = (await stat(partial)).size;
    if (written !== size) {
      await rm(partial, { force: true });
      throw new Error(`restored ${written} of ${size} bytes`);
    }
    await rename(partial, this.filePath(id));
  }

  async list(): Promise<string[]> {
    const out: string[] = [];
    for (const [sub, dir] of [['partial', this.partialDir], ['files', this.filesDir]] as const) {
      try {
        for (const name of await readdir(dir)) out.push(`${sub}/${name}`);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    return out.sort();
  }
}

/**
 * What the tus server writes through: FileStore for uploads in progress, and for an id already moved into
 * `files/` a HEAD answers offset = length (tus clients ask after completion). FileStore is created only at
 * start(): its constructor creates its directory itself with a 0777 mask and throws out of a callback on failure.
 */
class DiskDatastore extends DataStore {
  private inner: FileStore | null = null;

  constructor(private readonly store: DiskEvidenceStore) {
    super();
    // No 'expiration': abandoned uploads are purged by egide, which knows which ids it handed out.
    this.extensions = ['creation', 'creation-with-upload', 'creation-defer-length', 'termination'];
  }

  attach(inner: FileStore): void {
    this.inner = inner;
  }

  private started(): FileStore {
    if (this.inner === null) throw new Error('evidence store not started');
    return this.inner;
  }

  override async create(upload: Upload): Promise<Upload> {
    const id = tusEvidenceId(upload.id);
    // Created here first so the file is 0600 from its first byte and an id can never be created twice.
    await writeFile(this.store.partialPath(id), '', { mode: PRIVATE_FILE, flag: 'wx' });
    // Only what tus needs is kept: no client metadata reaches the disk.
    const stored = new Upload({ id, offset: 0, ...(upload.size === undefined ? {} : { size: upload.size }), metadata: {} });
    if (upload.creation_date !== undefined) stored.creation_date = upload.creation_date;
    await this.started().create(stored);
    upload.storage = stored.storage;
    return upload;
  }

  override async write(readable: Readable, id: string, offset: number): Promise<number> {
    return this.started().write(readable, tusEvidenceId(id), offset);
  }

  override async getUpload(id: string): Promise<Upload> {
    tusEvidenceId(id);
    const size = await this.store.size(id);
    if (size !== null) {
      return new Upload({ id, size, offset: size, metadata: {}, storage: { type: 'file', path: this.store.filePath(id) } });
    }
    return this.started().getUpload(id);
  }

  override async declareUploadLength(id: string, length: number): Promise<void> {
    return this.started().declareUploadLength(tusEvidenceId(id), length);
  }

  override async remove(id: string): Promise<void> {
    tusEvidenceId(id);
    await this.store.remove(id);
  }
}

/** FileStore's side `.json`, written 0600 like the data. */
class PrivateJsonStore implements KvStore<Upload> {
  constructor(private readonly directory: string) {}

  async get(key: string): Promise<Upload | undefined> {
    return readUploadInfo(this.directory, key);
  }

  async set(key: string, value: Upload): Promise<void> {
    await writeFile(path.join(this.directory, `${tusEvidenceId(key)}.json`), JSON.stringify(value), { mode: PRIVATE_FILE });
  }

  async delete(key: string): Promise<void> {
    await rm(path.join(this.directory, `${tusEvidenceId(key)}.json`), { force: true });
  }
}

async function readUploadInfo(directory: string, id: string): Promise<Upload | undefined> {
  try {
    return JSON.parse(await readFile(path.join(directory, `${tusEvidenceId(id)}.json`), 'utf8')) as Upload;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT';
}
