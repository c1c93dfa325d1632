/**
 * Leak search: one run that puts a marker in every sealed field the service carries —
 * the case's fields, messages both ways, assessment narratives, measure details, the referral
 * packet and the partner's report, incident, check-in and alert notes, appeal grounds, all of them
 * re-sealed once by a re-key — and uses
 * passwords (one changed on the way), receipts, authKeys, TOTP secrets, recovery codes, access
 * and refresh tokens and private keys; the notification worker runs and a partner's webhook
 * receives what it is sent, at a URL carrying the partner's own token in its query (kept sealed:
 * it must appear in no column, log line or Redis key). Then every text, json, bytea and array column of the database
 * (notifications, outbox and the webhook delivery log included), the logs, every Redis key and
 * the webhook requests received are searched: any hit fails.
 */
import t from 'tap';
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { buildTestApp, REDIS_URL } from '../helpers/app.js';
import { buildPacket, nextTotp } from '../helpers/world.js';
import { credentialMarkers, findLeaks, leakSearchScope } from '../helpers/leaks.js';
import { buildWorld } from './access-matrix/world.js';
import { appealGroundsAd, assessmentFieldAd, caseReportNoteAd, changePassword, fromB64u, login, measureDetailsAd, messageBodyAd, openEnvelope, openRekeyDek, prepareRekey, referralReportAd, sealField, toB64u, type RekeyBundle, type RekeyRecipient } from '../../src/sdk/index.js';
import { startNotificationDelivery } from '../../workers/notification-delivery.js';
import { loggableError } from '../../src/lib/loggable-error.js';
import { holdsWithin } from '../helpers/wait-for.js';

const T = await buildTestApp(t, { env: { REFRESH_TOKEN_TTL_SECONDS: String(30 * 24 * 3600) } });
const w = await buildWorld(T);
const sql = T.database.sql;
const MARK = `FUITE-${randomUUID()}`;
const sealed = (what: string) => `${what} ${MARK}`;

// The worker side: the outbox dispatcher and the webhook queue, as workers/worker.ts starts them.
const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
// Its logs join the app's, to be searched too; a failed job is logged as workers/worker.ts logs it.
const workerLog = pino({ level: 'debug' }, { write: (line: string) => void T.logs.push(line) });
const delivery = await startNotificationDelivery({ container: T.app.container, connection, log: workerLog, intervalMs: 200 });
delivery.worker.on('failed', (job, err) => workerLog.warn({ queue: 'webhooks', jobId: job?.id, err: loggableError(err) }, 'job failed, will retry'));
const received: Array<{ url: string; headers: string; body: string }> = [];
// The partner's own credential, in the webhook URL's query: only the receiver may ever see it.
const URL_TOKEN = `JETON-${randomUUID()}`;
const receiver: Server = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString('utf8')));
  req.on('end', () => {
    received.push({ url: req.url ?? '', headers: JSON.stringify(req.headers), body });
    // A second endpoint of the partner fails, so that failed attempts are stored and logged too.
    res.writeHead(req.url?.startsWith('/fail') ? 500 : 204).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
t.teardown(async () => {
  await delivery.close();
  connection.disconnect();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});
const port = (receiver.address() as { port: number }).port;

t.test('a whole case carries a marker in every sealed field', async (t) => {
  const hook = await w.call(w.admin, 'POST', `/v1/orgs/${w.orgP.id}/webhooks`, { url: `http://127.0.0.1:${port}/hook?token=${URL_TOKEN}` });
  t.equal(hook.statusCode, 201, hook.statusCode === 201 ? '201' : hook.body.slice(0, 200));
  const failing = await w.call(w.admin, 'POST', `/v1/orgs/${w.orgP.id}/webhooks`, { url: `http://127.0.0.1:${port}/fail/${URL_TOKEN}?token=${URL_TOKEN}` });
  t.equal(failing.statusCode, 201, failing.statusCode === 201 ? '201' : failing.body.slice(0, 200));

  const c = await w.newCase('assessment', {
    metadata: { claimedUrgent: true },
    secrets: { identity: { fullName: sealed('Aminata') }, contact: { phone: sealed('+223') }, narrative: sealed('Menaces'), location: sealed('Mopti'), relatives: [{ name: sealed('Fatou') }] } as never,
  });
  const officer = c.assignee!;
  const must = (p: Promise<{ statusCode: number; body: string }>, status: number) =>
    p.then((r) => {
      // The body only when it fails: a webhook registration answers with its secret.
      t.equal(r.statusCode, status, r.statusCode === status ? `${status}` : r.body.slice(0, 200));
      return r;
    });
  // messages both ways
  const m1 = randomUUID();
  await must(w.call(c.defender, 'POST', `/v1/cases/${c.id}/messages`, { id: m1, body: sealField(sealed('message'), c.dek, messageBodyAd(m1, `d:${c.id}`)) }), 201);
  const m2 = randomUUID();
  await must(w.call(officer, 'POST', `/v1/cases/${c.id}/messages`, { id: m2, body: sealField(sealed('réponse'), c.dek, messageBodyAd(m2, `u:${officer.id}`)) }), 201);
  // an assessment with narratives, completed
  const a = w.assessmentBody(c);
  (a as { sealed: Record<string, string> }).sealed = { 'threats.0.facts': sealField(sealed('faits'), c.dek, assessmentFieldAd(a.id, 'threats.0.facts')), 'reasoning.capacity': sealField(sealed('capacité'), c.dek, assessmentFieldAd(a.id, 'reasoning.capacity')) };
  await must(w.call(officer, 'POST', `/v1/cases/${c.id}/assessments`, a), 201);
  await must(w.call(officer, 'POST', `/v1/cases/${c.id}/complete-assessment`, {}), 200);
  // a measure with details, consented and approved: protection
  const measureId = randomUUID();
  await must(w.call(officer, 'POST', `/v1/cases/${c.id}/measures`, { id: measureId, code: 'securing_premises', implementer: 'cndh', details: sealField(sealed('serrures'), c.dek, measureDetailsAd(measureId)) }), 201);
  await must(w.call(c.defender, 'POST', `/v1/measures/${measureId}/consent`, { decision: 'consent' }), 200);
  await must(w.call(w.supervisor, 'POST', `/v1/measures/${measureId}/decision`, { decision: 'approve', reason: 'Menaces établies.' }), 200);
  // a referral: consent, packet (the case fields re-sealed), the partner accepts and reports
  const referralId = randomUUID();
  await must(w.call(officer, 'POST', `/v1/cases/${c.id}/referrals`, { id: referralId, orgId: w.orgP.id, fields: ['identity', 'narrative', 'relatives'], purpose: 'legal_assistance' }), 201);
  await must(w.call(c.defender, 'POST', `/v1/referrals/${referralId}/consent`, { decision: 'consent' }), 200);
  await w.fresh(officer);
  const packet = await buildPacket(T, officer, c.dek, c.id, referralId, ['identity', 'narrative', 'relatives'], w.orgP.id);
  await must(w.call(officer, 'POST', `/v1/referrals/${referralId}/packet`, packet.body), 200);
  await must(w.call(w.orgP.member, 'POST', `/v1/referrals/${referralId}/accept`), 200);
  const got = (await w.call(w.orgP.member, 'GET', `/v1/referrals/${referralId}`)).json();
  const partnerDek = openEnvelope(got.envelopes[0].envelope, w.orgP.keyPair);
  const reportId = randomUUID();
  await must(w.call(w.orgP.member, 'POST', `/v1/referrals/${referralId}/reports`, { id: reportId, status: 'in_progress', note: sealField(sealed('avocat'), partnerDek, referralReportAd(referralId, reportId)) }), 201);
  // check-in, alert, incident
  for (const kind of ['checkin', 'alert', 'incident'] as const) {
    const id = randomUUID();
    const body = { id, ...(kind === 'checkin' ? { code: 'ok' } : kind === 'incident' ? { code: 'death_threat' } : {}), note: sealField(sealed(kind), c.dek, caseReportNoteAd(kind, id)) };
    await must(w.call(c.defender, 'POST', `/v1/cases/${c.id}/${kind === 'checkin' ? 'checkins' : `${kind}s`}`, body), 201);
  }
  // an appeal with grounds, on another case declined
  const d = await w.newCase('declined', { secrets: { identity: sealed('Identité'), contact: sealed('Contact'), narrative: sealed('Récit') } });
  const appealId = randomUUID();
  await must(w.call(d.defender, 'POST', `/v1/cases/${d.id}/appeals`, { id: appealId, subject: 'decline', grounds: sealField(sealed('appel'), d.dek, appealGroundsAd(appealId)) }), 201);

  // a re-key by the supervisor (nobody revoked): every sealed value of the case re-sealed by the
  // client; the supervisor is outside the case (in protection), so through a break-glass
  await must(w.call(w.supervisor, 'POST', `/v1/cases/${c.id}/break-glass`, { reason: 'La clé du dossier a pu fuiter : re-chiffrement de tout le contenu.' }), 201);
  const bundle = (await w.call(w.supervisor, 'GET', `/v1/cases/${c.id}/rekey`)).json() as RekeyBundle;
  const recipients: RekeyRecipient[] = bundle.envelopes.map((e) => ({ keyId: e.currentKeyId!, publicKey: e.recipientType === 'org' ? w.mechanismKey.publicKey : fromB64u(e.publicKey!), recipientType: e.recipientType, recipientId: e.recipientId }));
  const rekey = prepareRekey({ bundle, oldDek: openRekeyDek(bundle, [w.mechanismKey]), revoke: [], recipients });
  await must(w.call(w.supervisor, 'POST', `/v1/cases/${c.id}/rekey`, rekey.body), 200);
  t.ok(rekey.body.items.length >= 10, `${rekey.body.items.length} sealed values re-sealed`);

  // the notification worker delivers; the partner's webhook receives the referral events
  await delivery.tick();
  await holdsWithin(async () => {
    await delivery.tick();
    return received.length > 0;
  }, 10_000, 100);
  t.ok(received.length > 0, `the webhook received ${received.length} requests`);
  t.ok(received.some((r) => r.url === `/hook?token=${URL_TOKEN}`), 'at the whole URL, its token included');
  const failed = async () => (await sql`select count(*)::int as n from webhook_deliveries where last_error = 'HTTP 500'`)[0]!.n as number;
  await holdsWithin(async () => (await failed()) > 0 && T.logs.some((l) => l.includes('job failed')), 10_000, 100);
  t.ok((await failed()) > 0, 'failed attempts were recorded');
  t.ok(T.logs.some((l) => l.includes('job failed') && l.includes(`http://127.0.0.1:${port}: HTTP 500`)), 'and logged, naming the endpoint by its origin');
  t.ok((await sql`select count(*)::int as n from notifications`)[0]!.n > 0, 'notifications were written');

  // a password change, so that old and new passwords are both markers
  const spender = await w.spareActor('officer');
  const pre = (await w.call(null, 'POST', '/v1/auth/prelogin', { username: spender.username })).json();
  const newPassword = `nouveau ${randomUUID()}`;
  const next = changePassword(spender.keyPair, newPassword);
  const changed = await w.call(spender, 'POST', '/v1/me/password', { currentAuthKey: toB64u(login(spender.password, pre).authKey), totp: nextTotp(T, spender.totpSecret), salt: next.salt, verifier: next.verifier, wrappedPrivateKey: next.wrappedPrivateKey });
  t.equal(changed.statusCode, 204, changed.body);

  // the statistics of everything above, as supervisors and admins read and export them
  const year = T.clock.now().getUTCFullYear();
  const range = `from=${year}-01&to=${year}-12`;
  const statsAnswers: string[] = [];
  for (const [who, url] of [
    [w.supervisor, '/v1/stats/catalogue'],
    [w.supervisor, `/v1/stats/table?series=violation&by=perpetrator&${range}`],
    [w.supervisor, `/v1/stats/table/csv?series=region&${range}`],
    [w.supervisor, `/v1/stats/table?series=referral&${range}`],
    [w.supervisor, `/v1/stats/response-times?${range}`],
    [w.supervisor, `/v1/stats/workload?${range}`],
    [w.supervisor, `/v1/stats/reports/${year}?variant=internal`],
    [w.supervisor, `/v1/stats/reports/${year}`],
    [w.supervisor, `/v1/stats/reports/${year}/tables/measures/csv?variant=internal`],
    [w.admin, `/v1/stats/service?${range}`],
  ] as const) {
    const r = await w.call(who, 'GET', url);
    t.equal(r.statusCode, 200, `${url}: ${r.body.slice(0, 200)}`);
    statsAnswers.push(r.body);
  }
  t.ok(statsAnswers.join('').includes('armed_group') || statsAnswers.join('').includes('death_threat'), 'the statistics carry the codes in the clear');

  // --- the search ---------------------------------------------------------------------------
  const scope = await leakSearchScope(T);
  t.ok(scope.tables >= 20 && scope.columns >= 60, `the search covers the schema (${scope.tables} tables, ${scope.columns} columns)`);
  const probe = `SONDE-${randomUUID()}`;
  await sql`insert into notifications (id, audience, recipient_user_id, topic, payload, outbox_id, created_at) values (${randomUUID()}, 'user', ${officer.id}, 'probe', ${JSON.stringify({ probe })}::jsonb, 999999999, now())`;
  t.same(
    (await findLeaks(T, { probe }, { 'webhook:bodies': received.map((r) => r.body).join('\n') })).map((h) => h.where),
    ['db:notifications.payload'],
    'control: the search finds what the notification log holds',
  );
  t.same(
    (await findLeaks(T, { probe }, { 'webhook:bodies': `x ${probe} x` })).map((h) => h.where).sort(),
    ['db:notifications.payload', 'webhook:bodies'],
    'control: and what a webhook received',
  );
  await sql`delete from notifications where topic = 'probe'`;

  const staff = [w.admin, w.supervisor, w.supervisor2, w.officerA, w.officerB, w.orgP.member, w.orgQ.member];
  const prelogin = async (username: string) => (await w.call(null, 'POST', '/v1/auth/prelogin', { username })).json();
  const salts = new Map(await Promise.all(staff.map(async (p) => [p.username, await prelogin(p.username)] as const)));
  const markers: Record<string, string> = {
    marker: MARK,
    'webhook.urlToken': URL_TOKEN,
    ...credentialMarkers(staff, (p) => toB64u(login(p.password, salts.get(p.username)).authKey)),
    'spender.oldPassword': spender.password,
    'spender.newPassword': newPassword,
    'spender.newAuthKey': toB64u(next.authKey),
  };
  for (const [name, k] of [
    ['filed', c],
    ['declined', d],
  ] as const) {
    markers[`${name}.receipt`] = k.defender.receipt;
    markers[`${name}.authKey`] = k.authKey;
    markers[`${name}.caseKey`] = toB64u(k.dek);
    markers[`${name}.defenderPrivateKey`] = toB64u(k.defender.keyPair.privateKey);
  }
  markers['referral.key'] = toB64u(packet.dek);
  markers['orgP.privateKey'] = toB64u(w.orgP.keyPair.privateKey);
  markers['mechanism.privateKey'] = toB64u(w.mechanismKey.privateKey);
  const hits = await findLeaks(T, markers, {
    'webhook:bodies': received.map((r) => r.body).join('\n'),
    'webhook:headers': received.map((r) => r.headers).join('\n'),
    'stats:answers': statsAnswers.join('\n'),
  });
  t.same(hits, [], 'no marker, password, receipt, authKey, token, TOTP secret, recovery code or key anywhere');
  t.ok(Object.keys(markers).length > 50, `${Object.keys(markers).length} markers searched`);
});
