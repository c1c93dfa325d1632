/**
 * On call, out of office hours: the pages put to me (acknowledge one, so nobody else is paged),
 * and the roster: who answers when, in which order; supervisors edit it, with each person's
 * contact points, in the mechanism's time zone.
 */
import { useEffect, useState } from 'preact/hooks';
import { call, codeOf, type ResponseOf } from '../api.js';
import { formatDateTime, t, timeZone } from '../i18n.js';
import { account } from '../session.js';
import { Problem } from '../ui/problem.js';
import { fromZonedInput, toZonedInput } from './zoned-time.js';

type Page = ResponseOf<'listMyPages'>['items'][number];
type Entry = ResponseOf<'getOnCallRoster'>['items'][number];
type Staff = ResponseOf<'listStaffDirectory'>['items'][number];
type Language = 'fr' | 'en';
/** A roster slot as the form holds it: times as the inputs show them. */
interface Draft {
  key: number;
  userId: string;
  position: string;
  startsAt: string;
  endsAt: string;
  email: string;
  phone: string;
  language: Language;
}

let nextKey = 0;
const draftOf = (e: Entry, tz: string): Draft => ({ key: nextKey++, userId: e.userId, position: String(e.position), startsAt: toZonedInput(e.startsAt, tz), endsAt: toZonedInput(e.endsAt, tz), email: e.email ?? '', phone: e.phone ?? '', language: e.language });

function MyPages() {
  const [pages, setPages] = useState<Page[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  useEffect(() => {
    call('listMyPages').then((r) => setPages(r.items), (err: unknown) => setError(codeOf(err)));
  }, []);
  const acknowledge = async (p: Page) => {
    setError(null);
    try {
      const done = await call('acknowledgePage', { params: { id: p.id } });
      setPages((prev) => prev?.map((x) => (x.id === p.id ? done : x)) ?? null);
      setStatus(t('onCall.acknowledged'));
    } catch (err) {
      setError(codeOf(err));
    }
  };
  const open = (pages ?? []).filter((p) => !p.acknowledgedAt);
  return (
    <section class="card" aria-labelledby="oncall-pages-title">
      <h2 id="oncall-pages-title">{t('onCall.pagesTitle')}</h2>
      <Problem code={error} />
      <p role="status">{status}</p>
      {pages === null ? (
        <p aria-busy="true">{t('case.loading')}</p>
      ) : open.length === 0 ? (
        <p>{t('onCall.noPages')}</p>
      ) : (
        <ul class="inbox">
          {open.map((p) => (
            <li key={p.id} class="card notice notice-unread" data-page-id={p.id}>
              <p>
                <strong>{t('onCall.page')}</strong>{' '}
                {p.caseId && p.reference && <a href={`/console/cases/${p.caseId}`}>{t('notifications.case', { reference: p.reference })}</a>}
              </p>
              <p class="muted">
                <time dateTime={p.createdAt}>{formatDateTime(p.createdAt)}</time>
                {p.rank > 1 && ` · ${t('onCall.escalated')}`}
              </p>
              <button type="button" onClick={() => void acknowledge(p)}>
                {t('onCall.acknowledge')}
                {p.reference && <span class="visually-hidden"> {p.reference}</span>}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function SlotFields({ draft, n, staff, onChange, onRemove }: { draft: Draft; n: number; staff: Staff[]; onChange: (d: Draft) => void; onRemove: () => void }) {
  const id = `oncall-slot-${draft.key}`;
  const set = (patch: Partial<Draft>) => onChange({ ...draft, ...patch });
  return (
    <fieldset class="choices">
      <legend>{t('onCall.slot', { n })}</legend>
      <div class="field">
        <label for={`${id}-who`}>{t('onCall.who')}</label>
        <select id={`${id}-who`} value={draft.userId} onChange={(e) => set({ userId: e.currentTarget.value })} required>
          <option value="">{t('onCall.choose')}</option>
          {staff.map((s) => (
            <option key={s.userId} value={s.userId}>
              {s.username}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for={`${id}-order`}>{t('onCall.order')}</label>
        <input id={`${id}-order`} type="number" min="1" max="20" value={draft.position} onInput={(e) => set({ position: e.currentTarget.value })} />
      </div>
      <div class="field">
        <label for={`${id}-from`}>{t('onCall.from')}</label>
        <input id={`${id}-from`} type="datetime-local" value={draft.startsAt} onInput={(e) => set({ startsAt: e.currentTarget.value })} />
      </div>
      <div class="field">
        <label for={`${id}-to`}>{t('onCall.to')}</label>
        <input id={`${id}-to`} type="datetime-local" value={draft.endsAt} onInput={(e) => set({ endsAt: e.currentTarget.value })} />
      </div>
      <div class="field">
        <label for={`${id}-email`}>{t('onCall.email')}</label>
        <input id={`${id}-email`} type="email" autocomplete="off" value={draft.email} onInput={(e) => set({ email: e.currentTarget.value })} />
      </div>
      <div class="field">
        <label for={`${id}-phone`}>{t('onCall.phone')}</label>
        <p class="hint" id={`${id}-phone-hint`}>
          {t('onCall.phoneHint')}
        </p>
        <input id={`${id}-phone`} type="tel" autocomplete="off" aria-describedby={`${id}-phone-hint`} value={draft.phone} onInput={(e) => set({ phone: e.currentTarget.value })} />
      </div>
      <div class="field">
        <label for={`${id}-lang`}>{t('onCall.language')}</label>
        <select id={`${id}-lang`} value={draft.language} onChange={(e) => set({ language: e.currentTarget.value === 'en' ? 'en' : 'fr' })}>
          <option value="fr">Français</option>
          <option value="en">English</option>
        </select>
      </div>
      <button type="button" onClick={onRemove}>
        {t('onCall.remove')} <span class="visually-hidden">{t('onCall.slot', { n })}</span>
      </button>
    </fieldset>
  );
}

function Roster() {
  const manage = account.value?.role === 'supervisor';
  const tz = timeZone.value;
  const [entries, setEntries] = useState<Entry[] | null>(null);
  const [staff, setStaff] = useState<Staff[]>([]);
  const [drafts, setDrafts] = useState<Draft[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    call('getOnCallRoster').then((r) => setEntries(r.items), (err: unknown) => setError(codeOf(err)));
    if (manage) call('listStaffDirectory').then((r) => setStaff(r.items), (err: unknown) => setError(codeOf(err)));
  }, [manage]);

  const save = async (event: Event) => {
    event.preventDefault();
    if (!drafts) return;
    setError(null);
    const body = drafts.map((d) => ({ userId: d.userId, position: Number(d.position), startsAt: fromZonedInput(d.startsAt, tz), endsAt: fromZonedInput(d.endsAt, tz), email: d.email.trim() || null, phone: d.phone.replace(/\s/g, '') || null, language: d.language }));
    if (body.some((b) => !b.userId || !b.startsAt || !b.endsAt || !Number.isInteger(b.position))) {
      setError('validation_failed');
      return;
    }
    setBusy(true);
    try {
      const r = await call('replaceOnCallRoster', { body: { entries: body.map((b) => ({ ...b, startsAt: b.startsAt!, endsAt: b.endsAt! })) } });
      setEntries(r.items);
      setDrafts(null);
      setStatus(t('onCall.saved'));
    } catch (err) {
      setError(codeOf(err));
    } finally {
      setBusy(false);
    }
  };

  const blank = (): Draft => {
    const now = new Date().toISOString();
    return { key: nextKey++, userId: '', position: String((drafts?.length ?? 0) + 1), startsAt: toZonedInput(now, tz), endsAt: toZonedInput(new Date(Date.now() + 12 * 3600_000).toISOString(), tz), email: '', phone: '', language: 'fr' };
  };

  return (
    <section class="card" aria-labelledby="oncall-roster-title">
      <h2 id="oncall-roster-title">{t('onCall.rosterTitle')}</h2>
      <p class="muted">{t('onCall.timeZone', { zone: tz })}</p>
      <Problem code={error} />
      <p role="status">{status}</p>
      {entries === null ? (
        <p aria-busy="true">{t('case.loading')}</p>
      ) : drafts === null ? (
        <>
          {entries.length === 0 ? (
            <p>{t('onCall.empty')}</p>
          ) : (
            <ol class="inbox">
              {entries.map((e) => (
                <li key={e.id} class="card" data-entry-user={e.username}>
                  <p>
                    <strong>{e.username}</strong> · {t('onCall.rank', { n: e.position })}
                  </p>
                  <p class="muted">
                    <time dateTime={e.startsAt}>{formatDateTime(e.startsAt)}</time> – <time dateTime={e.endsAt}>{formatDateTime(e.endsAt)}</time>
                  </p>
                </li>
              ))}
            </ol>
          )}
          {manage && (
            <button type="button" onClick={() => setDrafts(entries.map((e) => draftOf(e, tz)))}>
              {t('onCall.edit')}
            </button>
          )}
        </>
      ) : (
        <form onSubmit={save} noValidate>
          {drafts.map((d, i) => (
            <SlotFields key={d.key} draft={d} n={i + 1} staff={staff} onChange={(x) => setDrafts(drafts.map((y) => (y.key === d.key ? x : y)))} onRemove={() => setDrafts(drafts.filter((y) => y.key !== d.key))} />
          ))}
          <div class="actions">
            <button type="button" onClick={() => setDrafts([...drafts, blank()])}>
              {t('onCall.add')}
            </button>
            <button type="submit" disabled={busy}>
              {t('onCall.save')}
            </button>
            <button type="button" onClick={() => setDrafts(null)}>
              {t('onCall.cancel')}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

export function OnCall() {
  return (
    <div class="stack">
      <h1>{t('onCall.title')}</h1>
      <p>{t('onCall.intro')}</p>
      <MyPages />
      <Roster />
    </div>
  );
}
