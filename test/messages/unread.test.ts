/**
 * Unread message counts: each reader of a case (every staff member, the defender's receipt
 * session) has a read marker on its messages; what others wrote after it is unread, in the case
 * list, the case view and the message list. Marking read moves the marker forward only.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { clientOf } from '../helpers/api-client.js';
import { buildWorld, enrolActor, headersOf, type Caller } from '../helpers/world.js';
import { messageBodyAd, ready, sealField } from '../../src/sdk/index.js';

await ready();
const T = await buildTestApp(t, { now: '2026-04-06T08:00:00.000Z' });
const sql = T.database.sql;
const w = await buildWorld(T, { officers: ['awa', 'other'] });
const { awa: officer, other: otherOfficer } = w.officers;
const org = await T.app.inject({ method: 'POST', url: '/v1/orgs', headers: w.admin.auth(), payload: { name: 'Avocats Sans Frontières' } });
const partner = await enrolActor(T, w.admin, { username: 'partner-asf', role: 'partner', orgId: org.json().id });
const c = await w.caseAt('triage', { officer });
const caseId = c.caseId;
const quiet = await w.caseAt('triage', { officer });

/** A message as `who`'s client sends it; returns its id. */
async function send(who: Caller, sender: string): Promise<string> {
  T.clock.advance(60_000);
  const id = randomUUID();
  const r = await T.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/messages`, headers: headersOf(who), payload: { id, body: sealField({ text: 'Bonjour' }, c.dek, messageBodyAd(id, sender)) } });
  if (r.statusCode !== 201) throw new Error(`message: ${r.statusCode} ${r.body}`);
  return id;
}
const markRead = (who: Caller, upTo: string, id = caseId) => T.app.inject({ method: 'POST', url: `/v1/cases/${id}/messages/read`, headers: headersOf(who), payload: { upTo } });
const messageList = async (who: Caller) => (await T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}/messages`, headers: headersOf(who) })).json();
const caseView = async (who: Caller, id = caseId) => (await T.app.inject({ method: 'GET', url: `/v1/cases/${id}`, headers: headersOf(who) })).json();
/** The officer's case list, by the typed client: the unread count of each case. */
async function listed(): Promise<Map<string, number>> {
  const { items } = await clientOf(T.app, officer).call('listCases', { query: { limit: '100' } });
  return new Map(items.map((i) => [i.id, i.unreadMessages]));
}

const fromDefender1 = await send(c.defender, `d:${caseId}`);
const fromDefender2 = await send(c.defender, `d:${caseId}`);
const fromOfficer = await send(officer, `u:${officer.id}`);

t.test("staff: what the defender wrote is unread until the officer marks it read", async (t) => {
  t.equal((await listed()).get(caseId), 2, 'the case list counts the defender’s two messages, not the officer’s own');
  t.equal((await listed()).get(quiet.caseId), 0, 'a case without messages: none');
  t.equal((await caseView(officer)).unreadMessages, 2, 'the case view too');
  t.equal((await messageList(officer)).unread, 2, 'and the message list');

  const first = await markRead(officer, fromDefender1);
  t.equal(first.statusCode, 200, first.body);
  t.match(first.json(), { caseId, lastReadId: fromDefender1, unread: 1 });
  t.equal((await listed()).get(caseId), 1);
  const all = await markRead(officer, fromOfficer);
  t.match(all.json(), { lastReadId: fromOfficer, unread: 0 }, 'read up to the last message');
  t.equal((await caseView(officer)).unreadMessages, 0);
  t.equal((await listed()).get(caseId), 0);

  const back = await markRead(officer, fromDefender1);
  t.equal(back.statusCode, 200, 'marking an older message read again is harmless');
  t.match(back.json(), { lastReadId: fromOfficer, unread: 0 }, 'the marker never moves back');
  const again = await markRead(officer, fromOfficer);
  t.match(again.json(), { lastReadId: fromOfficer, unread: 0 }, 'idempotent');
  t.equal((await sql`select count(*)::int as n from message_reads where case_id = ${caseId} and reader = ${`u:${officer.id}`}`)[0]!.n, 1, 'one marker per reader and case');

  const audited = await sql`select resource, reason from audit_events where action = 'message.mark_read' and outcome = 'allowed' and actor = ${`u:${officer.id}`}`;
  t.equal(audited.length, 4, 'each marking is audited');
  t.equal(audited[0]!.resource, `case:${caseId}/messages`);
  t.equal(audited[0]!.reason, `up to message:${fromDefender1}`);

  const fresh = await send(c.defender, `d:${caseId}`);
  t.equal((await listed()).get(caseId), 1, 'a new message from the defender is unread');
  t.equal((await markRead(officer, fresh)).json().unread, 0);
});

t.test('the supervisor has a marker of their own', async (t) => {
  t.equal((await caseView(w.supervisor)).unreadMessages, 4, 'nothing read yet: every message of others');
  t.equal((await messageList(w.supervisor)).unread, 4);
  t.equal((await markRead(w.supervisor, fromDefender2)).json().unread, 2);
  t.equal((await caseView(officer)).unreadMessages, 0, "the officer's count is the officer's");
});

t.test('the defender: what the staff wrote is unread', async (t) => {
  t.equal((await caseView(c.defender)).unreadMessages, 1, 'the officer’s message, not the defender’s own');
  t.equal((await messageList(c.defender)).unread, 1);
  const r = await markRead(c.defender, fromOfficer);
  t.equal(r.statusCode, 200, r.body);
  t.match(r.json(), { lastReadId: fromOfficer, unread: 0 });
  t.equal((await caseView(c.defender)).unreadMessages, 0);
  t.equal((await sql`select count(*)::int as n from message_reads where reader = ${`d:${caseId}`}`)[0]!.n, 1, "the defender's marker is the case's receipt session's");
  await send(officer, `u:${officer.id}`);
  t.equal((await messageList(c.defender)).unread, 1, 'a new message from the officer');
});

t.test('who may mark read, and what', async (t) => {
  const before = JSON.stringify(await sql`select * from message_reads order by case_id, reader`);
  const other = await markRead(otherOfficer, fromOfficer);
  t.equal(other.statusCode, 404, 'an officer of other cases: not found');
  t.equal((await markRead(partner, fromOfficer)).statusCode, 403, 'a partner: forbidden');
  t.equal((await markRead(w.admin, fromOfficer)).statusCode, 403, 'an admin: forbidden');
  const quietDefender = await markRead(quiet.defender, fromOfficer);
  t.equal(quietDefender.statusCode, 404, "another case's defender: not found");
  const elsewhere = await markRead(officer, fromOfficer, quiet.caseId);
  t.equal(elsewhere.statusCode, 404, 'a message of another case');
  t.equal((await markRead(officer, randomUUID())).statusCode, 404, 'a message that does not exist');
  t.equal(JSON.stringify(await sql`select * from message_reads order by case_id, reader`), before, 'no marker moved');
  const denied = await sql`select count(*)::int as n from audit_events where action = 'message.mark_read' and outcome = 'denied'`;
  t.ok(denied[0]!.n >= 6, 'every refusal is audited');
});
