/**
 * A defender and the mechanism talk on the case: each message is sealed by its sender's client
 * under the case key, bound to its id and its sender, and readable by the other side only.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { buildWorld, openOwnKeys } from '../helpers/world.js';
import { caseFieldAd, deriveReceiptKeys, keyIdOf, messageBodyAd, openEnvelope, openField, openKeyringEntry, prepareFiling, ready, sealEnvelope, sealField, toB64u, type FilingMetadata } from '../../src/sdk/index.js';

await ready();
const T = await buildTestApp(t);
const { dep, officers: { msg: officer } } = await buildWorld(T, { officers: ['msg'] });
const intakeKey = (await T.app.inject({ method: 'GET', url: '/v1/keys/intake' })).json();
const metadata: FilingMetadata = { region: 'gao', defenderCategory: 'journalist', gender: 'female', disability: 'none', threatTypes: ['death_threat'], claimedUrgent: false, preferredLanguage: 'fr', contactChannel: 'egide_only', filedFor: 'self' };
const filing = prepareFiling({ intakeKey, pinnedKeyId: dep.mechanismKeyId, metadata, secrets: { identity: 'x', contact: 'y', narrative: 'z' } });
const caseId = filing.body.caseId;
const filed = await T.app.inject({ method: 'POST', url: '/v1/cases', payload: filing.body });
if (filed.statusCode !== 201) throw new Error(`filing failed: ${filed.body}`);

// The defender's client: receipt -> session and case key.
const keys = deriveReceiptKeys(filing.receipt, intakeKey.receiptSalt);
const login = (await T.app.inject({ method: 'POST', url: '/v1/auth/receipt', payload: { authKey: toB64u(keys.authKey) } })).json();
const defender = { authorization: `Bearer ${login.accessToken}` };
const sealedCase = (await T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}/sealed`, headers: defender })).json();
const defenderDek = openEnvelope(sealedCase.envelopes[0], keys.keyPair);

// The supervisor's client: mechanism key from the keyring, then the case key.
const me = (await T.app.inject({ method: 'GET', url: '/v1/me', headers: dep.supervisor.auth() })).json();
const mechanism = openKeyringEntry(me.keyring[0], await openOwnKeys(T, dep.supervisor));
const supSealed = (await T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}/sealed`, headers: dep.supervisor.auth() })).json();
const supervisorDek = openEnvelope(supSealed.envelopes[0], mechanism);

const MARK = `MARQUEUR-${randomUUID()}`;
const send = (headers: Record<string, string>, sender: string, dek: Uint8Array, text: string, id = randomUUID()) =>
  T.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/messages`, headers, payload: { id, body: sealField({ text }, dek, messageBodyAd(id, sender)) } });
const list = (headers: Record<string, string>) => T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}/messages`, headers });

t.test('the defender writes, the supervisor reads and answers, the defender reads the answer', async (t) => {
  const r1 = await send(defender, `d:${caseId}`, defenderDek, `Ils sont revenus cette nuit. ${MARK}`);
  t.equal(r1.statusCode, 201, r1.body);
  t.equal(r1.json().sender, `d:${caseId}`);
  const seen = (await list(dep.supervisor.auth())).json().items;
  t.equal(seen.length, 1);
  t.same(openField(seen[0].body, supervisorDek, messageBodyAd(seen[0].id, seen[0].sender)), { text: `Ils sont revenus cette nuit. ${MARK}` });
  T.clock.advance(60_000); // the answer comes a minute later (the list is in time order)
  const r2 = await send(dep.supervisor.auth(), `u:${dep.supervisor.id}`, supervisorDek, 'Nous vous appelons sur Signal dans l’heure.');
  t.equal(r2.statusCode, 201);
  const mine = (await list(defender)).json().items;
  t.equal(mine.length, 2);
  t.same(openField(mine[1].body, defenderDek, messageBodyAd(mine[1].id, mine[1].sender)), { text: 'Nous vous appelons sur Signal dans l’heure.' });
  t.equal((await T.database.sql`select count(*)::int as n from outbox where topic = 'message.created'`)[0]!.n, 2, 'each message queues a notification');
});

t.test('a server passing a message off as someone else\'s breaks it', async (t) => {
  const [row] = await T.database.sql`select id, sender, body from messages where sender_role = 'supervisor' limit 1`;
  // The reader binds the sender the server claims: a forged sender does not open.
  t.throws(() => openField(row!.body, defenderDek, messageBodyAd(row!.id, `d:${caseId}`)), { code: 'decrypt_failed' });
  t.throws(() => openField(row!.body, defenderDek, messageBodyAd(randomUUID(), row!.sender)), { code: 'decrypt_failed' }, 'nor moved to another message id');
});

t.test('who may write and read', async (t) => {
  t.equal((await send(officer.auth(), `u:${officer.id}`, supervisorDek, 'x')).statusCode, 404, 'an officer not assigned: not found');
  t.equal((await list(officer.auth())).statusCode, 404);
  t.equal((await list(dep.admin.auth())).statusCode, 403, 'an admin reads no message');
  const other = prepareFiling({ intakeKey, pinnedKeyId: dep.mechanismKeyId, metadata, secrets: { identity: 'a', contact: 'b', narrative: 'c' } });
  await T.app.inject({ method: 'POST', url: '/v1/cases', payload: other.body });
  t.equal((await T.app.inject({ method: 'GET', url: `/v1/cases/${other.body.caseId}/messages`, headers: defender })).statusCode, 404, "another defender's case");
});

t.test('bad messages are refused and nothing is written', async (t) => {
  const before = (await T.database.sql`select count(*)::int as n from messages`)[0]!.n;
  const plain = await T.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/messages`, headers: defender, payload: { id: randomUUID(), body: 'v1.bonjour.en-clair' } });
  t.equal(plain.statusCode, 400);
  const id = randomUUID();
  t.equal((await send(defender, `d:${caseId}`, defenderDek, 'one', id)).statusCode, 201);
  const dup = await send(defender, `d:${caseId}`, defenderDek, 'two', id);
  t.equal(dup.statusCode, 409);
  t.equal((await T.database.sql`select count(*)::int as n from messages`)[0]!.n, before + 1);
});

t.test('no plaintext marker in the database, the logs or Redis', async (t) => {
  const dump = (await T.database.sql`select string_agg(t::text, '|') as s from (select * from messages) t`)[0]!.s + (await T.database.sql`select string_agg(t::text, '|') as s from (select * from outbox) t`)[0]!.s;
  t.ok(dump.length > 100);
  t.notOk(dump.includes(MARK), 'database');
  t.notOk(T.logs.join('\n').includes(MARK), 'logs');
  const keysInRedis = await T.redis.keys(`${T.config.REDIS_PREFIX}:*`);
  const values = await Promise.all(keysInRedis.map(async (k) => JSON.stringify(await T.redis.dump(k))));
  t.notOk(values.join('').includes(MARK), 'redis');
});

t.test('the supervisor gives the assigned officer the case key; the officer reads and writes', async (t) => {
  const ack = await T.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/acknowledge`, headers: dep.supervisor.auth(), payload: { assigneeId: officer.id } });
  t.equal(ack.statusCode, 200);
  const before = await T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}/sealed`, headers: officer.auth() });
  t.equal(before.statusCode, 409, 'assigned but no key yet: in scope, so not a 404');
  t.equal(before.json().code, 'no_envelope');
  const envelope = sealEnvelope(supervisorDek, officer.keyPair.publicKey);
  const grant = (headers: Record<string, string>, body: object) => T.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/envelopes`, headers, payload: body });
  t.equal((await grant(dep.admin.auth(), { userId: officer.id, ...envelope })).statusCode, 403, 'an admin grants nothing');
  t.equal((await grant(dep.supervisor.auth(), { userId: officer.id, keyId: keyIdOf(dep.supervisor.keyPair.publicKey), envelope: envelope.envelope })).statusCode, 400, 'addressed to another key');
  t.equal((await grant(dep.supervisor.auth(), { userId: dep.admin.id, ...envelope })).statusCode, 400, 'never to an admin');
  const ok = await grant(dep.supervisor.auth(), { userId: officer.id, ...envelope });
  t.equal(ok.statusCode, 201, ok.body);
  const sealed = (await T.app.inject({ method: 'GET', url: `/v1/cases/${caseId}/sealed`, headers: officer.auth() })).json();
  const officerDek = openEnvelope(sealed.envelopes[0], await openOwnKeys(T, officer));
  t.same(openField(sealed.fields.narrative, officerDek, caseFieldAd(caseId, 'narrative')), 'z');
  T.clock.advance(60_000);
  t.equal((await send(officer.auth(), `u:${officer.id}`, officerDek, 'Je suis votre agent de suivi.')).statusCode, 201);
  const seen = (await list(defender)).json().items;
  const last = seen[seen.length - 1];
  t.same(openField(last.body, defenderDek, messageBodyAd(last.id, last.sender)), { text: 'Je suis votre agent de suivi.' });
  const audited = await T.database.sql`select count(*)::int as n from audit_events where action = 'case.grant' and outcome = 'allowed' and case_id = ${caseId}`;
  t.equal(audited[0]!.n, 1, 'the grant is audited with the change');
});
