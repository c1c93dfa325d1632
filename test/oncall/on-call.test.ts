/**
 * On call, out of office hours: an urgent filing, an alert, a deadline about to escalate page the
 * person on call (policies/on-call.yaml) by a content-free e-mail (a local SMTP server) and a
 * signed SMS hook (a local HTTP server); unacknowledged, the page goes to the next person of the
 * roster; acknowledged, it stops; in office hours nobody is paged. Real PostgreSQL, Redis and
 * workers; the clock is injected, the acknowledgement delay shortened.
 */
import t from 'tap';
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { pino } from 'pino';
import { buildTestApp } from '../helpers/app.js';
import { policiesWith } from '../helpers/policies.js';
import { buildWorld, fileCase, headersOf, type Caller } from '../helpers/world.js';
import { findLeaks } from '../helpers/leaks.js';
import { waitFor } from '../helpers/wait-for.js';
import { caseReportNoteAd, ready, sealField } from '../../src/sdk/index.js';
import { startWorkers } from '../../workers/worker.js';

await ready();

// --- the mail server and the SMS gateway -----------------------------------------------------
interface Mail { to: string; subject: string; text: string; raw: string }
const mails: Mail[] = [];
let smtpDown = true;
let refused = 0;
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onConnect(_session, cb) {
    if (!smtpDown) return cb();
    refused++;
    cb(Object.assign(new Error('service not available'), { responseCode: 421 }));
  },
  onData(stream, _session, cb) {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      void simpleParser(raw).then((m) => {
        const to = Array.isArray(m.to) ? m.to.map((a) => a.text).join(',') : (m.to?.text ?? '');
        mails.push({ to, subject: m.subject ?? '', text: m.text ?? '', raw });
        cb();
      }, cb);
    });
  },
});
await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
t.teardown(() => new Promise<void>((resolve) => smtp.close(() => resolve())));

const SMS_SECRET = 'c21zLXNlY3JldC1vZi10aGUtdGVzdC1nYXRld2F5LTEyMzQ';
const sms: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
const gateway = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString('utf8')));
  req.on('end', () => {
    sms.push({ headers: req.headers, body });
    res.writeHead(202).end();
  });
});
await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
t.teardown(() => new Promise<void>((resolve) => gateway.close(() => resolve())));

// --- the service: Saturday 6 June 2026, 23:00 in Bamako (UTC+0), out of office hours ---------
const ACK_SECONDS = 2;
const T = await buildTestApp(t, {
  now: '2026-06-06T23:00:00.000Z',
  env: {
    SMTP_URL: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
    SMTP_FROM: 'egide <astreinte@cndh.example>',
    ONCALL_SMS_URL: `http://127.0.0.1:${(gateway.address() as AddressInfo).port}/sms`,
    ONCALL_SMS_SECRET: SMS_SECRET,
    POLICIES_DIR: policiesWith(t, {
      'on-call.yaml': (doc) => {
        doc.acknowledgeWithinSeconds = ACK_SECONDS;
        doc.retry = { attempts: 6, backoffSeconds: 0.2 };
      },
    }),
  },
});
const { dep, officers: { awa, moussa }, supervisors: { fatou } } = await buildWorld(T, { officers: ['awa', 'moussa'], supervisors: ['fatou'] });
const logger = pino({ level: 'info', base: { component: 'worker' } }, { write: (line: string) => void T.logs.push(line) });
const workers = await startWorkers({ config: T.config, container: T.app.container, clock: T.clock, logger });
t.teardown(() => workers.close());

const inject = (who: Caller, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) => T.app.inject({ method, url, headers: headersOf(who), ...(payload ? { payload: payload as Record<string, unknown> } : {}) });
const sql = T.database.sql;
const pagesOf = (caseId: string) => sql<Array<{ id: string; rank: number; topic: string; recipient_user_id: string; email_status: string; sms_status: string; last_error: string | null; escalated_at: Date | null; event_id: string }>>`
  select id, rank, topic, recipient_user_id, email_status, sms_status, last_error, escalated_at, event_id from on_call_pages where case_id = ${caseId} order by event_id, rank`;

const AWA_MAIL = `awa.${randomUUID().slice(0, 8)}@astreinte.example`;
const FATOU_MAIL = `fatou.${randomUUID().slice(0, 8)}@astreinte.example`;
const AWA_PHONE = '+22370001234';
const now = T.clock.now().getTime();
const slot = { startsAt: new Date(now - 3600_000).toISOString(), endsAt: new Date(now + 3 * 24 * 3600_000).toISOString() };

t.test('a supervisor sets the roster; an officer reads it without contact points and cannot edit it', async (t) => {
  const entries = [
    { userId: awa.id, position: 1, ...slot, email: AWA_MAIL, phone: AWA_PHONE, language: 'fr' },
    { userId: fatou.id, position: 2, ...slot, email: FATOU_MAIL, phone: null, language: 'en' },
  ];
  const set = await inject(dep.supervisor, 'PUT', '/v1/on-call/roster', { entries });
  t.equal(set.statusCode, 200, set.body);
  t.same(set.json().items.map((e: { username: string; position: number; email: string }) => [e.username, e.position, e.email]), [['officer-awa', 1, AWA_MAIL], ['supervisor-fatou', 2, FATOU_MAIL]]);

  const read = await inject(awa, 'GET', '/v1/on-call/roster');
  t.equal(read.statusCode, 200);
  t.same(read.json().items.map((e: { email: unknown; phone: unknown }) => [e.email, e.phone]), [[null, null], [null, null]], 'an officer sees who and when, not the contact points');

  const denied = await inject(awa, 'PUT', '/v1/on-call/roster', { entries: [] });
  t.equal(denied.statusCode, 403);
  const [audit] = await sql`select outcome, actor from audit_events where action = 'oncall.manage' and outcome = 'denied'`;
  t.match(audit, { outcome: 'denied', actor: awa.id }, 'the refusal is audited');
  t.equal((await inject(dep.supervisor, 'GET', '/v1/on-call/roster')).json().items.length, 2, 'the roster is unchanged');

  const bad = await inject(dep.supervisor, 'PUT', '/v1/on-call/roster', { entries: [{ ...entries[0], userId: dep.admin.id }] });
  t.equal(bad.statusCode, 400, 'only officers and supervisors go on the roster');
});

const MARK = `MARQUEUR-${randomUUID()}`;
let urgent: Awaited<ReturnType<typeof fileCase>>;

t.test('an urgent filing at night pages the first person: SMTP down, retried, then delivered; the SMS hook gets a signed POST', async (t) => {
  urgent = await fileCase(T, dep, { metadata: { claimedUrgent: true }, secrets: { identity: `Aminata ${MARK}`, contact: `+223 ${MARK}`, narrative: `Menaces ${MARK}` } });
  const [first] = await waitFor(async () => {
    const rows = await pagesOf(urgent.caseId);
    return rows.length > 0 && rows[0]!.email_status === 'retrying' ? rows : null;
  }, { what: 'a page whose e-mail is being retried' });
  t.match(first, { rank: 1, topic: 'deadline.opened', recipient_user_id: awa.id, last_error: /421|ECONNECTION|EPROTOCOL/ });
  t.ok(refused >= 1, 'the mail server refused the first attempt');
  smtpDown = false;
  const mail = await waitFor(() => mails.find((m) => m.to.includes(AWA_MAIL)), { what: "the notice in awa's mailbox" });
  t.equal(mail.subject, 'egide : astreinte');
  t.equal(mail.text.trim(), 'egide : un cas urgent a besoin de vous. Ouvrez la console.', 'French, and nothing else');
  for (const s of [urgent.reference, urgent.caseId, MARK, 'Aminata']) t.notOk(mail.raw.includes(s), 'the mail holds no case reference, id or content');
  await waitFor(async () => (await pagesOf(urgent.caseId))[0]!.email_status === 'sent', { what: 'the e-mail recorded as sent' });

  const hook = await waitFor(() => sms[0], { what: 'the SMS hook called' });
  t.same(JSON.parse(hook.body), { to: AWA_PHONE, text: 'egide : un cas urgent a besoin de vous. Ouvrez la console.' });
  const ts = String(hook.headers['x-egide-timestamp']);
  t.equal(hook.headers['x-egide-signature'], `sha256=${createHmac('sha256', SMS_SECRET).update(`${ts}.${hook.body}`).digest('hex')}`, 'signed like the webhooks');

  const audits = await waitFor(async () => {
    const rows = await sql`select reason, outcome from audit_events where action = 'oncall.page.sent' and resource = ${`oncall-page:${first!.id}`} order by id`;
    return rows.length === 2 ? rows : null;
  }, { what: 'both channels audited' });
  t.same(audits.map((a) => `${a.outcome} ${a.reason}`).sort(), ['allowed email: sent', 'allowed sms: sent'], 'each channel audited once, sent');

  const inbox = await waitFor(async () => (await inject(awa, 'GET', '/v1/notifications')).json().items.find((n: { topic: string }) => n.topic === 'oncall.paged'), { what: 'the page in the inbox' });
  t.equal(inbox.caseId, urgent.caseId, 'the in-app notice links to the case');
  const mine = (await inject(awa, 'GET', '/v1/on-call/pages')).json().items;
  t.match(mine, [{ id: first!.id, caseId: urgent.caseId, reference: urgent.reference, rank: 1, acknowledgedAt: null, email: 'sent', sms: 'sent' }]);
});

t.test('not acknowledged in time, the page goes to the second person, in her language', async (t) => {
  const second = await waitFor(async () => (await pagesOf(urgent.caseId)).find((p) => p.rank === 2), { what: 'the second page' });
  t.equal(second.recipient_user_id, fatou.id);
  t.equal(second.sms_status, 'none', 'no phone on her slot: no SMS');
  const mail = await waitFor(() => mails.find((m) => m.to.includes(FATOU_MAIL)), { what: "the notice in fatou's mailbox" });
  t.equal(mail.text.trim(), 'egide: an urgent case needs you. Open the console.');
  t.equal(mails.filter((m) => m.to.includes(AWA_MAIL)).length, 1, 'the first person was sent one e-mail, not more');

  const other = await inject(moussa, 'POST', `/v1/on-call/pages/${second.id}/acknowledge`);
  t.equal(other.statusCode, 404, "another person's page is not found");
  const ack = await inject(fatou, 'POST', `/v1/on-call/pages/${second.id}/acknowledge`);
  t.equal(ack.statusCode, 200, ack.body);
  t.ok(ack.json().acknowledgedAt);
  await waitFor(async () => (await pagesOf(urgent.caseId)).find((p) => p.rank === 2)?.escalated_at, { what: 'the turn of the second page ended' });
  t.equal((await pagesOf(urgent.caseId)).length, 2, 'nobody else paged');
});

t.test('an alert acknowledged in time goes no further', async (t) => {
  const id = randomUUID();
  const r = await inject(urgent.defender, 'POST', `/v1/cases/${urgent.caseId}/alerts`, { id, note: sealField(`Ils sont là ${MARK}`, urgent.defender.dek, caseReportNoteAd('alert', id)) });
  t.equal(r.statusCode, 201, r.body);
  const page = await waitFor(async () => (await pagesOf(urgent.caseId)).find((p) => p.topic === 'alert.raised'), { what: 'the alert paged' });
  t.equal(page.recipient_user_id, awa.id);
  t.equal((await inject(awa, 'POST', `/v1/on-call/pages/${page.id}/acknowledge`)).statusCode, 200);
  await waitFor(async () => (await pagesOf(urgent.caseId)).find((p) => p.id === page.id)?.escalated_at, { what: 'the turn ended', timeoutMs: (ACK_SECONDS + 8) * 1000 });
  t.same((await pagesOf(urgent.caseId)).filter((p) => p.topic === 'alert.raised').map((p) => p.rank), [1], 'acknowledged: nobody else paged');
});

t.test('in office hours nobody is paged', async (t) => {
  T.clock.set('2026-06-08T10:00:00.000Z'); // Monday, 10:00 in Bamako
  const c = await fileCase(T, dep, { metadata: { claimedUrgent: true } });
  await waitFor(async () => (await sql`select count(*)::int as n from outbox where topic = 'deadline.opened' and dispatched_at is null`)[0]!.n === 0, { what: 'the filing relayed' });
  t.equal((await pagesOf(c.caseId)).length, 0);
});

t.test('nothing of the case nor any contact point leaks', async (t) => {
  const elsewhere: Record<string, string> = {};
  mails.forEach((m, i) => (elsewhere[`mail ${i}`] = m.raw));
  sms.forEach((s, i) => (elsewhere[`sms ${i}`] = s.body));
  t.same(await findLeaks(T, { identity: `Aminata ${MARK}`, narrative: `Menaces ${MARK}`, marker: MARK, reference: urgent.reference }, elsewhere).then((hits) => hits.filter((h) => h.secret !== 'reference' || !h.where.startsWith('db:'))), [], 'no content anywhere, no reference outside the database');
  // The contact points are where they are kept and where the notices went: nowhere else (logs, Redis, other tables).
  const contacts = await findLeaks(T, { awaMail: AWA_MAIL, fatouMail: FATOU_MAIL, awaPhone: AWA_PHONE }, elsewhere);
  t.same(contacts.filter((h) => !/^db:on_call_(entries|pages)\.(email|phone)$/.test(h.where) && !h.where.includes('mail') && !h.where.includes('sms')), []);
});

t.test('the policy is checked at start', async (t) => {
  const { parseOnCallPolicy } = await import('../../src/oncall/on-call-policy.js');
  const context = { calendar: T.app.container.policies.calendar, deadlineRules: new Set(['acknowledge']) };
  const good = { version: 1, officeHours: { from: '08:00', to: '17:00' }, events: [{ topic: 'alert.raised' }], acknowledgeWithinSeconds: 600, retry: { attempts: 3, backoffSeconds: 1 } };
  t.ok(parseOnCallPolicy(good, 'on-call.yaml', context));
  t.throws(() => parseOnCallPolicy({ ...good, events: [{ topic: 'case.teleported' }] }, 'on-call.yaml', context), /unknown topic case.teleported/);
  t.throws(() => parseOnCallPolicy({ ...good, events: [{ topic: 'deadline.step', rules: ['nap'] }] }, 'on-call.yaml', context), /unknown deadline rule nap/);
  t.throws(() => parseOnCallPolicy({ ...good, officeHours: { from: '18:00', to: '08:00' } }, 'on-call.yaml', context), /from/);
  t.throws(() => parseOnCallPolicy({ ...good, pager: true }, 'on-call.yaml', context), /invalid/);
});
