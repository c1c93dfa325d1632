/**
 * A case's evidence files. The list comes from the API with every descriptive field sealed; the
 * names, types and captions are opened in the worker (AD egide/v1/file/<id>/<field>) and only
 * their text comes back. Uploading, downloading and drawing a picture all happen in the worker
 * too: the page hands it the picked File, or the save dialog's file handle, and gets back sealed
 * fields, a checked plaintext, or a decoded picture. Nothing of a file is sent in the clear, and
 * nothing secret is kept here: an unfinished upload is remembered by its URL, size, date and a
 * keyed tag of its name (files/upload-records.ts).
 */
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { call, codeOf, followAccessToken, keepSessionAlive } from '../api.js';
import { crypto, onFileEvent } from '../crypto-client.js';
import { formatDateTime, t } from '../i18n.js';
import type { StripReport } from '../protocol.js';
import { account } from '../session.js';
import { Icon } from '../ui/badges.js';
import { catalogues, loadCatalogues } from '../ui/catalogues.js';
import { Problem } from '../ui/problem.js';
import { staffName } from '../ui/staff-names.js';
import { isDrawnImage, shortHash, sizeText } from '../files/file-words.js';
import { openListed, refOf, type CaseFile, type Listed } from '../files/open-listed.js';
import { findUploadRecord, forgetUploadRecord, keepUploadRecord, pruneUploadRecords } from '../files/upload-records.js';
import type { Actions } from './case-actions.js';

/** The codes that mean the file's bytes are not those its uploader sent: said loudly, nothing kept. */
const ALTERED = new Set(['ciphertext_changed', 'plaintext_changed']);

/** Pictures larger than this are not drawn on their own (each is downloaded whole to be drawn). */
const DRAW_MAX_BYTES = 32 * 1024 * 1024;

function uploaderText(uploader: string): string {
  if (uploader === `u:${account.value?.id ?? ''}`) return t('files.byMe');
  if (uploader.startsWith('d:')) return t('files.byDefender');
  if (uploader.startsWith('u:')) return staffName(uploader.slice(2)) ?? t('files.byStaff');
  return t('files.byStaff');
}

/** The worker's requests carry the access token: it follows each refresh while the section is shown. */
function useWorkerToken(): void {
  useEffect(() => followAccessToken((accessToken) => void crypto({ op: 'setToken', accessToken }).catch(() => undefined)), []);
}

export function CaseFiles({ caseId, keyEpoch, actions, onChanged }: { caseId: string; keyEpoch: number | null; actions: Actions | null; onChanged: () => void }) {
  const [items, setItems] = useState<Listed[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useWorkerToken();
  const allowed = (command: string) => actions?.commands.some((c) => c.command === command && c.allowed) ?? false;
  const readable = allowed('read_files');

  const load = async () => {
    const page = await call('listCaseFiles', { params: { caseId } });
    pruneUploadRecords(caseId, new Set(page.items.filter((f) => f.attachedAt === null).map((f) => f.id)));
    setItems(await openListed(caseId, page.items));
  };
  const reload = () => load().catch((err: unknown) => setError(codeOf(err)));

  useEffect(() => {
    setItems(null);
    setError(null);
    void loadCatalogues().catch(() => undefined);
  }, [caseId]);
  useEffect(() => {
    if (keyEpoch !== null && readable) void reload();
  }, [caseId, keyEpoch, readable]);

  const attached = (items ?? []).filter((l) => l.file.attachedAt !== null);
  const unfinished = (items ?? []).filter((l) => l.file.attachedAt === null);
  return (
    <section aria-labelledby="case-files" class="card case-files">
      <h2 id="case-files">{t('files.title')}</h2>
      <Problem code={error} />
      {keyEpoch === null ? (
        <p>{t('messages.needKey')}</p>
      ) : !actions ? (
        <p aria-busy="true">{t('case.loading')}</p>
      ) : !readable ? (
        <p>{t('files.notReadable')}</p>
      ) : items === null ? (
        <p aria-busy="true">{t('case.loading')}</p>
      ) : (
        <>
          {attached.length === 0 ? (
            <p>{t('files.empty')}</p>
          ) : (
            <ul class="files">
              {attached.map((l) => (
                <FileItem key={l.file.id} caseId={caseId} listed={l} />
              ))}
            </ul>
          )}
          {unfinished.length > 0 && <Unfinished items={unfinished} onChanged={reload} />}
          {allowed('add_file') && (
            <UploadForm
              caseId={caseId}
              keyEpoch={keyEpoch}
              unfinished={unfinished}
              onDone={() => {
                void reload();
                onChanged();
              }}
              onStopped={reload}
            />
          )}
        </>
      )}
    </section>
  );
}

function FileItem({ caseId, listed }: { caseId: string; listed: Listed }) {
  const { file, name, type, caption, opened } = listed;
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const maxInMemory = catalogues.value?.files.inMemoryDownloadMaxBytes ?? 0;
  const shownName = name ?? t('files.unnamed');

  const download = async () => {
    setError(null);
    setStatus(null);
    let target: FileSystemFileHandle | null = null;
    if (window.showSaveFilePicker) {
      try {
        // Asked first, while the click still counts as the person's gesture; the name is the sealed one, opened.
        target = await window.showSaveFilePicker({ suggestedName: name ?? file.id });
      } catch (err) {
        if ((err as { name?: string }).name === 'AbortError') return;
        target = null;
      }
    }
    if (!target && file.size > maxInMemory) {
      setError('file_too_big_for_memory');
      return;
    }
    setBusy(true);
    setStatus(t('files.downloading'));
    try {
      const done = await crypto({ op: 'downloadFile', caseId, file: refOf(file), target, maxInMemory });
      if (done.kind === 'memory') offerBlob(done.blob, name ?? file.id);
      setStatus(t('files.saved', { name: shownName }));
    } catch (err) {
      setStatus(null);
      setError(codeOf(err));
    } finally {
      setBusy(false);
    }
  };

  const stamped = file.timestampedAt;
  return (
    <li class="file" data-file-id={file.id}>
      <p class="file-name">
        <strong>{shownName}</strong>
        {type && <span class="muted"> · {type}</span>}
      </p>
      {!opened && (
        <p class="alert alert-error" role="alert">
          <Icon shape="triangle" /> {t('files.unopened')}
        </p>
      )}
      {caption && <p class="file-caption">{caption}</p>}
      <dl class="file-facts">
        <dt>{t('files.size')}</dt>
        <dd>{sizeText(file.size)}</dd>
        <dt>{t('files.added')}</dt>
        <dd>
          {uploaderText(file.uploader)} · <time dateTime={file.attachedAt ?? file.createdAt}>{formatDateTime(file.attachedAt ?? file.createdAt)}</time>
        </dd>
        <dt>{t('files.hash')}</dt>
        <dd>
          <code title={file.ciphertextSha256 ?? ''}>{file.ciphertextSha256 ? shortHash(file.ciphertextSha256) : '—'}</code>
        </dd>
        <dt>{t('files.timestamp')}</dt>
        <dd data-stamped={stamped ? 'yes' : 'no'}>{stamped ? t('files.stampedAt', { at: formatDateTime(stamped) }) : t('files.notStamped')}</dd>
      </dl>
      {isDrawnImage(type) && file.size <= Math.min(DRAW_MAX_BYTES, maxInMemory || DRAW_MAX_BYTES) && <InlineImage caseId={caseId} file={file} label={caption ?? shownName} />}
      <p class="actions">
        <button type="button" onClick={() => void download()} disabled={busy} aria-busy={busy}>
          {t('files.download', { name: shownName })}
        </button>
      </p>
      <FileProblem code={error} size={file.size} max={maxInMemory} />
      <p role="status" class="file-status">
        {status ?? ''}
      </p>
    </li>
  );
}

/** A checked plaintext assembled in memory, offered as a download and let go at once. */
export function offerBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** A failed download or picture in words; an altered file loudly. */
function FileProblem({ code, size, max }: { code: string | null; size: number; max: number }) {
  if (!code) return null;
  if (ALTERED.has(code)) {
    return (
      <div class="alert alert-error alert-loud" role="alert" data-code={code}>
        <p>
          <Icon shape="triangle" /> <strong>{t('files.altered')}</strong>
        </p>
        <p>{code === 'plaintext_changed' ? t('files.alteredPlaintext') : t('files.alteredCiphertext')}</p>
      </div>
    );
  }
  if (code === 'file_too_big_for_memory') {
    return (
      <p class="alert alert-warn" role="alert" data-code={code}>
        {t('files.tooBigForMemory', { size: sizeText(size), max: sizeText(max) })}
      </p>
    );
  }
  return <Problem code={code} />;
}

/** A picture decrypted and decoded in the worker, drawn on a canvas: it never has a URL. */
function InlineImage({ caseId, file, label }: { caseId: string; file: CaseFile; label: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [state, setState] = useState<'loading' | 'shown' | { error: string }>('loading');
  useEffect(() => {
    let live = true;
    setState('loading');
    crypto({ op: 'showImage', caseId, file: refOf(file), maxBytes: DRAW_MAX_BYTES }).then(
      (bitmap) => {
        const c = canvas.current;
        if (!live || !c) return bitmap.close();
        c.width = bitmap.width;
        c.height = bitmap.height;
        const context = c.getContext('bitmaprenderer');
        if (!context) return setState({ error: 'unexpected' });
        context.transferFromImageBitmap(bitmap);
        setState('shown');
      },
      (err: unknown) => live && setState({ error: codeOf(err) }),
    );
    return () => {
      live = false;
    };
  }, [caseId, file.id]);
  return (
    <figure class="file-image" data-state={typeof state === 'string' ? state : 'failed'}>
      <canvas ref={canvas} role="img" aria-label={t('files.imageOf', { label })} hidden={state !== 'shown'} />
      {state === 'loading' && <p aria-busy="true">{t('files.imageLoading')}</p>}
      {typeof state === 'object' && <FileProblem code={state.error} size={file.size} max={0} />}
    </figure>
  );
}

/** The caller's own uploads the server holds unfinished: re-picking the same file goes on with one; abandoning removes its bytes. */
function Unfinished({ items, onChanged }: { items: Listed[]; onChanged: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const abandon = async (fileId: string) => {
    setError(null);
    try {
      await call('abandonUpload', { params: { fileId }, headers: { 'tus-resumable': '1.0.0' } });
      forgetUploadRecord(fileId);
      onChanged();
    } catch (err) {
      setError(codeOf(err));
    }
  };
  return (
    <div class="files-unfinished">
      <h3>{t('files.unfinished')}</h3>
      <p class="hint">{t('files.unfinishedHint')}</p>
      <Problem code={error} />
      <ul>
        {items.map((l) => (
          <li key={l.file.id} data-file-id={l.file.id}>
            {sizeText(l.file.size)} · <time dateTime={l.file.createdAt}>{formatDateTime(l.file.createdAt)}</time>{' '}
            <button type="button" onClick={() => void abandon(l.file.id)}>
              {t('files.abandon')}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

interface Progress {
  sent: number;
  total: number;
}

function UploadForm({ caseId, keyEpoch, unfinished, onDone, onStopped }: { caseId: string; keyEpoch: number; unfinished: Listed[]; onDone: () => void; onStopped: () => void }) {
  const policy = catalogues.value?.files;
  const [picked, setPicked] = useState<File | null>(null);
  const [caption, setCaption] = useState('');
  const [strip, setStrip] = useState<boolean | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [announced, setAnnounced] = useState('');
  const [fileId, setFileId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [stripNote, setStripNote] = useState<StripReport | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const ids = { file: useId(), caption: useId(), strip: useId(), progress: useId(), hint: useId() };
  const stripLocation = strip ?? policy?.stripLocationByDefault ?? false;
  const busy = fileId !== null;

  const send = async (event: Event) => {
    event.preventDefault();
    const file = picked;
    setError(null);
    setStripNote(null);
    if (!file) return setError('file_missing');
    if (policy && file.size > policy.maxFileBytes) return setError('file_too_large');
    let nameTag: string;
    try {
      nameTag = await crypto({ op: 'fileNameTag', caseId, name: file.name });
    } catch (err) {
      return setError(codeOf(err));
    }
    const open = new Set(unfinished.map((l) => l.file.id));
    const record = findUploadRecord(caseId, file, nameTag, open);
    const resumeOf = record && unfinished.find((l) => l.file.id === record.fileId)?.file.sealed.key;
    const id = record && resumeOf ? record.fileId : globalThis.crypto.randomUUID();
    // A resume encrypts exactly what the first try did: the choice about the metadata is the first one.
    const stripNow = record && resumeOf ? record.stripLocation : stripLocation;
    setFileId(id);
    setProgress({ sent: 0, total: file.size });
    setAnnounced(record && resumeOf ? t('files.resuming') : t('files.encrypting'));
    let step = -1;
    const stop = onFileEvent(id, (e) => {
      if (e.kind === 'uploadUrl') keepUploadRecord({ caseId, fileId: id, uploadUrl: e.uploadUrl, size: file.size, lastModified: file.lastModified, nameTag, stripLocation: stripNow });
      else {
        setProgress({ sent: e.sent, total: e.total });
        // Said in tenths: a screen reader is not flooded with every chunk.
        const tenth = Math.floor((e.sent / Math.max(e.total, 1)) * 10);
        if (tenth !== step) {
          step = tenth;
          setAnnounced(t('files.progress', { percent: tenth * 10 }));
        }
      }
    });
    // A long upload outlasts an access token: the session is renewed meanwhile and the worker follows.
    const stopKeepAlive = keepSessionAlive();
    try {
      const request = { op: 'uploadFile', caseId, fileId: id, keyEpoch, file, caption: caption.trim(), stripLocation: stripNow, chunkSize: policy?.uploadChunkBytes ?? 4 * 1024 * 1024 } as const;
      let done;
      try {
        done = await crypto({ ...request, ...(record && resumeOf ? { resume: { uploadUrl: record.uploadUrl, sealedKey: resumeOf } } : {}) });
      } catch (err) {
        if (codeOf(err) !== 'invalid_token') throw err;
        // The access token ran out during a long upload: any call renews it (the worker follows), then go on from where the server stands.
        const listed = await call('listCaseFiles', { params: { caseId } });
        const sealedKey = listed.items.find((f) => f.id === id)?.sealed.key;
        if (!sealedKey) throw err;
        done = await crypto({ ...request, resume: { uploadUrl: `${location.origin}/v1/uploads/${id}`, sealedKey } });
      }
      await call('attachCaseFile', { params: { caseId, fileId: id }, body: done.attachBody });
      forgetUploadRecord(id);
      setStripNote(done.strip);
      setPicked(null);
      setCaption('');
      if (input.current) input.current.value = '';
      setAnnounced(t('files.attached'));
      onDone();
    } catch (err) {
      const code = codeOf(err);
      setAnnounced(code === 'upload_cancelled' ? t('files.cancelled') : '');
      if (code !== 'upload_cancelled') setError(code);
      onStopped();
    } finally {
      stop();
      stopKeepAlive();
      setFileId(null);
      setProgress(null);
    }
  };

  const cancel = () => {
    if (fileId) void crypto({ op: 'cancelUpload', fileId }).catch(() => undefined);
  };

  return (
    <form class="file-form" onSubmit={send} aria-describedby={ids.hint}>
      <h3>{t('files.addTitle')}</h3>
      <p class="hint" id={ids.hint}>
        {t('files.addHint')}
      </p>
      <div class="field">
        <label for={ids.file}>{t('files.pick')}</label>
        <input ref={input} id={ids.file} type="file" disabled={busy} onChange={(e) => setPicked(e.currentTarget.files?.[0] ?? null)} />
      </div>
      <div class="field">
        <label for={ids.caption}>{t('files.caption')}</label>
        <textarea id={ids.caption} rows={2} maxLength={1000} value={caption} disabled={busy} onInput={(e) => setCaption(e.currentTarget.value)} />
      </div>
      <div class="check">
        <input id={ids.strip} type="checkbox" checked={stripLocation} disabled={busy} onChange={(e) => setStrip(e.currentTarget.checked)} />
        <label for={ids.strip}>{t('files.stripLocation')}</label>
      </div>
      {progress && (
        <div class="field">
          <label for={ids.progress}>{t('files.progressLabel')}</label>
          <progress id={ids.progress} max={progress.total} value={progress.sent} />
        </div>
      )}
      <Problem code={error} />
      <p class="actions">
        <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
          {t('files.send')}
        </button>
        {busy && (
          <button type="button" onClick={cancel}>
            {t('files.cancel')}
          </button>
        )}
      </p>
      {stripNote && stripNote.outcome === 'stripped' && <p class="hint">{t('files.stripped')}</p>}
      <p role="status" class="file-status">
        {announced}
      </p>
    </form>
  );
}
