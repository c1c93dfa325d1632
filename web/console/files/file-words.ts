/**
 * How a file is described on screen: its size in words in the reader's language ("2,4 mégaoctets",
 * "2.4 megabytes", decimal units as Intl spells them), the short form of its ciphertext hash,
 * and whether its type is a picture the console draws on the page.
 */
import { lang } from '../i18n.js';

const UNITS = [
  ['gigabyte', 1e9],
  ['megabyte', 1e6],
  ['kilobyte', 1e3],
] as const;

export function sizeText(bytes: number): string {
  const [unit, scale] = UNITS.find(([, s]) => bytes >= s) ?? ['byte', 1];
  return new Intl.NumberFormat(lang.value, { style: 'unit', unit, unitDisplay: 'long', maximumFractionDigits: 1 }).format(bytes / scale);
}

/** The first 12 hex digits: enough to compare by eye with a printed record, the whole in the title. */
export function shortHash(hex: string): string {
  return hex.slice(0, 12);
}

/**
 * Pictures the browser decodes from bytes alone (never SVG, which is a document with scripts and
 * links): these are decrypted in the worker and drawn on a canvas, never given a URL.
 */
const DRAWN = new Set(['image/jpeg', 'image/pjpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif', 'image/bmp']);

export function isDrawnImage(type: string | null): boolean {
  return type !== null && DRAWN.has(type.toLowerCase());
}
