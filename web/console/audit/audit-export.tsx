/**
 * Export the audit log and verify it here. The head is fetched and signed first, then the export
 * (which ends after it, with its own read): the saved NDJSON is the file `egide audit verify`
 * checks, and the crypto worker recomputes its whole chain and checks that it passes through the
 * signed head, with the signing key pinned in this console at first use. A key that differs
 * from the pin is refused before anything is verified.
 */
import { useEffect, useState } from 'preact/hooks';
import { call, callRaw, codeOf } from '../api.js';
import { crypto, onFileEvent } from '../crypto-client.js';
import { t } from '../i18n.js';
import type { AuditVerdict } from '../protocol.js';
import { account } from '../session.js';
import { Icon } from '../ui/badges.js';
import { Problem } from '../ui/problem.js';
import { pinSigningKey, signingFingerprint, signingKeyState } from './signing-key.js';

type Key = { fingerprint: string; first: boolean } | { refused: true; pinned: string; offered: string };

let runs = 0;

/**
 * The export's bytes exactly as the server sent them (the typed client would parse the body as
 * JSON): what is saved is what is verified, and what the CLI checks.
 */
async function exportBytes(): Promise<Blob> {
  const response = await callRaw('exportAuditLog', { headers: { accept: 'application/x-ndjson, application/problem+json' } });
  return response.blob();
}

export function AuditExport() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [key, setKey] = useState<Key | null>(null);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [verdict, setVerdict] = useState<AuditVerdict | null>(null);
  const [file, setFile] = useState<{ url: string; name: string; bytes: number } | null>(null);

  useEffect(() => () => void (file && URL.revokeObjectURL(file.url)), [file]);

  const run = async () => {
    const me = account.value?.id;
    if (!me) return;
    setBusy(true);
    setError(null);
    setVerdict(null);
    setProgress(null);
    setKey(null);
    const progressId = `audit-verify-${++runs}`;
    const stop = onFileEvent(progressId, (e) => e.kind === 'progress' && setProgress({ done: e.sent, total: e.total }));
    try {
      const head = await call('getAuditHead');
      const state = signingKeyState(me, head.signingPublicKey);
      if (state.state === 'changed') {
        setKey({ refused: true, pinned: signingFingerprint(state.pinnedKeyId), offered: signingFingerprint(head.signingPublicKey) });
        return;
      }
      if (state.state === 'new') pinSigningKey(me, head.signingPublicKey);
      setKey({ fingerprint: signingFingerprint(head.signingPublicKey), first: state.state === 'new' });
      const blob = await exportBytes();
      setFile({ url: URL.createObjectURL(blob), name: `egide-audit-${new Date().toISOString().slice(0, 10)}.ndjson`, bytes: blob.size });
      setProgress({ done: 0, total: blob.size });
      setVerdict(await crypto({ op: 'verifyAuditExport', file: blob, head: { seq: head.seq, hash: head.hash, signature: head.signature }, signingPublicKey: head.signingPublicKey, progressId }));
    } catch (err) {
      setError(codeOf(err));
    } finally {
      stop();
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="audit-export-title" class="card">
      <h2 id="audit-export-title">{t('audit.export.title')}</h2>
      <p>{t('audit.export.what')}</p>
      <button type="button" onClick={() => void run()} disabled={busy} aria-busy={busy}>
        {t('audit.export.run')}
      </button>
      <Problem code={error} />
      {key && 'refused' in key && (
        <div class="alert alert-error alert-loud" role="alert" data-code="audit_key_changed">
          <p>
            <Icon shape="triangle" /> <strong>{t('audit.key.changed')}</strong>
          </p>
          <p>{t('audit.key.changedWhy')}</p>
          <dl class="meta">
            <dt>{t('audit.key.pinned')}</dt>
            <dd class="fingerprint">{key.pinned}</dd>
            <dt>{t('audit.key.offered')}</dt>
            <dd class="fingerprint">{key.offered}</dd>
          </dl>
        </div>
      )}
      {key && 'fingerprint' in key && (
        <p class="audit-key">
          {key.first ? t('audit.key.pinnedNow') : t('audit.key.same')} <span class="fingerprint">{key.fingerprint}</span>
        </p>
      )}
      {progress && (
        <p>
          <label>
            {t('audit.export.progress')}{' '}
            <progress max={progress.total || 1} value={progress.done}>
              {Math.round((100 * progress.done) / (progress.total || 1))} %
            </progress>
          </label>
        </p>
      )}
      {file && (
        <p>
          <a class="button audit-file" href={file.url} download={file.name}>
            {t('audit.export.save', { bytes: file.bytes })}
          </a>
        </p>
      )}
      <div role="status">{verdict && <Verdict verdict={verdict} />}</div>
    </section>
  );
}

function Verdict({ verdict }: { verdict: AuditVerdict }) {
  if (verdict.ok) {
    return (
      <p class="alert alert-ok audit-verdict" data-verdict="ok">
        <strong>{t('audit.verify.ok', { count: verdict.count, head: verdict.headSeq })}</strong>
      </p>
    );
  }
  return (
    <div class="alert alert-error alert-loud audit-verdict" data-verdict={verdict.code} data-first-bad={verdict.firstBadSeq ?? ''}>
      <p>
        <Icon shape="triangle" /> <strong>{t(`audit.verify.${verdict.code}`, { seq: verdict.firstBadSeq ?? '', head: verdict.headSeq, count: verdict.count })}</strong>
      </p>
      <p>{t('audit.verify.failedWhat')}</p>
    </div>
  );
}
