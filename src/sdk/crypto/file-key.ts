import { CryptoError } from './errors.js';
import { fromB64u, toB64u } from './encoding.js';
import { FILE_HEADER_BYTES, FILE_KEY_BYTES, type FileFormat } from './file-stream.js';

/**
 * What a reader needs to open an encrypted file, sealed into its case as the `key` field of the
 * file (`fileFieldAd(fileId, 'key')`): the stream format, the 32-byte file key, and the 24-byte
 * header, kept so that an interrupted upload can be resumed (file-stream.ts explains when that is
 * safe) and so that a reader can tell a header the server swapped.
 */
export interface FileKeyRecord {
  format: FileFormat;
  key: Uint8Array;
  header: Uint8Array;
}

const VERSION = 1;

function refuse(message: string): never {
  throw new CryptoError('bad_file_key', message);
}

/** The canonical JSON text `{"v":1,"format":<1|2>,"key":"<b64u>","header":"<b64u>"}`, in that order. */
export function encodeFileKey(record: FileKeyRecord): string {
  const { format, key, header } = record;
  if (format !== 1 && format !== 2) refuse('a file key record has format 1 or 2');
  if (!(key instanceof Uint8Array) || key.length !== FILE_KEY_BYTES) refuse(`a file key is ${FILE_KEY_BYTES} bytes`);
  if (!(header instanceof Uint8Array) || header.length !== FILE_HEADER_BYTES) refuse(`a file header is ${FILE_HEADER_BYTES} bytes`);
  return `{"v":${VERSION},"format":${format},"key":"${toB64u(key)}","header":"${toB64u(header)}"}`;
}

/**
 * Reads what `encodeFileKey` wrote, and only that: another version, a missing or extra member,
 * sizes other than 32 and 24 bytes, or any other spelling of the same values (spaces, member
 * order, escapes) is refused with `bad_file_key`, so one record has exactly one text.
 */
export function decodeFileKey(text: string): FileKeyRecord {
  if (typeof text !== 'string') refuse('a file key record is a JSON text');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    refuse('a file key record is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) refuse('a file key record is a JSON object');
  const fields = parsed as Record<string, unknown>;
  const names = Object.keys(fields).sort().join(',');
  if (names !== 'format,header,key,v') refuse('a file key record has exactly the members v, format, key and header');
  if (fields['v'] !== VERSION) refuse(`a file key record has version ${VERSION}`);
  const format = fields['format'];
  if (format !== 1 && format !== 2) refuse('a file key record has format 1 or 2');
  const decode = (value: unknown, size: number, what: string): Uint8Array => {
    if (typeof value !== 'string') refuse(`the ${what} of a file key record is a base64url string`);
    let bytes: Uint8Array;
    try {
      bytes = fromB64u(value, what);
    } catch {
      refuse(`the ${what} of a file key record is not canonical base64url`);
    }
    if (bytes.length !== size) refuse(`the ${what} of a file key record is ${size} bytes, got ${bytes.length}`);
    return bytes;
  };
  const record: FileKeyRecord = { format, key: decode(fields['key'], FILE_KEY_BYTES, 'key'), header: decode(fields['header'], FILE_HEADER_BYTES, 'header') };
  if (encodeFileKey(record) !== text) refuse('a file key record is not in its canonical spelling');
  return record;
}
