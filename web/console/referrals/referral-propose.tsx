/**
 * Proposing a referral: the partner organisation (listOrgs), the purpose, which of the case's
 * sealed fields it would share (checkboxes naming the fields the case has), and which of its
 * attached evidence files (named by their sealed names, opened in the worker). Nothing is sealed
 * yet: the defender consents first to exactly that recipient, those fields, files and purpose.
 */
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { call, codeOf, type ResponseOf } from '../api.js';
import { t } from '../i18n.js';
import { Problem } from '../ui/problem.js';
import { MAX_REFERRAL_FILES, PURPOSES } from './referral-purposes.js';
import { useCommand } from '../ui/command-form.js';
import { sizeText } from '../files/file-words.js';
import { openListed, type Listed } from '../files/open-listed.js';

type Org = ResponseOf<'listOrgs'>['items'][number];

interface ProposeProps {
  caseId: string;
  /** The sealed fields the case has (a field it does not have cannot be shared). */
  fieldNames: string[];
  onDone: () => void;
  onCancel: () => void;
}

export function ReferralPropose({ caseId, fieldNames, onDone, onCancel }: ProposeProps) {
  const [orgs, setOrgs] = useState<Org[] | null>(null);
  const [orgId, setOrgId] = useState('');
  const [purpose, setPurpose] = useState<string>(PURPOSES[0]);
  const [fields, setFields] = useState<string[]>([]);
  /** The case's attached files, their names opened; null while loading (or when the files cannot be read). */
  const [files, setFiles] = useState<Listed[] | null>(null);
  const [chosenFiles, setChosenFiles] = useState<string[]>([]);
  const { busy, error, setError, run } = useCommand();
  const id = useId();
  const form = useRef<HTMLFormElement>(null);

  useEffect(() => {
    call('listOrgs').then(
      (r) => {
        const partners = r.items.filter((o) => o.kind === 'partner' && !o.disabledAt && o.currentKeyId !== null);
        setOrgs(partners);
        setOrgId(partners[0]?.id ?? '');
      },
      (err: unknown) => setError(codeOf(err)),
    );
  }, []);
  useEffect(() => {
    // Someone who may not read the files is offered none: the proposal stays one of fields only.
    call('listCaseFiles', { params: { caseId } })
      .then((page) => openListed(caseId, page.items.filter((f) => f.state === 'available' && f.attachedAt !== null)))
      .then(setFiles, () => setFiles([]));
  }, [caseId]);
  useEffect(() => {
    if (orgs) form.current?.querySelector<HTMLElement>('select')?.focus();
  }, [orgs]);

  const toggle = (name: string, on: boolean) => setFields((now) => (on ? [...now.filter((f) => f !== name), name] : now.filter((f) => f !== name)));

  const toggleFile = (fileId: string, on: boolean) => setChosenFiles((now) => (on ? [...now.filter((f) => f !== fileId), fileId] : now.filter((f) => f !== fileId)));

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    if (!orgId) return setError('recipient_not_eligible');
    if (fields.length === 0) return setError('referral_fields_required');
    if (chosenFiles.length > MAX_REFERRAL_FILES) return setError('referral_files_too_many');
    await run(async () => {
      // In the case's order, whatever order they were ticked in.
      const chosen = fieldNames.filter((f) => fields.includes(f));
      const shared = (files ?? []).map((l) => l.file.id).filter((id) => chosenFiles.includes(id));
      await call('proposeReferral', { params: { caseId }, body: { id: globalThis.crypto.randomUUID(), orgId, fields: chosen, ...(shared.length > 0 ? { files: shared } : {}), purpose } });
      onDone();
    });
  };

  return (
    <form ref={form} class="card action-form" aria-labelledby={`${id}-title`} onSubmit={(e) => void submit(e)}>
      <h3 id={`${id}-title`}>{t('referrals.propose')}</h3>
      {!orgs ? (
        error ? null : <p aria-busy="true">{t('case.loading')}</p>
      ) : orgs.length === 0 ? (
        <p>{t('referrals.noOrgs')}</p>
      ) : (
        <>
          <div class="field">
            <label for={`${id}-org`}>{t('referrals.org')}</label>
            <select id={`${id}-org`} value={orgId} onChange={(e) => setOrgId(e.currentTarget.value)}>
              {orgs.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for={`${id}-purpose`}>{t('referrals.purpose')}</label>
            <select id={`${id}-purpose`} value={purpose} onChange={(e) => setPurpose(e.currentTarget.value)}>
              {PURPOSES.map((code) => (
                <option key={code} value={code}>
                  {t(`referrals.purpose.${code}`)}
                </option>
              ))}
            </select>
          </div>
          <fieldset class="referral-fields">
            <legend>{t('referrals.fields')}</legend>
            <p class="hint">{t('referrals.fieldsHint')}</p>
            {fieldNames.map((name) => (
              <p key={name} class="check">
                <input id={`${id}-f-${name}`} type="checkbox" value={name} checked={fields.includes(name)} onChange={(e) => toggle(name, e.currentTarget.checked)} />
                <label for={`${id}-f-${name}`}>{t(`case.field.${name}`)}</label>
              </p>
            ))}
          </fieldset>
          {files === null ? (
            <p aria-busy="true">{t('case.loading')}</p>
          ) : (
            files.length > 0 && (
              <fieldset class="referral-files">
                <legend>{t('referrals.files')}</legend>
                <p class="hint">{t('referrals.filesHint')}</p>
                {files.map((l) => (
                  <p key={l.file.id} class="check">
                    <input id={`${id}-file-${l.file.id}`} type="checkbox" value={l.file.id} checked={chosenFiles.includes(l.file.id)} onChange={(e) => toggleFile(l.file.id, e.currentTarget.checked)} />
                    <label for={`${id}-file-${l.file.id}`}>
                      {l.name ?? t('files.unnamed')}
                      <span class="muted">
                        {' '}
                        · {l.type ? `${l.type} · ` : ''}
                        {sizeText(l.file.size)}
                      </span>
                    </label>
                  </p>
                ))}
              </fieldset>
            )
          )}
        </>
      )}
      <Problem code={error} />
      <p class="actions">
        {orgs && orgs.length > 0 && (
          <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
            {t('referrals.proposeConfirm')}
          </button>
        )}
        <button type="button" onClick={onCancel}>
          {t('actions.cancel')}
        </button>
      </p>
    </form>
  );
}
