/**
 * The console's internal notes and blind-index search in Chromium against the running service:
 * the first note makes the staff key in the crypto worker and seals it to the staff holders; the
 * notes open again after a reload and for the supervisor (through the mechanism key), never with
 * the defender's case key; a name typed otherwise and a phone in another format find the right
 * cases; opening a case refreshes its tokens and names the other case of the same person. Neither
 * a note, a name nor a phone leaves the browser except sealed or as tokens.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { clientOf } from '../helpers/api-client.js';
import { assignCaseSupervisor, buildWorld, caseKeyOf, type Actor } from '../helpers/world.js';
import { SEALED_JSON_BYTES } from '../../src/lib/schemas.js';
import { caseFieldAd, fromB64u, openField, openNote, openStaffKey, sealNote, openSearchKeyEntry, padTokens, ready, sealSearchKeyEntry, generateSearchKey, searchTokens, type JsonValue } from '../../src/sdk/index.js';
import { NOTE_JSON_BYTES } from '../../web/console/notes/note-limit.js';
import { axe, axeBothSizes, consoleBrowser, signInAs, startConsoleService, type ConsolePage } from './console-kit.js';

await ready();
const T = await startConsoleService(t);
const sql = T.database.sql;
const w = await buildWorld(T, { officers: ['awa', 'bakary'] });
const { awa, bakary } = w.officers;
const sup = w.supervisor;

const NAME = 'Aïssata Traoré-Diallo';
const PHONE = '+223 76 12 34 56';
const OTHER_PHONE = '66 00 11 22';
// Case 1 as the defender page seals it ({ name }, { text }); case 2 as an older client (strings).
const c1 = await w.caseAt('assessment', { officer: awa, secrets: { identity: { name: NAME }, contact: { text: `Appeler le ${PHONE} le soir` }, narrative: { text: 'Menaces après un reportage' } } });
const c2 = await w.caseAt('assessment', { officer: awa, secrets: { identity: 'aissata TRAORE diallo', contact: '0022376123456', narrative: 'Nouvelle menace' } });
const c3 = await w.caseAt('assessment', { officer: awa, secrets: { identity: 'Oumar Keïta', contact: OTHER_PHONE, narrative: 'Autre personne' } });
await assignCaseSupervisor(T, c1.caseId, sup);

// The staff keyring: made by the supervisor (who holds the mechanism key), granted to Awa; Bakary holds none.
const searchKey = generateSearchKey();
await clientOf(T.app, sup).call('createSearchKeyring', { body: { entries: [{ userId: sup.id, ...sealSearchKeyEntry(searchKey, sup.keyPair.publicKey) }] } });
const awaKey = await clientOf(T.app, sup).call('getUserPublicKey', { params: { userId: awa.id } });
await clientOf(T.app, sup).call('grantSearchKey', { body: { userId: awa.id, entry: sealSearchKeyEntry(searchKey, fromB64u(awaKey.publicKey)).entry } });

/** Cases 2 and 3 indexed as Awa's client does when she opens them (the SDK). */
async function indexCase(who: Actor, caseId: string): Promise<void> {
  const own = await clientOf(T.app, who).call('getOwnSearchKey');
  const key = openSearchKeyEntry({ memberKeyId: own.memberKeyId, entry: own.entry }, who.keyPair);
  const dek = await caseKeyOf(T, who, caseId);
  const sealed = await clientOf(T.app, who).call('getCaseSealed', { params: { caseId } });
  const name = openField<JsonValue>(sealed.fields.identity!, dek, caseFieldAd(caseId, 'identity'));
  const phone = openField<JsonValue>(sealed.fields.contact!, dek, caseFieldAd(caseId, 'contact'));
  const tokens = padTokens(searchTokens(key, { name: String(name), phones: [String(phone)] }), own.tokensPerCase);
  await clientOf(T.app, who).call('putCaseSearchTokens', { params: { caseId }, body: { tokens } });
}
await indexCase(awa, c2.caseId);
await indexCase(awa, c3.caseId);

const browser = await consoleBrowser(t);
const NOTE = `Appel du défenseur, menace confirmée ${randomUUID()}`;
const pages: ConsolePage[] = [];
/** What must never be in a request URL or body the browser sent (only sealed or as tokens). */
const SECRETS = [NOTE, 'défenseur, menace', NAME, 'Aïssata', 'aissata', 'AISSATA', 'Traoré', 'traore', 'Diallo', '76 12 34 56', '76-12-34-56', '76123456', '22376123456', OTHER_PHONE, '66001122', 'Keïta'];


t.test('the note limit shown is the contract’s', async (t) => {
  t.equal(NOTE_JSON_BYTES, SEALED_JSON_BYTES.text);
});

t.test('the case page warns of case 2; the officer writes the first note (the staff key is made), reads it after a reload', async (t) => {
  const p = await browser.open('laptop');
  pages.push(p);
  const { page } = p;
  // Opening the case page refreshed its tokens: case 2 (the same person, spelt otherwise) shows near its header; case 3 does not.
  await page.goto(`${T.origin}/console/cases/${c1.caseId}`);
  await signInAs(page, T, awa);
  await page.getByRole('heading', { name: `Dossier ${c1.reference}`, level: 1 }).waitFor();
  const warning = page.locator('.alert-warn');
  await warning.getByRole('link', { name: c2.reference }).waitFor();
  t.equal(await warning.count(), 1, 'one warning on the case page');
  t.equal(await warning.getByRole('link', { name: c3.reference }).count(), 0, 'not the other person');
  t.equal(await warning.getByRole('link', { name: c2.reference }).getAttribute('href'), `/console/cases/${c2.caseId}`);
  const [stored] = await sql`select count(*)::int as n from case_search_tokens where case_id = ${c1.caseId}`;
  t.equal(stored!.n, 12, "case 1's tokens uploaded, padded to the policy's count");
  await axeBothSizes(t, p.page, 'case page with the duplicate warning');

  // From the case page, a link (no reload: the session goes on).
  await page.getByRole('link', { name: 'Notes internes de l’équipe' }).click();
  await page.getByRole('heading', { name: 'Notes internes', level: 1 }).waitFor();
  t.equal(new URL(page.url()).pathname, `/console/cases/${c1.caseId}/notes`);
  t.match(await page.locator('main').textContent(), /le défenseur ou la défenseure ne les voit jamais/, 'says plainly the defender never sees them');
  await page.getByText('Aucune note pour l’instant. La première note crée la clé').waitFor();
  t.equal(await page.locator('.alert-warn').count(), 0, 'the notes screen leaves the warning to the case page');
  await axeBothSizes(t, p.page, 'notes (empty)');

  const box = page.getByLabel('Texte de la note');
  await box.fill(NOTE);
  await page.getByText(`Encore ${SEALED_JSON_BYTES.text - Buffer.byteLength(JSON.stringify({ text: NOTE }))} caractères possibles.`).waitFor();
  await page.getByRole('button', { name: 'Enregistrer la note' }).click();
  await page.getByRole('status').filter({ hasText: 'Note enregistrée.' }).waitFor();
  await page.getByText(NOTE).waitFor();
  const envelopes = await sql`select recipient_type, recipient_id from staff_key_envelopes where case_id = ${c1.caseId} order by recipient_type`;
  t.same(envelopes.map((r) => `${r.recipient_type}:${r.recipient_id}`), [`org:${w.dep.mechanismId}`, `user:${awa.id}`], 'the staff key went to the mechanism and the officer, never the defender');
  const [row] = await sql`select body from case_notes where case_id = ${c1.caseId}`;
  t.match(row!.body, /^v2\./, 'the note is stored sealed, format 2');

  await page.reload();
  await signInAs(page, T, awa);
  await page.getByText(NOTE).waitFor();
  t.match(await page.locator('.note-meta').first().textContent(), /^Vous, le /, 'by the reader themself');
  await axeBothSizes(t, p.page, 'notes (one note)');
  t.same(p.violations, []);
  t.same(p.offHostRequests, []);
  t.same(p.pageErrors, []);
});

t.test('the supervisor reads the note through the mechanism key; the defender’s case key opens none', async (t) => {
  const p = await browser.open('laptop');
  pages.push(p);
  await p.page.goto(`${T.origin}/console/cases/${c1.caseId}/notes`);
  await signInAs(p.page, T, sup);
  await p.page.getByText(NOTE).waitFor();
  t.match(await p.page.locator('.note-meta').first().textContent(), /^chargé·e de protection, le /);

  const list = await clientOf(T.app, sup).call('listCaseNotes', { params: { caseId: c1.caseId } });
  t.equal(list.items.length, 1);
  const n = list.items[0]!;
  t.throws(() => openNote(n.body, c1.defender.dek, { caseId: c1.caseId, noteId: n.id, author: n.author }), { code: 'decrypt_failed' }, "the defender's case key does not open the note");

  // Twenty more notes from Awa's client (the SDK): the screen shows them a page at a time, oldest first.
  const staffKey = openStaffKey((await clientOf(T.app, awa).call('listCaseNotes', { params: { caseId: c1.caseId } })).staffKey!.own, [awa.keyPair]);
  for (let i = 1; i <= 20; i++) {
    T.clock.advance(1_000);
    const id = randomUUID();
    await clientOf(T.app, awa).call('createNote', { params: { caseId: c1.caseId }, body: { id, body: sealNote({ text: `Suivi numéro ${i}` }, staffKey, { caseId: c1.caseId, noteId: id, author: `u:${awa.id}` }) } });
  }
  await p.page.getByRole('link', { name: 'Accueil', exact: true }).click();
  // A staff member's start is the queue of cases.
  await p.page.getByRole('heading', { name: 'Dossiers', level: 1 }).waitFor();
  await p.page.goBack();
  await p.page.getByText('Suivi numéro 19', { exact: true }).waitFor();
  t.equal(await p.page.locator('.note').count(), 20, 'the first page');
  t.equal(await p.page.getByText('Suivi numéro 20', { exact: true }).count(), 0, 'the last note is on the next page');
  await p.page.getByRole('button', { name: 'Notes suivantes' }).click();
  await p.page.getByText('Suivi numéro 20', { exact: true }).waitFor();
  t.equal(await p.page.locator('.note').count(), 21, 'the next page goes on after the last note shown');
  t.same(p.violations, []);
  t.same(p.offHostRequests, []);
});

t.test('the officer finds cases by a name typed otherwise and by a phone in another format', async (t) => {
  const p = pages[0]!;
  const { page } = p;
  await page.getByRole('link', { name: 'Trouver un dossier' }).click();
  await page.getByRole('heading', { name: 'Trouver un dossier', level: 1 }).waitFor();
  await axeBothSizes(t, p.page, 'search (empty)');

  const box = page.getByLabel('Nom ou téléphone');
  const results = page.locator('.results');
  const found = async () => (await results.getByRole('link').allTextContents()).sort();

  await box.fill('AISSATA traore');
  await page.getByRole('button', { name: 'Chercher' }).click();
  await page.getByRole('heading', { name: '2 dossier(s) trouvé(s)' }).waitFor();
  t.same(await found(), [c1.reference, c2.reference].sort(), 'both cases of the person, spelt otherwise');
  t.equal(await results.getByRole('link', { name: c1.reference }).getAttribute('href'), `/console/cases/${c1.caseId}`);
  t.match(await results.locator('li').first().textContent(), /État : Évaluation du risque.*Région : .+Éléments en commun : 2/);
  await axeBothSizes(t, p.page, 'search (results)');

  await box.fill('00223 76-12-34-56');
  await page.getByRole('button', { name: 'Chercher' }).click();
  await page.getByRole('heading', { name: '2 dossier(s) trouvé(s)' }).waitFor();
  t.same(await found(), [c1.reference, c2.reference].sort(), 'the phone in another format');

  await box.fill('+223 66-00-11-22');
  await page.getByRole('button', { name: 'Chercher' }).click();
  await page.getByRole('heading', { name: '1 dossier(s) trouvé(s)' }).waitFor();
  t.same(await found(), [c3.reference], 'the other person by their phone');

  await box.fill('Fatoumata Sangaré');
  await page.getByRole('button', { name: 'Chercher' }).click();
  await page.getByRole('heading', { name: 'Aucun dossier trouvé.' }).waitFor();

  // The typed text never left the worker: each search sent tokens only, in the body (the
  // duplicate checks of the case page also name the case they leave out).
  const searches = p.sent.filter((r) => new URL(r.url).pathname === '/v1/cases/search');
  const bodies = searches.map((s) => JSON.parse(s.body ?? '{}') as { tokens?: string[]; excludeCaseId?: string });
  t.equal(bodies.filter((b) => !('excludeCaseId' in b)).length, 4, 'the four searches typed');
  for (const body of bodies) {
    t.same(Object.keys(body).filter((k) => k !== 'excludeCaseId'), ['tokens'], 'only tokens');
    t.ok(body.excludeCaseId === undefined || body.excludeCaseId === c1.caseId);
    t.ok(body.tokens?.every((tok) => /^[A-Za-z0-9_-]{22}$/.test(tok)), 'each an opaque token');
  }
  t.same(p.violations, []);
  t.same(p.offHostRequests, []);
  t.same(p.pageErrors, []);
});

t.test('an officer without the search key is told who can grant it', async (t) => {
  const p = await browser.open('phone');
  pages.push(p);
  await p.page.goto(`${T.origin}/console/search`);
  await signInAs(p.page, T, bakary);
  await p.page.getByLabel('Nom ou téléphone').fill('Aïssata');
  await p.page.getByRole('button', { name: 'Chercher' }).click();
  const alert = p.page.getByRole('alert');
  await alert.waitFor();
  t.match(await alert.textContent(), /pas encore la clé de recherche.*Un·e superviseur·e ou un·e collègue qui détient déjà la clé/);
  t.same(await axe(p.page), [], 'no axe violation at 390x844');
  t.same(p.violations, []);
  t.same(p.offHostRequests, []);
});

t.test('no note, name or phone in any request the browsers sent', async (t) => {
  const sent = pages.flatMap((p) => p.sent);
  t.ok(sent.some((r) => r.url.includes('/notes')), 'the notes were written and read');
  const leaks = sent.filter((r) => SECRETS.some((s) => r.url.includes(s) || r.url.includes(encodeURIComponent(s)) || (r.body ?? '').includes(s)));
  t.same(leaks, [], 'only sealed or as tokens');
});
