/**
 * Removing the metadata of a photo before it is encrypted: a defender's picture often carries
 * where it was taken (EXIF GPS), with what phone and when, and the file leaves the phone
 * encrypted but whole, so whoever opens it later (an officer, a partner, an adversary who
 * seizes a laptop) would learn it. Works on the bytes, never decodes the picture: the pixels
 * are kept exactly, only the blocks that hold metadata are dropped.
 *
 * What is read (to tell the person what was removed) comes from ExifReader; what is dropped
 * is decided here from the container's structure, block by block:
 *  - JPEG: every APPn segment but APP0 (JFIF), APP2 ICC_PROFILE (colours) and APP14 Adobe
 *    (colour transform), every COM segment, and anything after the end of the image (MPF
 *    second images, "motion photo" videos, each of which may carry its own GPS); an
 *    orientation other than "upright" is written again as a one-tag Exif block so the photo
 *    is not shown sideways.
 *  - PNG: eXIf, tEXt, iTXt, zTXt and tIME chunks.
 *  - WebP: EXIF and "XMP " chunks, the VP8X flags that announce them cleared, the RIFF size fixed.
 * Other types are left untouched and said so. The result is deterministic (same bytes in,
 * same bytes out): a resumed upload encrypts the same plaintext again.
 */
import * as exifReaderModule from 'exifreader';
import type { ExpandedTags } from 'exifreader';

// ExifReader's ES build (what esbuild bundles) has only a default export, its CommonJS build
// (what Node loads in the tests) a module object: both have `load` on the default.
const exifReader = (exifReaderModule as unknown as { default?: typeof exifReaderModule }).default ?? exifReaderModule;

/** What was found and removed, for the person's screen (each has a label in the catalogues). */
export type RemovedMetadata = 'gps' | 'camera' | 'date' | 'all_metadata';

/**
 * - stripped: metadata blocks were found and removed (see `removed`)
 * - none_found: an image of a handled type without any metadata block
 * - unsupported_type: not a JPEG, PNG or WebP: uploaded as it is
 * - too_large: over the size read into memory for stripping: uploaded as it is
 * - malformed: the container could not be walked safely: uploaded as it is
 * - off: the person chose to keep the metadata
 */
export type StripOutcome = 'stripped' | 'none_found' | 'unsupported_type' | 'too_large' | 'malformed' | 'off';

export interface StripResult {
  bytes: Uint8Array;
  outcome: StripOutcome;
  removed: RemovedMetadata[];
}

type Container = 'jpeg' | 'png' | 'webp';

/** The container from the bytes themselves (a file's declared type can be wrong). */
export function imageContainer(bytes: Uint8Array): Container | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return 'webp';
  return null;
}

/** Whether a file of this declared type is one `stripImageMetadata` handles (decided again from its bytes). */
export function isStrippableType(type: string): boolean {
  return type === 'image/jpeg' || type === 'image/pjpeg' || type === 'image/png' || type === 'image/webp';
}

class Malformed extends Error {}

/** The image's bytes without their metadata (see the module's comment), and what that removed. */
export function stripImageMetadata(bytes: Uint8Array): StripResult {
  const container = imageContainer(bytes);
  if (!container) return { bytes, outcome: 'unsupported_type', removed: [] };
  try {
    const read = readMetadata(bytes);
    const out = container === 'jpeg' ? stripJpeg(bytes, read.orientation) : container === 'png' ? stripPng(bytes) : stripWebp(bytes);
    if (!out) return { bytes, outcome: 'none_found', removed: [] };
    return { bytes: out, outcome: 'stripped', removed: [...read.kinds, 'all_metadata'] };
  } catch (err) {
    if (err instanceof Malformed) return { bytes, outcome: 'malformed', removed: [] };
    throw err;
  }
}

const GPS_TAGS = ['GPSLatitude', 'GPSLongitude', 'GPSAltitude', 'GPSDestLatitude', 'GPSDestLongitude', 'GPSAreaInformation'] as const;
const CAMERA_TAGS = ['Make', 'Model', 'LensMake', 'LensModel', 'BodySerialNumber', 'CameraOwnerName', 'LensSerialNumber', 'Software'] as const;
const DATE_TAGS = ['DateTimeOriginal', 'DateTimeDigitized', 'DateTime', 'GPSDateStamp', 'OffsetTimeOriginal'] as const;

/** What ExifReader sees in the image: which kinds of revealing metadata, and the orientation to keep. */
function readMetadata(bytes: Uint8Array): { kinds: RemovedMetadata[]; orientation: number } {
  let tags: ExpandedTags;
  try {
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    // XMP is not parsed (a worker has no DOMParser); its block is dropped whatever it says.
    tags = exifReader.load(buffer, { expanded: true, includeTags: { exif: true, gps: true, iptc: true, png: true } });
  } catch {
    return { kinds: [], orientation: 1 };
  }
  const exif = (tags.exif ?? {}) as Record<string, unknown>;
  const iptc = (tags.iptc ?? {}) as Record<string, unknown>;
  const png = (tags.png ?? {}) as Record<string, unknown>;
  const kinds: RemovedMetadata[] = [];
  const gps = tags.gps as Record<string, unknown> | undefined;
  if (GPS_TAGS.some((t) => t in exif) || (gps && Object.keys(gps).length > 0) || 'Sub-location' in iptc || 'City' in iptc) kinds.push('gps');
  if (CAMERA_TAGS.some((t) => t in exif)) kinds.push('camera');
  if (DATE_TAGS.some((t) => t in exif) || 'Date Created' in iptc || 'Modify Date' in png || 'Creation Time' in png) kinds.push('date');
  const o = (exif.Orientation as { value?: unknown } | undefined)?.value;
  return { kinds, orientation: typeof o === 'number' && o >= 1 && o <= 8 ? o : 1 };
}

function ascii(bytes: Uint8Array, at: number, length: number): string {
  let s = '';
  for (let i = at; i < at + length && i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** An APP1 Exif segment holding only IFD0's Orientation (big-endian TIFF). */
function orientationSegment(orientation: number): Uint8Array {
  const payload = [
    ...[0x45, 0x78, 0x69, 0x66, 0, 0], // "Exif\0\0"
    ...[0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8], // "MM", 42, IFD0 at 8
    ...[0, 1], // one entry
    ...[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0], // Orientation, SHORT, 1 value
    ...[0, 0, 0, 0], // no next IFD
  ];
  const length = payload.length + 2;
  return Uint8Array.from([0xff, 0xe1, length >> 8, length & 0xff, ...payload]);
}

/**
 * Walks the JPEG's segments (and its entropy-coded data, which may be followed by more
 * segments in a progressive image); null when nothing was to be removed.
 */
function stripJpeg(bytes: Uint8Array, orientation: number): Uint8Array | null {
  const keep: Uint8Array[] = [bytes.subarray(0, 2)];
  let dropped = false;
  let at = 2;
  let afterApp0 = 1; // where the orientation segment goes: after SOI, or after APP0
  for (;;) {
    if (at + 1 >= bytes.length) throw new Malformed('the image ends before its end marker');
    if (bytes[at] !== 0xff) throw new Malformed('a segment does not start with a marker');
    let m = at + 1;
    while (bytes[m] === 0xff) m++; // fill bytes
    const marker = bytes[m];
    if (marker === undefined) throw new Malformed('truncated marker');
    const start = at;
    at = m + 1;
    if (marker === 0xd9) {
      keep.push(bytes.subarray(start, at));
      // Anything after the end of the image (second pictures, motion-photo videos, trailers)
      // is not this picture and may hold its own metadata.
      if (at < bytes.length) dropped = true;
      break;
    }
    if (marker >= 0xd0 && marker <= 0xd7) {
      keep.push(bytes.subarray(start, at));
      continue;
    }
    if (at + 2 > bytes.length) throw new Malformed('truncated segment length');
    const length = (bytes[at]! << 8) | bytes[at + 1]!;
    if (length < 2 || at + length > bytes.length) throw new Malformed('a segment runs past the end');
    const end = at + length;
    const payload = bytes.subarray(at + 2, end);
    let drop = false;
    if (marker === 0xfe) drop = true;
    else if (marker >= 0xe0 && marker <= 0xef) {
      const tag = ascii(payload, 0, 12);
      const kept = (marker === 0xe0 && (tag.startsWith('JFIF\0') || tag.startsWith('JFXX\0'))) || (marker === 0xe2 && tag === 'ICC_PROFILE\0') || (marker === 0xee && tag.startsWith('Adobe'));
      drop = !kept;
    }
    if (drop) dropped = true;
    else {
      keep.push(bytes.subarray(start, end));
      if (marker === 0xe0 && keep.length === 2) afterApp0 = 2;
    }
    at = end;
    if (marker === 0xda) {
      // Entropy-coded data: up to the next marker that is neither a stuffed 0xFF00 nor a restart.
      let s = at;
      for (;;) {
        if (s + 1 >= bytes.length) throw new Malformed('the scan runs past the end');
        if (bytes[s] === 0xff) {
          const n = bytes[s + 1]!;
          if (n !== 0x00 && !(n >= 0xd0 && n <= 0xd7) && n !== 0xff) break;
        }
        s++;
      }
      keep.push(bytes.subarray(at, s));
      at = s;
    }
  }
  if (!dropped) return null;
  if (orientation !== 1) keep.splice(afterApp0, 0, orientationSegment(orientation));
  return concat(keep);
}

const PNG_DROPPED = new Set(['eXIf', 'tEXt', 'iTXt', 'zTXt', 'tIME']);

function stripPng(bytes: Uint8Array): Uint8Array | null {
  const keep: Uint8Array[] = [bytes.subarray(0, 8)];
  let dropped = false;
  let at = 8;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (;;) {
    if (at + 12 > bytes.length) throw new Malformed('a chunk runs past the end');
    const length = view.getUint32(at);
    const type = ascii(bytes, at + 4, 4);
    const end = at + 12 + length;
    if (end > bytes.length) throw new Malformed('a chunk runs past the end');
    if (PNG_DROPPED.has(type)) dropped = true;
    else keep.push(bytes.subarray(at, end));
    at = end;
    if (type === 'IEND') break;
  }
  if (at < bytes.length) dropped = true; // bytes after IEND are not part of the image
  return dropped ? concat(keep) : null;
}

function stripWebp(bytes: Uint8Array): Uint8Array | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const riffEnd = 8 + view.getUint32(4, true);
  if (riffEnd > bytes.length || riffEnd < 12) throw new Malformed('the RIFF size is wrong');
  const keep: Uint8Array[] = [];
  let dropped = riffEnd < bytes.length;
  let vp8x: Uint8Array | null = null;
  let at = 12;
  while (at < riffEnd) {
    if (at + 8 > riffEnd) throw new Malformed('a chunk runs past the end');
    const fourcc = ascii(bytes, at, 4);
    const size = view.getUint32(at + 4, true);
    const end = at + 8 + size + (size & 1);
    if (end > riffEnd) throw new Malformed('a chunk runs past the end');
    if (fourcc === 'EXIF' || fourcc === 'XMP ') dropped = true;
    else if (fourcc === 'VP8X') {
      vp8x = bytes.slice(at, end);
      keep.push(vp8x);
    } else keep.push(bytes.subarray(at, end));
    at = end;
  }
  if (!dropped) return null;
  // VP8X's flags announce the chunks: a reader may look for an EXIF chunk that is no longer there.
  if (vp8x && vp8x.length > 8) vp8x[8] = vp8x[8]! & ~0x0c;
  const body = concat(keep);
  const out = new Uint8Array(12 + body.length);
  out.set(bytes.subarray(0, 12));
  new DataView(out.buffer).setUint32(4, 4 + body.length, true);
  out.set(body, 12);
  return out;
}
