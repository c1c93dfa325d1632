/**
 * The defender's page with a keyboard alone (a phone's external keyboard, a screen reader's
 * navigation, someone who cannot use a touch screen): a whole request is filed with Tab, typing,
 * arrows, Space and Enter, every control reached that way shows where the focus is, and the quick
 * exit is one Tab and Enter away from the top of the page. axe-core checks labels and contrast
 * (defender-page.test.ts); this checks that the page can actually be used without a pointer.
 */
import t, { type Test } from 'tap';
import type { Locator, Page } from 'playwright-core';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap } from '../helpers/world.js';
import { buildPage, leaksIn, phoneBrowser, screenshots, servePage } from './page-kit.js';

buildPage();
const T = await buildTestApp(t);
const dep = await bootstrap(T);
const W = await servePage(t, T, { INTAKE_KEY_ID: dep.mechanismKeyId });
const screenshot = screenshots('keyboard');
const { newPhone } = await phoneBrowser(t);

const M = randomUUID().slice(0, 8);
const typed = { identity: `Awa-NOM-${M}`, narrative: `Menaces RECIT-${M}`, contact: `Par Issa CONTACT-${M}` };

/** Presses Tab until `target` has the focus; false if it is not reached within `max` presses. */
async function tabTo(page: Page, target: Locator, max = 40): Promise<boolean> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => el === el.ownerDocument.activeElement)) return true;
  }
  return false;
}

/** Whether the focused element is drawn with a visible focus indicator (an outline or a ring). */
const focusVisible = (target: Locator): Promise<boolean> =>
  target.evaluate((el) => {
    const s = el.ownerDocument.defaultView!.getComputedStyle(el);
    return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
  });

async function reach(t: Test, page: Page, target: Locator, what: string): Promise<void> {
  t.ok(await tabTo(page, target), `${what}: reached with Tab`);
  t.ok(await focusVisible(target), `${what}: the focus is visible`);
}

t.test('a request filed with the keyboard alone', async (t) => {
  const { page, sent } = await newPhone();
  await page.goto(`${W.origin}/`);
  await page.getByRole('heading', { name: 'Demander une protection' }).waitFor();

  const exit = page.getByRole('button', { name: 'Quitter vite' });
  await reach(t, page, exit, 'the quick exit, from the top of the page');

  const name = page.getByLabel('Nom de la personne en danger');
  await reach(t, page, name, 'the first question');
  await page.keyboard.type(typed.identity);
  const activity = page.getByLabel('Son activité');
  await reach(t, page, activity, 'a choice list');
  await page.keyboard.press('ArrowDown');
  t.not(await activity.inputValue(), '', 'the arrow keys choose in the list');
  await reach(t, page, page.getByRole('button', { name: 'Continuer' }), 'Continue');
  await page.keyboard.press('Enter');

  const threat = page.getByLabel('Arrestation arbitraire');
  await reach(t, page, threat, 'a checkbox');
  await page.keyboard.press('Space');
  t.ok(await threat.isChecked(), 'Space ticks it');
  await reach(t, page, page.getByLabel('Racontez ce qui s’est passé'), 'the narrative');
  await page.keyboard.type(typed.narrative);
  await reach(t, page, page.getByRole('button', { name: 'Continuer' }), 'Continue');
  await page.keyboard.press('Enter');

  const region = page.getByLabel('Région');
  await reach(t, page, region, 'the region');
  await page.keyboard.press('ArrowDown');
  t.not(await region.inputValue(), '', 'a region chosen');
  await reach(t, page, page.getByRole('button', { name: 'Continuer' }), 'Continue');
  await page.keyboard.press('Enter');

  const channel = page.getByLabel('Moyen de contact le plus sûr');
  await reach(t, page, channel, 'the contact channel');
  await page.keyboard.press('ArrowDown');
  await reach(t, page, page.getByLabel('Vos coordonnées et quand vous joindre'), 'the contact details');
  await page.keyboard.type(typed.contact);
  await reach(t, page, page.getByRole('button', { name: 'Continuer' }), 'Continue');
  await page.keyboard.press('Enter');

  const yes = page.getByLabel('Oui', { exact: true });
  await reach(t, page, page.getByRole('radio').first(), 'the immediate-danger question');
  // Arrows move within a radio group; Space selects the focused one.
  for (let i = 0; i < 3 && !(await yes.isChecked()); i++) {
    if (await yes.evaluate((el) => el === el.ownerDocument.activeElement)) await page.keyboard.press('Space');
    else await page.keyboard.press('ArrowDown');
  }
  t.ok(await yes.isChecked(), 'an answer chosen with the arrows and Space');
  await screenshot(page, 'last-step');
  await reach(t, page, page.getByRole('button', { name: 'Envoyer ma demande' }), 'Send');
  await page.keyboard.press('Enter');

  await page.locator('#receipt').waitFor({ timeout: 30_000 });
  const receipt = (await page.locator('#receipt').textContent()) ?? '';
  t.match(receipt, /^\d{4} \d{4} \d{4} \d{4}$/, 'the receipt is shown');
  const kept = page.getByLabel('J’ai noté mon reçu en lieu sûr');
  await reach(t, page, kept, 'the "I noted my receipt" box');
  await page.keyboard.press('Space');
  t.ok(await kept.isChecked(), 'ticked with Space');
  await screenshot(page, 'receipt');

  const [row] = await T.database.sql`select count(*)::int as n from cases`;
  t.equal(row!.n, 1, 'the request was filed');
  t.same(leaksIn(sent, [...Object.values(typed), receipt]), [], 'nothing typed in any request the browser sent');
});
