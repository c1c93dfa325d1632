/**
 * Custody of the mechanism key in Chromium against the running service: the first supervisor
 * sees the "too few holders" warning, grants the mechanism key and the search key to another
 * supervisor (whose fingerprint is shown before sealing), makes a 3-of-5 split backup (the five
 * codes read from the page); a new supervisor restores from three of them (a mistyped code is
 * named first) and then opens a case; the first supervisor rotates the key when a holder leaves,
 * the older case moved onto the new key in the browser at once, then grants it to another
 * supervisor, the previous key with it; after a rotation made elsewhere, the case left on the
 * previous key is moved from the button; a search-key holder who left (disabled) is cut off by a
 * re-issue of the search key, and the case indexed with the old key is re-indexed in the browser.
 * axe-clean at laptop and phone sizes, no CSP violation, no share code in any request.
 */
import t from 'tap';
import { bootstrap, enrolActor, fileCase, refreshIfStale, type Actor } from '../helpers/world.js';
import { createOrgKey, keyIdOf, openSearchKeyEntry, padTokens, randomBytes, ready, sealSecret, searchTokens } from '../../src/sdk/index.js';
import { axeBothSizes, consoleBrowser, signInAs, startConsoleService, type ConsolePage } from './console-kit.js';

t.setTimeout(300_000);
await ready();
const T = await startConsoleService(t);
const dep = await bootstrap(T);
const sup1 = dep.supervisor;
const mariam = await enrolActor(T, dep.admin, { username: 'mariam.sup', role: 'supervisor', orgId: dep.mechanismId });
const oumar = await enrolActor(T, dep.admin, { username: 'oumar.sup', role: 'supervisor', orgId: dep.mechanismId });
const awa = await enrolActor(T, dep.admin, { username: 'awa.sup', role: 'supervisor', orgId: dep.mechanismId });
// The staff keyring exists (the first supervisor made it), so a grant seals both keys.
await T.app.inject({ method: 'POST', url: '/v1/search-key', headers: sup1.auth(), payload: { entries: [{ userId: sup1.id, memberKeyId: keyIdOf(sup1.keyPair.publicKey), entry: sealSecret(randomBytes(32), sup1.keyPair.publicKey) }] } });
const filed = await fileCase(T, dep);
const browser = await consoleBrowser(t);
const sql = T.database.sql;
const custodians = ['Aminata Traoré', 'Moussa Diarra', 'Fatoumata Coulibaly', 'Ibrahim Keïta', 'Awa Sangaré'];
let codes: string[] = [];

const fresh = async (a: Actor) => {
  await refreshIfStale(T, a);
  return a;
};
const fingerprintOf = (keyId: string) => Buffer.from(keyId, 'base64url').toString('hex').toUpperCase().match(/.{4}/g)!.join(' ');
const checkPage = (tt: { same(a: unknown, b: unknown, m: string): unknown }, p: ConsolePage) => {
  tt.same(p.violations, [], 'no CSP violation in the page or its worker');
  tt.same(p.offHostRequests, [], 'nothing requested off the origin');
  tt.same(p.pageErrors, [], 'no page error');
  const compact = codes.map((c) => c.replace(/ /g, '').slice(8, 40));
  tt.same(p.sent.filter((r) => compact.some((c) => (r.body ?? '').replace(/[\s-]/g, '').toUpperCase().includes(c) || r.url.includes(c))).map((r) => `${r.method} ${r.url}`), [], 'no share code in any request');
};

const laptop = await browser.open('laptop');
const phone = await browser.open('phone');

t.test('a holder grants both keys to another supervisor, fingerprint shown, and makes a 3-of-5 backup', async (t) => {
  const { page } = laptop;
  await page.clock.setSystemTime(T.clock.now());
  await page.goto(`${T.origin}/console/custody`);
  await signInAs(page, T, sup1);
  await page.getByRole('heading', { name: 'Garde de la clé du mécanisme', level: 1 }).waitFor();
  const warning = page.locator('[data-code="too_few_keyholders"]');
  await warning.waitFor();
  t.match(await warning.textContent(), /Seulement 1 membre/, 'the warning about one holder');
  t.equal(await warning.getAttribute('data-backup'), 'none');
  t.match(await warning.textContent(), /aucune sauvegarde partagée de la clé actuelle/, 'and that no split backup of the current key exists');
  t.equal(await page.locator('[data-mechanism-fingerprint]').textContent(), fingerprintOf(dep.mechanismKeyId));
  await axeBothSizes(t, page, 'custody screen');

  await page.getByLabel('La personne', { exact: true }).selectOption({ label: 'mariam.sup (superviseur·e)' });
  const shown = page.locator('.colleague-key .fingerprint');
  await shown.waitFor();
  t.match(await shown.textContent(), fingerprintOf(keyIdOf(mariam.keyPair.publicKey)), "the recipient's fingerprint is shown before sealing");
  await page.getByRole('button', { name: 'Sceller et confier' }).click();
  await page.getByRole('status').filter({ hasText: 'La clé du mécanisme et la clé de recherche ont été confiées' }).waitFor();
  t.equal((await sql`select count(*)::int as n from keyring_entries where user_id = ${mariam.id}`)[0]!.n, 1, 'mariam holds the mechanism key');
  t.equal((await sql`select count(*)::int as n from search_key_entries where user_id = ${mariam.id}`)[0]!.n, 1, 'and the search key');
  await page.locator('tr[data-holder="mariam.sup"]').first().waitFor();
  await warning.waitFor({ state: 'detached' });
  t.pass('the new holder is listed and the warning is gone');

  for (const [i, name] of custodians.entries()) await page.getByLabel(`Gardien·ne ${i + 1} (nom)`).fill(name);
  await page.getByRole('button', { name: 'Découper la clé' }).click();
  await page.locator('[data-share-code]').nth(4).waitFor();
  codes = (await page.locator('[data-share-code]').allTextContents()).map((c) => c.trim());
  t.equal(codes.length, 5, 'five codes shown');
  t.equal(new Set(codes).size, 5);
  t.same(await page.locator('.share-sheet').evaluateAll((els) => els.map((e) => e.getAttribute('data-custodian'))), custodians, 'one per named custodian');
  t.match(await page.locator('.share-sheet').first().textContent(), fingerprintOf(dep.mechanismKeyId), "each sheet carries the key's fingerprint");
  const [backup] = await sql`select threshold, shares, custodians from custody_backups`;
  t.match(backup, { threshold: 3, shares: 5, custodians }, 'the service recorded the backup');
  await axeBothSizes(t, page, 'share codes');
  await page.getByRole('button', { name: "J'ai remis les codes" }).click();
  t.equal(await page.locator('[data-share-code]').count(), 0, 'the codes are gone from the page');
  checkPage(t, laptop);
});

t.test('a new supervisor restores the key from 3 codes and then opens a case', async (t) => {
  const { page } = phone;
  await page.clock.setSystemTime(T.clock.now());
  await page.goto(`${T.origin}/console/custody`);
  await signInAs(page, T, oumar);
  await page.getByText('Vous ne détenez pas la clé actuelle du mécanisme.').waitFor();
  const mistyped = codes[1]!.replace(/^(.)/, (c) => (c === 'A' ? 'B' : 'A'));
  await page.getByLabel('Code 1', { exact: true }).fill(codes[0]!);
  await page.getByLabel('Code 2', { exact: true }).fill(mistyped);
  await page.getByLabel('Code 3', { exact: true }).fill(codes[4]!);
  await axeBothSizes(t, page, 'restore form');
  await page.getByRole('button', { name: 'Restaurer' }).click();
  await page.locator('[data-code="bad_share_code"]').waitFor();
  t.pass('a mistyped code is named');
  // Typed as a person may: lower case, dashes.
  await page.getByLabel('Code 2', { exact: true }).fill(codes[2]!.toLowerCase().replace(/ /g, '-'));
  await page.getByRole('button', { name: 'Restaurer' }).click();
  await page.getByRole('status').filter({ hasText: 'Vous détenez maintenant la clé du mécanisme.' }).waitFor();
  t.equal((await sql`select count(*)::int as n from keyring_entries where user_id = ${oumar.id}`)[0]!.n, 1, 'oumar holds an entry');
  const [restored] = await sql`select outcome from audit_events where actor = ${'u:' + oumar.id} and action = 'custody.restore' order by id desc limit 1`;
  t.equal(restored?.outcome, 'allowed', 'the restore is audited');

  await page.goto(`${T.origin}/console/cases/${filed.caseId}`);
  await signInAs(page, T, oumar);
  await page.getByText(String(filed.secrets.narrative), { exact: true }).waitFor();
  t.pass('the restored holder reads the case');
  checkPage(t, phone);
});

t.test('a holder leaves: the key is rotated to the remaining holders', async (t) => {
  const { page } = laptop;
  // A reload is a new session: sign in again.
  await page.reload();
  await signInAs(page, T, sup1);
  await page.getByRole('heading', { name: 'Renouveler la clé du mécanisme' }).waitFor();
  await page.getByLabel('mariam.sup', { exact: true }).uncheck();
  t.ok(await page.getByLabel('oumar.sup', { exact: true }).isChecked());
  await page.getByRole('button', { name: 'Créer la nouvelle clé' }).click();
  await page.locator('[data-backup-older]').waitFor();
  t.match(await page.locator('[data-backup-older]').textContent(), "Faite avant le dernier renouvellement : elle n'ouvre pas les dossiers passés à la nouvelle clé ; faites une nouvelle sauvegarde.", 'the backup is marked as made before the rotation');
  const [current] = await sql`select id, key_id from org_keys where org_id = ${dep.mechanismId} and retired_at is null`;
  t.not(current!.key_id, dep.mechanismKeyId, 'a new current key');
  const holders = await sql`select user_id from keyring_entries where org_key_id = ${current!.id} order by user_id`;
  t.same(holders.map((h) => h.user_id).sort(), [sup1.id, oumar.id].sort(), 'sealed to those who stay');
  const older = await sql`select count(*)::int as n from keyring_entries e join org_keys k on k.id = e.org_key_id where k.key_id = ${dep.mechanismKeyId}`;
  t.equal(older[0]!.n, 3, 'entries for the older key are kept (older cases stay readable)');
  t.equal(await page.locator('[data-mechanism-fingerprint]').textContent(), fingerprintOf(String(current!.key_id)));
  // The older case is moved onto the new key at once, in this browser.
  await page.locator('[data-rewrap="done"]').waitFor();
  t.match(await page.locator('[data-rewrap="done"]').textContent(), 'Tous les dossiers sont scellés à la clé actuelle', 'the screen says no case needs the previous key');
  // The key list is read again once the move ends: its count follows the progress line.
  const olderKey = page.locator(`[data-older-key="${dep.mechanismKeyId}"]`);
  await olderKey.filter({ hasText: 'plus aucun dossier ne lui est scellé' }).waitFor({ timeout: 10_000 }).catch(() => undefined);
  t.match(await olderKey.textContent(), 'plus aucun dossier ne lui est scellé');
  const [moved] = await sql`select key_id from case_envelopes where case_id = ${filed.caseId} and recipient_type = 'org'`;
  t.equal(moved!.key_id, current!.key_id, "the case's mechanism envelope is sealed to the new key");
  await axeBothSizes(t, page, 'custody after a rotation');
  checkPage(t, laptop);
});

t.test('after the rotation a grant passes the previous key too', async (t) => {
  const { page } = laptop;
  await page.getByLabel('La personne', { exact: true }).selectOption({ label: 'awa.sup (superviseur·e)' });
  await page.locator('.colleague-key .fingerprint').waitFor();
  await page.getByRole('button', { name: 'Sceller et confier' }).click();
  await page.getByRole('status').filter({ hasText: 'La clé du mécanisme et la clé de recherche ont été confiées' }).waitFor();
  const held = await sql`select k.key_id, k.retired_at is null as current from keyring_entries e join org_keys k on k.id = e.org_key_id where e.user_id = ${awa.id} order by k.created_at`;
  t.equal(held.length, 2, 'awa holds two entries, from one grant');
  t.same(held.map((h) => h.key_id), [dep.mechanismKeyId, (await sql`select key_id from org_keys where org_id = ${dep.mechanismId} and retired_at is null`)[0]!.key_id], 'the previous key and the current one');
  checkPage(t, laptop);
});

t.test('cases left on a previous key are moved from the button, from what the server says remains', async (t) => {
  const { page } = laptop;
  // Another holder's rotation, made elsewhere: nothing moved the case yet.
  const next = createOrgKey([sup1.keyPair.publicKey, oumar.keyPair.publicKey]);
  const rotated = await T.app.inject({ method: 'POST', url: `/v1/orgs/${dep.mechanismId}/keys`, headers: (await fresh(oumar)).auth(), payload: { publicKey: next.publicKey, keyId: next.keyId, entries: [sup1, oumar].map((a, i) => ({ userId: a.id, memberKeyId: next.entries[i]!.memberKeyId, entry: next.entries[i]!.entry })) } });
  t.equal(rotated.statusCode, 201, rotated.body);
  await page.reload();
  await signInAs(page, T, sup1);
  await page.locator('[data-rewrap="remaining"]').waitFor();
  t.match(await page.locator('[data-rewrap="remaining"]').textContent(), '1 dossier(s) sont encore scellés à une clé précédente.', 'how many remain');
  await axeBothSizes(t, page, 'cases left on a previous key');
  await page.getByRole('button', { name: 'Les passer à la clé actuelle' }).click();
  await page.locator('[data-rewrap="done"]').waitFor();
  const [moved] = await sql`select key_id from case_envelopes where case_id = ${filed.caseId} and recipient_type = 'org'`;
  t.equal(moved!.key_id, next.keyId, 'the case is on the newest key');
  const [audited] = await sql`select outcome from audit_events where actor = ${'u:' + sup1.id} and action = 'custody.rewrap' and case_id = ${filed.caseId} order by id desc limit 1`;
  t.equal(audited?.outcome, 'allowed', 'the move is audited on the case');
  checkPage(t, laptop);
});

t.test('a search-key holder leaves: the search key is re-issued to the others and the case re-indexed in the browser', async (t) => {
  const { page } = laptop;
  // Mariam leaves: her account is disabled; she still holds an entry of the search key.
  const disabled = await T.app.inject({ method: 'POST', url: `/v1/users/${mariam.id}/disable`, headers: (await fresh(dep.admin)).auth(), payload: { reason: 'Départ du mécanisme' } });
  t.equal(disabled.statusCode, 200, disabled.body);
  // The case was indexed with the current search key (generation 1).
  await sql`insert into case_search_tokens (case_id, token, uploaded_by, uploaded_at) select ${filed.caseId}, unnest(${padTokens([])}::text[]), ${sup1.id}, now()`;
  await page.reload();
  await signInAs(page, T, sup1);
  const section = page.locator('#search-reissue');
  await section.getByRole('heading', { name: 'La clé de recherche' }).waitFor();
  await axeBothSizes(t, page, 'the search key section');
  await section.getByRole('button', { name: 'Réémettre la clé de recherche' }).click();
  await section.locator('[data-reindex="done"]').waitFor();
  t.match(await section.getByRole('status').textContent(), 'La clé de recherche est réémise', 'the screen says it is re-issued');
  const entries = await sql`select user_id, member_key_id, entry, generation from search_key_entries order by user_id`;
  t.same(entries.map((e) => e.user_id).sort(), [sup1.id, awa.id].sort(), 'sealed to the active members; the leaver has no entry any more');
  t.same(entries.map((e) => e.generation), [2, 2]);
  const mine = entries.find((e) => e.user_id === sup1.id)!;
  const newKey = openSearchKeyEntry({ memberKeyId: String(mine.member_key_id), entry: String(mine.entry) }, sup1.keyPair);
  const tokens = await sql`select token, generation from case_search_tokens where case_id = ${filed.caseId}`;
  t.equal(tokens.length, 12, 'a full set of tokens');
  t.ok(tokens.every((r) => r.generation === 2), 'all of the new generation: the old ones are gone');
  t.ok(tokens.some((r) => r.token === searchTokens(newKey, { name: String(filed.secrets.identity) })[0]), "the case's name token under the new key");
  const [audited] = await sql`select outcome from audit_events where actor = ${'u:' + sup1.id} and action = 'search_key.reindex' and case_id = ${filed.caseId} order by id desc limit 1`;
  t.equal(audited?.outcome, 'allowed', 'the re-index is audited on the case');
  checkPage(t, laptop);
});
