/**
 * One referral to the partner's organisation: its state and deadlines, the packet opened in the
 * crypto worker with the organisation key (the fields' words, the files to download), accept or
 * decline with a reason, and progress reports written here and sealed in the worker under the
 * referral key. A withdrawn referral says so: its packet went with the withdrawal.
 */
import { useEffect, useId, useState } from 'preact/hooks';
import { call, codeOf, followAccessToken } from '../api.js';
import { fieldText } from '../case/field-text.js';
import { offerBlob } from '../case/case-files.js';
import { crypto } from '../crypto-client.js';
import { sizeText } from '../files/file-words.js';
import { formatDateTime, hasText, lang, t } from '../i18n.js';
import { ReferralDeadlines } from '../referrals/referral-deadlines.js';
import { ReferralReportList, type OpenedReport } from '../referrals/referral-report-list.js';
import { catalogues, loadCatalogues } from '../ui/catalogues.js';
import { TextArea } from '../ui/choices.js';
import { FormButtons, useCommand, useFocusFirst } from '../ui/command-form.js';
import { Problem } from '../ui/problem.js';
import { ReasonForm } from '../ui/reason-form.js';
import { loadReferral, sendReport, type Deadline, type OpenedPacket, type PartnerReferral } from './partner-packet.js';

type Loaded = Awaited<ReturnType<typeof loadReferral>>;
type ReportStatus = 'in_progress' | 'completed' | 'unable_to_act';
const STATUSES: readonly ReportStatus[] = ['in_progress', 'completed', 'unable_to_act'];

const pick = (labels: { fr: string; en: string } | undefined, code: string): string => (labels ? (lang.value === 'fr' ? labels.fr : labels.en) : code);
const fieldName = (f: string): string => (hasText(`case.field.${f}`) ? t(`case.field.${f}`) : f);

export function ReferralPage({ referralId }: { referralId: string }) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [deadlines, setDeadlines] = useState<Deadline[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [open, setOpen] = useState<'decline' | 'report' | null>(null);

  const reload = () => {
    setError(null);
    loadReferral(referralId).then(setLoaded, (err: unknown) => setError(codeOf(err)));
    call('listDeadlines', { query: { limit: '100' } }).then((d) => setDeadlines(d.items), () => setDeadlines([]));
  };
  useEffect(reload, [referralId]);
  // The download bound of the files' settings (a file larger than it needs a save dialog).
  useEffect(() => void loadCatalogues().catch(() => undefined), []);
  // The worker's own downloads carry the session's access token.
  useEffect(() => followAccessToken((accessToken) => void crypto({ op: 'setToken', accessToken }).catch(() => undefined)), []);

  const done = (words: string) => {
    setOpen(null);
    setMessage(words);
    reload();
  };

  if (error && !loaded) {
    return (
      <section aria-labelledby="referral-title">
        <h1 id="referral-title">{t('partner.referral.title')}</h1>
        <Problem code={error} />
        <p>
          <a href="/console/referrals">{t('partner.referral.back')}</a>
        </p>
      </section>
    );
  }
  if (!loaded) return <p aria-busy="true">{t('case.loading')}</p>;
  const { referral: r, packet, packetProblem, reports } = loaded;

  return (
    <section aria-labelledby="referral-title" class="partner-referral" data-referral={r.id}>
      <p>
        <a href="/console/referrals">{t('partner.referral.back')}</a>
      </p>
      <h1 id="referral-title">{t('partner.referral.heading', { purpose: pick(r.purposeLabel, r.purpose) })}</h1>
      <p role="status" class="notice">
        {message ?? ''}
      </p>
      <dl class="meta card">
        <dt>{t('referrals.state')}</dt>
        <dd data-state={r.state}>{t(`referrals.state.${r.state}`)}</dd>
        {r.sentAt && (
          <>
            <dt>{t('referrals.sentAt')}</dt>
            <dd>{formatDateTime(r.sentAt)}</dd>
          </>
        )}
        {r.responseReason && (
          <>
            <dt>{t('partner.referral.declineReason')}</dt>
            <dd>{r.responseReason}</dd>
          </>
        )}
        {r.endedAt && (
          <>
            <dt>{t('referrals.endedAt')}</dt>
            <dd>{formatDateTime(r.endedAt)}</dd>
          </>
        )}
      </dl>
      <ReferralDeadlines referralId={r.id} deadlines={deadlines} />
      {r.state === 'withdrawn' && (
        <p class="alert alert-error withdrawn" role="alert">
          {t('partner.referral.withdrawn')}
        </p>
      )}
      {r.state === 'declined' && <p class="hint">{t('partner.referral.declinedGone')}</p>}
      {packet && <Packet referralId={r.id} packet={packet} />}
      <Problem code={packetProblem} />
      {error && <Problem code={error} />}
      <Actions referral={r} open={open} setOpen={setOpen} onDone={done} />
      {(reports.length > 0 || r.state === 'accepted' || r.state === 'closed') && <Reports reports={reports} />}
    </section>
  );
}

function Packet({ referralId, packet }: { referralId: string; packet: OpenedPacket }) {
  return (
    <section class="card packet" aria-labelledby="packet-title">
      <h2 id="packet-title">{t('partner.packet.title')}</h2>
      <p class="hint">{t('partner.packet.hint')}</p>
      <dl class="fields">
        {packet.fields.map(([name, value]) => (
          <div class="field-row" key={name} data-field={name}>
            <dt>{fieldName(name)}</dt>
            <dd class="sealed-text">{fieldText(value)}</dd>
          </div>
        ))}
      </dl>
      {packet.files.length > 0 && (
        <>
          <h3>{t('referrals.filesShared')}</h3>
          <ul class="files">
            {packet.files.map((f) => (
              <PacketFile key={f.fileId} referralId={referralId} file={f} />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function PacketFile({ referralId, file }: { referralId: string; file: OpenedPacket['files'][number] }) {
  const { busy, error, setError, run } = useCommand();
  const [status, setStatus] = useState<string | null>(null);
  const maxInMemory = catalogues.value?.files.inMemoryDownloadMaxBytes ?? 0;
  const download = async () => {
    let target: FileSystemFileHandle | null = null;
    if (window.showSaveFilePicker) {
      try {
        target = await window.showSaveFilePicker({ suggestedName: file.name });
      } catch (err) {
        if ((err as { name?: string }).name === 'AbortError') return;
        target = null;
      }
    }
    if (!target && file.size > maxInMemory) return setError('file_too_big_for_memory');
    await run(async () => {
      const done = await crypto({ op: 'downloadReferralFile', referralId, fileId: file.fileId, target, maxInMemory });
      if (done.kind === 'memory') offerBlob(done.blob, file.name);
      setStatus(t('files.saved', { name: file.name }));
    });
  };
  return (
    <li class="file" data-file-id={file.fileId}>
      <p class="file-name">
        <strong>{file.name}</strong> <span class="muted">· {file.type} · {sizeText(file.size)}</span>
      </p>
      <p class="actions">
        <button type="button" onClick={() => void download()} disabled={busy} aria-busy={busy}>
          {t('files.download', { name: file.name })}
        </button>
      </p>
      <Problem code={error} />
      <p role="status" class="file-status">
        {status ?? ''}
      </p>
    </li>
  );
}

interface ActionProps {
  referral: PartnerReferral;
  open: 'decline' | 'report' | null;
  setOpen: (open: 'decline' | 'report' | null) => void;
  onDone: (message: string) => void;
}

function Actions({ referral: r, open, setOpen, onDone }: ActionProps) {
  const accept = useCommand();
  if (r.state !== 'sent' && r.state !== 'accepted') return null;
  const toggle = (what: 'decline' | 'report') => setOpen(open === what ? null : what);
  return (
    <>
      <ul class="actions action-list">
        {r.state === 'sent' && (
          <>
            <li>
              <button type="button" class="primary" disabled={accept.busy} aria-busy={accept.busy} onClick={() => void accept.run(async () => {
                await call('acceptReferral', { params: { referralId: r.id } });
                onDone(t('partner.referral.accepted'));
              })}>
                {t('partner.referral.accept')}
              </button>
            </li>
            <li>
              <button type="button" aria-expanded={open === 'decline'} onClick={() => toggle('decline')}>
                {t('partner.referral.decline')}
              </button>
            </li>
          </>
        )}
        {r.state === 'accepted' && (
          <li>
            <button type="button" aria-expanded={open === 'report'} onClick={() => toggle('report')}>
              {t('partner.report.write')}
            </button>
          </li>
        )}
      </ul>
      <Problem code={accept.error} />
      {open === 'decline' && r.state === 'sent' && (
        <ReasonForm
          title={t('partner.referral.decline')}
          hint={t('partner.referral.declineHint')}
          confirm={t('partner.referral.declineConfirm')}
          onCancel={() => setOpen(null)}
          send={async (reason) => {
            await call('declineReferral', { params: { referralId: r.id }, body: { reason } });
            onDone(t('partner.referral.declined'));
          }}
        />
      )}
      {open === 'report' && r.state === 'accepted' && <ReportForm referralId={r.id} onDone={onDone} onCancel={() => setOpen(null)} />}
    </>
  );
}

function ReportForm({ referralId, onDone, onCancel }: { referralId: string; onDone: (m: string) => void; onCancel: () => void }) {
  const [status, setStatus] = useState<ReportStatus>('in_progress');
  const [text, setText] = useState('');
  const { busy, error, run } = useCommand();
  const id = useId();
  const form = useFocusFirst();
  const submit = async (event: Event) => {
    event.preventDefault();
    await run(async () => {
      await sendReport(referralId, status, text);
      onDone(t('partner.report.sent'));
    });
  };
  return (
    <form ref={form} class="card action-form" aria-labelledby={`${id}-title`} onSubmit={(e) => void submit(e)}>
      <h2 id={`${id}-title`}>{t('partner.report.write')}</h2>
      <div class="field">
        <label for={`${id}-status`}>{t('partner.report.status')}</label>
        <select id={`${id}-status`} value={status} onChange={(e) => setStatus(STATUSES.find((s) => s === e.currentTarget.value) ?? 'in_progress')}>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {t(`referrals.reportStatus.${s}`)}
            </option>
          ))}
        </select>
      </div>
      <TextArea label={t('partner.report.note')} hint={t('partner.report.noteHint')} rows={4} maxLength={4000} value={text} onValue={setText} />
      <Problem code={error} />
      <FormButtons busy={busy} confirm={t('partner.report.send')} onCancel={onCancel} />
    </form>
  );
}

function Reports({ reports }: { reports: OpenedReport[] }) {
  return (
    <section class="card" aria-labelledby="reports-title">
      <h2 id="reports-title">{t('partner.report.title')}</h2>
      {reports.length === 0 ? (
        <p>{t('partner.report.none')}</p>
      ) : (
        <ReferralReportList reports={reports} unopened={<p class="hint">{t('partner.report.unopened')}</p>} />
      )}
    </section>
  );
}
