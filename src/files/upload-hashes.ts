import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { DataStore, type Upload } from '@tus/utils';

/**
 * The SHA-256 of each upload's ciphertext, taken as the bytes arrive. A running hash is kept per
 * upload while its bytes come in order through this process; when that chain breaks (a write
 * failed midway, so the hash may have seen bytes the store did not keep; or an earlier part
 * reached another API instance), the upload is hashed again from the store once complete.
 */
export class UploadHashes {
  private readonly running = new Map<string, { hash: Hash; offset: number }>();

  /** The store wrapped so that every write feeds the upload's hash. */
  wrap(store: DataStore): DataStore {
    return new HashingDataStore(store, this);
  }

  /** The digest of a complete upload of `size` bytes, if its bytes all passed here in order; forgets it. */
  take(id: string, size: number): Buffer | null {
    const entry = this.running.get(id);
    this.running.delete(id);
    return entry && entry.offset === size ? entry.hash.digest() : null;
  }

  forget(id: string): void {
    this.running.delete(id);
  }

  /** Feeds `stream` (the bytes at `offset`) to the upload's hash while `write` stores them. */
  async through(id: string, offset: number, stream: Readable, write: (s: Readable) => Promise<number>): Promise<number> {
    let entry = this.running.get(id);
    if (entry && entry.offset !== offset) {
      this.running.delete(id);
      entry = undefined;
    }
    if (!entry && offset === 0) {
      entry = { hash: createHash('sha256'), offset: 0 };
      this.running.set(id, entry);
    }
    if (!entry) return write(stream);
    const current = entry;
    const hash = current.hash.copy();
    let seen = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        seen += chunk.length;
        done(null, chunk);
      },
    });
    stream.once('error', (err) => tap.destroy(err));
    stream.pipe(tap);
    try {
      const written = await write(tap);
      if (written === offset + seen) this.running.set(id, { hash, offset: written });
      else this.running.delete(id);
      return written;
    } catch (err) {
      tap.destroy();
      this.running.delete(id);
      throw err;
    }
  }
}

/** A DataStore that passes everything to `inner`, feeding writes through the hashes. */
class HashingDataStore extends DataStore {
  constructor(
    private readonly inner: DataStore,
    private readonly hashes: UploadHashes,
  ) {
    super();
    this.extensions = inner.extensions;
  }
  override create(file: Upload): Promise<Upload> {
    return this.inner.create(file);
  }
  override remove(id: string): Promise<void> {
    this.hashes.forget(id);
    return this.inner.remove(id);
  }
  override write(stream: Readable, id: string, offset: number): Promise<number> {
    return this.hashes.through(id, offset, stream, (s) => this.inner.write(s, id, offset));
  }
  override getUpload(id: string): Promise<Upload> {
    return this.inner.getUpload(id);
  }
  override declareUploadLength(id: string, length: number): Promise<void> {
    return this.inner.declareUploadLength(id, length);
  }
  override deleteExpired(): Promise<number> {
    return this.inner.deleteExpired();
  }
  override getExpiration(): number {
    return this.inner.getExpiration();
  }
}
