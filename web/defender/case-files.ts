/**
 * Evidence: the files of the case (names and captions opened in the crypto worker), each opened
 * and checked there on demand (an image shown inline, any file saved), and the form that adds
 * one: the picture's hidden metadata removed, encrypted and sent in the worker with a resumable
 * upload, a progress bar with its words for screen readers, and a cancel button.
 *
 * Resuming after a reload: the only thing kept is a note in sessionStorage (it goes with the
 * tab, and quick exit clears it): the case, the file id, the upload URL, the size, the date and a
 * keyed hash of the name (never the name, never a key). An upload goes on only when the person
 * picks the very same file again (same size, date and name): the encryption of another file
 * under the same key would reuse its nonces. Otherwise the old upload is abandoned.
 */
import { accessToken, keepSessionAlive, onAccessToken, type ResponseOf } from './api.js';
import { crypto, CryptoFailure, onWorkerEvent } from './crypto-client.js';
import { h, nextId } from './dom.js';
import { L, dateText, same, type Bilingual, type MessageKey } from './i18n.js';
import { button, Outcome, textField } from './ui.js';
import { uuid, type CaseContext } from './case-context.js';
import { isResumeRecord, isSameFile, type ResumeRecord } from '../common/files/resume-record.js';

type CaseFile = ResponseOf<'listCaseFiles'>['items'][number];
type Settings = ResponseOf<'getFileSettings'>;

const NOTE = 'egide-upload';

/** The tab's resume record of its one unfinished upload (sessionStorage: gone with the tab). */
function readNote(caseId: string): ResumeRecord | null {
  try {
    const note: unknown = JSON.parse(sessionStorage.getItem(NOTE) ?? 'null');
    return isResumeRecord(note) && note.caseId === caseId ? note : null;
  } catch {
    return null;
  }
}
const writeNote = (note: ResumeRecord): void => sessionStorage.setItem(NOTE, JSON.stringify(note));
/** Forgets the resume note (upload done or abandoned; quick exit). */
export const clearUploadNote = (): void => {
  try {
    sessionStorage.removeItem(NOTE);
  } catch {
    // storage unavailable: nothing was kept
  }
};

const REMOVED: Record<string, MessageKey> = { gps: 'removedGps', camera: 'removedCamera', date: 'removedDate', all_metadata: 'removedAll' };
const STRIP: Record<string, MessageKey> = { none_found: 'stripNone', unsupported_type: 'stripUnsupported', too_large: 'stripTooLarge', malformed: 'stripMalformed', off: 'stripOff' };

/** What was removed from the picture (or why nothing was), in words. */
function stripText(strip: string, removed: string[], isImage: boolean): Bilingual | null {
  if (strip === 'stripped') {
    const parts = removed.map((r) => L(REMOVED[r] ?? 'removedAll'));
    const list = (l: 'fr' | 'en') => parts.map((p) => p[l]).join(', ');
    return L('removedWhat', { what: { fr: list('fr'), en: list('en') } });
  }
  if (strip === 'unsupported_type' && !isImage) return null;
  const key = STRIP[strip];
  return key ? L(key) : null;
}

function failureOf(err: unknown): Bilingual | null {
  const code = err instanceof CryptoFailure ? err.code : '';
  if (code === 'ciphertext_changed' || code === 'plaintext_changed') return L('errFileAltered');
  if (code === 'too_large_for_memory') return L('errFileTooBig');
  if (code === 'cut_short') return L('errCutShort');
  if (code === 'file_too_large') return L('errFileTooLarge');
  if (code === 'file_count_exceeded' || code === 'file_quota_exceeded') return L('errFileQuota');
  if (code === 'invalid_token' || code === 'http_401') return L('errSession');
  if (code === 'network' || code === 'fetch_failed') return L('errNetwork');
  return null;
}

export function caseFiles(ctx: CaseContext): { el: HTMLElement; render(items: CaseFile[]): Promise<void> } {
  const { caseId, call } = ctx;
  const list = h('ul', { class: 'files', id: 'files' });
  const interrupted = h('p', { class: 'warning', id: 'upload-interrupted', hidden: true }, L('uploadInterrupted'));
  let items: CaseFile[] = [];
  let settings: Settings | null = null;
  let objectUrls: string[] = [];
  const loadSettings = async (): Promise<Settings> => (settings ??= await call('getFileSettings'));

  // --- the form ---------------------------------------------------------------------------------
  const fileId = nextId('f');
  const picker = h('input', { type: 'file', id: fileId, accept: 'image/*,audio/*,video/*,application/pdf', 'aria-describedby': `${fileId}-hint` });
  const caption = textField({ label: L('captionLabel'), hint: L('captionHint'), maxlength: 1000 });
  caption.input.id = 'file-caption';
  caption.wrap.querySelector('label')?.setAttribute('for', 'file-caption');
  const strip = h('input', { type: 'checkbox', id: 'strip-location', checked: true, 'aria-describedby': 'strip-location-hint' });
  const outcome = new Outcome();
  const bar = h('progress', { id: 'upload-progress', max: 100, value: 0, 'aria-labelledby': 'upload-progress-label' });
  const barText = h('p', { id: 'upload-progress-label' }, L('uploadProgressLabel'));
  // Announced at each tenth only: a screen reader reading every percent would say nothing else.
  const live = h('p', { class: 'visually-hidden', role: 'status', id: 'upload-live' });
  const cancel = button(L('cancelUpload'), { class: 'secondary', id: 'cancel-upload' });
  const progressBox = h('div', { class: 'upload-progress', hidden: true }, barText, bar, cancel);
  const send = h('button', { type: 'submit', class: 'primary', id: 'send-file' }, L('sendFile'));
  const form = h(
    'form',
    { novalidate: true, id: 'file-form' },
    h('div', { class: 'field' }, h('label', { for: fileId }, L('fileLabel')), h('p', { class: 'hint', id: `${fileId}-hint` }, L('fileHint')), picker),
    caption.wrap,
    h('div', { class: 'field' }, h('div', { class: 'choice' }, strip, h('label', { for: 'strip-location' }, L('stripLabel'))), h('p', { class: 'hint', id: 'strip-location-hint' }, L('stripHint'))),
    progressBox,
    live,
    outcome.el,
    h('div', { class: 'actions' }, send),
  );
  let current: string | null = null;
  cancel.addEventListener('click', () => {
    if (current) void crypto({ op: 'cancelUpload', fileId: current }).catch(() => undefined);
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void upload();
  });

  function showProgress(sent: number, total: number): void {
    const percent = total > 0 ? Math.floor((sent / total) * 100) : 0;
    bar.value = percent;
    barText.replaceChildren(h('span', {}, L('uploading', { percent })));
    const tenth = Math.floor(percent / 10) * 10;
    if (live.dataset.tenth !== String(tenth)) {
      live.dataset.tenth = String(tenth);
      live.replaceChildren(h('span', {}, L('uploading', { percent: tenth })));
    }
  }

  async function abandon(id: string): Promise<void> {
    await fetch(`/v1/uploads/${encodeURIComponent(id)}`, { method: 'DELETE', headers: { Authorization: `Bearer ${accessToken()}`, 'Tus-Resumable': '1.0.0' }, credentials: 'omit', cache: 'no-store' }).catch(() => undefined);
  }

  async function upload(): Promise<void> {
    outcome.clear();
    const file = picker.files?.[0];
    if (!file) {
      picker.setAttribute('aria-invalid', 'true');
      return outcome.failWith(L('pickFile'));
    }
    picker.removeAttribute('aria-invalid');
    send.disabled = true;
    picker.disabled = true;
    progressBox.hidden = false;
    barText.replaceChildren(h('span', {}, L('preparing')));
    bar.value = 0;
    const stopToken = onAccessToken((token) => void crypto({ op: 'setToken', token }).catch(() => undefined));
    // A long upload outlasts an access token: the session is renewed meanwhile and the worker follows.
    const stopKeepAlive = keepSessionAlive();
    let stopEvents = (): void => undefined;
    let id = '';
    try {
      const s = await loadSettings();
      // A fresh list (the session renewed if it had to be): the interrupted upload's sealed key is in it.
      items = (await call('listCaseFiles', { params: { caseId } })).items;
      await crypto({ op: 'setToken', token: accessToken() });
      const nameTag = await crypto({ op: 'nameTag', name: file.name });
      const note = readNote(caseId);
      let resume: { uploadUrl: string; sealedKey: string } | undefined;
      let stripChoice = strip.checked;
      if (note) {
        const pending = items.find((i) => i.id === note.fileId && i.state === 'uploading');
        const key = pending?.sealed.key;
        if (pending && key && isSameFile(note, file, nameTag)) {
          resume = { uploadUrl: note.uploadUrl, sealedKey: key };
          id = note.fileId;
          stripChoice = note.stripLocation;
          live.replaceChildren(h('span', {}, L('uploadResumed')));
        } else {
          await abandon(note.fileId);
          clearUploadNote();
          if (pending) outcome.ok(L('uploadRestarted'));
        }
      }
      id ||= uuid();
      current = id;
      const base = { caseId, fileId: id, size: file.size, lastModified: file.lastModified, nameTag, stripLocation: stripChoice };
      stopEvents = onWorkerEvent((e) => {
        if (e.fileId !== id) return;
        if (e.event === 'uploadUrl') writeNote({ ...base, uploadUrl: e.url });
        else showProgress(e.sent, e.total);
      });
      const done = await crypto({
        op: 'uploadFile',
        origin: window.location.origin,
        caseId,
        fileId: id,
        keyEpoch: ctx.keyEpoch,
        file,
        caption: caption.input.value.trim(),
        stripLocation: stripChoice,
        chunkSize: s.uploadChunkBytes,
        ...(resume ? { resume } : {}),
      });
      await call('attachCaseFile', { params: { caseId, fileId: id }, body: done.attachBody });
      clearUploadNote();
      const said = stripText(done.strip, done.removed, file.type.startsWith('image/'));
      const sent = said ? { fr: `${L('fileSent').fr} ${said.fr}`, en: `${L('fileSent').en} ${said.en}` } : L('fileSent');
      picker.value = '';
      caption.input.value = '';
      await render((await call('listCaseFiles', { params: { caseId } })).items);
      outcome.ok(sent);
    } catch (err) {
      if (err instanceof CryptoFailure && err.code === 'cancelled') {
        await abandon(id);
        clearUploadNote();
        outcome.ok(L('uploadCancelled'));
      } else {
        const text = failureOf(err);
        if (text) outcome.failWith(text);
        else outcome.fail(err);
      }
    } finally {
      stopEvents();
      stopKeepAlive();
      stopToken();
      current = null;
      progressBox.hidden = true;
      send.disabled = false;
      picker.disabled = false;
    }
  }

  // --- the list --------------------------------------------------------------------------------
  async function openFile(item: CaseFile, name: string, into: HTMLElement, itemOutcome: Outcome, mode: 'show' | 'save', btn: HTMLButtonElement): Promise<void> {
    itemOutcome.clear();
    btn.disabled = true;
    itemOutcome.status.replaceChildren(h('span', {}, L('openingFile')));
    try {
      const s = await loadSettings();
      await crypto({ op: 'setToken', token: accessToken() });
      const common = { op: 'downloadFile', origin: window.location.origin, caseId, fileId: item.id, ciphertextSha256: item.ciphertextSha256 ?? '', size: item.size, maxBytes: s.inMemoryDownloadMaxBytes } as const;
      const picker = (window as Window & { showSaveFilePicker?: (o: { suggestedName: string }) => Promise<FileSystemFileHandle> }).showSaveFilePicker;
      // Too large for memory: where the browser can write to a file the person picks, stream it there.
      if (mode === 'save' && item.size > s.inMemoryDownloadMaxBytes && picker) {
        const handle = await picker({ suggestedName: name });
        await crypto({ ...common, handle });
        itemOutcome.ok(L('fileOpened'));
        return;
      }
      const { blob } = await crypto(common);
      if (!blob) throw new CryptoFailure('crypto_failed', 'nothing opened');
      const url = URL.createObjectURL(blob);
      objectUrls.push(url);
      if (mode === 'show') {
        into.replaceChildren(h('img', { src: url, alt: name, class: 'evidence-image' }));
      } else {
        // A navigation to the decrypted bytes with a download name: the bytes never leave the phone.
        const a = h('a', { href: url, download: name, class: 'save-link' }, L('saveFile', { name: same(name) }));
        into.replaceChildren(a);
        a.click();
      }
      itemOutcome.ok(L('fileOpened'));
    } catch (err) {
      into.replaceChildren();
      const text = failureOf(err);
      if (text) itemOutcome.failWith(text);
      else itemOutcome.fail(err);
    } finally {
      btn.disabled = false;
    }
  }

  async function render(next: CaseFile[]): Promise<void> {
    items = next;
    for (const u of objectUrls) URL.revokeObjectURL(u);
    objectUrls = [];
    const attached = items.filter((i) => i.state !== 'uploading');
    const note = readNote(caseId);
    interrupted.hidden = !(note && items.some((i) => i.id === note.fileId && i.state === 'uploading'));
    const opened = attached.length ? await crypto({ op: 'openFiles', items: attached.map((i) => ({ id: i.id, sealed: i.sealed })) }) : [];
    list.replaceChildren(
      ...(attached.length === 0
        ? [h('li', { class: 'hint' }, L('noFiles'))]
        : attached.map((item, i) => {
            const o = opened[i];
            const who = item.uploaderRole === 'defender' ? L('you') : L('team');
            const meta = h('p', { class: 'who' }, h('span', {}, L('fileBy', { who, date: dateText(item.attachedAt ?? item.createdAt) })));
            if (!o?.readable || !o.name) return h('li', { id: `file-${item.id}` }, meta, h('p', { class: 'hint' }, L('unreadableFile')));
            const name = o.name;
            const type = o.type ?? 'application/octet-stream';
            const itemOutcome = new Outcome();
            const shown = h('div', { class: 'file-shown' });
            const actions: HTMLButtonElement[] = [];
            if (/^image\/(jpeg|png|webp|gif)$/.test(type)) {
              const show = button(L('showImage'), { class: 'secondary' });
              show.addEventListener('click', () => void openFile(item, name, shown, itemOutcome, 'show', show));
              actions.push(show);
            }
            const save = button(L('download'), { class: 'secondary' });
            save.addEventListener('click', () => void openFile(item, name, shown, itemOutcome, 'save', save));
            actions.push(save);
            return h(
              'li',
              { id: `file-${item.id}` },
              h('p', { class: 'file-name' }, name),
              o.caption ? h('p', { class: 'body' }, o.caption) : null,
              meta,
              h('div', { class: 'actions' }, ...actions),
              itemOutcome.el,
              shown,
            );
          })),
    );
  }

  const el = h('section', { class: 'card', 'aria-labelledby': 'files-title', id: 'evidence' }, h('h2', { id: 'files-title' }, L('filesTitle')), h('p', { class: 'hint' }, L('filesIntro')), interrupted, list, form);
  // The default of "remove location" is the institution's (policies/files.yaml), ticked unless it says otherwise.
  void loadSettings().then((s) => (strip.checked = s.stripLocationByDefault.defender), () => undefined);
  return { el, render };
}
