/**
 * The supervisors' audit screens, in Chromium against the running service: a supervisor filters
 * the audit viewer (a break-glass read marked), pages through it by keyset, sees their own reads
 * of the log in it, opens a case's access log from the case page (the break-glass read marked),
 * exports the log and verifies it in the crypto worker against the signed head with the signing
 * key pinned at first use; the saved bytes are what `egide audit verify` accepts. Then an event
 * rewritten behind the append-only trigger (as the database owner) is named by the browser's
 * verification, and a signing key other than the pinned one is refused. axe at laptop and phone.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import t from 'tap';
import { auditVerify } from '../../src/cli/audit-verify.js';
import { sealKeyringEntry } from '../../src/sdk/index.js';
import { admitCase, bootstrap, enrolActor, fileCase, mechanismKeyOf } from '../helpers/world.js';
import { createCaller } from '../workflow/story-kit.js';
import { axeBothSizes, consoleBrowser, signInAs, startConsoleService } from './console-kit.js';

t.setTimeout(600_000);
const T = await startConsoleService(t);
const sql = T.database.sql;
const { as, must } = createCaller(T);
const dep = await bootstrap(T);
const officer = await enrolActor(T, dep.admin, { username: 'awa.officer', role: 'officer', orgId: dep.mechanismId });
const bintou = await enrolActor(T, dep.admin, { username: 'bintou.sup', role: 'supervisor', orgId: dep.mechanismId });
const filed = await fileCase(T, dep);
await admitCase(T, dep, officer, filed.caseId);
// Every supervisor holds the mechanism key: the keyring is not what keeps them out of a case.
const mechanism = await mechanismKeyOf(T, dep.supervisor);
await must(as(dep.supervisor, 'POST', `/v1/orgs/${dep.mechanismId}/keyring`, { userId: bintou.id, entry: sealKeyringEntry(mechanism.privateKey, bintou.keyPair.publicKey).entry }), 201);
// A supervisor outside the case opens a break-glass and reads its sealed content: audited as break_glass.read.
await must(as(bintou, 'POST', `/v1/cases/${filed.caseId}/break-glass`, { reason: "L'agente en charge est injoignable : lecture du dossier pour décider d'une mesure urgente." }), 201);
await must(as(bintou, 'GET', `/v1/cases/${filed.caseId}/sealed`));
// Enough events for more than one page of 50.
for (let i = 0; i < 30; i++) await must(as(officer, 'GET', `/v1/cases/${filed.caseId}`));
const browser = await consoleBrowser(t);

t.test('a supervisor filters, pages, reads a case access log, exports and verifies the log in the browser', async (t) => {
  const p = await browser.open('laptop');
  const { page } = p;
  await page.clock.setSystemTime(T.clock.now());
  await page.goto(`${T.origin}/console/audit`);
  await signInAs(page, T, dep.supervisor);
  await page.getByRole('heading', { name: "Journal d'audit", level: 1 }).waitFor();
  const rows = page.locator('table.audit-events tbody tr');
  await rows.first().waitFor();
  const seqs = () => rows.evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-seq'))));

  // The first page: 50 events newest first, the supervisor's own read of the log among them.
  const first = await seqs();
  t.equal(first.length, 50, 'a page of 50');
  t.same(first, [...first].sort((a, b) => b - a), 'newest first');
  t.ok(await page.locator('tr[data-action="audit.read"]').filter({ hasText: 'a consulté le journal d\'audit' }).count(), 'reading the log is in the log');

  // Next page: older events, by keyset.
  await page.getByRole('button', { name: 'Page suivante' }).click();
  await page.getByRole('heading', { name: 'Page 2' }).waitFor();
  const second = await seqs();
  t.ok(second.length > 0 && Math.max(...second) < Math.min(...first), 'the next page holds older events only');
  const [{ n: readsBefore }] = (await sql`select count(*)::int as n from audit_events where action = 'audit.read' and actor = ${`u:${dep.supervisor.id}`}`) as unknown as [{ n: number }];
  t.ok(readsBefore >= 2, 'each page read is audited');

  // Filters: the break-glass reads, denied events, one person.
  await page.getByLabel('Action').fill('break_glass.read');
  await page.getByRole('button', { name: 'Afficher' }).click();
  await page.getByRole('heading', { name: 'Page 1' }).waitFor();
  await rows.filter({ hasText: 'Bris de glace' }).first().waitFor();
  t.same(await rows.evaluateAll((els) => [...new Set(els.map((el) => el.getAttribute('data-action')))]), ['break_glass.read'], 'only break-glass reads');
  t.match(await rows.first().textContent(), /bintou\.sup/, 'the reader by name');
  await page.getByLabel('Action').fill('');
  await page.getByLabel('Qui', { exact: true }).selectOption({ label: 'awa.officer' });
  await page.getByLabel('Résultat').selectOption({ label: 'autorisé' });
  await page.getByRole('button', { name: 'Afficher' }).click();
  for (let i = 0; i < 100 && (await rows.filter({ hasNotText: 'awa.officer' }).count()) > 0; i++) await page.waitForTimeout(50);
  t.equal(await rows.filter({ hasNotText: 'awa.officer' }).count(), 0, 'one person\'s events only');
  t.ok((await seqs()).length >= 30, 'the officer\'s events');
  await page.getByLabel('Identifiant du dossier').fill('not-a-case');
  await page.getByRole('button', { name: 'Afficher' }).click();
  await page.getByText("Ce n'est pas un identifiant de dossier").waitFor();
  await page.getByLabel('Identifiant du dossier').fill('');
  await axeBothSizes(t, page, 'audit viewer');

  // Export and verify: the key pinned at first use, the chain recomputed in the worker. The
  // export's bytes are kept as they pass (downloads are off in the test's browser).
  let exported: Buffer | null = null;
  await page.route('**/v1/audit/export', async (route) => {
    const response = await route.fetch();
    exported = await response.body();
    await route.fulfill({ response, body: exported });
  });
  await page.getByRole('button', { name: 'Exporter et vérifier le journal' }).click();
  const verdict = page.locator('.audit-verdict');
  await verdict.waitFor();
  t.equal(await verdict.getAttribute('data-verdict'), 'ok', await verdict.textContent() ?? '');
  t.match(await page.locator('.audit-key').textContent(), /retenue par cette console à la première utilisation/);
  const pinned = await page.evaluate((id) => localStorage.getItem(`egide.pinnedKeys.${id}`), dep.supervisor.id);
  t.match(pinned, /audit:signing/, 'the signing key is pinned');
  await axeBothSizes(t, page, 'audit export verified');
  // The saved bytes are what the CLI verifies.
  const saved = page.locator('a.audit-file');
  t.match(await saved.getAttribute('download'), /^egide-audit-.*\.ndjson$/, 'offered as a file');
  t.ok(exported, 'the export went through');
  t.match(await saved.textContent(), `(${exported!.length} octets)`, 'the file offered is the bytes received');
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'egide-audit-')), 'audit.ndjson');
  writeFileSync(file, exported!);
  const out: string[] = [];
  const io = { stdout: { write: (s: string) => void out.push(s) }, stderr: { write: () => undefined } };
  t.equal(await auditVerify(file, {}, io as never), 0, `the CLI accepts the saved export: ${out.join('')}`);

  // The case page links to its access log; the break-glass read is marked there.
  await page.getByLabel('Qui', { exact: true }).selectOption({ label: 'Tous' });
  await page.getByLabel('Identifiant du dossier').fill(filed.caseId);
  await page.getByRole('button', { name: 'Afficher' }).click();
  await rows.filter({ hasText: 'Bris de glace' }).first().waitFor();
  await rows.first().locator(`a[href="/console/cases/${filed.caseId}"]`).click();
  await page.getByRole('link', { name: 'Qui a consulté ce dossier' }).click();
  await page.getByRole('heading', { name: /Qui a consulté le dossier/, level: 1 }).waitFor();
  await rows.first().waitFor();
  t.ok(await rows.filter({ hasText: 'Bris de glace' }).count(), 'the break-glass read is marked');
  t.match(await page.locator('[data-break-glass]').textContent(), /bris de glace/);
  t.ok(await rows.filter({ hasText: 'awa.officer' }).count(), 'the officer\'s reads too');
  await axeBothSizes(t, page, 'case access log');

  // An event rewritten by the database owner behind the append-only trigger is named by the browser.
  const [target] = await sql`select seq, event_id from audit_log where action = 'break_glass.read' order by seq limit 1`;
  const owner = postgres(T.db.adminUrl, { max: 1, onnotice: () => undefined });
  try {
    await owner`set session_replication_role = replica`;
    await owner`update audit_events set reason = 'rien à signaler' where id = ${target!.event_id}`;
  } finally {
    await owner.end();
  }
  await page.getByRole('link', { name: "Journal d'audit" }).click();
  await page.getByRole('button', { name: 'Exporter et vérifier le journal' }).click();
  await verdict.waitFor();
  t.equal(await verdict.getAttribute('data-verdict'), 'audit_chain_broken');
  t.equal(Number(await verdict.getAttribute('data-first-bad')), Number(target!.seq), 'names the first bad event');
  t.match(await verdict.textContent(), new RegExp(`n° ${target!.seq}`));
  t.match(await page.locator('.audit-key').textContent(), /identique à celle retenue/);

  // Another signing key than the pinned one is refused loudly, and nothing is verified.
  await page.evaluate((id) => localStorage.setItem(`egide.pinnedKeys.${id}`, JSON.stringify({ 'audit:signing': 'A'.repeat(43) })), dep.supervisor.id);
  await page.getByRole('button', { name: 'Exporter et vérifier le journal' }).click();
  const refused = page.locator('[data-code="audit_key_changed"]');
  await refused.waitFor();
  t.match(await refused.textContent(), /a changé : vérification refusée/);
  t.equal(await verdict.count(), 0, 'no verdict with a refused key');
  t.same(p.violations, [], 'no CSP violation');
});
