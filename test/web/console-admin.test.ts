/**
 * The admins' console in Chromium against the running service (API and workers): an admin
 * invites two people, sees them pending, revokes one and resends the other (a new link, the old
 * one void); disables and enables an officer, and reads the guardrail's words when trying to
 * disable their own account; creates a partner organisation, registers its webhook (the secret
 * shown once), sends a test event and sees it delivered in the log; reads the health page (the
 * build hash the service serves) and the policies in force. Each screen axe-clean at laptop and
 * phone sizes, no CSP violation, nothing off the origin.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootstrap, enrolActor } from '../helpers/world.js';
import { WEB_DIR } from './page-kit.js';
import { axeBothSizes, consoleBrowser, signInAs, startConsoleService } from './console-kit.js';

t.setTimeout(600_000);
const T = await startConsoleService(t, {}, { workers: true });
const dep = await bootstrap(T);
// A second admin: with one only, disabling oneself is refused as the last admin first.
await enrolActor(T, dep.admin, { username: 'second.admin', role: 'admin', orgId: dep.mechanismId });
await enrolActor(T, dep.admin, { username: 'moussa.officer', role: 'officer', orgId: dep.mechanismId });
const browser = await consoleBrowser(t);

// The partner's receiver, on this machine (the test configuration allows private targets).
const received: Array<{ event: string; delivery: string }> = [];
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received.push({ event: String(req.headers['x-egide-event']), delivery: String(req.headers['x-egide-delivery']) });
    res.writeHead(204).end();
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
t.teardown(() => new Promise<void>((r) => receiver.close(() => r())));
const hookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/egide`;

t.test('an admin manages users, an organisation and its webhook, and reads health and policies', async (t) => {
  const p = await browser.open('laptop');
  const { page } = p;
  await page.clock.setSystemTime(T.clock.now());
  await page.goto(`${T.origin}/console/users`);
  await signInAs(page, T, dep.admin);
  const nav = page.getByRole('navigation', { name: 'Navigation principale' });
  await page.getByRole('heading', { name: 'Utilisateurs et invitations', level: 1 }).waitFor();
  await axeBothSizes(t, page, 'users');

  // Two invitations, each link shown once.
  const invite = page.locator('section[aria-labelledby="invite-form-title"]');
  const links: Record<string, string> = {};
  for (const username of ['inv.one', 'inv.two']) {
    await invite.getByLabel('Identifiant').fill(username);
    await invite.getByRole('button', { name: 'Créer l’invitation' }).click();
    const shown = page.locator('[data-shown-once]');
    await shown.getByRole('heading', { name: `Lien d’invitation pour ${username}` }).waitFor();
    links[username] = (await shown.locator('[data-secret]').textContent()) ?? '';
    t.match(links[username], /\/console\/invitation#[A-Za-z0-9_-]{43}$/, `${username}: the link, with its token`);
    await shown.getByRole('button', { name: 'C’est noté, masquer' }).click();
    await page.locator(`tr[data-invitation="${username}"]`).waitFor();
  }
  await page.getByRole('button', { name: 'Annuler l’invitation de inv.one' }).click();
  await page.getByText('L’invitation de inv.one est annulée : son lien ne sert plus.').waitFor();
  await page.locator('tr[data-invitation="inv.one"]').waitFor({ state: 'detached' });
  await page.getByRole('button', { name: 'Renvoyer l’invitation de inv.two' }).click();
  const resent = page.locator('[data-shown-once]');
  await resent.getByText('Un nouveau lien : l’ancien ne sert plus.', { exact: false }).waitFor();
  const newLink = (await resent.locator('[data-secret]').textContent()) ?? '';
  t.not(newLink, links['inv.two'], 'a new link');
  const hashes = await T.database.sql`select token_hash, revoked_at from invitations where username in ('inv.one', 'inv.two') order by username`;
  t.ok(hashes[0]!.revoked_at, 'inv.one revoked');
  t.equal(hashes[1]!.token_hash, createHash('sha256').update(newLink.split('#')[1]!).digest('base64url'), 'only the new token enrols');
  await axeBothSizes(t, page, 'users, a link shown once');
  await resent.getByRole('button', { name: 'C’est noté, masquer' }).click();

  // Disable and enable an officer; the guardrail's words on one's own account.
  const moussa = page.locator('tr[data-user="moussa.officer"]');
  await page.getByRole('button', { name: 'Désactiver le compte de moussa.officer' }).click();
  const form = page.getByRole('form', { name: 'Désactiver le compte de moussa.officer' });
  await form.getByLabel('Raison').fill('A quitté le mécanisme');
  await axeBothSizes(t, page, 'users, the reason form');
  await form.getByRole('button', { name: 'Désactiver' }).click();
  await page.getByText('Le compte de moussa.officer est désactivé ; ses sessions sont terminées.').waitFor();
  await moussa.locator('[data-status="disabled"]').waitFor();
  await page.getByRole('button', { name: 'Réactiver le compte de moussa.officer' }).click();
  await page.getByRole('form', { name: 'Réactiver le compte de moussa.officer' }).getByLabel('Raison').fill('De retour de congé');
  await page.getByRole('form', { name: 'Réactiver le compte de moussa.officer' }).getByRole('button', { name: 'Réactiver' }).click();
  await moussa.locator('[data-status="active"]').waitFor();
  await page.getByRole('button', { name: `Désactiver le compte de ${dep.admin.username}` }).click();
  const self = page.getByRole('form', { name: `Désactiver le compte de ${dep.admin.username}` });
  await self.getByLabel('Raison').fill('Essai sur mon propre compte');
  await self.getByRole('button', { name: 'Désactiver' }).click();
  await self.getByText('Un·e autre administrateur·rice doit désactiver ce compte.').waitFor();
  t.equal((await T.database.sql`select status from users where username = ${dep.admin.username}`)[0]!.status, 'active', 'still active');
  await self.getByRole('button', { name: 'Annuler' }).click();

  // A partner organisation and its webhook.
  await nav.getByRole('link', { name: 'Organisations' }).click();
  await page.getByRole('heading', { name: 'Organisations', level: 1 }).waitFor();
  await page.getByLabel('Nom').fill('Association des défenseurs du Nord');
  await page.getByLabel('Catégorie').selectOption('ngo');
  await page.getByRole('button', { name: 'Créer l’organisation' }).click();
  await page.getByText('L’organisation Association des défenseurs du Nord est créée.', { exact: false }).waitFor();
  await axeBothSizes(t, page, 'organisations');
  await page.getByRole('link', { name: 'L’ouvrir' }).click();
  await page.getByRole('heading', { name: 'Association des défenseurs du Nord', level: 1 }).waitFor();
  await page.getByLabel('Adresse (URL)').fill(hookUrl);
  await page.getByRole('button', { name: 'Enregistrer' }).click();
  const secret = page.locator('[data-shown-once]');
  await secret.getByRole('heading', { name: 'Clé de signature du webhook' }).waitFor();
  t.match(await secret.locator('[data-secret]').textContent(), /^[A-Za-z0-9_-]{43}$/, 'the signing secret, shown once');
  await secret.getByRole('button', { name: 'C’est noté, masquer' }).click();
  await secret.waitFor({ state: 'detached' });
  const hook = page.locator(`li[data-webhook="${new URL(hookUrl).origin}"]`);
  t.notOk(((await page.locator('main').textContent()) ?? '').includes('/egide'), 'only the origin is shown, never the path');
  await hook.getByRole('button', { name: 'Journal des envois' }).click();
  await hook.getByText('Aucun envoi pour l’instant.').waitFor();
  await hook.getByRole('button', { name: 'Envoyer un événement de test' }).click();
  await hook.getByText('Événement de test envoyé', { exact: false }).waitFor();
  const delivered = hook.locator('tr[data-delivery="delivered"]');
  for (let i = 0; i < 60 && (await delivered.count()) === 0; i++) {
    await hook.getByRole('button', { name: 'Actualiser' }).click();
    await page.waitForTimeout(250);
  }
  await delivered.getByText('webhook.test').waitFor();
  t.equal(received.filter((r) => r.event === 'webhook.test').length, 1, 'the receiver got the test event once');
  await axeBothSizes(t, page, 'organisation, webhook log');

  // Health: the services answer, and the build it serves.
  await nav.getByRole('link', { name: 'État du service' }).click();
  await page.locator('[data-status="ready"]').waitFor();
  const manifest = createHash('sha256').update(readFileSync(join(WEB_DIR, 'egide-manifest.json'))).digest('hex');
  t.equal(await page.locator('[data-web-build]').textContent(), manifest, "the web build's manifest hash (SHA-256 of /.well-known/egide/manifest.json)");
  await page.locator('tr[data-queue="webhooks"]').waitFor();
  t.equal(await page.locator('[data-version]').textContent(), (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version, 'the running version');
  // The bootstrap's supervisor is the only holder of the mechanism key: the page says so and leads to custody.
  t.equal(await page.locator('[data-warning="keyholders"] a').getAttribute('href'), '/console/custody', 'too few keyholders: a link to custody');
  t.match(await page.locator('[data-warning="keyholders"]').textContent(), 'Aucune sauvegarde partagée de la clé actuelle', 'and no split backup of the current key');
  // Whether Redis keeps the queued jobs, as the test's Redis is set up (development and CI: no append-only file).
  const [, aof] = (await T.redis.config('GET', 'appendonly')) as string[];
  const [, policy] = (await T.redis.config('GET', 'maxmemory-policy')) as string[];
  const persistent = aof === 'yes' && policy === 'noeviction';
  t.equal(await page.locator('[data-redis-persistence]').getAttribute('data-redis-persistence'), persistent ? 'ok' : 'warning', `Redis persistence shown (appendonly ${aof}, ${policy})`);
  t.equal(await page.locator('[data-warning="redis-persistence"]').count(), persistent ? 0 : 1, 'and warned about when missing');
  await axeBothSizes(t, page, 'health');

  // The policies in force, in sections.
  await nav.getByRole('link', { name: 'Règles en vigueur' }).click();
  await page.getByRole('heading', { name: 'Délais et paliers d’escalade', level: 2 }).waitFor();
  await page.locator('section[data-policy="risk"]').getByText('Extrême').first().waitFor();
  await axeBothSizes(t, page, 'policies');

  t.same(p.violations, [], 'no CSP violation');
  t.same(p.offHostRequests, [], 'nothing requested off the origin');
  t.same(p.pageErrors, [], 'no error in the page');
});
