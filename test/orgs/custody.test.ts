/**
 * Custody of the mechanism key through the API: a holder grants it (and the search key) to
 * another supervisor, records a split backup (never a share: searched for in the database, logs
 * and Redis), and a supervisor who holds nothing restores a keyring entry only by proving, with
 * the key rebuilt from the shares, that they have the private key; a wrong proof is refused and
 * audited. After a rotation the older backup is marked as such.
 */
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { findLeaks } from '../helpers/leaks.js';
import { bootstrap, caseKeyOf, enrolActor, fileCase, type Actor, requestAs } from '../helpers/world.js';
import { combineShareCodes, createOrgKey, generateKeyPair, keyIdOf, openKeyringEntry, openSecret, randomBytes, ready, sealKeyringEntry, sealSecret, splitPrivateKey, toB64u } from '../../src/sdk/index.js';

await ready();
const T = await buildTestApp(t);
const { app } = T;
const dep = await bootstrap(T);
const sup1 = dep.supervisor;
const sup2 = await enrolActor(T, dep.admin, { username: 'mariam.sup', role: 'supervisor', orgId: dep.mechanismId });
const sup3 = await enrolActor(T, dep.admin, { username: 'oumar.sup', role: 'supervisor', orgId: dep.mechanismId });
const sup4 = await enrolActor(T, dep.admin, { username: 'kadi.sup', role: 'supervisor', orgId: dep.mechanismId });
const officer = await enrolActor(T, dep.admin, { username: 'awa.off', role: 'officer', orgId: dep.mechanismId });

const as = requestAs(T);
const custody = async (who: Actor = sup1) => {
  const r = await as(who, 'GET', '/v1/custody');
  if (r.statusCode !== 200) throw new Error(`GET /v1/custody: ${r.statusCode} ${r.body}`);
  return r.json();
};
const lastEvent = async (actor: Actor, action: string) => (await T.database.sql`select outcome, reason from audit_events where actor = ${'u:' + actor.id} and action = ${action} order by id desc limit 1`)[0];

const searchKey = randomBytes(32);
const custodians = ['Aminata Traoré', 'Moussa Diarra', 'Fatoumata Coulibaly', 'Ibrahim Keïta', 'Awa Sangaré'];
let codes: string[] = [];

t.test('custody is the supervisors\': who holds what, and a warning while one person holds the key', async (t) => {
  t.equal((await as(officer, 'GET', '/v1/custody')).statusCode, 403, 'not an officer');
  t.equal((await as(dep.admin, 'GET', '/v1/custody')).statusCode, 403, 'not an admin');
  const view = await custody(sup2);
  t.equal(view.key.keyId, dep.mechanismKeyId);
  t.match(view.key.fingerprint, /^[0-9A-F]{4}( [0-9A-F]{4}){7}$/);
  t.same(view.holders.map((h: { username: string }) => h.username), ['first-supervisor']);
  t.same(view.warning, { code: 'too_few_keyholders', holders: 1, minimum: 2, backup: false, screen: '/console/custody' }, 'the warning says how many, how many should, that no backup exists, and where to fix it');
  t.same(view.policy, { threshold: 3, shares: 5, minimumHolders: 2 }, 'k of n from policies/custody.yaml');
  const health = (await as(dep.admin, 'GET', '/v1/admin/health')).json();
  t.same(health.keyholderWarning, view.warning, "the admins' health page carries the same warning, with the custody screen to link to");
});

t.test('a holder grants the mechanism key and the search key to another supervisor', async (t) => {
  const created = await as(sup1, 'POST', '/v1/search-key', { entries: [{ userId: sup1.id, memberKeyId: keyIdOf(sup1.keyPair.publicKey), entry: sealSecret(searchKey, sup1.keyPair.publicKey) }] });
  t.equal(created.statusCode, 201, created.body);
  const pk = (await as(sup1, 'GET', `/v1/users/${sup2.id}/public-key`)).json();
  t.equal(pk.keyId, keyIdOf(sup2.keyPair.publicKey));
  const entry = sealKeyringEntry(dep.mechanismKey.privateKey, sup2.keyPair.publicKey);
  t.equal((await as(sup1, 'POST', `/v1/orgs/${dep.mechanismId}/keyring`, { userId: sup2.id, entry: entry.entry })).statusCode, 201);
  t.equal((await as(sup1, 'POST', '/v1/search-key/entries', { userId: sup2.id, entry: sealSecret(searchKey, sup2.keyPair.publicKey) })).statusCode, 201);
  const view = await custody();
  const mariam = view.holders.find((h: { username: string }) => h.username === 'mariam.sup');
  t.match(mariam, { keyId: pk.keyId, fingerprint: pk.fingerprint, grantedBy: 'first-supervisor', stale: false, status: 'active' }, 'the new holder, the fingerprint of the key it is sealed to, and who granted it');
  t.match(view.searchHolders.find((h: { username: string }) => h.username === 'mariam.sup'), { fingerprint: pk.fingerprint, grantedBy: 'first-supervisor' });
  t.equal(view.warning, null, 'two holders: no warning');
});

t.test('a backup is recorded by a holder, as the policy says, and no share reaches the service', async (t) => {
  const split = await splitPrivateKey(dep.mechanismKey.privateKey, 3, 5);
  codes = split.codes;
  const body = { keyId: dep.mechanismKeyId, threshold: 3, shares: 5, custodians };
  t.equal((await as(sup3, 'POST', '/v1/custody/backups', body)).statusCode, 404, 'not by a supervisor who does not hold the key');
  t.equal((await as(officer, 'POST', '/v1/custody/backups', body)).statusCode, 403);
  t.match((await as(sup1, 'POST', '/v1/custody/backups', { ...body, threshold: 2 })).json(), { code: 'validation_failed' }, 'k must be the policy\'s');
  t.match((await as(sup1, 'POST', '/v1/custody/backups', { ...body, custodians: custodians.slice(0, 4) })).json(), { code: 'validation_failed' }, 'one custodian per share');
  t.match((await as(sup1, 'POST', '/v1/custody/backups', { ...body, keyId: keyIdOf(generateKeyPair().publicKey) })).json(), { code: 'conflict' }, 'of the current key only');
  const made = await as(sup1, 'POST', '/v1/custody/backups', body);
  t.equal(made.statusCode, 201, made.body);
  t.match(made.json(), { keyId: dep.mechanismKeyId, threshold: 3, shares: 5, custodians, madeBy: 'first-supervisor', current: true });
  const view = await custody(sup3);
  t.equal(view.backups.length, 1);
  t.match(view.backups[0], { custodians, fingerprint: view.key.fingerprint });
  t.match(await lastEvent(sup1, 'custody.backup.record'), { outcome: 'allowed' });
});

t.test('restore: k shares rebuild the key, the rebuilt key answers the challenge, and the supervisor then opens a case', async (t) => {
  const filed = await fileCase(T, dep);
  await t.rejects(caseKeyOf(T, sup3, filed.caseId), 'before: no envelope opens with their keys');
  const start = await as(sup3, 'POST', '/v1/custody/restore/challenge', {});
  t.equal(start.statusCode, 200, start.body);
  const { challengeId, challenge, keyId } = start.json();
  t.equal(keyId, dep.mechanismKeyId);
  const rebuilt = await combineShareCodes([codes[4]!, codes[0]!, codes[2]!], keyId);
  const answer = toB64u(openSecret(challenge, rebuilt, 'challenge'));
  const entry = sealKeyringEntry(rebuilt.privateKey, sup3.keyPair.publicKey).entry;
  const malformed = await as(sup3, 'POST', '/v1/custody/restore', { challengeId, answer, entry: 'v1.AAAA' });
  t.equal(malformed.statusCode, 400, malformed.body);
  t.match(malformed.json(), { code: 'validation_failed', errors: [{ field: '/body/entry' }] });
  t.match(await lastEvent(sup3, 'custody.restore'), { outcome: 'denied', reason: /^validation_failed/ }, 'refused and audited');
  // ...without spending the challenge: the same one is answered next.
  const done = await as(sup3, 'POST', '/v1/custody/restore', { challengeId, answer, entry });
  t.equal(done.statusCode, 201, done.body);
  t.match(await lastEvent(sup3, 'custody.restore'), { outcome: 'allowed' });
  const me = (await as(sup3, 'GET', '/v1/me')).json();
  const held = me.keyring.find((k: { orgKeyId: string }) => k.orgKeyId === dep.mechanismKeyId);
  t.same(openKeyringEntry(held, sup3.keyPair).privateKey, dep.mechanismKey.privateKey, 'their entry opens the mechanism key');
  t.equal((await caseKeyOf(T, sup3, filed.caseId)).length, 32, 'and the case key through it');
  t.ok((await custody()).holders.some((h: { username: string; grantedBy: string }) => h.username === 'oumar.sup' && h.grantedBy === 'oumar.sup'), 'listed as a holder, restored by themself');
  t.equal((await as(sup3, 'POST', '/v1/custody/restore', { challengeId, answer, entry })).statusCode, 403, 'a challenge answers once');
});

t.test('restore without the key: a wrong answer, another\'s challenge or none is refused and audited', async (t) => {
  const forged = sealKeyringEntry(generateKeyPair().privateKey, sup4.keyPair.publicKey).entry;
  const start = (await as(sup4, 'POST', '/v1/custody/restore/challenge', {})).json();
  const wrong = await as(sup4, 'POST', '/v1/custody/restore', { challengeId: start.challengeId, answer: toB64u(randomBytes(32)), entry: forged });
  t.equal(wrong.statusCode, 403);
  t.equal(wrong.json().code, 'custody_proof_failed');
  t.match(await lastEvent(sup4, 'custody.restore'), { outcome: 'denied', reason: /^custody_proof_failed/ }, 'the refusal is audited');
  // Another supervisor's challenge, even answered rightly, is not theirs.
  const other = (await as(sup2, 'POST', '/v1/custody/restore/challenge', {})).json();
  const rightAnswer = toB64u(openSecret(other.challenge, dep.mechanismKey, 'challenge'));
  t.equal((await as(sup4, 'POST', '/v1/custody/restore', { challengeId: other.challengeId, answer: rightAnswer, entry: forged })).statusCode, 403);
  const own = sealKeyringEntry(dep.mechanismKey.privateKey, sup2.keyPair.publicKey).entry;
  t.equal((await as(sup2, 'POST', '/v1/custody/restore', { challengeId: other.challengeId, answer: rightAnswer, entry: own })).statusCode, 201, 'and their try did not spend it');
  t.equal((await as(officer, 'POST', '/v1/custody/restore/challenge', {})).statusCode, 403, 'an officer restores nothing');
  const rows = await T.database.sql`select count(*)::int as n from keyring_entries where user_id = ${sup4.id}`;
  t.equal(rows[0]!.n, 0, 'no entry was stored');
});

t.test('no share code is in the database, the logs or Redis', async (t) => {
  const secrets: Record<string, string> = {};
  codes.forEach((c, i) => {
    secrets[`share ${i}`] = c;
    secrets[`share ${i} compact`] = c.replace(/ /g, '');
    secrets[`share ${i} middle`] = c.replace(/ /g, '').slice(20, 44);
  });
  t.same(await findLeaks(T, secrets), []);
});

t.test('after a rotation the backup is of an older key, and its shares no longer restore', async (t) => {
  const before = (await as(sup4, 'POST', '/v1/custody/restore/challenge', {})).json();
  const next = createOrgKey([sup1.keyPair.publicKey, sup3.keyPair.publicKey]);
  const entries = [sup1, sup3].map((a, i) => ({ userId: a.id, memberKeyId: next.entries[i]!.memberKeyId, entry: next.entries[i]!.entry }));
  t.equal((await as(sup1, 'POST', `/v1/orgs/${dep.mechanismId}/keys`, { publicKey: next.publicKey, keyId: next.keyId, entries })).statusCode, 201);
  const view = await custody();
  t.equal(view.key.keyId, next.keyId);
  t.equal(view.backups[0].current, false);
  t.ok(view.olderKeys.some((k: { keyId: string; holders: string[] }) => k.keyId === dep.mechanismKeyId && k.holders.includes('mariam.sup')), 'holders keep their entries for the older key');
  const start = (await as(sup4, 'POST', '/v1/custody/restore/challenge', {})).json();
  t.equal(start.keyId, next.keyId);
  await t.rejects(combineShareCodes(codes.slice(0, 3), start.keyId), { code: 'key_id_mismatch' });
  // A challenge of the older key, answered rightly after the rotation, restores nothing.
  const late = await as(sup4, 'POST', '/v1/custody/restore', { challengeId: before.challengeId, answer: toB64u(openSecret(before.challenge, dep.mechanismKey, 'challenge')), entry: sealKeyringEntry(dep.mechanismKey.privateKey, sup4.keyPair.publicKey).entry });
  t.equal(late.statusCode, 409, late.body);
  t.equal(late.json().code, 'conflict');
});

t.test('the OpenAPI document lists every status the custody commands answered above', async (t) => {
  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
  const answered = { '/v1/custody/backups': [400, 403, 404, 409], '/v1/custody/restore/challenge': [403], '/v1/custody/restore': [400, 403, 409] };
  for (const [path, statuses] of Object.entries(answered)) {
    const documented = Object.keys(doc.paths[path]!.post!.responses);
    for (const status of statuses) t.ok(documented.includes(String(status)), `POST ${path}: ${status}`);
  }
});
