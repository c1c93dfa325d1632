/**
 * A few DOM helpers. Text is always set with textContent (never innerHTML): decrypted messages
 * and server data can never become markup. Bilingual texts become <span data-fr data-en>, which
 * `applyLang` switches in place.
 */
import type { Bilingual, Lang } from './i18n.js';

export type Child = Node | string | Bilingual | null | undefined | false;
type Attrs = Record<string, string | boolean | number | undefined | null | ((event: Event) => void)>;

let current: Lang = 'fr';

export function lang(): Lang {
  return current;
}

/** A span showing one of two texts, switched by applyLang. */
export function bi(text: Bilingual): HTMLSpanElement {
  const span = document.createElement('span');
  span.dataset.fr = text.fr;
  span.dataset.en = text.en;
  span.textContent = text[current];
  return span;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (typeof c === 'string') el.append(c);
    else if (c instanceof Node) el.append(c);
    else el.append(bi(c));
  }
}

/** Switches every bilingual text of the document, the title and <html lang>; typed values are untouched. */
export function applyLang(next: Lang, title: Bilingual): void {
  current = next;
  document.documentElement.lang = next;
  document.title = title[next];
  for (const el of document.querySelectorAll<HTMLElement>('[data-fr][data-en]')) {
    el.textContent = (next === 'fr' ? el.dataset.fr : el.dataset.en) ?? '';
  }
}

let uid = 0;
export const nextId = (prefix: string): string => `${prefix}-${++uid}`;
