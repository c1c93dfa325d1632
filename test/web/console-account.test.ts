/**
 * The console's account screens in Chromium against the running service: an admin invites an
 * officer, who accepts the invitation in a fresh page (keys made in the worker, the TOTP secret
 * as a QR code drawn in the page and as text, the recovery code shown once), then signs in;
 * a password change; log out everywhere (another page's session is refused afterwards); a
 * recovery with the recovery code and a new one shown once. Each screen: axe-clean at laptop and
 * phone sizes, no CSP violation, nothing off the host, and the password, recovery codes and TOTP
 * secret in no request but the one place the TOTP secret must go (completeEnrolment).
 */
import t from 'tap';
import type { Page } from 'playwright-core';
import { fingerprintOf } from '../../src/keys/public-key-view.js';
import { bootstrap, nextTotp } from '../helpers/world.js';
import { axeBothSizes, consoleBrowser, signInAs, startConsoleService, type ConsolePage } from './console-kit.js';

const T = await startConsoleService(t);
const dep = await bootstrap(T);
const browser = await consoleBrowser(t);


const pages: ConsolePage[] = [];
async function open(): Promise<ConsolePage> {
  const p = await browser.open('laptop');
  pages.push(p);
  return p;
}

const officer = { username: 'binta.officer', password: 'une phrase de passe assez longue', totpSecret: '' };
let invitationLink = '';
let firstRecoveryCode = '';
const secrets: string[] = [];

t.test('an admin invites an officer and gets a link to hand over', async (t) => {
  const p = await open();
  const { page } = p;
  await page.goto(`${T.origin}/console/invite`);
  await signInAs(page, T, dep.admin);
  await page.getByRole('heading', { name: 'Inviter une personne' }).waitFor();
  t.equal(await page.getByRole('link', { name: 'Inviter une personne' }).count(), 1, 'the nav shows the link to an admin');
  await axeBothSizes(t, page, 'invite form: axe');
  await page.getByLabel('Identifiant').fill(officer.username);
  await page.getByLabel('Rôle').selectOption('officer');
  await page.getByRole('button', { name: 'Créer l’invitation' }).click();
  await page.getByRole('heading', { name: `Lien d’invitation pour ${officer.username}` }).waitFor();
  invitationLink = ((await page.locator('[data-invitation-link]').textContent()) ?? '').trim();
  t.match(invitationLink, new RegExp(`^${T.origin}/console/invitation#[A-Za-z0-9_-]{43}$`));
  await p.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: T.origin });
  await page.getByRole('button', { name: 'Copier le lien' }).click();
  await page.getByRole('status').filter({ hasText: 'Lien copié.' }).waitFor();
  t.equal(await page.evaluate('navigator.clipboard.readText()'), invitationLink, 'the link is on the clipboard');
  await axeBothSizes(t, page, 'invitation link: axe');
  t.same(p.violations, []);
  t.same(p.offHostRequests, []);
});

t.test('the officer accepts the invitation: keys, TOTP from a QR code drawn here, the recovery code once, then signs in', async (t) => {
  const p = await open();
  const { page } = p;
  await page.goto(invitationLink);
  await page.getByRole('heading', { name: 'Créer votre compte' }).waitFor();
  t.equal(page.url(), `${T.origin}/console/invitation`, 'the token left the address bar at once');
  t.equal(await page.evaluate('location.hash'), '');
  await axeBothSizes(t, page, 'step 1: axe');

  await page.getByLabel('Identifiant').fill(officer.username);
  await page.getByLabel('Nouveau mot de passe').fill('trop court');
  await page.getByLabel('Le même mot de passe, une seconde fois').fill('trop court');
  await page.getByRole('button', { name: 'Créer mes clés' }).click();
  await page.getByText('Le mot de passe doit compter au moins 12 caractères.').waitFor();
  await page.getByLabel('Nouveau mot de passe').fill(officer.password);
  await page.getByLabel('Le même mot de passe, une seconde fois').fill(officer.password);
  await page.getByRole('button', { name: 'Créer mes clés' }).click();

  const qr = page.getByRole('img', { name: 'Code QR à scanner avec votre application d’authentification' });
  await qr.waitFor();
  t.equal(await qr.evaluate((el) => el.tagName.toLowerCase()), 'svg', 'the QR code is drawn in the page');
  t.match((await qr.locator('path').getAttribute('d')) ?? '', /^M\d+ \d+h1v1h-1z/);
  officer.totpSecret = ((await page.locator('[data-secret]').textContent()) ?? '').replace(/\s+/g, '');
  t.match(officer.totpSecret, /^[A-Z2-7]{32}$/, 'the secret is shown as text too');
  await axeBothSizes(t, page, 'step 2: axe');

  await page.getByLabel('Code à usage unique').fill('000000');
  await page.getByRole('button', { name: 'Vérifier le code' }).click();
  await page.getByRole('alert').waitFor();
  await page.getByLabel('Code à usage unique').fill(nextTotp(T, officer.totpSecret));
  await page.getByRole('button', { name: 'Vérifier le code' }).click();
  await page.getByRole('heading', { name: 'Étape 3 sur 3 : votre code de récupération' }).waitFor();
  firstRecoveryCode = ((await page.getByLabel('Code de récupération').textContent()) ?? '').trim();
  t.match(firstRecoveryCode, /^[0-9A-Z]{4}(-[0-9A-Z]{1,4})+$/);
  const download = page.getByRole('link', { name: 'Télécharger (fichier texte)' });
  t.equal(await download.getAttribute('download'), 'egide-recovery-code.txt');
  const href = (await download.getAttribute('href')) ?? '';
  t.ok(href.startsWith('data:text/plain;charset=utf-8,'), 'the file is made in the page');
  t.match(decodeURIComponent(href.slice(href.indexOf(',') + 1)), firstRecoveryCode);
  await axeBothSizes(t, page, 'step 3: axe');
  // What the printer gets: the code (and whose it is), nothing else of the page.
  await page.emulateMedia({ media: 'print' });
  const visibility = (locator: ReturnType<Page['locator']>) => locator.first().evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).visibility);
  t.equal(await visibility(page.getByLabel('Code de récupération')), 'visible', 'the code is printed');
  t.equal(await visibility(page.getByText('Voici votre code de récupération')), 'hidden', 'the rest of the page is not');
  t.equal(await visibility(page.locator('button', { hasText: 'Imprimer' })), 'hidden');
  await page.emulateMedia({ media: 'screen' });

  const next = page.getByRole('button', { name: 'Continuer vers la connexion' });
  t.ok(await next.isDisabled(), 'not before the code is written down');
  await page.getByLabel('J’ai noté ce code et je l’ai rangé en lieu sûr').check();
  await next.click();
  await page.getByRole('heading', { name: 'Connexion' }).waitFor();
  t.notMatch(await page.content(), firstRecoveryCode, 'the recovery code is gone from the page');
  await signInAs(page, T, officer);
  await page.getByText(`Connecté·e en tant que ${officer.username}`).waitFor();
  t.equal(await page.getByRole('link', { name: 'Inviter une personne' }).count(), 0, 'no invite link for an officer');

  secrets.push(officer.password, firstRecoveryCode);
  const withSecret = p.sent.filter((r) => r.url.includes(officer.totpSecret) || (r.body ?? '').includes(officer.totpSecret));
  t.same(
    withSecret.map((r) => `${r.method} ${new URL(r.url).pathname}`),
    ['POST /v1/enrolments', 'POST /v1/enrolments'],
    'the TOTP secret goes only to completeEnrolment (the wrong code, then the right one)',
  );
  t.same(p.violations, []);
  t.same(p.offHostRequests, []);
});

t.test('a password change, then the new password signs in', async (t) => {
  const p = pages.at(-1)!;
  const { page } = p;
  await page.getByRole('link', { name: 'Mon compte' }).click();
  await page.getByRole('heading', { name: 'Mon compte' }).waitFor();
  const me = await T.database.sql`select key_id from users where username = ${officer.username}`;
  const keyId = String(me[0]!.key_id);
  t.equal(await page.locator('dd.code').textContent(), fingerprintOf(keyId), 'the key fingerprint is the account’s, as colleagues are shown it');
  await axeBothSizes(t, page, 'my account: axe');

  const newPassword = 'une autre phrase encore plus longue';
  await page.getByLabel('Mot de passe actuel').fill('pas le bon mot de passe');
  await page.getByLabel('Nouveau mot de passe').fill(newPassword);
  await page.getByLabel('Le même mot de passe, une seconde fois').fill(newPassword);
  await page.getByLabel('Code à usage unique').fill(nextTotp(T, officer.totpSecret));
  await page.getByRole('button', { name: 'Changer le mot de passe' }).click();
  await page.getByText('Mot de passe incorrect.').waitFor();

  await page.getByLabel('Mot de passe actuel').fill(officer.password);
  await page.getByLabel('Code à usage unique').fill(nextTotp(T, officer.totpSecret));
  await page.getByRole('button', { name: 'Changer le mot de passe' }).click();
  await page.getByRole('status').filter({ hasText: 'Votre mot de passe est changé' }).waitFor();
  await axeBothSizes(t, page, 'password changed: axe');
  officer.password = newPassword;
  secrets.push(newPassword);

  await page.getByRole('button', { name: 'Se déconnecter', exact: true }).click();
  await page.getByRole('heading', { name: 'Connexion' }).waitFor();
  await signInAs(page, T, officer);
  await page.getByRole('heading', { name: 'Mon compte' }).waitFor();
  t.same(p.violations, []);
});

t.test('log out everywhere ends this session and the other page’s', async (t) => {
  const p = pages.at(-1)!;
  const other = await open();
  await other.page.goto(`${T.origin}/console/account`);
  await signInAs(other.page, T, officer);
  await other.page.getByRole('heading', { name: 'Mon compte' }).waitFor();

  await p.page.getByRole('link', { name: 'Mon compte' }).click();
  await p.page.getByRole('button', { name: 'Se déconnecter partout' }).click();
  await p.page.getByRole('heading', { name: 'Connexion' }).waitFor();
  t.equal(await p.page.getByRole('alert').textContent(), 'Votre session est terminée. Reconnectez-vous.');
  await axeBothSizes(t, p.page, 'signed out everywhere');

  // The other page's next call is refused: it lands on the sign-in form too.
  await other.page.getByLabel('Mot de passe actuel').fill(officer.password);
  await other.page.getByLabel('Nouveau mot de passe').fill('encore une phrase de passe');
  await other.page.getByLabel('Le même mot de passe, une seconde fois').fill('encore une phrase de passe');
  await other.page.getByLabel('Code à usage unique').fill(nextTotp(T, officer.totpSecret));
  await other.page.getByRole('button', { name: 'Changer le mot de passe' }).click();
  await other.page.getByRole('heading', { name: 'Connexion' }).waitFor();
  t.equal(await other.page.getByRole('alert').textContent(), 'Votre session est terminée. Reconnectez-vous.');
  const refused = other.sent.filter((r) => new URL(r.url).pathname === '/v1/me/password');
  t.equal(refused.length, 1, 'the change was tried once, and refused');
  t.same(other.violations, []);
});

t.test('recovery with the recovery code: a new password and a new code, shown once', async (t) => {
  const p = await open();
  const { page } = p;
  await page.goto(`${T.origin}/console`);
  await page.getByRole('link', { name: 'Mot de passe perdu ? Utiliser le code de récupération' }).click();
  await page.getByRole('heading', { name: 'Récupérer votre compte' }).waitFor();
  t.equal(new URL(page.url()).pathname, '/console/recover');
  await axeBothSizes(t, page, 'recovery step 1: axe');

  await page.getByLabel('Identifiant').fill(officer.username);
  await page.getByLabel('Code de récupération').fill('0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000');
  await page.getByRole('button', { name: 'Continuer' }).click();
  await page.getByRole('alert').waitFor();
  t.equal(await page.getByRole('alert').textContent(), 'Identifiant ou code de récupération incorrect.');

  await page.getByLabel('Code de récupération').fill(firstRecoveryCode.toLowerCase());
  await page.getByRole('button', { name: 'Continuer' }).click();
  await page.getByRole('status').filter({ hasText: 'Votre code de récupération a ouvert votre clé' }).waitFor();
  await axeBothSizes(t, page, 'recovery step 2: axe');

  const recovered = 'la phrase choisie après la récupération';
  await page.getByLabel('Nouveau mot de passe').fill(recovered);
  await page.getByLabel('Le même mot de passe, une seconde fois').fill(recovered);
  await page.getByLabel('Code à usage unique').fill(nextTotp(T, officer.totpSecret));
  await page.getByRole('button', { name: 'Enregistrer le nouveau mot de passe' }).click();
  await page.getByRole('heading', { name: 'Votre nouveau code de récupération' }).waitFor();
  const newCode = ((await page.getByLabel('Code de récupération').textContent()) ?? '').trim();
  t.match(newCode, /^[0-9A-Z]{4}(-[0-9A-Z]{1,4})+$/);
  t.not(newCode, firstRecoveryCode, 'a new code replaces the one just used');
  await axeBothSizes(t, page, 'new recovery code: axe');
  secrets.push(recovered, newCode);

  await page.getByLabel('J’ai noté ce code et je l’ai rangé en lieu sûr').check();
  await page.getByRole('button', { name: 'Continuer vers la connexion' }).click();
  await page.getByRole('heading', { name: 'Connexion' }).waitFor();
  await signInAs(page, T, { ...officer, password: recovered });
  await page.getByText(`Connecté·e en tant que ${officer.username}`).waitFor();
  t.same(p.violations, []);
});

t.test('no page broke the CSP, reached off the host, or sent a password or a recovery code', async (t) => {
  t.ok(secrets.length >= 5);
  for (const p of pages) {
    t.same(p.violations, []);
    t.same(p.offHostRequests, []);
    t.same(p.pageErrors, []);
    const leaks = p.sent.filter((r) => secrets.some((s) => r.url.includes(s) || (r.body ?? '').includes(s) || (r.body ?? '').includes(s.replace(/-/g, ''))));
    t.same(leaks, [], 'no password nor recovery code in any request');
    const totp = p.sent.filter((r) => r.url.includes(officer.totpSecret) || ((r.body ?? '').includes(officer.totpSecret) && new URL(r.url).pathname !== '/v1/enrolments'));
    t.same(totp, [], 'the TOTP secret only in completeEnrolment');
  }
});
