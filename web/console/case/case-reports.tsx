/**
 * The case's incidents, check-ins and alerts (listCaseReports), their notes opened in the worker,
 * and what an officer records for a defender who phoned or came in: a check-in, an alert, a new
 * incident. Each button shows only when getCaseActions allows its command; a note is sealed in
 * the worker under the report's own associated data (egide/v1/<kind>/<id>/note).
 */
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { caseReportNoteAd } from '../../../src/sdk/crypto/associated-data.js';
import { call, codeOf, type ResponseOf } from '../api.js';
import { crypto } from '../crypto-client.js';
import { formatDateTime, t } from '../i18n.js';
import { catalogues, intakeLabel, loadCatalogues } from '../ui/catalogues.js';
import { Choices, SelectField, TextArea, type Option } from '../ui/choices.js';
import { lang } from '../i18n.js';
import { Problem } from '../ui/problem.js';
import type { Actions } from './case-actions.js';
import { useCommand } from '../ui/command-form.js';

type Kind = 'incident' | 'checkin' | 'alert';
type Report = ResponseOf<'listCaseReports'>['items'][number];
type Command = 'check_in' | 'raise_alert' | 'report_incident';

const COMMAND_OF: Record<Kind, Command> = { checkin: 'check_in', alert: 'raise_alert', incident: 'report_incident' };

const kindLabel = (kind: Kind): string => (kind === 'checkin' ? t('reports.kind.checkin') : kind === 'alert' ? t('reports.kind.alert') : t('reports.kind.incident'));
const buttonLabel = (kind: Kind): string => (kind === 'checkin' ? t('reports.record.checkin') : kind === 'alert' ? t('reports.record.alert') : t('reports.record.incident'));

function codeLabel(r: Report): string | null {
  if (r.code === null) return null;
  if (r.kind === 'checkin') return r.code === 'need_contact' ? t('reports.checkin.needContact') : t('reports.checkin.ok');
  return intakeLabel('threatType', r.code);
}

const note = (value: unknown): string | null => (value && typeof value === 'object' && 'text' in value && typeof value.text === 'string' ? value.text : null);

export function CaseReports({ caseId, keyEpoch, actions, onChanged }: { caseId: string; keyEpoch: number | null; actions: Actions | null; onChanged: () => void }) {
  const [items, setItems] = useState<Array<Report & { text: string | null }> | null>(null);
  const [open, setOpen] = useState<Kind | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);

  const load = async () => {
    try {
      const list = await call('listCaseReports', { params: { caseId }, query: { limit: '50' } });
      const withNotes = list.items.filter((r) => r.note !== null);
      const opened = keyEpoch !== null && withNotes.length > 0 ? await crypto({ op: 'open', caseId, items: withNotes.map((r) => ({ sealed: r.note!, ad: caseReportNoteAd(r.kind, r.id) })) }) : [];
      const textOf = new Map(withNotes.map((r, i) => [r.id, note(opened[i])]));
      setItems(list.items.map((r) => ({ ...r, text: textOf.get(r.id) ?? null })));
    } catch (err) {
      setError(codeOf(err));
    }
  };
  const allowed = new Set((actions?.commands ?? []).filter((c) => c.allowed).map((c) => c.command as Command));
  useEffect(() => {
    setItems(null);
    setOpen(null);
    setError(null);
    void loadCatalogues().catch(() => undefined);
    void load();
  }, [caseId, keyEpoch]);

  const done = (message: string) => {
    setOpen(null);
    setStatus(message);
    onChanged();
    void load();
  };

  const kinds: Kind[] = (['checkin', 'alert', 'incident'] as const).filter((k) => allowed.has(COMMAND_OF[k]));
  return (
    <>
      {kinds.length > 0 && (
        <ul class="actions action-list">
          {kinds.map((k) => (
            <li key={k}>
              <button type="button" data-command={COMMAND_OF[k]} aria-expanded={open === k} onClick={() => (setStatus(null), setOpen(k))}>
                {buttonLabel(k)}
              </button>
            </li>
          ))}
        </ul>
      )}
      {open && <ReportForm key={open} caseId={caseId} kind={open} keyEpoch={keyEpoch} onDone={done} onCancel={() => setOpen(null)} />}
      <p role="status">{status ?? ''}</p>
      <Problem code={error} />
      {items === null ? (
        <p aria-busy="true">{t('case.loading')}</p>
      ) : items.length === 0 ? (
        <p>{t('reports.none')}</p>
      ) : (
        <ul class="reports">
          {items.map((r) => (
            <li key={r.id} class={`report report-${r.kind}`}>
              <p class="report-meta">
                <strong>{kindLabel(r.kind)}</strong>
                {codeLabel(r) && <span> · {codeLabel(r)}</span>}
                <span> · {formatDateTime(r.at)}</span>
                <span> · {r.reportedBy.startsWith('d:') ? t('reports.byDefender') : t('reports.byStaff')}</span>
              </p>
              {r.note !== null && (r.text !== null ? <p class="report-note">{r.text}</p> : <p class="muted">{keyEpoch === null ? t('reports.noteLocked') : t('case.fieldUnopened')}</p>)}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function ReportForm({ caseId, kind, keyEpoch, onDone, onCancel }: { caseId: string; kind: Kind; keyEpoch: number | null; onDone: (m: string) => void; onCancel: () => void }) {
  const [code, setCode] = useState(kind === 'checkin' ? 'ok' : '');
  const [text, setText] = useState('');
  const { busy, error, setError, run } = useCommand();
  const id = useId();
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => {
    form.current?.querySelector<HTMLElement>('input, select, textarea')?.focus();
  }, []);

  const threats: Option[] = (catalogues.value?.intake.threatType ?? []).map((i) => ({ code: i.code, label: lang.value === 'fr' ? i.fr : i.en }));
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    if (text.trim() && keyEpoch === null) return setError('case_locked');
    await run(async () => {
      const reportId = globalThis.crypto.randomUUID();
      const sealed = text.trim() ? { note: await crypto({ op: 'seal', caseId, value: { text: text.trim() }, ad: caseReportNoteAd(kind, reportId) }), keyEpoch: keyEpoch! } : {};
      if (kind === 'checkin') await call('checkIn', { params: { caseId }, body: { id: reportId, code: code === 'need_contact' ? 'need_contact' : 'ok', ...sealed } });
      else if (kind === 'alert') await call('raiseAlert', { params: { caseId }, body: { id: reportId, ...sealed } });
      else await call('reportIncident', { params: { caseId }, body: { id: reportId, ...(code ? { code } : {}), ...sealed } });
      onDone(t('reports.recorded', { kind: kindLabel(kind) }));
    });
  };

  return (
    <form ref={form} class="card action-form" aria-labelledby={`${id}-title`} onSubmit={(e) => void submit(e)}>
      <h3 id={`${id}-title`}>{buttonLabel(kind)}</h3>
      {kind === 'alert' && <p class="hint">{t('reports.alertHint')}</p>}
      {kind === 'checkin' && (
        <Choices
          legend={t('reports.checkin.how')}
          kind="radio"
          options={[
            { code: 'ok', label: t('reports.checkin.ok') },
            { code: 'need_contact', label: t('reports.checkin.needContact') },
          ]}
          chosen={[code]}
          onChosen={(v) => setCode(v[0] ?? 'ok')}
        />
      )}
      {kind === 'incident' && <SelectField label={t('reports.incident.type')} options={[{ code: '', label: t('reports.incident.noType') }, ...threats]} value={code} onValue={setCode} />}
      <TextArea label={t('reports.note')} hint={t('reports.noteHint')} value={text} onValue={setText} maxLength={2000} rows={3} />
      <Problem code={error} />
      <p class="actions">
        <button type="submit" class={kind === 'alert' ? 'primary danger' : 'primary'} disabled={busy} aria-busy={busy}>
          {t('reports.confirm', { kind: kindLabel(kind) })}
        </button>
        <button type="button" onClick={onCancel}>
          {t('actions.cancel')}
        </button>
      </p>
    </form>
  );
}
