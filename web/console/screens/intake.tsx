/**
 * A request recorded on a defender's behalf (they phoned, came in, wrote, or the mechanism acts of
 * its own motion): the defender page's questions in its order, plus how the request came and
 * whether the defender consented. What they said is sealed in the crypto worker under a new case
 * key, to the mechanism key, to a new receipt and to the officer; the receipt is shown once, to
 * hand over or print, and forgotten when the screen is left.
 */
import { useEffect, useState } from 'preact/hooks';
import { call, codeOf, type ResponseOf } from '../api.js';
import { crypto } from '../crypto-client.js';
import { lang, t } from '../i18n.js';
import { account } from '../session.js';
import { catalogues, loadCatalogues } from '../ui/catalogues.js';
import { Choices, SelectField, TextArea, type Option } from '../ui/choices.js';
import { Field } from '../ui/field.js';
import { PrintedReceipt } from '../ui/printed-receipt.js';
import { Problem } from '../ui/problem.js';
import { useCommand } from '../ui/command-form.js';
import { KeyTrust } from '../keys/key-trust.js';

type IntakeKey = ResponseOf<'getIntakeKey'>;

interface Filed {
  caseId: string;
  reference: string;
  receipt: string;
}

type Consent = 'unknown' | 'given' | 'refused';

export function Intake() {
  const [filed, setFiled] = useState<Filed | null>(null);
  useEffect(() => {
    void loadCatalogues().catch(() => undefined);
  }, []);
  return (
    <article aria-labelledby="intake-title">
      <h1 id="intake-title">{filed ? t('intake.filedTitle') : t('intake.title')}</h1>
      {filed ? <FiledView filed={filed} /> : <IntakeForm onFiled={setFiled} />}
    </article>
  );
}

function FiledView({ filed }: { filed: Filed }) {
  return (
    <section class="card" aria-labelledby="intake-receipt">
      <h2 id="intake-receipt" class="visually-hidden">
        {t('receipt.label')}
      </h2>
      <PrintedReceipt receipt={filed.receipt} reference={filed.reference} />
      <p>
        <a href={`/console/cases/${filed.caseId}`}>{t('intake.openCase', { reference: filed.reference })}</a>
      </p>
    </section>
  );
}

function IntakeForm({ onFiled }: { onFiled: (f: Filed) => void }) {
  const lists = catalogues.value?.intake ?? {};
  const options = (name: string, skip: string[] = []): Option[] => (lists[name] ?? []).filter((i) => !skip.includes(i.code)).map((i) => ({ code: i.code, label: lang.value === 'fr' ? i.fr : i.en }));
  const blank: Option = { code: '', label: t('intake.choose') };

  const [source, setSource] = useState('oral_statement');
  const [consent, setConsent] = useState<Consent>('unknown');
  const [filedFor, setFiledFor] = useState('self');
  const [identity, setIdentity] = useState('');
  const [category, setCategory] = useState('');
  const [gender, setGender] = useState('undisclosed');
  const [disability, setDisability] = useState('undisclosed');
  const [threats, setThreats] = useState<string[]>([]);
  const [narrative, setNarrative] = useState('');
  const [region, setRegion] = useState('');
  const [location, setLocation] = useState('');
  const [channel, setChannel] = useState('');
  const [contact, setContact] = useState('');
  const [language, setLanguage] = useState('fr');
  const [urgent, setUrgent] = useState('no');
  const { busy, error, setError, run } = useCommand();
  // The mechanism's intake key, shown with its fingerprint and pinned at first use: a key the
  // server swaps later is sealed to only once the officer confirms they checked it.
  const [intakeKey, setIntakeKey] = useState<IntakeKey | null>(null);
  const [keyTrusted, setKeyTrusted] = useState(false);
  useEffect(() => {
    call('getIntakeKey').then(setIntakeKey, (err: unknown) => setError(codeOf(err)));
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    const me = account.value;
    if (!me) return setError('session_ended');
    if (!identity.trim() || !narrative.trim() || !contact.trim() || !category || !region || !channel || threats.length === 0) return setError('intake_incomplete');
    if (!intakeKey || !keyTrusted) return setError('intake_key_unconfirmed');
    await run(async () => {
      // The mechanism key this account holds (a supervisor's keyring) is the pin; otherwise the key pinned at first use (KeyTrust), which the SDK checks against its public key.
      const held = me.keyring.find((k) => k.orgId === intakeKey.orgId && k.current);
      const pinnedKeyId = held ? held.orgKeyId : intakeKey.keyId;
      const sealed = await crypto({
        op: 'fileOnBehalf',
        intakeKey: { publicKey: intakeKey.publicKey, keyId: intakeKey.keyId, receiptSalt: intakeKey.receiptSalt },
        pinnedKeyId,
        metadata: { region, defenderCategory: category, gender, disability, threatTypes: threats, claimedUrgent: urgent === 'yes', preferredLanguage: language, contactChannel: channel, filedFor },
        secrets: { identity, contact, narrative, ...(location.trim() ? { location } : {}) },
      });
      const answer = await call('fileCaseOnBehalf', { body: { ...sealed.body, source, consent, filer: sealed.filer } });
      onFiled({ caseId: answer.caseId, reference: answer.reference, receipt: sealed.receipt });
    });
  };

  const consents: Option[] = [
    { code: 'unknown', label: t('intake.consent.unknown') },
    { code: 'given', label: t('intake.consent.given') },
    { code: 'refused', label: t('intake.consent.refused') },
  ];
  return (
    <form class="stack intake-form" aria-labelledby="intake-title" onSubmit={(e) => void submit(e)}>
      <p class="hint">{t('intake.intro')}</p>
      <section class="card" aria-labelledby="intake-how">
        <h2 id="intake-how">{t('intake.how')}</h2>
        <SelectField label={t('intake.source')} options={options('source', ['online'])} value={source} onValue={setSource} />
        <Choices legend={t('intake.consent')} hint={t('intake.consentHint')} kind="radio" options={consents} chosen={[consent]} onChosen={(v) => setConsent((v[0] as Consent | undefined) ?? 'unknown')} />
      </section>
      <section class="card" aria-labelledby="intake-who">
        <h2 id="intake-who">{t('intake.who')}</h2>
        <Choices legend={t('intake.filedFor')} kind="radio" options={options('filedFor')} chosen={[filedFor]} onChosen={(v) => setFiledFor(v[0] ?? 'self')} />
        <Field label={t('intake.identity')} hint={t('intake.identityHint')} value={identity} onValue={setIdentity} maxLength={300} autocomplete="off" />
        <SelectField label={t('intake.category')} options={[blank, ...options('defenderCategory')]} value={category} onValue={setCategory} />
        <SelectField label={t('intake.gender')} options={options('gender')} value={gender} onValue={setGender} />
        <SelectField label={t('intake.disability')} options={options('disability')} value={disability} onValue={setDisability} />
      </section>
      <section class="card" aria-labelledby="intake-what">
        <h2 id="intake-what">{t('intake.what')}</h2>
        <Choices legend={t('intake.threats')} kind="checkbox" options={options('threatType')} chosen={threats} onChosen={setThreats} />
        <TextArea label={t('intake.narrative')} hint={t('intake.narrativeHint')} value={narrative} onValue={setNarrative} rows={6} />
      </section>
      <section class="card" aria-labelledby="intake-where">
        <h2 id="intake-where">{t('intake.where')}</h2>
        <SelectField label={t('intake.region')} options={[blank, ...options('region')]} value={region} onValue={setRegion} />
        <Field label={t('intake.location')} hint={t('intake.locationHint')} value={location} onValue={setLocation} maxLength={300} autocomplete="off" />
      </section>
      <section class="card" aria-labelledby="intake-reach">
        <h2 id="intake-reach">{t('intake.reach')}</h2>
        <SelectField label={t('intake.channel')} options={[blank, ...options('contactChannel')]} value={channel} onValue={setChannel} />
        <TextArea label={t('intake.contact')} hint={t('intake.contactHint')} value={contact} onValue={setContact} rows={3} />
        <SelectField label={t('intake.language')} options={options('language')} value={language} onValue={setLanguage} />
      </section>
      <section class="card" aria-labelledby="intake-urgency">
        <h2 id="intake-urgency">{t('intake.urgency')}</h2>
        <Choices
          legend={t('intake.urgent')}
          hint={t('intake.urgentHint')}
          kind="radio"
          options={[
            { code: 'yes', label: t('intake.yes') },
            { code: 'no', label: t('intake.no') },
          ]}
          chosen={[urgent]}
          onChosen={(v) => setUrgent(v[0] ?? 'no')}
        />
      </section>
      <section class="card" aria-labelledby="intake-key">
        <h2 id="intake-key">{t('intake.key')}</h2>
        {intakeKey ? <KeyTrust subject={`org:${intakeKey.orgId}`} keyId={intakeKey.keyId} onTrusted={setKeyTrusted} /> : <p aria-busy="true">{t('case.loading')}</p>}
      </section>
      <Problem code={error} />
      <p class="actions">
        <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
          {t('intake.submit')}
        </button>
      </p>
    </form>
  );
}
