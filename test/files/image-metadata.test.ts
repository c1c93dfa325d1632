/**
 * Stripping a photo's metadata before it is encrypted (web/common/files/image-metadata.ts):
 * images built with EXIF GPS, camera, date and orientation, XMP, IPTC, PNG text and WebP EXIF
 * chunks come out without any of it, the picture's own blocks byte for byte, and the report
 * says what was there. ExifReader reads the result back to show nothing revealing is left.
 */
import t from 'tap';
import { inflateSync } from 'node:zlib';
import exifReader from 'exifreader';
import { imageContainer, stripImageMetadata } from '../../web/common/files/image-metadata.js';
import { concat, tinyJpeg, tinyPng, tinyWebp, withJpegMetadata } from '../helpers/image-fixtures.js';

const PHONE = { make: 'Fairphone', model: 'FP5', dateTimeOriginal: '2025:05:17 10:30:00', gps: { latitude: 12.6392, longitude: -8.0029 } };
const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');
const tagsOf = (b: Uint8Array) => exifReader.load(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer, { expanded: true });

t.test('JPEG: Exif (GPS, camera, date), XMP, APP13, COM and a trailer are removed; orientation is kept', async (t) => {
  const plain = tinyJpeg();
  const trailer = Buffer.from('ftypmp42 motion photo with GPS 12.6392');
  const image = withJpegMetadata(plain, { ...PHONE, orientation: 6 }, { xmp: true, app13: true, comment: 'Bamako, rue 12', trailer });
  const before = tagsOf(image);
  t.ok(before.gps?.Latitude, 'the fixture carries a GPS position ExifReader reads');
  const out = stripImageMetadata(image);
  t.equal(out.outcome, 'stripped');
  t.same(out.removed, ['gps', 'camera', 'date', 'all_metadata']);
  const s = text(out.bytes);
  for (const gone of ['Fairphone', 'FP5', '2025:05:17', 'xap/1.0', 'Photoshop', 'Bamako', 'motion photo', 'GPSLatitude']) t.notOk(s.includes(gone), `${gone} is gone`);
  const after = tagsOf(out.bytes);
  t.equal(after.gps, undefined, 'no GPS left');
  t.equal(after.exif?.Make, undefined, 'no camera left');
  t.equal(after.exif?.Orientation?.value, 6, 'the orientation is written again, so the photo is not shown sideways');
  // The picture's own segments are there, unchanged and in order.
  const orientationBlock = 4 + 34 - 2;
  const rebuilt = concat([out.bytes.subarray(0, 20), out.bytes.subarray(20 + orientationBlock)]);
  t.same(Buffer.from(rebuilt), Buffer.from(plain), 'SOI, APP0, ICC, tables, frame and both scans (with their stuffed bytes and restart) are kept byte for byte');
  t.same(stripImageMetadata(image).bytes, out.bytes, 'the same bytes in give the same bytes out (a resumed upload encrypts the same plaintext)');
});

t.test('JPEG: an upright photo gets no Exif block at all; one without metadata is left as it is', async (t) => {
  const plain = tinyJpeg();
  const out = stripImageMetadata(withJpegMetadata(plain, { gps: PHONE.gps }));
  t.same(out.removed, ['gps', 'all_metadata']);
  t.same(Buffer.from(out.bytes), Buffer.from(plain));
  const none = stripImageMetadata(plain);
  t.equal(none.outcome, 'none_found');
  t.equal(none.bytes, plain, 'the very same bytes');
});

t.test('PNG: eXIf, tEXt, iTXt, zTXt and tIME are removed; the image data is kept', async (t) => {
  const image = tinyPng(PHONE);
  const out = stripImageMetadata(image);
  t.equal(out.outcome, 'stripped');
  t.ok(out.removed.includes('gps') && out.removed.includes('camera') && out.removed.includes('all_metadata'), out.removed.join());
  t.same(Buffer.from(out.bytes), Buffer.from(tinyPng()), 'exactly the PNG without its metadata chunks');
  for (const gone of ['eXIf', 'tEXt', 'iTXt', 'zTXt', 'tIME', 'market', 'river']) t.notOk(text(out.bytes).includes(gone), `${gone} is gone`);
  // Still a PNG whose pixels inflate.
  const idat = text(out.bytes).indexOf('IDAT');
  const length = Buffer.from(out.bytes).readUInt32BE(idat - 4);
  t.equal(inflateSync(out.bytes.subarray(idat + 4, idat + 4 + length)).length, 14);
});

t.test('WebP: EXIF and XMP chunks are removed, the VP8X flags cleared and the RIFF size fixed', async (t) => {
  const out = stripImageMetadata(tinyWebp(PHONE));
  t.equal(out.outcome, 'stripped');
  t.ok(out.removed.includes('gps'), out.removed.join());
  const b = Buffer.from(out.bytes);
  t.equal(b.readUInt32LE(4), b.length - 8, 'RIFF size');
  t.equal(b[20]! & 0x0c, 0, 'the EXIF and XMP flags are cleared');
  t.notOk(text(out.bytes).includes('EXIF') || text(out.bytes).includes('XMP '), 'no metadata chunk');
  t.same(b, Buffer.from(tinyWebp()), 'exactly the WebP without them');
});

t.test('other types and broken images are left untouched, and said so', async (t) => {
  const pdf = Buffer.from('%PDF-1.7\n/Author (someone)\n');
  t.same(stripImageMetadata(pdf).outcome, 'unsupported_type');
  t.equal(imageContainer(pdf), null);
  const cut = withJpegMetadata(tinyJpeg(), PHONE).subarray(0, 60);
  const broken = stripImageMetadata(cut);
  t.equal(broken.outcome, 'malformed');
  t.equal(broken.bytes, cut, 'a JPEG cut short is not rewritten');
  const png = tinyPng(PHONE);
  t.equal(stripImageMetadata(png.subarray(0, png.length - 5)).outcome, 'malformed');
});
