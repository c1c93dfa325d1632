/**
 * The console's words. Every string is a key of the catalogues (i18n/<lang>.json, French first),
 * fetched from the build's hashed files; a catalogue may set `$dir` (rtl) and `$name` (the
 * language's own name). Dates and times are shown in the mechanism's time zone (from the API's
 * settings) in the reader's language format.
 */
import { signal } from '@preact/signals';

export type Catalogue = Record<string, string>;

const STORED = 'egide.console.lang';
export const languages = Object.keys(__CONSOLE_CATALOGUES__);
export const lang = signal<string>('fr');
const catalogue = signal<Catalogue>({});
export const timeZone = signal<string>('UTC');

function preferred(): string {
  // The language is not a secret: it may be kept between sessions.
  const kept = localStorage.getItem(STORED);
  if (kept && languages.includes(kept)) return kept;
  const browser = navigator.languages.map((l) => l.slice(0, 2)).find((l) => languages.includes(l));
  return browser ?? 'fr';
}

async function fetchCatalogue(code: string): Promise<Catalogue> {
  const url = __CONSOLE_CATALOGUES__[code];
  if (!url) throw new Error(`no catalogue for ${code}`);
  const response = await fetch(url, { credentials: 'omit' });
  if (!response.ok) throw new Error(`catalogue ${code}: HTTP ${response.status}`);
  return (await response.json()) as Catalogue;
}

export async function setLanguage(code: string): Promise<void> {
  const next = await fetchCatalogue(code);
  catalogue.value = next;
  lang.value = code;
  localStorage.setItem(STORED, code);
  document.documentElement.lang = code;
  document.documentElement.dir = next.$dir === 'rtl' ? 'rtl' : 'ltr';
}

export function startI18n(): Promise<void> {
  return setLanguage(preferred());
}

/** The text of `key`, with `{name}` replaced from `params`. A missing key shows itself (a test forbids them). */
export function t(key: string, params?: Record<string, string | number>): string {
  const text = catalogue.value[key] ?? key;
  return params ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m)) : text;
}

/** Whether the catalogue has words for `key` (codes of the policies the console may not know yet). */
export function hasText(key: string): boolean {
  return key in catalogue.value;
}

/** The words for a problem `code` of the API, never a raw status. */
export function problemText(code: string): string {
  const key = `error.${code}`;
  return key in catalogue.value ? t(key) : t('error.unexpected');
}

/** A language's own name, from its catalogue's `$name` when loaded, else the code. */
export function languageName(code: string): string {
  return code === lang.value ? (catalogue.value.$name ?? code) : (NAMES[code] ?? code);
}
const NAMES: Record<string, string> = { fr: 'Français', en: 'English', ar: 'العربية' };

/** One formatter per language and time zone: making one costs far more than formatting (a queue shows dozens of dates). */
const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();

export function formatDateTime(iso: string | Date): string {
  const key = `${lang.value} ${timeZone.value}`;
  let format = dateTimeFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(lang.value, { dateStyle: 'medium', timeStyle: 'short', timeZone: timeZone.value });
    dateTimeFormats.set(key, format);
  }
  return format.format(new Date(iso));
}
