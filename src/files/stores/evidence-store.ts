import type { Readable } from 'node:stream';
import type { DataStore } from '@tus/server';

/** Where the ciphertext of evidence files lives: the tus server writes through `datastore`, the rest of egide reads and purges through the other methods. */
export interface EvidenceStore {
  /** What the tus server writes through (create/write/getUpload/remove...). */
  readonly datastore: DataStore;
  /** Called once the upload's offset reached its length: makes the bytes a complete stored file. */
  complete(id: string): Promise<void>;
  /** The stored ciphertext of a complete file, streamed; `range` is inclusive of both ends, as in HTTP. */
  open(id: string, range?: ByteRange): Promise<Readable>;
  /** Size of a complete file, or null if there is none. */
  size(id: string): Promise<number | null>;
  /** Removes everything stored for the id (partial upload or complete file, and side files); idempotent. */
  remove(id: string): Promise<void>;
  /**
   * Puts back a complete file from a backup (`egide restore`), as a finished upload leaves it;
   * `size` is the byte count of `source`.
   */
  restore(id: string, source: Readable, size: number): Promise<void>;
  /** Every key/path the store holds, so a purge can check that nothing is left behind. */
  list(): Promise<string[]>;
  /** Creates the directory or checks the bucket. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Byte positions, both inclusive (`{ start: 0, end: 9 }` is the first ten bytes). */
export interface ByteRange {
  start: number;
  end: number;
}

export type EvidenceStoreConfig =
  | { kind: 'disk'; directory: string }
  | {
      kind: 's3';
      endpoint?: string;
      region: string;
      bucket: string;
      prefix?: string;
      accessKeyId: string;
      secretAccessKey: string;
      forcePathStyle: boolean;
      partSize?: number;
    };

export interface EvidenceStoreLog {
  warn(obj: object, msg: string): void;
}
