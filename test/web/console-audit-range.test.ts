/**
 * A supervisor verifies one period of the audit log in the browser, without trusting the server:
 * the period chosen in the viewer's filters is widened to the signed checkpoints around it, the
 * range between them exported, and the crypto worker checks both signatures with the pinned key
 * and recomputes the chain from one to the other. The verdict names the seqs, the checkpoints and
 * the key's fingerprint; the saved export and checkpoints are what `egide audit verify --range`
 * accepts. Then, behind the append-only trigger (as the database owner): an event altered outside
 * the range leaves the range verified while the whole export fails at it; an event altered inside
 * fails the range, named by its seq; a start checkpoint whose signature the server forged is
 * refused before anything is verified. axe at laptop and phone on the new section.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import t from 'tap';
import { auditVerify } from '../../src/cli/audit-verify.js';
import { loadServerKeys } from '../../src/lib/server-keys.js';
import { systemContext } from '../../src/access/principal.js';
import { bootstrap } from '../helpers/world.js';
import { axeBothSizes, consoleBrowser, signInAs, startConsoleService } from './console-kit.js';

t.setTimeout(600_000);
const T = await startConsoleService(t);
const sql = T.database.sql;
const audit = T.app.container.services.audit;
const dep = await bootstrap(T);
const keys = await loadServerKeys(T.config);
const caseId = '0193a5c4-7e21-7c3e-9a51-6f0b2d1e4a77';

const MINUTE = 60_000;
/** The next whole minute: what a datetime-local field can say (the browser runs in Bamako, UTC). */
const nextMinute = (d: Date) => new Date(Math.ceil((d.getTime() + 1) / MINUTE) * MINUTE);
/** `n` events a minute apart, each its own request. */
async function record(n: number, label: string): Promise<void> {
  for (let i = 0; i < n; i++) {
    T.clock.advance(MINUTE);
    await audit.record(systemContext(`req-${label}-${i}`), { action: 'case.read', resource: `case:${caseId}`, caseId, outcome: 'allowed' });
  }
}

await record(5, 'before');
const cpA = (await audit.checkpoint())!;
T.clock.advance(24 * 3_600_000);
const from = nextMinute(T.clock.now());
T.clock.set(new Date(from.getTime() + 1_000));
await record(8, 'inside');
const to = nextMinute(T.clock.now());
T.clock.set(new Date(to.getTime() + 3_600_000));
await record(3, 'between');
const cpB = (await audit.checkpoint())!;
T.clock.advance(3_600_000);
await record(4, 'after');
T.clock.advance(MINUTE);

const seqOf = async (requestId: string) => Number((await sql`select seq from audit_log where request_id = ${requestId}`)[0]!.seq);
const firstInside = await seqOf('req-inside-0');
const lastInside = await seqOf('req-inside-7');
/** The fingerprint the console shows: the key's 32 bytes in upper-case hex, groups of four. */
const fingerprint = Buffer.from(keys.audit.publicKey, 'base64url').toString('hex').toUpperCase().match(/.{4}/g)!.join(' ');

/** Changes an event's reason as the database owner, its append-only trigger disabled for the change. */
async function alterAsOwner(seq: number): Promise<void> {
  const owner = postgres(T.db.ownerUrl, { max: 1, onnotice: () => undefined });
  try {
    await owner.begin(async (tx) => {
      await tx`alter table audit_events disable trigger audit_events_no_update_delete`;
      await tx`update audit_events set reason = 'rien à signaler' where id = (select event_id from audit_chain where seq = ${seq})`;
      await tx`alter table audit_events enable trigger audit_events_no_update_delete`;
    });
  } finally {
    await owner.end();
  }
}

const browser = await consoleBrowser(t);

/** The audit screen, the supervisor signed in, and its period section. */
async function openAudit(size: 'laptop' | 'phone', timezoneId?: string) {
  const p = await browser.open(size, 'fr-FR', timezoneId);
  const { page } = p;
  await page.clock.setSystemTime(T.clock.now());
  await page.goto(`${T.origin}/console/audit`);
  await signInAs(page, T, dep.supervisor);
  await page.getByRole('heading', { name: "Journal d'audit", level: 1 }).waitFor();
  return { p, page, section: page.getByRole('region', { name: 'Exporter et vérifier une période' }) };
}

/** Chooses a period in the viewer's filters (datetime-local values, in the mechanism's time). */
async function choosePeriod(page: Awaited<ReturnType<typeof openAudit>>['page'], from: string, to: string): Promise<void> {
  await page.getByLabel('Depuis', { exact: true }).fill(from);
  await page.getByLabel("Jusqu'à", { exact: true }).fill(to);
  await page.getByRole('button', { name: 'Afficher' }).click();
}

t.test('a supervisor exports and verifies the period chosen in the viewer, and it fails only when an event inside it changed', async (t) => {
  const { p, page, section } = await openAudit('laptop');
  await section.getByText("Choisissez d'abord une période").waitFor();
  t.equal(await section.getByRole('button').count(), 0, 'no period chosen, nothing to run');

  // The period: chosen in the filters, shown in the viewer and in the section.
  await choosePeriod(page, from.toISOString().slice(0, 16), to.toISOString().slice(0, 16));
  const rows = page.locator('table.audit-events tbody tr');
  for (let i = 0; i < 100 && (await rows.count()) !== 8; i++) await page.waitForTimeout(50);
  t.same(await rows.evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-seq')))), Array.from({ length: 8 }, (_, i) => lastInside - i), 'the viewer shows the period');
  await section.getByText('Période choisie :', { exact: true }).waitFor();

  // The export and its checkpoints are kept as they pass (downloads are off in the test's browser).
  let exported: Buffer | null = null;
  let checkpoints: Buffer | null = null;
  await page.route('**/v1/audit/export?*', async (route) => {
    const response = await route.fetch();
    exported = await response.body();
    await route.fulfill({ response, body: exported });
  });
  await page.route('**/v1/audit/checkpoints?*', async (route) => {
    const response = await route.fetch();
    checkpoints = await response.body();
    await route.fulfill({ response, body: checkpoints });
  });

  const button = section.getByRole('button', { name: 'Exporter et vérifier cette période' });
  const verdict = section.locator('.audit-verdict');
  /** Runs the period's export and verification and waits for its own verdict (the previous one goes first). */
  const run = async () => {
    await button.click();
    await verdict.waitFor({ state: 'detached' });
    await verdict.waitFor();
  };
  await button.click();
  await verdict.waitFor();
  t.equal(await verdict.getAttribute('data-verdict'), 'ok', (await verdict.textContent()) ?? '');
  t.same([Number(await verdict.getAttribute('data-from')), Number(await verdict.getAttribute('data-to'))], [cpA.seq + 1, cpB.seq], 'the seqs checked: from after the start checkpoint to the end one');
  const text = (await verdict.textContent()) ?? '';
  t.match(text, `${cpB.seq - cpA.seq} événements, du n° ${cpA.seq + 1} au n° ${cpB.seq}`);
  t.match(text, `du n° ${firstInside} au n° ${lastInside}`, 'the period\'s own events');
  t.match(text, `état signé n° ${cpA.seq}, signé le`, 'the start checkpoint');
  t.match(text, `état signé n° ${cpB.seq}, signé le`, 'the end checkpoint');
  t.match(text, fingerprint, 'the key it was checked with');
  t.equal(await section.locator('[role="status"] .audit-verdict').count(), 1, 'the verdict is a status message');
  t.match(await section.locator('.audit-key').textContent(), /retenue par cette console à la première utilisation/);
  t.equal(await section.locator('progress').getAttribute('value'), await section.locator('progress').getAttribute('max'), 'the progress is full');
  await axeBothSizes(t, page, 'audit period verified');

  // What is offered for saving is what the CLI verifies, with --range.
  t.match(await section.locator('a.audit-file-export').getAttribute('download'), new RegExp(`^egide-audit-${cpA.seq}-${cpB.seq}-.*\\.ndjson$`));
  t.match(await section.locator('a.audit-file-checkpoints').getAttribute('download'), /\.checkpoints\.json$/);
  t.ok(exported && checkpoints, 'the export and its checkpoints went through');
  t.match(await section.locator('a.audit-file-export').textContent(), `(${exported!.length} octets)`);
  const dir = mkdtempSync(path.join(tmpdir(), 'egide-audit-range-'));
  writeFileSync(path.join(dir, 'range.ndjson'), exported!);
  writeFileSync(path.join(dir, 'checkpoints.json'), checkpoints!);
  const out: string[] = [];
  const io = { stdout: { write: (s: string) => void out.push(s) }, stderr: { write: () => undefined } };
  t.equal(await auditVerify(path.join(dir, 'range.ndjson'), { range: path.join(dir, 'checkpoints.json'), signingKey: keys.audit.publicKey }, io as never), 0, `the CLI accepts the saved range: ${out.join('')}`);

  // An event altered outside the range: the range still verifies, the whole export fails at it.
  const outside = await seqOf('req-before-2');
  t.ok(outside <= cpA.seq, 'the event lies before the range');
  await alterAsOwner(outside);
  await run();
  t.equal(await verdict.getAttribute('data-verdict'), 'ok', 'the range does not hold that event');
  const whole = page.getByRole('region', { name: 'Exporter et vérifier' , exact: true });
  await whole.getByRole('button', { name: 'Exporter et vérifier le journal' }).click();
  const wholeVerdict = whole.locator('.audit-verdict');
  await wholeVerdict.waitFor();
  t.equal(await wholeVerdict.getAttribute('data-verdict'), 'audit_chain_broken', 'the whole log fails');
  t.equal(Number(await wholeVerdict.getAttribute('data-first-bad')), outside, 'at the altered event');

  // An event altered inside the range: the range fails, naming it, with what was checked.
  const inside = await seqOf('req-inside-3');
  await alterAsOwner(inside);
  await run();
  t.equal(await verdict.getAttribute('data-verdict'), 'audit_chain_broken', (await verdict.textContent()) ?? '');
  t.equal(Number(await verdict.getAttribute('data-first-bad')), inside, 'names the altered event');
  t.match(await verdict.textContent(), new RegExp(`le premier événement qui ne correspond pas est le n° ${inside} \\(${inside - cpA.seq - 1} vérifiés avant lui\\)`));
  t.match(await verdict.textContent(), fingerprint);
  await axeBothSizes(t, page, 'audit period failed');

  // A start checkpoint the server re-signed with another key: refused before any event is verified.
  await page.unroute('**/v1/audit/checkpoints?*');
  await page.route('**/v1/audit/checkpoints?*', async (route) => {
    const response = await route.fetch();
    const body = (await response.json()) as { start: { signature: string } };
    body.start.signature = body.start.signature.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
    await route.fulfill({ response, json: body });
  });
  await run();
  t.equal(await verdict.getAttribute('data-verdict'), 'audit_checkpoint_unsigned');
  t.equal(Number(await verdict.getAttribute('data-first-bad')), cpA.seq, 'names the start checkpoint');
  t.match(await verdict.textContent(), `état signé n° ${cpA.seq} n'est pas valide avec la clé retenue`);
  t.same(p.violations, [], 'no CSP violation');
});

t.test('an empty period is told in words', async (t) => {
  const { page, section } = await openAudit('phone');
  await choosePeriod(page, '2001-01-01T00:00', '2001-01-02T00:00');
  await section.getByRole('button', { name: 'Exporter et vérifier cette période' }).click();
  const problem = section.locator('[data-code="audit_period_empty"]');
  await problem.waitFor();
  t.match(await problem.textContent(), /Aucun événement n'a été enregistré pendant cette période/);
  t.equal(await section.locator('.audit-verdict').count(), 0, 'no verdict');
});

t.test('a period is read in the mechanism\'s time, whatever the browser\'s zone', async (t) => {
  // A supervisor travelling in Tokyo (UTC+9) asks for the hours the log shows in Bamako (UTC+0, policies/calendar.yaml).
  const { page } = await openAudit('laptop', 'Asia/Tokyo');
  t.match(await page.getByText(/Heure du mécanisme \(Africa\/Bamako\)/).first().textContent(), /Africa\/Bamako/, 'the fields say which time they are in');
  const asked = page.waitForRequest((r) => r.url().includes('/v1/audit/events') && r.url().includes('from='));
  await choosePeriod(page, '2026-06-01T10:00', '2026-06-01T12:30');
  const url = new URL((await asked).url());
  t.equal(url.searchParams.get('from'), '2026-06-01T10:00:00.000Z', '10:00 in Bamako, not 10:00 in Tokyo');
  t.equal(url.searchParams.get('to'), '2026-06-01T12:30:00.000Z');
});
