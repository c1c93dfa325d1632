/**
 * The actions the server's policy allows the caller on a case now (getCaseActions): one button per
 * transition it lists and nothing else; a transition that needs words (a reason, a closing reason,
 * a new officer) opens a small form first. A hand-over and a granted envelope seal the open case
 * key to the colleague's public key in the worker; only the sealed envelope leaves.
 */
import { useEffect, useId, useState } from 'preact/hooks';
import { call, codeOf, transition, type ResponseOf } from '../api.js';
import { crypto } from '../crypto-client.js';
import { t } from '../i18n.js';
import { Problem } from '../ui/problem.js';
import { ColleagueKeyPicker, type ColleagueKey } from './colleague-key.js';
import { FormButtons, useCommand, useFocusFirst } from '../ui/command-form.js';
import { TextArea } from '../ui/choices.js';
import { catalogues, declineReasonLabel, loadCatalogues } from '../ui/catalogues.js';

export type Actions = ResponseOf<'getCaseActions'>;
type Allowed = Actions['transitions'][number];

/** What a form is open for: a transition by name, or the grant of an envelope. */
type Open = { kind: 'transition'; tr: Allowed } | { kind: 'grant' } | null;

/**
 * `actions` is the page's one read of getCaseActions, made again by `onChanged` after any
 * command, so that every section's buttons follow the case's new state.
 */
export function CaseActions({ caseId, actions, onChanged }: { caseId: string; actions: Actions | null; onChanged: () => void }) {
  const [open, setOpen] = useState<Open>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // After a command, the buttons of the state before are gone until the page's new read of the actions arrives.
  const [stale, setStale] = useState<Actions | null>(null);

  useEffect(() => {
    setOpen(null);
    setStatus(null);
    setError(null);
  }, [caseId]);

  const done = (message: string) => {
    setOpen(null);
    setStatus(message);
    setStale(actions);
    onChanged();
  };

  const runPlain = async (tr: Allowed) => {
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      await transition(caseId, tr.name);
      done(t('actions.done', { name: t(`transition.${tr.name}`) }));
    } catch (err) {
      setError(codeOf(err));
    } finally {
      setBusy(false);
    }
  };

  if (!actions || actions === stale)
    return (
      <>
        {error ? <Problem code={error} /> : <p aria-busy="true">{t('case.loading')}</p>}
        <p role="status">{status ?? ''}</p>
      </>
    );
  const grant = actions.commands.some((c) => c.command === 'grant_envelope' && c.allowed);
  return (
    <>
      {actions.transitions.length === 0 && !grant ? (
        <p>{t('actions.none')}</p>
      ) : (
        <ul class="actions action-list">
          {actions.transitions.map((tr) => (
            <li key={tr.name}>
              <button
                type="button"
                data-transition={tr.name}
                disabled={busy}
                aria-expanded={tr.requires.length > 0 ? open?.kind === 'transition' && open.tr.name === tr.name : undefined}
                onClick={() => (tr.requires.length === 0 ? void runPlain(tr) : (setStatus(null), setError(null), setOpen({ kind: 'transition', tr })))}
              >
                {t(`transition.${tr.name}`)}
              </button>
            </li>
          ))}
          {grant && (
            <li>
              <button type="button" data-command="grant_envelope" aria-expanded={open?.kind === 'grant'} onClick={() => (setStatus(null), setError(null), setOpen({ kind: 'grant' }))}>
                {t('actions.grant')}
              </button>
            </li>
          )}
        </ul>
      )}
      <Problem code={error} />
      {open?.kind === 'transition' && <TransitionForm key={open.tr.name} caseId={caseId} tr={open.tr} onDone={done} onCancel={() => setOpen(null)} />}
      {open?.kind === 'grant' && <GrantForm caseId={caseId} onDone={done} onCancel={() => setOpen(null)} />}
      <p role="status">{status ?? ''}</p>
    </>
  );
}


interface FormProps {
  caseId: string;
  onDone: (message: string) => void;
  onCancel: () => void;
}

function TransitionForm({ caseId, tr, onDone, onCancel }: FormProps & { tr: Allowed }) {
  const name = t(`transition.${tr.name}`);
  const [reason, setReason] = useState('');
  const [closeReason, setCloseReason] = useState(tr.closeReasons?.[0] ?? '');
  const declineCodes = catalogues.value?.workflow.declineReasons.map((r) => r.code) ?? [];
  const [chosenDecline, setDeclineReason] = useState('');
  // The codes come with the catalogues, which may arrive after the form opens: the first is the default.
  const declineReason = chosenDecline || declineCodes[0] || '';
  useEffect(() => {
    if (tr.requires.includes('declineReason')) void loadCatalogues().catch(() => undefined);
  }, [tr.requires]);
  const [colleague, setColleague] = useState<ColleagueKey | null>(null);
  const { busy, error, setError, run } = useCommand();
  const id = useId();
  const needs = (what: Allowed['requires'][number]) => tr.requires.includes(what);
  const form = useFocusFirst();

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    if (needs('reason') && !reason.trim()) return setError('reason_required');
    if (needs('assigneeId') && !colleague) return setError('colleague_key_required');
    await run(async () => {
      const sealed = needs('envelope') && colleague ? await crypto({ op: 'sealCaseKeyTo', caseId, publicKey: colleague.publicKey, keyId: colleague.keyId }) : null;
      await transition(caseId, tr.name, {
        ...(needs('reason') ? { reason: reason.trim() } : {}),
        ...(needs('closeReason') ? { closeReason } : {}),
        ...(needs('declineReason') ? { declineReason } : {}),
        ...(needs('assigneeId') && colleague ? { assigneeId: colleague.userId } : {}),
        ...(sealed ?? {}),
      });
      onDone(t('actions.done', { name }));
    });
  };

  return (
    <form ref={form} class="card action-form" aria-labelledby={`${id}-title`} onSubmit={(e) => void submit(e)}>
      <h3 id={`${id}-title`}>{name}</h3>
      {needs('assigneeId') && <ColleagueKeyPicker chosen={colleague} onChosen={setColleague} />}
      {needs('closeReason') && (
        <div class="field">
          <label for={`${id}-close`}>{t('actions.closeReason')}</label>
          <select id={`${id}-close`} value={closeReason} onChange={(e) => setCloseReason(e.currentTarget.value)}>
            {(tr.closeReasons ?? []).map((code) => (
              <option key={code} value={code}>
                {t(`closeReason.${code}`)}
              </option>
            ))}
          </select>
        </div>
      )}
      {needs('declineReason') && (
        <div class="field">
          <label for={`${id}-decline`}>{t('actions.declineReason')}</label>
          <select id={`${id}-decline`} aria-describedby={`${id}-decline-hint`} value={declineReason} onChange={(e) => setDeclineReason(e.currentTarget.value)}>
            {declineCodes.map((code) => (
              <option key={code} value={code}>
                {declineReasonLabel(code)}
              </option>
            ))}
          </select>
          <p class="hint" id={`${id}-decline-hint`}>
            {t('actions.declineReasonHint')}
          </p>
        </div>
      )}
      {needs('reason') && (
        <TextArea label={t('actions.reason')} hint={t('actions.reasonHint')} rows={3} maxLength={1000} value={reason} onValue={setReason} />
      )}
      <Problem code={error} />
      <FormButtons busy={busy} confirm={t('actions.confirm', { name })} onCancel={onCancel} />
    </form>
  );
}

function GrantForm({ caseId, onDone, onCancel }: FormProps) {
  const [colleague, setColleague] = useState<ColleagueKey | null>(null);
  const { busy, error, setError, run } = useCommand();
  const id = useId();
  const form = useFocusFirst();

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    if (!colleague) return setError('colleague_key_required');
    await run(async () => {
      const sealed = await crypto({ op: 'sealCaseKeyTo', caseId, publicKey: colleague.publicKey, keyId: colleague.keyId });
      await call('grantCaseEnvelope', { params: { caseId }, body: { userId: colleague.userId, keyId: sealed.keyId, envelope: sealed.envelope } });
      onDone(t('actions.granted'));
    });
  };

  return (
    <form ref={form} class="card action-form" aria-labelledby={`${id}-title`} onSubmit={(e) => void submit(e)}>
      <h3 id={`${id}-title`}>{t('actions.grant')}</h3>
      <ColleagueKeyPicker chosen={colleague} onChosen={setColleague} />
      <Problem code={error} />
      <FormButtons busy={busy} confirm={t('actions.grantConfirm')} onCancel={onCancel} />
    </form>
  );
}
