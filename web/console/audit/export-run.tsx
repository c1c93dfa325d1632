/**
 * What exporting and verifying the whole log and a period share: the signing key the server
 * names checked against the key this console pinned (pinned at first use, another one refused
 * before anything is verified), the crypto worker's progress, the files offered for saving (the
 * very bytes verified, which `egide audit verify` checks too), and the verdict's failure.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { codeOf } from '../api.js';
import { onFileEvent } from '../crypto-client.js';
import { t } from '../i18n.js';
import type { AuditFailure } from '../protocol.js';
import { account } from '../session.js';
import { Icon } from '../ui/badges.js';
import { Problem } from '../ui/problem.js';
import { pinSigningKey, signingFingerprint, signingKeyState } from './signing-key.js';

type KeyCheck = { fingerprint: string; first: boolean } | { refused: true; pinned: string; offered: string };

/** A file offered for saving: the export itself, or the checkpoints a range is verified against. */
interface SavedFile {
  url: string;
  name: string;
  bytes: number;
  kind: 'export' | 'checkpoints';
}

/** What a run's work may do on the way. */
export interface RunSteps {
  /** The id the worker's progress messages come under. */
  progressId: string;
  /** Checks the key the server names against the pin (pinning it at first use): its fingerprint, or null when refused (stop). */
  trust(signingPublicKey: string): string | null;
  /** Offers a file for saving; the export's size is the progress's total. */
  offer(blob: Blob, name: string, kind: SavedFile['kind']): void;
}

let runs = 0;

/** One export-and-verify at a time: its state, and `run`, which starts afresh and reports what failed. */
export function useExportRun<V>() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [key, setKey] = useState<KeyCheck | null>(null);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [verdict, setVerdict] = useState<V | null>(null);
  const [files, setFiles] = useState<SavedFile[]>([]);
  // The object URLs live as long as their links: until the next run, or the screen, ends.
  const urls = useRef<string[]>([]);
  const revoke = () => {
    urls.current.forEach((u) => URL.revokeObjectURL(u));
    urls.current = [];
  };
  useEffect(() => revoke, []);

  const run = async (work: (steps: RunSteps) => Promise<V | null>) => {
    const me = account.value?.id;
    if (!me) return;
    setBusy(true);
    setError(null);
    setVerdict(null);
    setProgress(null);
    setKey(null);
    revoke();
    setFiles([]);
    const progressId = `audit-verify-${++runs}`;
    const stop = onFileEvent(progressId, (e) => e.kind === 'progress' && setProgress({ done: e.sent, total: e.total }));
    const offered: SavedFile[] = [];
    try {
      const result = await work({
        progressId,
        trust(signingPublicKey) {
          const state = signingKeyState(me, signingPublicKey);
          if (state.state === 'changed') {
            setKey({ refused: true, pinned: signingFingerprint(state.pinnedKeyId), offered: signingFingerprint(signingPublicKey) });
            return null;
          }
          if (state.state === 'new') pinSigningKey(me, signingPublicKey);
          const fingerprint = signingFingerprint(signingPublicKey);
          setKey({ fingerprint, first: state.state === 'new' });
          return fingerprint;
        },
        offer(blob, name, kind) {
          const url = URL.createObjectURL(blob);
          urls.current.push(url);
          offered.push({ url, name, bytes: blob.size, kind });
          setFiles([...offered]);
          if (kind === 'export') setProgress({ done: 0, total: blob.size });
        },
      });
      if (result) setVerdict(result);
    } catch (err) {
      setError(codeOf(err));
    } finally {
      stop();
      setBusy(false);
    }
  };

  return { busy, error, key, progress, verdict, files, run };
}

/** Below a run's button: what failed, the key, the progress, the files to save, and the verdict as a status message. */
export function RunReport({ run, children }: { run: Pick<ReturnType<typeof useExportRun>, 'error' | 'key' | 'progress' | 'files'>; children: ComponentChildren }) {
  const { key, progress } = run;
  return (
    <>
      <Problem code={run.error} />
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
      {run.files.map((file) => (
        <p key={file.url}>
          <a class={`button audit-file audit-file-${file.kind}`} href={file.url} download={file.name}>
            {file.kind === 'export' ? t('audit.export.save', { bytes: file.bytes }) : t('audit.range.saveCheckpoints')}
          </a>
        </p>
      ))}
      <div role="status">{children}</div>
    </>
  );
}

/** A verdict that failed: what the worker found, the first event it names. */
export function FailedVerdict({ verdict, children }: { verdict: AuditFailure; children?: ComponentChildren }) {
  return (
    <div class="alert alert-error alert-loud audit-verdict" data-verdict={verdict.code} data-first-bad={verdict.firstBadSeq ?? ''}>
      <p>
        <Icon shape="triangle" /> <strong>{t(`audit.verify.${verdict.code}`, { seq: verdict.firstBadSeq ?? '', head: verdict.headSeq, count: verdict.count })}</strong>
      </p>
      <p>{t('audit.verify.failedWhat')}</p>
      {children}
    </div>
  );
}
