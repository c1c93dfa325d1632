/**
 * Export the audit log and verify it here. The head is fetched and signed first, then the export
 * (which ends after it, with its own read): the saved NDJSON is the file `egide audit verify`
 * checks, and the crypto worker recomputes its whole chain and checks that it passes through the
 * signed head, with the signing key pinned in this console at first use. A key that differs
 * from the pin is refused before anything is verified.
 */
import { call, callRaw } from '../api.js';
import { crypto } from '../crypto-client.js';
import { t } from '../i18n.js';
import type { AuditVerdict } from '../protocol.js';
import { FailedVerdict, RunReport, useExportRun } from './export-run.js';

/**
 * The export's bytes exactly as the server sent them (the typed client would parse the body as
 * JSON): what is saved is what is verified, and what the CLI checks. A range when given.
 */
export async function exportBytes(range?: { afterSeq: number; toSeq: number }): Promise<Blob> {
  const query = range ? { query: { afterSeq: String(range.afterSeq), toSeq: String(range.toSeq) } } : {};
  const response = await callRaw('exportAuditLog', { ...query, headers: { accept: 'application/x-ndjson, application/problem+json' } });
  return response.blob();
}

/** Today's date in a file name. */
export const today = () => new Date().toISOString().slice(0, 10);

export function AuditExport() {
  const r = useExportRun<AuditVerdict>();

  const run = () =>
    r.run(async (steps) => {
      const head = await call('getAuditHead');
      if (!steps.trust(head.signingPublicKey)) return null;
      const blob = await exportBytes();
      steps.offer(blob, `egide-audit-${today()}.ndjson`, 'export');
      return crypto({ op: 'verifyAuditExport', file: blob, head: { seq: head.seq, hash: head.hash, signature: head.signature }, signingPublicKey: head.signingPublicKey, progressId: steps.progressId });
    });

  return (
    <section aria-labelledby="audit-export-title" class="card">
      <h2 id="audit-export-title">{t('audit.export.title')}</h2>
      <p>{t('audit.export.what')}</p>
      <button type="button" onClick={() => void run()} disabled={r.busy} aria-busy={r.busy}>
        {t('audit.export.run')}
      </button>
      <RunReport run={r}>{r.verdict && <Verdict verdict={r.verdict} />}</RunReport>
    </section>
  );
}

function Verdict({ verdict }: { verdict: AuditVerdict }) {
  if (!verdict.ok) return <FailedVerdict verdict={verdict} />;
  return (
    <p class="alert alert-ok audit-verdict" data-verdict="ok">
      <strong>{t('audit.verify.ok', { count: verdict.count, head: verdict.headSeq })}</strong>
    </p>
  );
}
