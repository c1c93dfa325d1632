/**
 * The internal notes of a case: staff only, sealed under the case's staff key, which the defender
 * never holds. Opened and sealed in the crypto worker; the first note makes the staff key.
 */
import { useEffect, useId, useState } from 'preact/hooks';
import { useRoute } from 'preact-iso/router';
import { codeOf } from '../api.js';
import { formatDateTime, t } from '../i18n.js';
import { noteRoomLeft } from '../notes/note-limit.js';
import { loadNotes, writeNote, type NotesPage } from '../notes/staff-notes.js';
import { account } from '../session.js';
import { Problem } from '../ui/problem.js';

export function CaseNotes() {
  const { params } = useRoute();
  const caseId = params.caseId ?? '';
  const [page, setPage] = useState<NotesPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const id = useId();
  const me = account.value;

  useEffect(() => {
    setPage(null);
    setError(null);
    loadNotes(caseId).then(setPage, (err: unknown) => setError(codeOf(err)));
  }, [caseId]);

  const more = async () => {
    const last = page?.notes.at(-1);
    if (!page || !last) return;
    setBusy(true);
    try {
      const next = await loadNotes(caseId, last);
      setPage({ ...next, notes: [...page.notes, ...next.notes] });
    } catch (err) {
      setError(codeOf(err));
    } finally {
      setBusy(false);
    }
  };

  const left = noteRoomLeft(text);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!page || text.trim() === '' || left < 0) return;
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const note = await writeNote(caseId, page, text.trim());
      // Oldest first: the new note shows at the end once every page before it is shown.
      const fresh = page.keyEpoch === null ? await loadNotes(caseId) : { ...page, notes: page.more ? page.notes : [...page.notes, note] };
      setPage(fresh);
      setText('');
      setSaved(true);
    } catch (err) {
      setError(codeOf(err));
    } finally {
      setBusy(false);
    }
  };

  const authorOf = (author: string, role: string) => (me && author === `u:${me.id}` ? t('notes.byYou') : t(`role.${role}`));

  return (
    <section aria-labelledby="notes-title">
      <p>
        <a href={`/console/cases/${caseId}`}>{t('notes.backToCase')}</a>
      </p>
      <h1 id="notes-title">{t('notes.title')}</h1>
      <p class="alert alert-info">
        <span aria-hidden="true">🔒 </span>
        {t('notes.staffOnly')}
      </p>
      <Problem code={error} />
      {!page && !error && <p role="status">{t('notes.loading')}</p>}
      {page && (
        <>
          <h2>{t('notes.listTitle')}</h2>
          {page.noEnvelope && <p class="alert alert-error">{t('notes.noEnvelope')}</p>}
          {!page.noEnvelope && page.notes.length === 0 && <p>{page.keyEpoch === null ? t('notes.noneYet') : t('notes.none')}</p>}
          <ol class="notes">
            {page.notes.map((n) => (
              <li key={n.id} class="card note">
                <p class="note-meta">
                  {t('notes.meta', { author: authorOf(n.author, n.authorRole), time: formatDateTime(new Date(n.createdAt)) })}
                </p>
                {n.text === null ? <p class="alert alert-error">{t('notes.unreadable')}</p> : <p class="note-text">{n.text}</p>}
              </li>
            ))}
          </ol>
          {page.more && (
            <button type="button" onClick={() => void more()} disabled={busy}>
              {t('notes.more')}
            </button>
          )}
          {!page.noEnvelope && (
            <form onSubmit={submit} noValidate class="note-form">
              <h2>{t('notes.writeTitle')}</h2>
              <div class={left < 0 ? 'field field-invalid' : 'field'}>
                <label for={id}>{t('notes.textLabel')}</label>
                <textarea id={id} rows={5} value={text} onInput={(e) => setText(e.currentTarget.value)} aria-describedby={`${id}-left`} aria-invalid={left < 0 ? 'true' : undefined} required />
                <p class={left < 0 ? 'field-error' : 'hint'} id={`${id}-left`}>
                  {left < 0 ? t('notes.tooLong', { n: -left }) : t('notes.left', { n: left })}
                </p>
              </div>
              {page.keyEpoch === null && <p class="hint">{t('notes.firstMakesKey')}</p>}
              <button type="submit" class="primary" disabled={busy || text.trim() === '' || left < 0} aria-busy={busy}>
                {t('notes.save')}
              </button>
              {saved && (
                <p role="status" class="alert alert-ok">
                  <span aria-hidden="true">✓ </span>
                  {t('notes.saved')}
                </p>
              )}
            </form>
          )}
        </>
      )}
    </section>
  );
}
