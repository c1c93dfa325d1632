/**
 * Find a case by who it is about (blind index): what is typed goes to the crypto worker, which
 * turns it into keyed tokens; only the tokens are sent (in the body), never the text.
 */
import { useState } from 'preact/hooks';
import { codeOf, call } from '../api.js';
import { crypto } from '../crypto-client.js';
import { t } from '../i18n.js';
import type { CaseMatch } from '../search/case-tokens.js';
import { openSearchKey } from '../search/search-key.js';
import { Field } from '../ui/field.js';
import { Problem } from '../ui/problem.js';

const EXPLAINED = new Set(['no_search_key', 'stale_search_key']);

export function Search() {
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [results, setResults] = useState<CaseMatch[] | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setResults(null);
    try {
      await openSearchKey();
      const tokens = await crypto({ op: 'queryTokens', typed });
      setResults(tokens.length ? (await call('searchCases', { body: { tokens } })).items : []);
    } catch (err) {
      setError(codeOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="search-title">
      <h1 id="search-title">{t('search.title')}</h1>
      <p>{t('search.intro')}</p>
      {error && EXPLAINED.has(error) ? (
        <div class="alert alert-error" role="alert" data-code={error}>
          <p>{t(`search.${error === 'no_search_key' ? 'noKey' : 'staleKey'}`)}</p>
          <p>{t('search.whoGrants')}</p>
        </div>
      ) : (
        <Problem code={error} />
      )}
      <form onSubmit={submit} noValidate role="search" aria-label={t('search.title')}>
        <Field label={t('search.label')} hint={t('search.hint')} value={typed} onValue={setTyped} inputMode="search" autocomplete="off" spellcheck={false} required />
        <button type="submit" class="primary" disabled={busy || typed.trim() === ''} aria-busy={busy}>
          {t('search.submit')}
        </button>
      </form>
      <div role="status">
        {results && <h2>{results.length === 0 ? t('search.none') : t('search.found', { n: results.length })}</h2>}
      </div>
      {results && results.length > 0 && (
        <ul class="results">
          {results.map((m) => (
            <li key={m.case.id} class="card">
              <a href={`/console/cases/${m.case.id}`}>{m.case.reference}</a>
              <span>{t('search.state', { state: t(`state.${m.case.state}`) })}</span>
              <span>{t('search.region', { region: m.case.region })}</span>
              <span>{t('search.matched', { n: m.matched })}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
