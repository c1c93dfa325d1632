/**
 * The duplicate warning of a case: refreshes its tokens and names the other cases that seem to be
 * about the same person. Says nothing when the caller holds no search key (the search screen
 * explains that) or when no other case matches.
 */
import { useEffect, useState } from 'preact/hooks';
import { codeOf } from '../api.js';
import { t } from '../i18n.js';
import { Problem } from '../ui/problem.js';
import { refreshCaseTokens, type CaseMatch } from './case-tokens.js';

const SILENT = new Set(['no_search_key', 'stale_search_key']);

export function DuplicateWarning({ caseId }: { caseId: string }) {
  const [matches, setMatches] = useState<CaseMatch[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setMatches([]);
    setError(null);
    refreshCaseTokens(caseId).then(
      (m) => live && setMatches(m),
      (err: unknown) => {
        const code = codeOf(err);
        if (live && !SILENT.has(code)) setError(code);
      },
    );
    return () => {
      live = false;
    };
  }, [caseId]);
  if (error) return <Problem code={error} />;
  if (matches.length === 0) return null;
  return (
    <div class="alert alert-warn" role="status">
      <p>
        <span aria-hidden="true">⚠ </span>
        <strong>{t('duplicate.title')}</strong> {t('duplicate.intro')}
      </p>
      <ul>
        {matches.map((m) => (
          <li key={m.case.id}>
            <a href={`/console/cases/${m.case.id}`}>{m.case.reference}</a> {t('duplicate.matched', { n: m.matched })}
          </li>
        ))}
      </ul>
    </div>
  );
}
