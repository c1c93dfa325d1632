/**
 * The person's saved views of the queue: the current filters and sort kept under a name (on the
 * server, labels and codes only), each a link that applies them, and a deletion asked twice.
 */
import { useEffect, useId, useState } from 'preact/hooks';
import { call, codeOf, type ResponseOf } from '../api.js';
import { t } from '../i18n.js';
import { Field } from '../ui/field.js';
import { Problem } from '../ui/problem.js';
import { FILTER_KEYS, type Filters } from './queue-filters.js';

type View = ResponseOf<'listSavedViews'>['items'][number];

/** The link of a view: its filters on the tab in use. */
function hrefOf(tab: string, view: View): string {
  const q = new URLSearchParams({ tab });
  for (const k of FILTER_KEYS) {
    const v = view.query[k];
    if (v && !(tab === 'pool' && k === 'state')) q.set(k, v);
  }
  return `/console?${q.toString()}`;
}

export function SavedViews({ tab, filters }: { tab: string; filters: Filters }) {
  const [views, setViews] = useState<View[] | null>(null);
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [asking, setAsking] = useState<View | null>(null);
  const [busy, setBusy] = useState(false);
  const headingId = useId();

  const load = async () => {
    try {
      setViews((await call('listSavedViews')).items);
    } catch (err) {
      setError(codeOf(err));
    }
  };
  useEffect(() => void load(), []);

  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setStatus(null);
    if (!name.trim()) {
      setError('view_name_missing');
      return;
    }
    const kept: Partial<Filters> = {};
    for (const k of FILTER_KEYS) if (filters[k]) kept[k] = filters[k];
    // Codes of the URL, which the server checks against the list's own query schema.
    const query = kept as View['query'];
    setBusy(true);
    try {
      const view = await call('createSavedView', { body: { name: name.trim(), query } });
      setStatus(t('views.saved', { name: view.name }));
      setName('');
      await load();
    } catch (err) {
      // The one conflict a new view meets is the cap of views each.
      const code = codeOf(err);
      setError(code === 'conflict' ? 'views_full' : code);
    } finally {
      setBusy(false);
    }
  };

  const remove = async (view: View) => {
    setError(null);
    setStatus(null);
    setBusy(true);
    try {
      await call('deleteSavedView', { params: { id: view.id } });
      setAsking(null);
      setStatus(t('views.deleted', { name: view.name }));
      await load();
    } catch (err) {
      setError(codeOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby={headingId} class="card saved-views">
      <h2 id={headingId}>{t('views.title')}</h2>
      {views === null ? (
        <p aria-busy="true">{t('views.loading')}</p>
      ) : views.length === 0 ? (
        <p>{t('views.none')}</p>
      ) : (
        <ul class="views">
          {views.map((v) => (
            <li key={v.id}>
              <a href={hrefOf(tab, v)}>{v.name}</a>{' '}
              {asking?.id === v.id ? (
                <span class="confirm">
                  <span>{t('views.confirm', { name: v.name })}</span>{' '}
                  <button type="button" disabled={busy} onClick={() => void remove(v)}>
                    {t('views.confirmYes')}
                  </button>{' '}
                  <button type="button" onClick={() => setAsking(null)}>
                    {t('views.confirmNo')}
                  </button>
                </span>
              ) : (
                <button type="button" aria-label={t('views.deleteNamed', { name: v.name })} onClick={() => setAsking(v)}>
                  {t('views.delete')}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <form class="save-view" onSubmit={(e) => void save(e)}>
        <Field label={t('views.name')} hint={t('views.nameHint')} value={name} onValue={setName} maxLength={60} />
        <button type="submit" disabled={busy}>
          {t('views.save')}
        </button>
      </form>
      {error === 'views_full' || error === 'view_name_missing' ? (
        <p class="alert alert-error" role="alert" data-code={error}>
          {error === 'views_full' ? t('views.full') : t('views.nameMissing')}
        </p>
      ) : (
        <Problem code={error} />
      )}
      <p role="status" class={status ? 'alert alert-ok' : 'visually-hidden'}>
        {status ?? ''}
      </p>
    </section>
  );
}
