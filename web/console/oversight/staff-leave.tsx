/**
 * A staff member leaves: every open case assigned to them handed over to officers the supervisor
 * chooses (per case, or spread over a chosen set), then every case holding an envelope of theirs
 * re-keyed without it, in the supervisor's crypto worker, one case at a time. What remains is
 * asked of the server before every case (GET /v1/staff/:userId/holdings), so an interrupted run
 * (a reload, a refusal) continues where the server says it stands. Then their keyring entries: the
 * search-key entry removed here; the mechanism keyring entry removed by an admin (keyring.remove
 * is an admin's action: access.md keeps key-material management with them), and both keys renewed
 * on the custody screen: the mechanism key rotated, the search key re-issued (the leaver knew it).
 */
import { useEffect, useState } from 'preact/hooks';
import { useRoute } from 'preact-iso/router';
import { call, codeOf, type ResponseOf } from '../api.js';
import { t } from '../i18n.js';
import { Problem } from '../ui/problem.js';
import { TextArea } from '../ui/choices.js';
import { handOverCase, rekeyWithout } from './hand-over.js';
import { OfficerKeyCheck, type OfficerKey } from '../keys/officer-key.js';

type Holdings = ResponseOf<'getStaffHoldings'>;
type Officer = ResponseOf<'getStaffLoad'>['items'][number];

/** How many cases the hand-over started with, kept for the progress bar across a reload (a count, nothing else). */
const startedKey = (userId: string) => `egide.leave.${userId}`;

/** The officers of `chosen`, least loaded first, one per case in turn. */
function spread(cases: Holdings['cases'], chosen: Officer[]): Record<string, string> {
  const order = [...chosen].sort((a, b) => a.open - b.open);
  const out: Record<string, string> = {};
  cases.filter((c) => c.assigned).forEach((c, i) => {
    if (order.length > 0) out[c.caseId] = order[i % order.length]!.userId;
  });
  return out;
}

export function StaffLeave() {
  const { params } = useRoute();
  const userId = params.userId ?? '';
  const [held, setHeld] = useState<Holdings | null>(null);
  const [officers, setOfficers] = useState<Officer[]>([]);
  const [chosen, setChosen] = useState<string[]>([]);
  const [perCase, setPerCase] = useState<Record<string, string>>({});
  const [reason, setReason] = useState('');
  const [keys, setKeys] = useState<Record<string, OfficerKey | null | undefined>>({});
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);

  const refresh = async (): Promise<Holdings> => {
    const h = await call('getStaffHoldings', { params: { userId } });
    setHeld(h);
    return h;
  };

  useEffect(() => {
    refresh().catch((err: unknown) => setError(codeOf(err)));
    call('getStaffLoad').then((l) => setOfficers(l.items.filter((o) => o.role === 'officer' && o.status === 'active' && o.userId !== userId)), (err: unknown) => setError(codeOf(err)));
  }, [userId]);

  const remaining = held?.cases.length ?? 0;
  const stored = Number(sessionStorage.getItem(startedKey(userId)) ?? '0');
  const total = Math.max(stored, remaining);
  const done = total - remaining;

  const choose = (id: string, on: boolean) => {
    const next = on ? [...chosen, id] : chosen.filter((x) => x !== id);
    setChosen(next);
    if (held) setPerCase(spread(held.cases, officers.filter((o) => next.includes(o.userId))));
  };

  const start = async () => {
    if (!held) return;
    setError(null);
    setStatus(null);
    const assigned = held.cases.filter((c) => c.assigned);
    if (assigned.some((c) => !perCase[c.caseId])) return setError('leave_officer_missing');
    if (assigned.length > 0 && reason.trim().length < 3) return setError('leave_reason_missing');
    // Every officer receiving cases has a key the supervisor checked on screen.
    if (assigned.some((c) => !keys[perCase[c.caseId]!])) return setError('key_not_confirmed');
    if (!sessionStorage.getItem(startedKey(userId))) sessionStorage.setItem(startedKey(userId), String(held.cases.length));
    setRunning(true);
    try {
      // Asked again before each case: what the server says is left is the work.
      for (let h = await refresh(); h.cases.length > 0; h = await refresh()) {
        const c = h.cases[0]!;
        if (c.assigned) {
          const to = keys[perCase[c.caseId] ?? ''];
          if (!to) throw Object.assign(new Error('no officer'), { code: 'leave_officer_missing' });
          await handOverCase(c.caseId, to, reason.trim());
        }
        if (c.keyIds.length > 0) await rekeyWithout(c.caseId, userId);
        setStatus(t('oversight.leave.caseDone', { reference: c.reference }));
      }
      sessionStorage.removeItem(startedKey(userId));
      setStatus(t('oversight.leave.allDone'));
    } catch (err) {
      setError(codeOf(err));
    } finally {
      setRunning(false);
    }
  };

  const removeSearchKey = async () => {
    setError(null);
    try {
      await call('removeSearchKeyEntry', { params: { userId } });
      setStatus(t('oversight.leave.searchKeyRemoved'));
      await refresh();
    } catch (err) {
      setError(codeOf(err));
    }
  };

  if (!held) {
    return (
      <section aria-labelledby="leave-title">
        <h1 id="leave-title">{t('oversight.leave.titleLoading')}</h1>
        <Problem code={error} />
        {!error && <p aria-busy="true">{t('case.loading')}</p>}
      </section>
    );
  }
  const assigned = held.cases.filter((c) => c.assigned);
  const mechanism = held.keyring.filter((k) => k.orgKind === 'mechanism');
  // A receiving officer's key still on its way: the run waits for it (refused, it would say the key changed).
  const readingKeys = assigned.some((c) => {
    const to = perCase[c.caseId];
    return !!to && keys[to] === undefined;
  });
  return (
    <section aria-labelledby="leave-title">
      <h1 id="leave-title">{t('oversight.leave.title', { name: held.username })}</h1>
      <p>
        <a href="/console/board">{t('oversight.leave.back')}</a>
      </p>
      {held.status === 'active' && (
        <p class="alert" data-leave-active>
          {t('oversight.leave.stillActive')} <a href="/console/users">{t('oversight.leave.askAdmin')}</a>
        </p>
      )}
      <h2 id="leave-cases">{t('oversight.leave.cases')}</h2>
      <p>{t('oversight.leave.summary', { assigned: String(assigned.length), rekey: String(held.cases.filter((c) => c.keyIds.length > 0).length) })}</p>
      <label for="leave-progress">{t('oversight.leave.progress', { done: String(done), total: String(total) })}</label>
      <progress id="leave-progress" max={Math.max(total, 1)} value={total === 0 ? 1 : done} />
      {remaining > 0 && (
        <>
          {assigned.length > 0 && (
            <>
              <fieldset>
                <legend>{t('oversight.leave.spreadOver')}</legend>
                {officers.map((o) => (
                  <label key={o.userId} class="choice">
                    <input type="checkbox" checked={chosen.includes(o.userId)} onChange={(e) => choose(o.userId, e.currentTarget.checked)} disabled={running} />{' '}
                    {t('oversight.officerOption', { name: o.username, n: String(o.open) })}
                  </label>
                ))}
              </fieldset>
              <table class="queue" aria-labelledby="leave-cases">
                <thead>
                  <tr>
                    <th scope="col">{t('queue.col.reference')}</th>
                    <th scope="col">{t('queue.col.state')}</th>
                    <th scope="col">{t('oversight.leave.to')}</th>
                  </tr>
                </thead>
                <tbody>
                  {assigned.map((c) => (
                    <tr key={c.caseId} data-case-id={c.caseId}>
                      <th scope="row" data-label={t('queue.col.reference')}>
                        {c.reference}
                      </th>
                      <td data-label={t('queue.col.state')}>{t(`state.${c.state}`)}</td>
                      <td data-label={t('oversight.leave.to')}>
                        <select aria-label={t('oversight.leave.toCase', { reference: c.reference })} value={perCase[c.caseId] ?? ''} disabled={running} onChange={(e) => setPerCase({ ...perCase, [c.caseId]: e.currentTarget.value })}>
                          <option value="">{t('oversight.choose')}</option>
                          {officers.map((o) => (
                            <option key={o.userId} value={o.userId}>
                              {o.username}
                            </option>
                          ))}
                        </select>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {[...new Set(assigned.map((c) => perCase[c.caseId]).filter((id): id is string => !!id))].map((id) => (
                <OfficerKeyCheck key={id} userId={id} name={officers.find((o) => o.userId === id)?.username ?? ''} onKey={(k) => setKeys((all) => ({ ...all, [id]: k }))} />
              ))}
              <TextArea label={t('oversight.reason')} hint={t('oversight.reasonHint')} value={reason} onValue={setReason} maxLength={2000} rows={2} />
            </>
          )}
          <p class="actions">
            <button type="button" class="primary" disabled={running || readingKeys || held.status === 'active'} aria-busy={running || readingKeys} onClick={() => void start()}>
              {done > 0 ? t('oversight.leave.resume') : t('oversight.leave.start')}
            </button>
          </p>
        </>
      )}
      <Problem code={error} />
      <p role="status" class={status ? 'alert alert-ok' : 'visually-hidden'}>
        {status ?? ''}
      </p>
      {remaining === 0 && (
        <>
          <h2>{t('oversight.leave.keys')}</h2>
          {held.searchKey ? (
            <p>
              {t('oversight.leave.searchKeyHeld')}{' '}
              <button type="button" onClick={() => void removeSearchKey()}>
                {t('oversight.leave.removeSearchKey')}
              </button>
            </p>
          ) : (
            <p data-search-key="none">{t('oversight.leave.searchKeyNone')}</p>
          )}
          {mechanism.length > 0 ? (
            <p data-mechanism-entry="held">
              {t('oversight.leave.mechanismHeld')} <a href="/console/users">{t('oversight.leave.askAdmin')}</a>
            </p>
          ) : (
            <p data-mechanism-entry="none">{t('oversight.leave.mechanismNone')}</p>
          )}
          <p>
            <a href="/console/custody" class="button primary">
              {t('oversight.leave.rotate')}
            </a>{' '}
            <a href="/console/custody#search-reissue" class="button" data-leave-reissue>
              {t('oversight.leave.reissueSearchKey')}
            </a>
          </p>
        </>
      )}
    </section>
  );
}
