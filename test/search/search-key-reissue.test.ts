/**
 * Re-issuing the search key when a member leaves (docs/crypto-v1.md §16.1), through HTTP with the
 * SDK's crypto: a supervisor who holds the search key and the mechanism key seals a new key to
 * every active member in one command, and the previous key's entries are gone (the leaver gets
 * nothing); refusals write nothing; until a case is re-indexed no search finds it, with the old
 * key or the new; the holder's client re-indexes each case from what the server serves (the sealed
 * name and contact, the mechanism envelopes), and the tokens of the old key are gone once no case
 * remains.
 */
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { refusal } from '../helpers/refusal.js';
import { clientOf } from '../helpers/api-client.js';
import { buildWorld, enrolActor, mechanismKeyOf, type Actor } from '../helpers/world.js';
import {
  caseFieldAd,
  generateSearchKey,
  keyIdOf,
  openEnvelope,
  openField,
  openSearchKeyEntry,
  padTokens,
  queryTokens,
  ready,
  sealSearchKeyEntry,
  searchTokens,
  type ApiClient,
  type KeyEnvelope,
} from '../../src/sdk/index.js';

await ready();

const T = await buildTestApp(t);
const sql = T.database.sql;
const world = await buildWorld(T, { officers: ['awa', 'bakary'], supervisors: ['fatou'] });
const { dep, officers: { awa, bakary }, supervisors: { fatou } } = world;
const sup = dep.supervisor;
const admin = dep.admin;
const client = (who: Actor): ApiClient => clientOf(T.app, who);

const NAME = 'Kadiatou Sissoko';
const OTHER = 'Boubacar Traoré';
const first = await world.caseAt('triage', { officer: awa, secrets: { identity: NAME, contact: '+223 76 55 44 33', narrative: 'Menaces' } });
const second = await world.caseAt('triage', { officer: bakary, secrets: { identity: OTHER, contact: '66 10 20 30', narrative: 'Filature' } });
const gone = await world.caseAt('triage', { officer: awa, secrets: { identity: 'Fanta Keïta', contact: '70 00 00 01', narrative: 'Ancien dossier' } });
const leaver = await enrolActor(T, admin, { username: 'officer-leaver', role: 'officer', orgId: dep.mechanismId });

/** The caller's search key as their client opens it from their entry. */
async function keyOf(who: Actor) {
  const own = await client(who).call('getOwnSearchKey');
  return { key: openSearchKeyEntry({ memberKeyId: own.memberKeyId, entry: own.entry }, who.keyPair), generation: own.generation, tokensPerCase: own.tokensPerCase };
}

/** An officer's client indexing a case assigned to them (the duplicate check's upload). */
async function index(who: Actor, caseId: string, key: Uint8Array, name: string) {
  const { tokensPerCase } = await keyOf(who);
  await client(who).call('putCaseSearchTokens', { params: { caseId }, body: { tokens: padTokens(searchTokens(key, { name }), tokensPerCase) } });
}

const found = async (who: Actor, key: Uint8Array, typed: string) => (await client(who).call('searchCases', { body: { tokens: queryTokens(key, typed) } })).items.map((i) => i.case.id);
const entriesNow = async () => sql`select user_id, member_key_id, entry, generation from search_key_entries order by user_id`;
const sealedTo = (key: Uint8Array, who: Actor) => ({ userId: who.id, ...sealSearchKeyEntry(key, who.keyPair.publicKey) });

const oldKey = generateSearchKey();
await client(sup).call('createSearchKeyring', { body: { entries: [sup, fatou, awa, bakary, leaver].map((m) => sealedTo(oldKey, m)) } });
await index(awa, first.caseId, oldKey, NAME);
await index(bakary, second.caseId, oldKey, OTHER);
await index(awa, gone.caseId, oldKey, 'Fanta Keïta');
// A case purged since it was indexed, its tokens left behind: nothing re-indexes it, and they go at the end.
await sql`update cases set purged_at = now() where id = ${gone.caseId}`;
// The leaver is disabled; their entry of the current key is still there until the re-issue.
await client(admin).call('disableUser', { params: { userId: leaver.id }, body: { reason: 'Départ du mécanisme' } });

const newKey = generateSearchKey();
const remaining = [sup, fatou, awa, bakary];

t.test('generation 1 before any re-issue; the search finds a case indexed with it', async (t) => {
  t.equal((await keyOf(awa)).generation, 1);
  t.same(await found(awa, oldKey, 'kadiatou sissoko'), [first.caseId]);
});

t.test('refusals: an officer, a supervisor without the mechanism key, a missing member, a disabled one, a stale generation; nothing written', async (t) => {
  const before = await entriesNow();
  const body = { generation: 1, entries: remaining.map((m) => sealedTo(newKey, m)) };
  t.match(await refusal(client(awa).call('reissueSearchKey', { body })), { status: 403, code: 'forbidden' }, 'an officer never re-issues');
  t.match(await refusal(client(fatou).call('reissueSearchKey', { body })), { status: 404, code: 'not_found' }, 'Fatou holds the search key but not the mechanism key: she cannot re-index the cases');
  t.match(await refusal(client(sup).call('reissueSearchKey', { body: { generation: 1, entries: [sup, fatou, awa].map((m) => sealedTo(newKey, m)) } })), { status: 409, code: 'search_key_member_missing' }, 'Bakary is an active member');
  t.match(await refusal(client(sup).call('reissueSearchKey', { body: { generation: 1, entries: [...remaining, leaver].map((m) => sealedTo(newKey, m)) } })), { status: 400, code: 'validation_failed' }, 'never to the disabled leaver');
  const stranger = await enrolActor(T, admin, { username: 'officer-new', role: 'officer', orgId: dep.mechanismId });
  t.match(await refusal(client(sup).call('reissueSearchKey', { body: { generation: 1, entries: [...remaining, stranger].map((m) => sealedTo(newKey, m)) } })), { status: 400, code: 'validation_failed' }, 'never to someone who holds no entry (granted after)');
  t.match(await refusal(client(sup).call('reissueSearchKey', { body: { ...body, generation: 2 } })), { status: 409, code: 'search_key_changed' }, 'the generation replaced is the current one');
  t.match(await refusal(client(sup).call('reissueSearchKey', { body: { generation: 1, entries: [...remaining.map((m) => sealedTo(newKey, m)), { ...sealedTo(newKey, awa) }] } })), { status: 400, code: 'validation_failed' }, 'one entry per member');
  t.same(await entriesNow(), before, 'no entry changed');
  const denied = await sql`select actor, outcome, reason from audit_events where action = 'search_key.reissue' order by id`;
  t.equal(denied.length, 7, 'each refusal audited once');
  t.ok(denied.every((d) => d.outcome === 'denied'));
  t.equal((await keyOf(awa)).generation, 1);
});

t.test('the re-issue: one command, the old entries gone, the leaver gets nothing, no search finds an old-key case', async (t) => {
  const res = await client(sup).call('reissueSearchKey', { body: { generation: 1, entries: remaining.map((m) => sealedTo(newKey, m)) } });
  t.same(res, { generation: 2, entries: 4, casesToReindex: 2 }, 'the purged case is not counted');
  const rows = await entriesNow();
  t.same(rows.map((r) => r.generation), [2, 2, 2, 2]);
  t.notOk(rows.some((r) => r.user_id === leaver.id), "the leaver's entry is deleted");
  for (const m of remaining) {
    const { key, generation } = await keyOf(m);
    t.same(key, newKey, `${m.username} opens the new key`);
    t.equal(generation, 2);
  }
  t.match(await refusal(client(leaver).call('getOwnSearchKey')), { status: 401 }, 'the disabled leaver is not served');
  const [ok] = await sql`select outcome, reason from audit_events where action = 'search_key.reissue' order by id desc limit 1`;
  t.match(ok, { outcome: 'allowed', reason: /generation 1 to 2, 4 entries/ });

  t.same(await found(awa, newKey, 'kadiatou sissoko'), [], 'not searchable with the new key until re-indexed');
  t.same(await found(awa, oldKey, 'kadiatou sissoko'), [], 'nor with the old one');
  t.match(await refusal(client(awa).call('putCaseSearchTokens', { params: { caseId: first.caseId }, body: { tokens: padTokens(searchTokens(oldKey, { name: NAME })), generation: 1 } })), { status: 409, code: 'search_key_changed' }, 'tokens of the old key are refused');
  t.match(await refusal(client(awa).call('grantSearchKey', { body: { userId: leaver.id, entry: sealSearchKeyEntry(oldKey, leaver.keyPair.publicKey).entry, generation: 1 } })), { status: 400, code: 'validation_failed' });
});

t.test('the re-index: listed from what remains, one command per case, idempotent, the old tokens gone at the end', async (t) => {
  t.match(await refusal(client(awa).call('getSearchReindex')), { status: 403, code: 'forbidden' });
  t.match(await refusal(client(fatou).call('getSearchReindex')), { status: 404, code: 'not_found' });
  const mechanism = await mechanismKeyOf(T, sup);
  const batch = await client(sup).call('getSearchReindex', { query: { limit: '1' } });
  t.match(batch, { generation: 2, remaining: 2 });
  t.equal(batch.cases.length, 1);
  const reindexOne = async (c: (typeof batch.cases)[number]) => {
    t.same(Object.keys(c.fields).sort(), ['contact', 'identity'], 'only what a case is searchable by is served');
    const envelope = c.envelopes.find((e) => e.keyId === keyIdOf(mechanism.publicKey))!;
    const dek = openEnvelope(envelope.envelope as KeyEnvelope['envelope'], mechanism);
    const name = openField<string>(c.fields.identity!, dek, caseFieldAd(c.caseId, 'identity'));
    const phone = openField<string>(c.fields.contact!, dek, caseFieldAd(c.caseId, 'contact'));
    const tokens = padTokens(searchTokens(newKey, { name, phones: [phone] }), batch.tokensPerCase);
    t.match(await refusal(client(sup).call('reindexSearchCase', { params: { caseId: c.caseId }, body: { generation: 1, tokens } })), { status: 409, code: 'search_key_changed' }, 'computed with the old key: refused');
    t.match(await refusal(client(fatou).call('reindexSearchCase', { params: { caseId: c.caseId }, body: { generation: 2, tokens } })), { status: 404, code: 'not_found' });
    return { res: await client(sup).call('reindexSearchCase', { params: { caseId: c.caseId }, body: { generation: 2, tokens } }), tokens };
  };
  // Filed at the same instant (the test clock), the two cases come in the order of their ids.
  const [one, other] = batch.cases[0]!.caseId === first.caseId ? [first, second] : [second, first];
  const typed = (c: typeof first) => (c === first ? { who: awa, name: 'Kadiatou SISSOKO' } : { who: bakary, name: 'boubacar traore' });
  const { res, tokens } = await reindexOne(batch.cases[0]!);
  t.match(res, { caseId: one.caseId, generation: 2, reindexed: true, remaining: 1 });
  t.same(await found(typed(one).who, newKey, typed(one).name), [one.caseId], 'found with the new key');
  t.same(await found(typed(one).who, oldKey, typed(one).name), [], 'never with the old one');
  t.same(await found(typed(other).who, newKey, typed(other).name), [], 'the other case is not found until re-indexed');
  t.same(await sql`select generation, count(*)::int as n from case_search_tokens where case_id = ${one.caseId} group by generation`, [{ generation: 2, n: batch.tokensPerCase }], 'its old tokens replaced');
  t.match(await client(sup).call('reindexSearchCase', { params: { caseId: one.caseId }, body: { generation: 2, tokens: padTokens([], batch.tokensPerCase) } }), { reindexed: false, remaining: 1 }, 'a retry changes nothing');
  t.same((await sql`select token from case_search_tokens where case_id = ${one.caseId} order by token`).map((r) => r.token), [...tokens].sort());

  const next = await client(sup).call('getSearchReindex');
  t.same(next.cases.map((c) => c.caseId), [other.caseId], 'a run continues from what remains');
  t.ok((await sql`select 1 from case_search_tokens where case_id = ${gone.caseId}`).length > 0, 'the purged case still holds old tokens');
  const last = await reindexOne(next.cases[0]!);
  t.match(last.res, { reindexed: true, remaining: 0 });
  t.equal((await sql`select count(*)::int as n from case_search_tokens where generation < 2`)[0]!.n, 0, 'no token of the old key is left');
  t.same(await found(typed(other).who, newKey, typed(other).name), [other.caseId]);
  t.match(await client(sup).call('getSearchReindex'), { remaining: 0, cases: [] });
  const served = await sql`select outcome, reason from audit_events where action = 'search_key.reindex' and outcome = 'allowed' and reason like 'generation 2: sealed name%' order by id`;
  t.match(served[0], { reason: new RegExp(one.caseId) }, 'each case served is named in the audit');
});
