/**
 * Test helper: images carrying the metadata a phone writes (EXIF with GPS, camera, dates and
 * an orientation; XMP; IPTC; PNG text; WebP EXIF/XMP chunks), built byte by byte so tests need
 * no image tool. `exifTiff` writes a real TIFF/EXIF structure (ExifReader reads it back);
 * `withJpegMetadata` inserts it into a JPEG (a real one, e.g. made by Chromium's canvas, or
 * `tinyJpeg()`'s structural stand-in), `tinyPng` is a real decodable PNG.
 */
import { deflateSync } from 'node:zlib';

const enc = new TextEncoder();

export interface ExifFields {
  make?: string;
  model?: string;
  /** 'YYYY:MM:DD HH:MM:SS' */
  dateTimeOriginal?: string;
  orientation?: number;
  /** decimal degrees: north and east positive */
  gps?: { latitude: number; longitude: number };
}

interface Entry {
  tag: number;
  type: number;
  count: number;
  data: Uint8Array;
}

const ascii = (tag: number, s: string): Entry => {
  const data = enc.encode(`${s}\0`);
  return { tag, type: 2, count: data.length, data };
};
const short = (tag: number, v: number): Entry => ({ tag, type: 3, count: 1, data: Uint8Array.from([v >> 8, v & 0xff]) });
const long = (tag: number, v: number): Entry => ({ tag, type: 4, count: 1, data: Uint8Array.from([v >>> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff]) });
const rationals = (tag: number, values: Array<[number, number]>): Entry => {
  const data = new Uint8Array(values.length * 8);
  const view = new DataView(data.buffer);
  values.forEach(([n, d], i) => {
    view.setUint32(i * 8, n);
    view.setUint32(i * 8 + 4, d);
  });
  return { tag, type: 5, count: values.length, data };
};
const dms = (deg: number): Array<[number, number]> => {
  const a = Math.abs(deg);
  const d = Math.floor(a);
  const m = Math.floor((a - d) * 60);
  const s = Math.round(((a - d) * 60 - m) * 60 * 100);
  return [
    [d, 1],
    [m, 1],
    [s, 100],
  ];
};

/** One IFD at `offset`: its entries (sorted), the next-IFD link (0), then the values longer than 4 bytes. */
function ifd(entries: Entry[], offset: number): Uint8Array {
  entries.sort((a, b) => a.tag - b.tag);
  const head = 2 + entries.length * 12 + 4;
  const extra = entries.reduce((n, e) => n + (e.data.length > 4 ? e.data.length + (e.data.length & 1) : 0), 0);
  const out = new Uint8Array(head + extra);
  const view = new DataView(out.buffer);
  view.setUint16(0, entries.length);
  let dataAt = head;
  entries.forEach((e, i) => {
    const at = 2 + i * 12;
    view.setUint16(at, e.tag);
    view.setUint16(at + 2, e.type);
    view.setUint32(at + 4, e.count);
    if (e.data.length <= 4) out.set(e.data, at + 8);
    else {
      view.setUint32(at + 8, offset + dataAt);
      out.set(e.data, dataAt);
      dataAt += e.data.length + (e.data.length & 1);
    }
  });
  return out;
}

const ifdSize = (entries: Entry[]): number => ifd([...entries], 0).length;

/** A big-endian TIFF structure as EXIF holds it: IFD0, the Exif IFD and the GPS IFD. */
export function exifTiff(f: ExifFields): Uint8Array {
  const ifd0: Entry[] = [];
  if (f.make) ifd0.push(ascii(0x010f, f.make));
  if (f.model) ifd0.push(ascii(0x0110, f.model));
  if (f.orientation) ifd0.push(short(0x0112, f.orientation));
  const exif: Entry[] = f.dateTimeOriginal ? [ascii(0x9003, f.dateTimeOriginal)] : [];
  const gps: Entry[] = f.gps
    ? [
        { tag: 0x0000, type: 1, count: 4, data: Uint8Array.from([2, 3, 0, 0]) },
        ascii(0x0001, f.gps.latitude >= 0 ? 'N' : 'S'),
        rationals(0x0002, dms(f.gps.latitude)),
        ascii(0x0003, f.gps.longitude >= 0 ? 'E' : 'W'),
        rationals(0x0004, dms(f.gps.longitude)),
      ]
    : [];
  // Pointers first with placeholder values, so IFD0's size is known.
  if (exif.length) ifd0.push(long(0x8769, 0));
  if (gps.length) ifd0.push(long(0x8825, 0));
  const at0 = 8;
  const atExif = at0 + ifdSize(ifd0);
  const atGps = atExif + (exif.length ? ifdSize(exif) : 0);
  for (const e of ifd0) {
    if (e.tag === 0x8769) e.data = long(0, atExif).data;
    if (e.tag === 0x8825) e.data = long(0, atGps).data;
  }
  const parts = [Uint8Array.from([0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8]), ifd(ifd0, at0), ...(exif.length ? [ifd(exif, atExif)] : []), ...(gps.length ? [ifd(gps, atGps)] : [])];
  return concat(parts);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function segment(marker: number, payload: Uint8Array): Uint8Array {
  const length = payload.length + 2;
  return concat([Uint8Array.from([0xff, marker, length >> 8, length & 0xff]), payload]);
}

export const XMP_WITH_GPS = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="12,38.4N"/></rdf:RDF></x:xmpmeta>';

/**
 * The JPEG with, right after SOI (and APP0 when there is one): APP1 Exif (the fields), APP1 XMP,
 * APP13 Photoshop/IPTC and a COM; `trailer` bytes are appended after EOI (a "motion photo").
 */
export function withJpegMetadata(jpeg: Uint8Array, f: ExifFields, opts: { xmp?: boolean; app13?: boolean; comment?: string; trailer?: Uint8Array } = {}): Uint8Array {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error('not a JPEG');
  let at = 2;
  if (jpeg[2] === 0xff && jpeg[3] === 0xe0) at = 4 + ((jpeg[4]! << 8) | jpeg[5]!);
  const inserted = [segment(0xe1, concat([enc.encode('Exif\0\0'), exifTiff(f)]))];
  if (opts.xmp) inserted.push(segment(0xe1, concat([enc.encode('http://ns.adobe.com/xap/1.0/\0'), enc.encode(XMP_WITH_GPS)])));
  if (opts.app13) inserted.push(segment(0xed, concat([enc.encode('Photoshop 3.0\0'), enc.encode('8BIM\x04\x04\0\0\0\0\0\x00')])));
  if (opts.comment) inserted.push(segment(0xfe, enc.encode(opts.comment)));
  return concat([jpeg.subarray(0, at), ...inserted, jpeg.subarray(at), ...(opts.trailer ? [opts.trailer] : [])]);
}

/**
 * A JPEG's structure without a decodable picture (enough to walk it): SOI, APP0 JFIF, APP2 ICC,
 * DQT, SOF0, DHT, SOS with entropy-coded bytes holding a stuffed 0xFF00 and a restart marker,
 * a second scan (as a progressive image has), EOI.
 */
export function tinyJpeg(): Uint8Array {
  return concat([
    Uint8Array.from([0xff, 0xd8]),
    segment(0xe0, concat([enc.encode('JFIF\0'), Uint8Array.from([1, 1, 0, 0, 1, 0, 1, 0, 0])])),
    segment(0xe2, concat([enc.encode('ICC_PROFILE\0'), Uint8Array.from([1, 1, 9, 9, 9])])),
    segment(0xdb, new Uint8Array(65)),
    segment(0xc0, Uint8Array.from([8, 0, 1, 0, 1, 1, 1, 0x11, 0])),
    segment(0xc4, new Uint8Array(20)),
    segment(0xda, Uint8Array.from([1, 1, 0, 0, 0x3f, 0])),
    Uint8Array.from([0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56]),
    segment(0xc4, new Uint8Array(20)),
    segment(0xda, Uint8Array.from([1, 1, 0, 0, 0x3f, 0])),
    Uint8Array.from([0x78, 0x9a]),
    Uint8Array.from([0xff, 0xd9]),
  ]);
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(enc.encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A real 2x2 RGB PNG; with `metadata`, eXIf (the fields), tEXt, iTXt, zTXt and tIME chunks before IDAT. */
export function tinyPng(metadata?: ExifFields): Uint8Array {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, 2);
  v.setUint32(4, 2);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = Uint8Array.from([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 255]);
  const meta = metadata
    ? [
        pngChunk('eXIf', exifTiff(metadata)),
        pngChunk('tEXt', enc.encode('Comment\0taken at the market')),
        pngChunk('iTXt', enc.encode('Description\0\0\0\0\0near the river')),
        pngChunk('zTXt', concat([enc.encode('Author\0\0'), deflateSync(enc.encode('someone'))])),
        pngChunk('tIME', Uint8Array.from([0x07, 0xe9, 5, 17, 10, 30, 0])),
      ]
    : [];
  return concat([Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), ...meta, pngChunk('IDAT', deflateSync(raw)), pngChunk('IEND', new Uint8Array(0))]);
}

function riffChunk(fourcc: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + data.length + (data.length & 1));
  out.set(enc.encode(fourcc));
  new DataView(out.buffer).setUint32(4, data.length, true);
  out.set(data, 8);
  return out;
}

/** A WebP's structure (VP8X with the EXIF and XMP flags, a stand-in VP8L, then EXIF and XMP chunks when `metadata`). */
export function tinyWebp(metadata?: ExifFields): Uint8Array {
  const vp8x = new Uint8Array(10);
  vp8x[0] = metadata ? 0x0c : 0;
  const chunks = [riffChunk('VP8X', vp8x), riffChunk('VP8L', Uint8Array.from([0x2f, 1, 0, 0, 0x10, 7]))];
  // An odd-sized chunk checks the padding byte is kept.
  if (metadata) chunks.push(riffChunk('EXIF', exifTiff(metadata)), riffChunk('XMP ', enc.encode(`${XMP_WITH_GPS} `)));
  const body = concat(chunks);
  const head = new Uint8Array(12);
  head.set(enc.encode('RIFF'));
  new DataView(head.buffer).setUint32(4, 4 + body.length, true);
  head.set(enc.encode('WEBP'), 8);
  return concat([head, body]);
}
