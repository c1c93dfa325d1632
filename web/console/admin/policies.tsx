/**
 * The policies as the service loaded them, read-only: one section per file of policies/, its
 * document drawn as definition lists and tables (keys in words where the catalogue has them, the
 * files' own French labels where they give one), and the file itself under a disclosure.
 */
import { useEffect, useState } from 'preact/hooks';
import { Fragment, type ComponentChildren } from 'preact';
import { call, codeOf, type ResponseOf } from '../api.js';
import { formatDateTime, hasText, lang, t } from '../i18n.js';
import { Problem } from '../ui/problem.js';

type PolicyFile = ResponseOf<'getPolicies'>['files'][number];
type Plain = Record<string, unknown>;

const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);
/** `{ fr: ..., en: ... }`: a label the file gives in each language. */
const isLabel = (v: unknown): v is Record<string, string> => isPlain(v) && Object.keys(v).length > 0 && Object.entries(v).every(([k, x]) => /^[a-z]{2}$/.test(k) && typeof x === 'string');

function keyText(k: string): string {
  return hasText(`admin.policies.key.${k}`) ? t(`admin.policies.key.${k}`) : k;
}
function fileTitle(f: PolicyFile): string {
  return hasText(`admin.policies.file.${f.name}`) ? t(`admin.policies.file.${f.name}`) : f.file;
}

/** The columns of a table of objects: every key any row has, in first-seen order. */
function columnsOf(rows: Plain[]): string[] {
  const seen: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!seen.includes(k)) seen.push(k);
  return seen;
}

function Value({ v, depth }: { v: unknown; depth: number }): ComponentChildren {
  if (v === null || v === undefined) return <span class="muted">—</span>;
  if (typeof v === 'boolean') return v ? t('admin.policies.yes') : t('admin.policies.no');
  if (typeof v === 'number' || typeof v === 'string') return String(v);
  if (isLabel(v)) return v[lang.value] ?? v.fr ?? Object.values(v)[0] ?? '';
  if (Array.isArray(v)) {
    if (v.length === 0) return <span class="muted">—</span>;
    if (v.every((x) => !isPlain(x) || isLabel(x))) return v.map((x, i) => (
        <Fragment key={i}>
          {i > 0 && ', '}
          <Value v={x} depth={depth} />
        </Fragment>
      ));
    return <Table rows={v.map((x, i) => (isPlain(x) ? x : { [String(i)]: x }))} depth={depth} />;
  }
  if (isPlain(v)) {
    const entries = Object.entries(v);
    // A set of named things of the same shape (actions, rules, levels): a table, its names first.
    if (entries.length > 1 && entries.every(([, x]) => isPlain(x) && !isLabel(x))) return <Table rows={entries.map(([k, x]) => ({ '': k, ...(x as Plain) }))} depth={depth} />;
    return (
      <dl class="facts">
        {entries.map(([k, x]) => (
          <Fragment key={k}>
            <dt>{keyText(k)}</dt>
            <dd>
              <Value v={x} depth={depth + 1} />
            </dd>
          </Fragment>
        ))}
      </dl>
    );
  }
  return String(v);
}

function Table({ rows, depth }: { rows: Plain[]; depth: number }) {
  const cols = columnsOf(rows);
  return (
    <table class="queue">
      <thead>
        <tr>
          {cols.map((c) => (
            <th scope="col" key={c}>
              {c === '' ? t('admin.policies.code') : keyText(c)}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i}>
            {cols.map((c) =>
              c === '' ? (
                <th scope="row" key={c} class="code">
                  {String(r[c])}
                </th>
              ) : (
                <td key={c} data-label={keyText(c)}>
                  <Value v={r[c]} depth={depth + 1} />
                </td>
              ),
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Policies() {
  const [data, setData] = useState<ResponseOf<'getPolicies'> | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    call('getPolicies').then(setData, (err: unknown) => setError(codeOf(err)));
  }, []);
  return (
    <div class="stack">
      <h1>{t('admin.policies.title')}</h1>
      <p>{t('admin.policies.intro')}</p>
      <Problem code={error} />
      {data && (
        <>
          <p class="muted">{t('admin.policies.loadedAt', { at: formatDateTime(data.loadedAt) })}</p>
          <nav aria-label={t('admin.policies.contents')}>
            <ul class="results">
              {data.files.map((f) => (
                <li key={f.name}>
                  <a href={`#policy-${f.name}`}>{fileTitle(f)}</a>
                </li>
              ))}
            </ul>
          </nav>
          {data.files.map((f) => (
            <section key={f.name} id={`policy-${f.name}`} class="card" aria-labelledby={`policy-${f.name}-title`} data-policy={f.name}>
              <h2 id={`policy-${f.name}-title`}>{fileTitle(f)}</h2>
              <p class="muted code">policies/{f.file}</p>
              <Value v={f.data} depth={0} />
              <details>
                <summary>{t('admin.policies.raw')}</summary>
                <pre class="code" tabIndex={0}>{f.source}</pre>
              </details>
            </section>
          ))}
        </>
      )}
    </div>
  );
}
