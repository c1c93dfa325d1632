/**
 * Finding a case by who it is about without the server reading names (docs/crypto-v1.md §16),
 * through HTTP with the SDK: the staff keyring of the search key made by a holder of the mechanism
 * key and granted to colleagues; an officer who opens a case computes its tokens from the sealed
 * name and phone and uploads them padded; a name typed otherwise (accents, case, word order, one
 * word) or the phone in another format finds the case; a second case of the same defender shows
 * as a duplicate; cases outside the caller's scope are neither returned nor counted; neither the
 * name nor the phone, nor a token, reaches the database in the clear, the logs, Redis or the audit.
 */
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { refusal } from '../helpers/refusal.js';
import { clientOf } from '../helpers/api-client.js';
import { buildWorld, caseKeyOf, enrolActor, type Actor } from '../helpers/world.js';
import { findLeaks } from '../helpers/leaks.js';
import {
  caseFieldAd,
  generateSearchKey,
  keyIdOf,
  fromB64u,
  openField,
  openSearchKeyEntry,
  padTokens,
  queryTokens,
  ready,
  sealSearchKeyEntry,
  searchTokens,
  toB64u,
  type ApiClient,
} from '../../src/sdk/index.js';

await ready();

const T = await buildTestApp(t, { env: { REFRESH_TOKEN_TTL_SECONDS: String(7 * 24 * 3600) } });
const sql = T.database.sql;
const world = await buildWorld(T, { officers: ['awa', 'bakary', 'cheick'], supervisors: ['fatou'] });
const { dep, officers: { awa, bakary, cheick }, supervisors: { fatou } } = world;
const sup = dep.supervisor;
const client = (who: Actor): ApiClient => clientOf(T.app, who);

const NAME = 'Maïmouna Dembélé-Coulibaly';
const PHONE = '+223 76 12 34 56';

// Filed before any test runs: subtests start while the file's top level is still awaiting.
const first = await world.caseAt('triage', { officer: awa, secrets: { identity: NAME, contact: PHONE, narrative: 'Menaces après un article sur les mines' } });
const second = await world.caseAt('triage', { officer: awa, secrets: { identity: 'maimouna DEMBELE coulibaly', contact: '0022376123456', narrative: 'Nouvelle menace' } });
const elsewhere = await world.caseAt('triage', { officer: bakary, secrets: { identity: NAME, contact: '76 12 34 56', narrative: 'Même personne, autre dossier' } });
const namesake = await world.caseAt('triage', { officer: cheick, secrets: { identity: 'Maïmouna Traoré', contact: '66 00 11 22', narrative: 'Autre personne' } });

const searchKey = generateSearchKey();
const tokensSeen: string[] = [];

/** A staff client: its entry opened with its own key, then the search key. */
async function searchKeyOf(who: Actor): Promise<{ key: Uint8Array; tokensPerCase: number }> {
  const own = await client(who).call('getOwnSearchKey');
  t.equal(own.stale, false);
  return { key: openSearchKeyEntry({ memberKeyId: own.memberKeyId, entry: own.entry }, who.keyPair), tokensPerCase: own.tokensPerCase };
}

/** What a staff client does when it opens a case: read the sealed name and phone, upload the padded tokens. */
async function indexCase(who: Actor, caseId: string): Promise<string[]> {
  const { key, tokensPerCase } = await searchKeyOf(who);
  const dek = await caseKeyOf(T, who, caseId);
  const sealed = await client(who).call('getCaseSealed', { params: { caseId } });
  const name = openField<string>(sealed.fields.identity!, dek, caseFieldAd(caseId, 'identity'));
  const phone = openField<string>(sealed.fields.contact!, dek, caseFieldAd(caseId, 'contact'));
  const real = searchTokens(key, { name, phones: [phone] });
  const tokens = padTokens(real, tokensPerCase);
  tokensSeen.push(...real);
  const res = await client(who).call('putCaseSearchTokens', { params: { caseId }, body: { tokens } });
  t.same(res, { caseId, tokens: tokensPerCase });
  return real;
}

async function search(who: Actor, typed: string, excludeCaseId?: string) {
  const { key } = await searchKeyOf(who);
  const tokens = queryTokens(key, typed);
  tokensSeen.push(...tokens);
  return (await client(who).call('searchCases', { body: { tokens, ...(excludeCaseId ? { excludeCaseId } : {}) } })).items;
}

t.test('the staff keyring: made once by a holder of the mechanism key, granted by a holder, listed, removed', async (t) => {
  const entryFor = (who: Actor) => ({ userId: who.id, ...sealSearchKeyEntry(searchKey, who.keyPair.publicKey) });
  t.match(await refusal(client(awa).call('createSearchKeyring', { body: { entries: [entryFor(awa)] } })), { status: 403, code: 'forbidden' }, 'an officer never makes it');
  t.match(await refusal(client(fatou).call('createSearchKeyring', { body: { entries: [entryFor(fatou)] } })), { status: 404, code: 'not_found' }, 'a supervisor without the mechanism key does not either');
  t.match(await refusal(client(sup).call('createSearchKeyring', { body: { entries: [entryFor(awa)] } })), { status: 400, code: 'validation_failed' }, 'its creator holds it too');
  t.same(await client(sup).call('createSearchKeyring', { body: { entries: [entryFor(sup), entryFor(awa), entryFor(bakary)] } }), { entries: 3 });
  t.match(await refusal(client(sup).call('createSearchKeyring', { body: { entries: [entryFor(sup)] } })), { status: 409, code: 'already_exists' }, 'only once');

  // A holder (officer Awa) grants it to supervisor Fatou, sealed to the key the users' route gives.
  const { key } = await searchKeyOf(awa);
  t.same(key, searchKey, "Awa's entry opens to the search key");
  const fatouKey = await client(awa).call('getUserPublicKey', { params: { userId: fatou.id } });
  t.equal(keyIdOf(fromB64u(fatouKey.publicKey)), fatouKey.keyId, 'the client checks the keyId before sealing');
  t.same(await client(awa).call('grantSearchKey', { body: { userId: fatou.id, entry: sealSearchKeyEntry(key, fromB64u(fatouKey.publicKey)).entry } }), { userId: fatou.id, memberKeyId: fatouKey.keyId });
  t.same((await searchKeyOf(fatou)).key, searchKey);

  // Never to an admin nor a disabled account; never by someone who holds none.
  const admin = dep.admin;
  t.match(await refusal(client(awa).call('grantSearchKey', { body: { userId: admin.id, entry: sealSearchKeyEntry(key, admin.keyPair.publicKey).entry } })), { status: 400, code: 'validation_failed' });
  const leaver = await enrolActor(T, admin, { username: 'officer-leaver', role: 'officer', orgId: dep.mechanismId });
  await client(admin).call('disableUser', { params: { userId: leaver.id }, body: { reason: 'Congé prolongé' } });
  t.match(await refusal(client(awa).call('grantSearchKey', { body: { userId: leaver.id, entry: sealSearchKeyEntry(key, leaver.keyPair.publicKey).entry } })), { status: 400, code: 'validation_failed' });
  t.match(await refusal(client(cheick).call('grantSearchKey', { body: { userId: cheick.id, entry: sealSearchKeyEntry(key, cheick.keyPair.publicKey).entry } })), { status: 404, code: 'not_found' }, 'Cheick holds no entry');

  const list = await client(sup).call('listSearchKeyring');
  t.same(list.items.map((i) => i.username).sort(), [awa.username, bakary.username, sup.username, fatou.username].sort());
  const fatouRow = list.items.find((i) => i.userId === fatou.id)!;
  t.match(fatouRow, { keyId: fatouKey.keyId, fingerprint: fatouKey.fingerprint, grantedBy: awa.id, stale: false });
  t.notOk(JSON.stringify(list).includes('v1.'), 'no entry content in the list');

  // Fatou leaves the search: an admin removes her entry, and she can no longer fetch it.
  t.same(await client(admin).call('removeSearchKeyEntry', { params: { userId: fatou.id }, query: { reason: 'Départ de la sous-commission' } }), { userId: fatou.id, removed: true });
  t.match(await refusal(client(fatou).call('getOwnSearchKey')), { status: 409, code: 'no_search_key' });
});

t.test('an officer without an entry cannot use the search key: no entry to open, no search, no upload', async (t) => {
  t.match(await refusal(client(cheick).call('getOwnSearchKey')), { status: 409, code: 'no_search_key' });
  t.match(await refusal(client(cheick).call('searchCases', { body: { tokens: padTokens([], 3) } })), { status: 409, code: 'no_search_key' });
  const c = await world.caseAt('triage', { officer: cheick, secrets: { identity: 'Oumou Sangaré', contact: '66 00 11 22', narrative: 'Menaces' } });
  t.match(await refusal(client(cheick).call('putCaseSearchTokens', { params: { caseId: c.caseId }, body: { tokens: padTokens([]) } })), { status: 409, code: 'no_search_key' });
  const [denied] = await sql`select outcome, reason from audit_events where actor = ${'u:' + cheick.id} and action = 'case.search_tokens' order by id desc limit 1`;
  t.match(denied, { outcome: 'denied', reason: /^no_search_key/ });
});


t.test('the officer who opens a case uploads exactly the policy count of tokens; another count or a malformed token is refused', async (t) => {
  const real = await indexCase(awa, first.caseId);
  t.equal(real.length, 5, 'the name, the phone and three words');
  const [stored] = await sql`select count(*)::int as n from case_search_tokens where case_id = ${first.caseId}`;
  t.equal(stored!.n, 12, 'padded to 12');
  const { key } = await searchKeyOf(awa);
  t.match(await refusal(client(awa).call('putCaseSearchTokens', { params: { caseId: first.caseId }, body: { tokens: searchTokens(key, { name: NAME }) } })), { status: 400, code: 'validation_failed' }, 'unpadded');
  const notCanonical = [...padTokens([], 11), 'AAAAAAAAAAAAAAAAAAAAAB'];
  t.match(await refusal(client(awa).call('putCaseSearchTokens', { params: { caseId: first.caseId }, body: { tokens: notCanonical } })), { status: 400, code: 'validation_failed' }, 'not 16 bytes of base64url');
  t.match(await refusal(client(bakary).call('putCaseSearchTokens', { params: { caseId: first.caseId }, body: { tokens: padTokens([]) } })), { status: 404, code: 'not_found' }, "another officer's case");
  const [after] = await sql`select count(*)::int as n from case_search_tokens where case_id = ${first.caseId}`;
  t.equal(after!.n, 12, 'the refused uploads left the set as it was');
  await indexCase(awa, second.caseId);
  await indexCase(bakary, elsewhere.caseId);
  const replaced = await indexCase(awa, first.caseId);
  const rows = await sql`select token from case_search_tokens where case_id = ${first.caseId}`;
  t.equal(rows.length, 12, 'an upload replaces the previous set');
  for (const r of replaced) t.ok(rows.some((row) => row.token === r));
});

t.test('a name typed otherwise, one word of it, or the phone in another format finds the case', async (t) => {
  for (const typed of ['Maïmouna Dembélé-Coulibaly', 'coulibaly maimouna', 'DEMBELE', 'Maïmouna', '+223 76 12 34 56', '0022376123456', '76-12-34-56', '76123456']) {
    const items = await search(awa, typed);
    t.ok(items.some((i) => i.case.id === first.caseId), `"${typed}" finds it`);
  }
  t.same(await search(awa, 'Fatoumata Keïta'), [], 'another name finds nothing');
  const exact = await search(awa, NAME);
  t.same(exact.map((i) => [i.case.id, i.matched]).sort(), [[first.caseId, 4], [second.caseId, 4]].sort(), "Awa's two cases of this name (typed otherwise there): the whole name and its three words each");
  t.match(exact.find((i) => i.case.id === first.caseId)?.case, { reference: first.reference, state: 'triage', assigneeId: awa.id }, 'as the case list shows it');
  const byPhone = await search(awa, '76 12 34 56');
  t.same(byPhone.map((i) => i.matched), [1, 1], 'the phone: one token each');
  const partly = await search(awa, 'Maïmouna Dembélé');
  t.same(partly.map((i) => i.matched), [2, 2], 'two of the words; the whole name typed differs');
  // Best first: a namesake who shares one word of the name comes after the cases that share two.
  await indexCase(sup, namesake.caseId);
  const ranked = await search(sup, 'Maïmouna Dembélé');
  t.same(ranked.map((i) => i.matched), [2, 2, 2, 1], 'most tokens matched first');
  t.equal(ranked[3]!.case.id, namesake.caseId);
  const byWords = await search(awa, 'coulibaly maimouna');
  t.equal(byWords.find((i) => i.case.id === first.caseId)?.matched, 2, 'two words, the whole name in another order does not match');
});

t.test('a second case of the same defender shows as a duplicate; out-of-scope cases are neither returned nor counted', async (t) => {
  const { key } = await searchKeyOf(awa);
  const ownTokens = searchTokens(key, { name: 'maimouna DEMBELE coulibaly', phones: ['0022376123456'] });
  const dup = (await client(awa).call('searchCases', { body: { tokens: ownTokens, excludeCaseId: second.caseId } })).items;
  t.same(dup.map((i) => i.case.id), [first.caseId], "Awa's duplicate check: her other case, not this one, and not Bakary's");
  t.equal(dup[0]!.matched, 5, 'name, phone and three words in common');

  const all = (await client(sup).call('searchCases', { body: { tokens: ownTokens, excludeCaseId: second.caseId } })).items;
  t.same(all.slice(0, 2).map((i) => [i.case.id, i.matched]).sort(), [[first.caseId, 5], [elsewhere.caseId, 5]].sort(), 'a supervisor sees every case of the same person first');
  t.same(all.slice(2).map((i) => [i.case.id, i.matched]), [[namesake.caseId, 1]], 'then a namesake who shares one word');

  const forBakary = (await client(bakary).call('searchCases', { body: { tokens: ownTokens } })).items;
  t.same(forBakary.map((i) => i.case.id), [elsewhere.caseId], "Bakary: only his own case, Awa's are not even counted");

  const [event] = await sql`select action, outcome, reason, case_id from audit_events where actor = ${'u:' + awa.id} and action = 'case.search' order by id desc limit 1`;
  t.match(event, { action: 'case.search', outcome: 'allowed', case_id: second.caseId, reason: /^\d+ tokens/ }, 'each search is audited, with the case a duplicate check was about');
});

t.test('no name, phone or token in the clear anywhere: database, logs, Redis, audit', async (t) => {
  const hits = await findLeaks(T, {
    name: NAME,
    nameNormalised: 'maimouna dembele coulibaly',
    nameTypedOtherwise: 'maimouna DEMBELE coulibaly',
    word: 'coulibaly',
    wordAccented: 'Maïmouna',
    phone: PHONE,
    phoneDigits: '22376123456',
    phoneNational: '76 12 34 56',
  });
  t.same(hits, [], 'nothing found');
  const logs = T.logs.join('\n');
  const audit = (await sql`select coalesce(reason, '') || ' ' || resource as text from audit_events`).map((r) => r.text as string).join('\n');
  t.ok(tokensSeen.length > 20);
  t.notOk(tokensSeen.some((tok) => logs.includes(tok)), 'no token in the logs');
  t.notOk(tokensSeen.some((tok) => audit.includes(tok)), 'no token in the audit log');
  t.notOk(tokensSeen.some((tok) => toB64u(fromB64u(tok)) !== tok), 'every token is canonical base64url');
});

t.test('the last active holder cannot be removed: nobody could grant the key again', async (t) => {
  for (const who of [awa, bakary]) await client(dep.admin).call('removeSearchKeyEntry', { params: { userId: who.id } });
  t.match(await refusal(client(dep.admin).call('removeSearchKeyEntry', { params: { userId: sup.id } })), { status: 409, code: 'last_keyholder' });
  t.same((await client(sup).call('listSearchKeyring')).items.map((i) => i.userId), [sup.id]);
});
