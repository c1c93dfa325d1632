import t from 'tap';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap, enrolActor, reauth, act, admitCase, caseKeyOf, caseRow, fileCase } from '../helpers/world.js';
import { appealGroundsAd, assessmentFieldAd, caseReportNoteAd, generateDek, measureDetailsAd, messageBodyAd, noteBodyAd, referralFieldAd, sealField } from '../../src/sdk/index.js';

/**
 * Retention: a closed case's `retention` deadline (10 years) purges nothing by itself.
 * A supervisor lists what is due and confirms each purge with a reason: every value sealed under
 * the case key, the referral packets, notes and envelopes, the case envelopes and the receipt's
 * link are erased in one transaction; the metadata, the timeline and the audit log stay; the
 * retention deadline is settled by `case.purged`; a purged case cannot be reopened or purged again,
 * and its sealed reads answer 404 case_purged.
 */
const T0 = '2026-03-02T08:00:00.000Z';
const T = await buildTestApp(t, { now: T0 });
const dep = await bootstrap(T);
const sql = T.database.sql;
const officer = await enrolActor(T, dep.admin, { username: 'awa', role: 'officer', orgId: dep.mechanismId });
const orgRes = await T.app.inject({ method: 'POST', url: '/v1/orgs', headers: dep.admin.auth(), payload: { name: 'Avocats Sans Frontières' } });
if (orgRes.statusCode !== 201) throw new Error(`org: ${orgRes.statusCode} ${orgRes.body}`);
const orgId = orgRes.json().id as string;
const partner = await enrolActor(T, dep.admin, { username: 'asf-1', role: 'partner', orgId });
const MARK = `MARQUEUR-${randomUUID()}`;

// The case to purge: filed, admitted, a message from the officer, then closed.
const c = await fileCase(T, dep, { secrets: { identity: `Aminata ${MARK}`, contact: `+223 ${MARK}`, narrative: `Menaces ${MARK}` } });
await admitCase(T, dep, officer, c.caseId);
const dek = await caseKeyOf(T, officer, c.caseId);
const messageId = randomUUID();
const sent = await T.app.inject({ method: 'POST', url: `/v1/cases/${c.caseId}/messages`, headers: officer.auth(), payload: { id: messageId, body: sealField({ text: `Appel prévu ${MARK}` }, dek, messageBodyAd(messageId, `u:${officer.id}`)) } });
if (sent.statusCode !== 201) throw new Error(`message: ${sent.statusCode} ${sent.body}`);
const closed = await act(T, officer, c.caseId, 'close', { reason: 'risque disparu après deux ans', closeReason: 'risk_ceased' });
if (closed.statusCode !== 200) throw new Error(`close: ${closed.statusCode} ${closed.body}`);

// The test helpers' logins move the clock on: the retention is due 10 calendar years after the actual close.
const closedAt = new Date((await caseRow(T, c.caseId)).closed_at).toISOString();
const dueAt = `${Number(closedAt.slice(0, 4)) + 10}${closedAt.slice(4)}`;

// Sealed content of every other kind, written as the modules would have left it (SQL: the API
// path to each is long and tested in its own module).
const ids = { assessment: randomUUID(), measure: randomUUID(), report: randomUUID(), appeal: randomUUID(), referral: randomUUID(), referralReport: randomUUID(), note: randomUUID(), file: randomUUID(), upload: randomUUID() };
const staffKey = generateDek();
const seal = (ad: string) => sealField({ text: MARK }, dek, ad) as string;
const sealed = {
  assessment: seal(assessmentFieldAd(ids.assessment, 'threatNarrative')),
  measure: seal(measureDetailsAd(ids.measure)),
  report: seal(caseReportNoteAd('incident', ids.report)),
  appeal: seal(appealGroundsAd(ids.appeal)),
  packet: sealField({ text: MARK }, dek, referralFieldAd(ids.referral, 'identity')) as string,
  referralNote: `v1.${Buffer.from(MARK).toString('base64url')}.bm90ZQ`,
  // An internal note, under the case's staff key (not the case key).
  note: sealField({ text: MARK }, staffKey, noteBodyAd(c.caseId, ids.note, `u:${officer.id}`)) as string,
};
// An attached evidence file and an upload left unfinished (their bytes: test/files/file-lifecycle.test.ts).
const fileSealed = { key: seal(`egide/v1/file/${ids.file}/key`), name: seal(`egide/v1/file/${ids.file}/name`) };
await sql`insert into assessments (id, case_id, version, threats, vulnerability_factors, vulnerability_rating, capacity_factors, capacity_rating, level, override, sealed, created_by, created_at)
  values (${ids.assessment}, ${c.caseId}, 1, '[]'::jsonb, '{}', 2, '{}', 2, 'high', false, ${JSON.stringify({ threatNarrative: sealed.assessment })}::jsonb, ${officer.id}, ${T0})`;
await sql`insert into measures (id, case_id, code, category, implementer, urgent, status, details, proposed_by, proposed_at, updated_at)
  values (${ids.measure}, ${c.caseId}, 'safe_shelter', 'urgent', 'cndh', false, 'lifted', ${sealed.measure}, ${officer.id}, ${T0}, ${T0})`;
await sql`insert into case_reports (id, case_id, kind, reported_by, code, note, at) values (${ids.report}, ${c.caseId}, 'incident', ${`d:${c.caseId}`}, 'death_threat', ${sealed.report}, ${T0})`;
await sql`insert into appeals (id, case_id, subject, decision_at, grounds, state, filed_at) values (${ids.appeal}, ${c.caseId}, 'no_measures', ${T0}, ${sealed.appeal}, 'dismissed', ${T0})`;
await sql`insert into referrals (id, case_id, org_id, fields, purpose, state, packet, created_by, created_at, updated_at)
  values (${ids.referral}, ${c.caseId}, ${orgId}, '{identity}', 'legal_aid', 'closed', ${JSON.stringify({ identity: sealed.packet })}::jsonb, ${officer.id}, ${T0}, ${T0})`;
await sql`insert into staff_key_envelopes (case_id, key_id, envelope, recipient_type, recipient_id, key_epoch, created_at) values (${c.caseId}, 'k-staff', 'v1.ZW52ZWxvcGU', 'user', ${officer.id}, 1, ${T0})`;
await sql`insert into case_notes (id, case_id, author, author_role, body, created_at) values (${ids.note}, ${c.caseId}, ${`u:${officer.id}`}, 'officer', ${sealed.note}, ${T0})`;
await sql`insert into case_files (id, case_id, uploader, uploader_role, state, size, chunks, ciphertext_sha256, sealed, created_at, updated_at)
  values (${ids.file}, ${c.caseId}, ${`u:${officer.id}`}, 'officer', 'available', 65577, 1, ${'ab'.repeat(32)}, ${JSON.stringify(fileSealed)}::jsonb, ${T0}, ${T0}),
         (${ids.upload}, ${c.caseId}, ${`u:${officer.id}`}, 'officer', 'uploading', 65577, 1, null, ${JSON.stringify({ key: fileSealed.key })}::jsonb, ${T0}, ${T0})`;
await sql`insert into referral_envelopes (referral_id, key_id, envelope, recipient_type, recipient_id, created_at) values (${ids.referral}, 'k-asf', 'v1.ZW52ZWxvcGU', 'org', ${orgId}, ${T0})`;
await sql`insert into referral_reports (id, referral_id, status, note, reported_by, reported_at) values (${ids.referralReport}, ${ids.referral}, 'in_progress', ${sealed.referralNote}, ${partner.id}, ${T0})`;

// Another case, still open, with its own content: a purge never touches it.
const other = await fileCase(T, dep);
await admitCase(T, dep, officer, other.caseId);
// Blind-index tokens of both cases (docs/crypto-v1.md §16), as a staff client would have uploaded them.
const tokensOf = (n: number) => Array.from({ length: 12 }, (_, i) => Buffer.alloc(16, n * 16 + i).toString('base64url'));
for (const [caseId, n] of [[c.caseId, 1], [other.caseId, 2]] as const) {
  for (const token of tokensOf(n)) await sql`insert into case_search_tokens (case_id, token, uploaded_by, uploaded_at) values (${caseId}, ${token}, ${officer.id}, ${T0})`;
}
const searchTokenCount = async (caseId: string) => (await sql`select count(*)::int as n from case_search_tokens where case_id = ${caseId}`)[0]!.n as number;

const retentionOf = async (caseId: string) => (await sql`select id, state, due_at, settled_at from deadlines where case_id = ${caseId} and rule = 'retention'`)[0];
const purge = (who: { auth(): Record<string, string> }, caseId: string, reason = 'fin de la conservation décennale') =>
  T.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/purge`, headers: who.auth(), payload: { reason } });
const list = (who: { auth(): Record<string, string> }, q = '') => T.app.inject({ method: 'GET', url: `/v1/retention${q}`, headers: who.auth() });
/** What a purge must erase, table by table, for one case. */
const sealedCounts = async (caseId: string) =>
  (
    await sql`select
      (select count(*)::int from case_fields where case_id = ${caseId}) as case_fields,
      (select count(*)::int from messages where case_id = ${caseId}) as messages,
      (select count(*)::int from assessments where case_id = ${caseId} and sealed <> '{}'::jsonb) as assessments,
      (select count(*)::int from measures where case_id = ${caseId} and details is not null) as measures,
      (select count(*)::int from case_reports where case_id = ${caseId} and note is not null) as case_reports,
      (select count(*)::int from appeals where case_id = ${caseId} and grounds is not null) as appeals,
      (select count(*)::int from referrals where case_id = ${caseId} and packet is not null) as referral_packets,
      (select count(*)::int from referral_envelopes e join referrals r on r.id = e.referral_id where r.case_id = ${caseId}) as referral_envelopes,
      (select count(*)::int from referral_reports p join referrals r on r.id = p.referral_id where r.case_id = ${caseId} and p.note is not null) as referral_notes,
      (select count(*)::int from case_envelopes where case_id = ${caseId}) as case_envelopes,
      (select count(*)::int from case_notes where case_id = ${caseId}) as notes,
      (select count(*)::int from staff_key_envelopes where case_id = ${caseId}) as staff_key_envelopes,
      (select count(*)::int from case_files where case_id = ${caseId}) as files`
  )[0]!;

t.test('closing starts a 10-year retention deadline; before it is due nothing is listed and a purge is refused, changing nothing', async (t) => {
  const d = await retentionOf(c.caseId);
  t.equal(d?.state, 'open');
  t.equal(new Date(d!.due_at as string).toISOString(), dueAt, '10 calendar years after closing');
  t.match(dueAt, /^2036-03-02T08:/);
  t.same((await list(dep.supervisor)).json(), { items: [], next: null });
  const before = await sealedCounts(c.caseId);
  t.same(before, { case_fields: 3, messages: 1, assessments: 1, measures: 1, case_reports: 1, appeals: 1, referral_packets: 1, referral_envelopes: 1, referral_notes: 1, case_envelopes: 3, notes: 1, staff_key_envelopes: 1, files: 2 });
  const r = await purge(dep.supervisor, c.caseId);
  t.equal(r.statusCode, 409);
  t.equal(r.json().code, 'retention_not_due');
  t.same(await sealedCounts(c.caseId), before, 'nothing erased');
  t.equal((await caseRow(T, c.caseId)).purged_at, null);
  t.equal((await retentionOf(c.caseId))?.state, 'open');
  const [denied] = await sql`select outcome, reason from audit_events where case_id = ${c.caseId} and action = 'case.purge' order by id desc limit 1`;
  t.equal(denied?.outcome, 'denied');
  t.match(denied?.reason, /retention period ends on 2036-03-02/);
});

t.test('ten years on: listed for the supervisor only; other roles are refused', async (t) => {
  T.clock.set('2036-03-03T09:00:00.000Z');
  for (const a of [dep.supervisor, dep.admin, officer, partner]) await reauth(T, a);
  const r = await list(dep.supervisor, '?limit=10');
  t.equal(r.statusCode, 200);
  t.same(r.json().items, [{ caseId: c.caseId, reference: c.reference, closedAt, closeReason: 'risk_ceased', deadlineId: (await retentionOf(c.caseId))!.id, dueAt }]);
  t.notOk(JSON.stringify(r.json()).includes('MARQUEUR'), 'no content in the list');
  // Keyset: a page of one, then the next page from its cursor is empty.
  const p1 = (await list(dep.supervisor, '?limit=1')).json();
  t.equal(p1.items.length, 1);
  t.type(p1.next, 'string');
  t.same((await list(dep.supervisor, `?limit=1&after=${encodeURIComponent(p1.next)}`)).json(), { items: [], next: null });
  t.equal((await list(dep.supervisor, '?after=nonsense')).statusCode, 400);
  // Forged cursors that look right but that PostgreSQL would refuse to cast: a 400, never a 500.
  for (const after of [`2020-02-30T00:00:00.000Z_${randomUUID()}`, `2026-01-01T00:00:00.000Z_${'-'.repeat(36)}`, `2026-01-01T00:00:00Z_${randomUUID()}`]) {
    const r = await list(dep.supervisor, `?after=${encodeURIComponent(after)}`);
    t.equal(r.statusCode, 400, `after=${after}`);
    t.equal(r.json().code, 'validation_failed');
  }
  for (const a of [officer, partner, dep.admin]) {
    const l = await list(a);
    t.equal(l.statusCode, 403, `${a.username} may not list`);
    t.equal(l.json().code, 'forbidden');
    const p = await purge(a, c.caseId);
    t.equal(p.statusCode, 403, `${a.username} may not purge`);
    t.equal(p.json().code, 'forbidden');
  }
  t.equal((await sealedCounts(c.caseId)).case_fields, 3, 'still intact');
});

t.test('an open case is not purged', async (t) => {
  const r = await purge(dep.supervisor, other.caseId);
  t.equal(r.statusCode, 409);
  t.equal(r.json().code, 'invalid_transition');
  t.equal((await sealedCounts(other.caseId)).case_fields, 3);
  const unknown = await purge(dep.supervisor, randomUUID());
  t.equal(unknown.statusCode, 404);
});

t.test('the supervisor purges with a reason: every sealed value gone, metadata, timeline and audit kept', async (t) => {
  const auditBefore = (await sql`select count(*)::int as n from audit_events where case_id = ${c.caseId}`)[0]!.n as number;
  const d = await retentionOf(c.caseId);
  const now = T.clock.now().toISOString();
  const r = await purge(dep.supervisor, c.caseId, 'conservation de 10 ans échue, aucune procédure pendante');
  t.equal(r.statusCode, 200, r.body);
  t.same(r.json(), { caseId: c.caseId, reference: c.reference, purgedAt: now, retentionDeadlineId: d!.id });

  t.same(await sealedCounts(c.caseId), { case_fields: 0, messages: 0, assessments: 0, measures: 0, case_reports: 0, appeals: 0, referral_packets: 0, referral_envelopes: 0, referral_notes: 0, case_envelopes: 0, notes: 0, staff_key_envelopes: 0, files: 0 }, 'every sealed column of the case is empty');
  t.same(await sealedCounts(other.caseId), { case_fields: 3, messages: 0, assessments: 0, measures: 0, case_reports: 0, appeals: 0, referral_packets: 0, referral_envelopes: 0, referral_notes: 0, case_envelopes: 3, notes: 0, staff_key_envelopes: 0, files: 0 }, 'the other case is untouched');
  t.equal(await searchTokenCount(c.caseId), 0, 'its blind-index tokens are forgotten: nothing ties it to another case of the same person');
  t.equal(await searchTokenCount(other.caseId), 12, "the other case's tokens stay");
  // No ciphertext of the case is left anywhere in the database.
  const everything = (await sql`select (select coalesce(string_agg(t::text, ''), '') from assessments t) || (select coalesce(string_agg(t::text, ''), '') from measures t)
    || (select coalesce(string_agg(t::text, ''), '') from case_reports t) || (select coalesce(string_agg(t::text, ''), '') from appeals t)
    || (select coalesce(string_agg(t::text, ''), '') from referrals t) || (select coalesce(string_agg(t::text, ''), '') from referral_reports t)
    || (select coalesce(string_agg(t::text, ''), '') from case_timeline t) || (select coalesce(string_agg(t::text, ''), '') from audit_events t)
    || (select coalesce(string_agg(t::text, ''), '') from outbox t) as s`)[0]!.s as string;
  for (const [k, v] of Object.entries(sealed)) t.notOk(everything.includes(v), `${k} ciphertext gone`);
  t.notOk(everything.includes(MARK), 'the marker appears nowhere');

  const row = await caseRow(T, c.caseId);
  t.equal(new Date(row.purged_at).toISOString(), now);
  t.match(row, { state: 'closed', reference: c.reference, region: 'bamako', defender_category: 'journalist', close_reason: 'risk_ceased', receipt_verifier: null, defender_public_key: null });
  const kept = (await sql`select (select count(*)::int from assessments where case_id = ${c.caseId}) as a, (select code from measures where id = ${ids.measure}) as m, (select code from case_reports where id = ${ids.report}) as r, (select state from referrals where id = ${ids.referral}) as f`)[0]!;
  t.same(kept, { a: 1, m: 'safe_shelter', r: 'death_threat', f: 'closed' }, 'metadata kept for statistics');

  const after = await retentionOf(c.caseId);
  t.equal(after?.state, 'settled', 'case.purged settles the retention deadline');
  const [tl] = await sql`select actor, action, from_state, to_state, reason from case_timeline where case_id = ${c.caseId} order by id desc limit 1`;
  t.match(tl, { actor: `u:${dep.supervisor.id}`, action: 'case.purged', from_state: 'closed', to_state: 'closed' });
  t.match(tl?.reason, /^conservation de 10 ans échue, aucune procédure pendante \(erased: case_field 3, message 1, assessment 1, measure 1, case_report 1, appeal 1, referral 1, note 1, file 2, envelope 3\)$/);
  const erase = await sql`select payload from outbox where topic = 'file.erase' and payload->>'caseId' = ${c.caseId}`;
  t.same(erase.map((r) => r.payload), [{ caseId: c.caseId, fileIds: [ids.file, ids.upload].sort(), why: 'purge' }], "one outbox 'file.erase' has the workers erase both files' bytes");
  const [ev] = await sql`select actor, action, outcome, reason from audit_events where case_id = ${c.caseId} and action = 'case.purge' order by id desc limit 1`;
  t.match(ev, { action: 'case.purge', outcome: 'allowed', reason: 'conservation de 10 ans échue, aucune procédure pendante' });
  const auditAfter = (await sql`select count(*)::int as n from audit_events where case_id = ${c.caseId}`)[0]!.n as number;
  t.ok(auditAfter > auditBefore, 'the audit log is never purged: it only grows');
  t.same((await list(dep.supervisor)).json().items, [], 'no longer listed');
});

t.test('a purged case: metadata readable, sealed content 404 case_purged, no second purge, no reopening, no receipt login', async (t) => {
  const meta = await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}`, headers: dep.supervisor.auth() });
  t.equal(meta.statusCode, 200);
  t.equal(meta.json().case.reference, c.reference);
  for (const url of [`/v1/cases/${c.caseId}/sealed`, `/v1/cases/${c.caseId}/messages`, `/v1/cases/${c.caseId}/rekey`]) {
    const r = await T.app.inject({ method: 'GET', url, headers: officer.auth() });
    t.equal(r.statusCode, 404, url);
    t.equal(r.json().code, 'case_purged', url);
  }
  const sup = await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}/sealed`, headers: dep.supervisor.auth() });
  t.equal(sup.statusCode, 404, 'the supervisor holds no envelope any more');
  t.equal(sup.json().code, 'case_purged', 'nor is sent to open a break-glass on a case with nothing left to read');
  const id = randomUUID();
  const msg = await T.app.inject({ method: 'POST', url: `/v1/cases/${c.caseId}/messages`, headers: officer.auth(), payload: { id, body: sealField({ text: 'x' }, dek, messageBodyAd(id, `u:${officer.id}`)) } });
  t.equal(msg.statusCode, 404);
  t.equal(msg.json().code, 'case_purged');

  const timelineBefore = (await sql`select count(*)::int as n from case_timeline where case_id = ${c.caseId}`)[0]!.n;
  const again = await purge(dep.supervisor, c.caseId);
  t.equal(again.statusCode, 409);
  t.equal(again.json().code, 'invalid_transition');
  t.match(again.json().detail, /purged on 2036-03-03/);
  const reopen = await act(T, dep.supervisor, c.caseId, 'reopen', { reason: 'nouvel incident signalé' });
  t.equal(reopen.statusCode, 409);
  t.equal(reopen.json().code, 'invalid_transition');
  t.match(reopen.json().detail, /file a new request/);
  t.equal((await caseRow(T, c.caseId)).state, 'closed');
  t.equal((await sql`select count(*)::int as n from case_timeline where case_id = ${c.caseId}`)[0]!.n, timelineBefore, 'refusals wrote no timeline');
  t.equal((await retentionOf(c.caseId))?.state, 'settled', 'no retention deadline restarted');
  await t.rejects(c.defender.relogin(), /receipt login failed: 401/, 'the receipt opens nothing any more');
});
