/**
 * The supervisors' oversight board and "a staff member leaves", in Chromium against the running
 * service: the supervisor sees an overdue case first and the escalation of its deadline addressed
 * to them with the step that fired and why, the load per officer; reassigns a case with a reason
 * (its key sealed in the worker); then, once an admin has disabled an officer holding three cases,
 * hands them over and re-keys them away from the leaver, is interrupted by a reload after the
 * first case and resumes to completion. The database is read at each step; axe-clean at laptop
 * and phone sizes; no CSP violation, nothing off the origin, no sealed plaintext in any request.
 */
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { bootstrap, caseAt, enrolActor, expectStatus, reauth } from '../helpers/world.js';
import { axeBothSizes, consoleBrowser, signInAs, startConsoleService, type ConsolePage } from './console-kit.js';

t.setTimeout(600_000);
const T = await startConsoleService(t);
const sql = T.database.sql;
const dep = await bootstrap(T);
const sup = dep.supervisor;
const enrol = (username: string) => enrolActor(T, dep.admin, { username, role: 'officer', orgId: dep.mechanismId });
const leaver = await enrol('awa.depart');
const next = await enrol('binta.suite');
const other = await enrol('cheick.autre');

const marker = () => `MARK-${randomUUID().slice(0, 8)}`;
const secrets = () => ({ identity: marker(), contact: marker(), narrative: marker() });
const markers: string[] = [];
const stage = async (s: Parameters<typeof caseAt>[2], officer: typeof leaver) => {
  const c = await caseAt(T, dep, s, { officer, secrets: secrets() });
  markers.push(...(Object.values(c.secrets) as string[]));
  return c;
};

// An old case, its triage deadline long past, escalated to the supervisors (level 1, fired by the engine and delivered to their inbox).
const old = await stage('triage', other);
T.clock.advance(14 * 86_400_000);
const [deadline] = await sql`select id from deadlines where case_id = ${old.caseId} and state = 'open'`;
const fired = await T.app.container.services.escalation.fire(deadline!.id as string, 'level1');
if (fired.outcome !== 'fired') throw new Error(`the escalation did not fire: ${fired.outcome}`);
for (const r of await sql`select id, topic, payload, created_at from outbox where topic = 'deadline.step' and dispatched_at is null order by id`) {
  await T.app.container.services.notifications.deliver({ id: Number(r.id), topic: r.topic as string, payload: r.payload as Record<string, unknown>, createdAt: r.created_at as Date }, T.database.db);
}
// Two weeks on, every session has expired: each person logs in again.
for (const who of [sup, dep.admin, leaver, next, other]) await reauth(T, who);
// Fresh cases: the leaver's three, and one of another officer to reassign.
const held = [await stage('assessment', leaver), await stage('triage', leaver), await stage('assessment', leaver)];
const moved = await stage('triage', next);

const browser = await consoleBrowser(t);
const leaksOf = (p: ConsolePage): string[] => p.sent.filter((r) => markers.some((m) => r.url.includes(m) || (r.body ?? '').includes(m))).map((r) => `${r.method} ${r.url}`);
const checkPage = (tt: { same(a: unknown, b: unknown, m: string): unknown }, p: ConsolePage) => {
  tt.same(p.violations, [], 'no CSP violation in the page or its worker');
  tt.same(p.offHostRequests, [], 'nothing requested off the origin');
  tt.same(p.pageErrors, [], 'no page error');
  tt.same(leaksOf(p), [], 'no sealed plaintext in any request');
};
const assigneeOf = async (caseId: string) => (await sql`select assignee_id from cases where id = ${caseId}`)[0]!.assignee_id as string;
/** The fingerprint the API gives for an officer's key (what the screen must show, recomputed in the console). */
const fingerprintOf = async (userId: string) => (await expectStatus<{ fingerprint: string }>(T.app.inject({ method: 'GET', url: `/v1/users/${userId}/public-key`, headers: (await reauth(T, sup), sup.auth()) }))).fingerprint;
const leaverEnvelopes = async () => (await sql`select count(*)::int as n from case_envelopes where recipient_type = 'user' and recipient_id = ${leaver.id}`)[0]!.n as number;

t.test('the board, a reassignment, and a leaver handed over and re-keyed across a reload', async (t) => {
  const p = await browser.open('laptop');
  const { page } = p;
  await page.clock.setSystemTime(T.clock.now());
  await page.goto(`${T.origin}/console/board`);
  await signInAs(page, T, sup);
  await page.getByRole('heading', { name: 'Tableau de supervision', level: 1 }).waitFor();

  // Overdue first, and the escalation that reached this supervisor, with its step and why.
  const rows = page.locator('table.queue[aria-labelledby="queue-results"] tbody tr');
  await rows.first().waitFor();
  t.equal(await rows.first().getAttribute('data-case-id'), old.caseId, 'the overdue case comes first');
  const escalation = page.locator('[data-escalation-step="level1"]');
  await escalation.waitFor();
  const text = (await escalation.textContent()) ?? '';
  t.match(text, old.reference, 'the escalation names its case');
  t.match(text, /escalade de niveau 1/, 'the step that fired');
  t.match(text, /Décider de la recevabilité|recevabilité/i, 'the rule');
  t.match(text, /L’échéance est dépassée/, 'why it fired');

  // The load per officer.
  const leaverRow = page.locator(`table[aria-labelledby="board-load"] tr[data-user-id="${leaver.id}"]`);
  await leaverRow.waitFor();
  t.equal((await leaverRow.locator('td').first().textContent())?.trim(), '3', 'the leaver holds three open cases');
  await axeBothSizes(t, page, 'oversight board');

  // Reassign a case with a reason: its key sealed to the new officer in the worker.
  const form = page.locator('form[aria-labelledby="board-reassign"]');
  await form.getByLabel('Dossier', { exact: true }).selectOption(moved.caseId);
  await form.getByLabel('Agent', { exact: true }).selectOption(other.id);
  // The key the case is sealed to is shown with its fingerprint (pinned at first use) before anything is sent.
  await form.locator(`[data-officer-key="${other.id}"] .fingerprint`).first().waitFor();
  t.match(await form.locator(`[data-officer-key="${other.id}"]`).textContent(), (await fingerprintOf(other.id)).slice(0, 14), 'the new officer\'s fingerprint is on screen');
  await form.getByLabel('Motif', { exact: true }).fill('Rééquilibrage de la charge');
  await form.getByRole('button', { name: 'Attribuer' }).click();
  await form.getByRole('status').filter({ hasText: `Le dossier ${moved.reference} est désormais confié à ${other.username}.` }).waitFor();
  t.equal(await assigneeOf(moved.caseId), other.id, 'reassigned in the database');
  t.ok((await sql`select 1 from case_envelopes where case_id = ${moved.caseId} and recipient_id = ${other.id}`).length, 'with an envelope for the new officer');
  const [tl] = await sql`select action, reason from case_timeline where case_id = ${moved.caseId} order by id desc limit 1`;
  t.same([tl!.action, tl!.reason], ['case.reassigned', 'Rééquilibrage de la charge']);

  // The leaver: an admin disables the account first (their sessions end).
  await reauth(T, dep.admin);
  await expectStatus(T.app.inject({ method: 'POST', url: `/v1/users/${leaver.id}/disable`, headers: dep.admin.auth(), payload: { reason: 'Fin de contrat' } }));
  await page.reload();
  await signInAs(page, T, sup);
  await page.locator(`table[aria-labelledby="board-load"] tr[data-user-id="${leaver.id}"] a`).click();
  await page.getByRole('heading', { name: `Départ de ${leaver.username}`, level: 1 }).waitFor();
  t.equal(await page.locator('#leave-progress').getAttribute('value'), '0', 'nothing done yet');
  const spreadOver = async () => {
    await page.getByLabel(new RegExp(`${next.username} \\(`)).check();
    await page.getByLabel(new RegExp(`${other.username} \\(`)).check();
    await page.getByLabel('Motif', { exact: true }).fill('Départ de l’agent');
  };
  await spreadOver();
  for (const o of [next, other]) {
    // The key is read once the box is ticked: wait for its fingerprint, not the loading line.
    await page.locator(`[data-officer-key="${o.id}"] .fingerprint`).first().waitFor();
    t.match(await page.locator(`[data-officer-key="${o.id}"]`).textContent(), (await fingerprintOf(o.id)).slice(0, 14), `${o.username}'s fingerprint is on screen before the hand-over`);
  }
  await axeBothSizes(t, page, 'staff leaves');
  // Interrupted: the run asks what is left before each case; the second answer is held back so
  // the first case is done and the rest is not when the page reloads.
  let asked = 0;
  await page.route(`**/v1/staff/${leaver.id}/holdings`, async (route) => {
    if (++asked === 2) return;
    await route.continue();
  });
  await page.getByRole('button', { name: 'Transmettre et rechiffrer' }).click();
  await page.getByRole('status').filter({ hasText: /Dossier .* traité\./ }).waitFor();
  await page.unrouteAll({ behavior: 'ignoreErrors' });
  await page.reload();
  await signInAs(page, T, sup);
  await page.getByRole('heading', { name: `Départ de ${leaver.username}`, level: 1 }).waitFor();
  const remaining = (await expectStatus<{ cases: unknown[] }>(T.app.inject({ method: 'GET', url: `/v1/staff/${leaver.id}/holdings`, headers: (await reauth(T, sup), sup.auth()) }))).cases.length;
  t.equal(remaining, 2, 'the run stopped after its first case');
  t.match(await page.getByText(/Dossiers traités :/).textContent(), /Dossiers traités : 1 sur 3/, 'the progress survives the reload');
  // After the reload the officers' keys are read again: the button waits for them (busy, disabled),
  // shown here by holding one key's answer back.
  let releaseKey = () => {};
  const keyHeld = new Promise<void>((resolve) => (releaseKey = resolve));
  const keyUrl = `**/v1/users/${next.id}/public-key`;
  await page.route(keyUrl, async (route) => {
    await keyHeld;
    await route.continue().catch(() => undefined);
  });
  if (await page.getByLabel(new RegExp(`${next.username} \\(`)).count()) await spreadOver();
  await page.locator(`[data-officer-key="${next.id}"] [aria-busy="true"]`).waitFor();
  t.ok(await page.getByRole('button', { name: 'Reprendre' }).isDisabled(), 'no resuming while an officer\'s key is being read');
  releaseKey();
  await page.unroute(keyUrl);
  await page.getByRole('button', { name: 'Reprendre' }).click();
  await page.getByRole('status').filter({ hasText: 'Tous les dossiers sont transmis et rechiffrés' }).waitFor();

  t.equal(await leaverEnvelopes(), 0, 'the leaver holds no envelope in the database');
  for (const c of held) t.not(await assigneeOf(c.caseId), leaver.id, `${c.reference}: handed over`);
  t.same(new Set(await Promise.all(held.map((c) => assigneeOf(c.caseId)))).size, 2, 'spread over the two chosen officers');
  await page.locator('[data-mechanism-entry="none"]').waitFor();
  t.ok(await page.getByRole('link', { name: 'Renouveler la clé du mécanisme maintenant' }).getAttribute('href'), 'the flow ends on the rotation of the mechanism key');
  await axeBothSizes(t, page, 'staff leaves, done');
  checkPage(t, p);
});
