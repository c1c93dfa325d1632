/**
 * The defender's page: `/` files a protection request, `/suivi` follows one with the receipt.
 * One small script (this one) loads with the page; the crypto (libsodium) loads in a worker only
 * when needed. Nothing is ever written to localStorage, cookies or IndexedDB: the receipt, the
 * keys and the drafts live in memory and go with the tab. The one exception, in sessionStorage
 * (the tab's own, gone with it): the note that lets an interrupted evidence upload resume after a
 * reload (no name, no key; case-files.ts), removed when the upload ends and by quick exit.
 */
import { ApiFailure, call, forgetSession, logIn } from './api.js';
import { destroyCrypto } from './crypto-client.js';
import { applyLang, bi, h, lang } from './dom.js';
import { caseView } from './case-view.js';
import { clearUploadNote } from './case-files.js';
import { receiptForm, type Session } from './follow-receipt.js';
import { filingForm, receiptView, type Filed } from './filing.js';
import { L, type Lang } from './i18n.js';
import { meta, Outcome, setLists } from './ui.js';

const FOLLOW_PATH = '/suivi';
const main = document.getElementById('main') as HTMLElement;
/** Until the settings arrive, quick exit still leaves (to a neutral site). */
let exitUrl = 'https://www.google.com/search?q=meteo';
/**
 * The intake key the build pinned (`egide web build --intake-key`): the page encrypts for that
 * key and no other, whatever the server says. Without one, the key the server's configuration
 * names (INTAKE_KEY_ID, from the settings route), as trusted as the server itself.
 */
const buildPin = meta('egide-intake-key-pin');

/**
 * Whom the page may encrypt for: the keyId, or why it may not. A page built with a pinned key
 * refuses a server that configures or offers another one, before anything is typed; the worker
 * checks the key itself against the pin again when it seals (a keyId is only the server's word).
 */
type Target = { keyId: string } | { refused: 'not_open' | 'key_mismatch' | 'unreachable'; err?: unknown };
let target: Target = { refused: 'unreachable' };

async function loadSettings(): Promise<Target> {
  try {
    const settings = await call('getPageSettings');
    // Only somewhere ordinary: never a script or data URL, whatever the server sends.
    if (/^https:\/\/[^\s"<>]+$/.test(settings.exitUrl)) exitUrl = settings.exitUrl;
    setLists(settings.lists);
    if (!buildPin) return settings.intakeKeyId ? { keyId: settings.intakeKeyId } : { refused: 'not_open' };
    if (settings.intakeKeyId && settings.intakeKeyId !== buildPin) return { refused: 'key_mismatch' };
    const offered = await call('getIntakeKey');
    return offered.keyId === buildPin ? { keyId: buildPin } : { refused: 'key_mismatch' };
  } catch (err) {
    // No intake key at all (not bootstrapped yet): nothing can be filed, as without a configured key.
    if (buildPin && err instanceof ApiFailure && err.kind === 'not_found') return { refused: 'not_open' };
    return { refused: 'unreachable', err };
  }
}

/**
 * Quick exit: wipe the keys, empty the page and replace this history entry with a neutral site,
 * so that Back does not come back. In-page moves use replaceState, so there is only one entry.
 */
function quickExit(): void {
  destroyCrypto();
  clearUploadNote();
  forgetSession();
  document.title = '';
  document.body.replaceChildren();
  window.location.replace(exitUrl);
}

let lastEscape = 0;
document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape') return;
  const now = Date.now();
  if (now - lastEscape < 1500) quickExit();
  lastEscape = now;
});

function go(path: string): void {
  const url = new URL(path, window.location.href);
  if (lang() === 'en') url.searchParams.set('lang', 'en');
  history.replaceState(null, '', url.pathname + url.search);
}

function mount(view: HTMLElement, focus = true): void {
  main.replaceChildren(view);
  if (focus) (view.querySelector<HTMLElement>('h1[tabindex]') ?? main).focus();
}

function link(text: ReturnType<typeof L>, path: string, render: () => void): HTMLAnchorElement {
  const a = h('a', { href: path }, text);
  a.addEventListener('click', (event) => {
    event.preventDefault();
    go(path);
    render();
  });
  return a;
}

function home(focus = false): void {
  const view = h(
    'section',
    { class: 'home' },
    h('h1', { tabindex: '-1' }, L('homeTitle')),
    h('p', {}, L('homeIntro')),
    h('p', { class: 'hint' }, L('exitHint')),
    h('p', {}, L('homeFollow'), ' ', link(L('followLink'), FOLLOW_PATH, () => follow(true))),
  );
  if ('keyId' in target) {
    view.append(filingForm(target.keyId, filed));
  } else {
    // Without a key it may trust the page cannot know whom it would encrypt for: it sends nothing.
    const notice = new Outcome();
    view.append(notice.el);
    if (target.refused === 'not_open') notice.failWith(L('notOpen'));
    else if (target.refused === 'key_mismatch') notice.failWith(L('pinMismatch'));
    else notice.fail(target.err);
  }
  mount(view, focus);
}

function filed(result: Filed): void {
  mount(
    receiptView(result, {
      follow: () => {
        go(FOLLOW_PATH);
        // The worker already holds the keys of this receipt: log in without a second Argon2id run.
        void logIn(result.authKey).then(
          () => openCase({ caseId: result.caseId, authKey: result.authKey }),
          () => follow(true),
        );
      },
      finish: () => {
        destroyCrypto();
        forgetSession();
        go('/');
        home(true);
      },
    }),
  );
}

function follow(focus = false): void {
  mount(
    h('section', { class: 'follow' }, h('h1', { tabindex: '-1' }, L('followTitle')), h('p', {}, L('followIntro')), receiptForm(openCase), h('p', {}, link(L('newLink'), '/', () => home(true)))),
    focus,
  );
}

function openCase(session: Session): void {
  mount(
    caseView(session, () => {
      destroyCrypto();
      follow(true);
    }),
  );
}

function shell(): void {
  const langButton = h('button', { type: 'button', class: 'lang', id: 'lang-switch' });
  const setLang = (next: Lang) => {
    applyLang(next, L('title'));
    langButton.replaceChildren(bi(L('otherLang')));
    langButton.setAttribute('lang', next === 'fr' ? 'en' : 'fr');
    langButton.setAttribute('aria-label', L('otherLangName')[next]);
    const url = new URL(window.location.href);
    if (next === 'en') url.searchParams.set('lang', 'en');
    else url.searchParams.delete('lang');
    history.replaceState(null, '', url.pathname + url.search);
  };
  langButton.addEventListener('click', () => setLang(lang() === 'fr' ? 'en' : 'fr'));
  const exit = h('button', { type: 'button', class: 'exit', id: 'quick-exit' }, L('exit'));
  exit.addEventListener('click', quickExit);
  const header = document.getElementById('top') as HTMLElement;
  header.replaceChildren(h('span', { class: 'brand' }, L('brand')), h('div', { class: 'tools' }, langButton, exit));
  setLang(new URLSearchParams(window.location.search).get('lang') === 'en' ? 'en' : 'fr');
}

shell();
void loadSettings().then((t) => {
  target = t;
  if (window.location.pathname.replace(/\/+$/, '') === FOLLOW_PATH) follow();
  else home();
});
