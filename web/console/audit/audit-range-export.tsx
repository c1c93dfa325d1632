/**
 * Export and verify one period of the log, the one chosen in the viewer's filters, without
 * trusting the server that serves both the events and the checkpoints: the server widens the
 * period to the stored signed checkpoints around it (GET /v1/audit/checkpoints), the range
 * between them is exported, and the crypto worker checks both signatures with the key this
 * console pinned, recomputes the chain from the first and must land exactly on the second
 * (docs/crypto-v1.md §11.4). The verdict says which seqs and which checkpoints were checked, and
 * with which key; the export and its checkpoints are offered for `egide audit verify --range`.
 */
import { call, type ResponseOf } from '../api.js';
import { crypto } from '../crypto-client.js';
import { formatDateTime, t } from '../i18n.js';
import type { AuditRangeVerdict } from '../protocol.js';
import { exportBytes, today } from './audit-export.js';
import { FailedVerdict, RunReport, useExportRun } from './export-run.js';

type Checkpoints = ResponseOf<'getAuditCheckpoints'>;

interface RangeResult {
  verdict: AuditRangeVerdict;
  checkpoints: Checkpoints;
  fingerprint: string;
}

/** The period in words: both bounds, or the one given. */
function periodText(from?: string, to?: string): string {
  if (from && to) return t('audit.range.between', { from: formatDateTime(from), to: formatDateTime(to) });
  if (from) return t('audit.range.since', { from: formatDateTime(from) });
  return t('audit.range.until', { to: formatDateTime(to!) });
}

/** `from` and `to`: the period the viewer shows (instants), either may be absent. */
export function AuditRangeExport({ from, to }: { from?: string | undefined; to?: string | undefined }) {
  const r = useExportRun<RangeResult>();
  const chosen = from !== undefined || to !== undefined;

  const run = () =>
    r.run(async (steps) => {
      const checkpoints = await call('getAuditCheckpoints', { query: { ...(from ? { from } : {}), ...(to ? { to } : {}) } });
      const fingerprint = steps.trust(checkpoints.signingPublicKey);
      if (!fingerprint) return null;
      const { start, end } = checkpoints;
      const blob = await exportBytes({ afterSeq: start?.seq ?? 0, toSeq: end.seq });
      const name = `egide-audit-${start?.seq ?? 0}-${end.seq}-${today()}`;
      steps.offer(blob, `${name}.ndjson`, 'export');
      steps.offer(new Blob([JSON.stringify(checkpoints)], { type: 'application/json' }), `${name}.checkpoints.json`, 'checkpoints');
      const ref = (c: { seq: number; hash: string; signature: string }) => ({ seq: c.seq, hash: c.hash, signature: c.signature });
      const verdict = await crypto({ op: 'verifyAuditRange', file: blob, range: { start: start ? ref(start) : null, end: ref(end) }, signingPublicKey: checkpoints.signingPublicKey, progressId: steps.progressId });
      return { verdict, checkpoints, fingerprint };
    });

  return (
    <section aria-labelledby="audit-range-title" class="card audit-range">
      <h2 id="audit-range-title">{t('audit.range.title')}</h2>
      <p>{t('audit.range.what')}</p>
      {chosen ? (
        <>
          <p>
            <strong>{t('audit.range.period')}</strong> {periodText(from, to)}
          </p>
          <button type="button" onClick={() => void run()} disabled={r.busy} aria-busy={r.busy}>
            {t('audit.range.run')}
          </button>
        </>
      ) : (
        <p class="muted">{t('audit.range.none')}</p>
      )}
      <RunReport run={r}>{r.verdict && <RangeVerdict result={r.verdict} />}</RunReport>
    </section>
  );
}

function RangeVerdict({ result }: { result: RangeResult }) {
  const { verdict, checkpoints, fingerprint } = result;
  const { period, start, end } = checkpoints;
  const checked = (
    <dl class="meta audit-range-checked">
      <dt>{t('audit.range.periodSeqs')}</dt>
      <dd>{t('audit.range.seqs', { first: period.firstSeq, last: period.lastSeq })}</dd>
      <dt>{t('audit.range.start')}</dt>
      <dd data-seq={start?.seq ?? 0}>{start ? t('audit.range.checkpoint', { seq: start.seq, at: formatDateTime(start.signedAt) }) : t('audit.range.genesis')}</dd>
      <dt>{t('audit.range.end')}</dt>
      <dd data-seq={end.seq}>{t('audit.range.checkpoint', { seq: end.seq, at: formatDateTime(end.signedAt) })}</dd>
      {verdict.ok && verdict.span && (
        <>
          <dt>{t('audit.range.span')}</dt>
          <dd>{t('audit.range.spanTimes', { first: formatDateTime(verdict.span.first), last: formatDateTime(verdict.span.last) })}</dd>
        </>
      )}
      <dt>{t('audit.range.key')}</dt>
      <dd class="fingerprint">{fingerprint}</dd>
    </dl>
  );
  if (!verdict.ok) return <FailedVerdict verdict={verdict}>{checked}</FailedVerdict>;
  return (
    <div class="alert alert-ok audit-verdict" data-verdict="ok" data-from={verdict.fromSeq + 1} data-to={verdict.headSeq}>
      <p>
        <strong>{t('audit.range.ok', { count: verdict.count, first: verdict.fromSeq + 1, last: verdict.headSeq })}</strong>
      </p>
      {checked}
    </div>
  );
}
