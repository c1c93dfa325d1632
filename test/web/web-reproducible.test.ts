/**
 * The web build is reproducible: the same commit and the same inputs give the same bytes, built
 * anywhere at any time. Two builds with the same pinned intake key — one of this checkout, one of
 * a copy of its sources at another path (new mtimes, no .git: the commit given) — into
 * directories at different paths, under different clocks, time zones and locales, must write the
 * same files byte for byte, the deployment manifest too. And the manifest names every file either
 * application serves, with the SHA-256 of its bytes.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { root } from './page-kit.js';

const run = promisify(execFile);
const PIN = 'pinnedPinnedPinned0_-A';

const files = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();

async function build(from: string, out: string, env: Record<string, string>, extra: string[] = []): Promise<void> {
  await run(process.execPath, [path.join(from, 'tools', 'build-web.mjs'), '--out', out, '--intake-key', PIN, ...extra], { cwd: from, env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), ...env } });
}

const first = mkdtempSync(path.join(tmpdir(), 'egide-repro-a-'));
const second = mkdtempSync(path.join(tmpdir(), 'egide-repro-b-'));
t.teardown(() => {
  rmSync(first, { recursive: true, force: true });
  rmSync(second, { recursive: true, force: true });
});
const a = path.join(first, 'web');
const b = path.join(second, 'deeper', 'elsewhere', 'web');
mkdirSync(path.dirname(b), { recursive: true });
const { stdout: head } = await run('git', ['rev-parse', 'HEAD'], { cwd: root });

/**
 * The sources as another clone has them, at another path: what the build reads, and the
 * dependencies hard-linked (a copy in effect, as `npm ci` would make, without the disk). Where
 * /tmp is another file system no hard link can be made: then this checkout is built twice.
 */
async function copyOfSources(): Promise<string | null> {
  const copy = path.join(second, 'another', 'clone');
  mkdirSync(copy, { recursive: true });
  try {
    for (const f of ['web', 'src', 'tools', 'package.json', 'package-lock.json', 'tsconfig.json']) cpSync(path.join(root, f), path.join(copy, f), { recursive: true });
    await run('cp', ['-al', path.join(root, 'node_modules'), path.join(copy, 'node_modules')]);
    return copy;
  } catch {
    return null;
  }
}
const copy = await copyOfSources();

// One after the other (never two builds at once on a shared machine), with everything a build
// could pick up from its surroundings different.
await build(root, a, { SOURCE_DATE_EPOCH: '0', TZ: 'UTC', LANG: 'C', LC_ALL: 'C' });
await build(copy ?? root, b, { SOURCE_DATE_EPOCH: '1893456000', TZ: 'Pacific/Kiritimati', LANG: 'fr_FR.UTF-8', LC_ALL: 'fr_FR.UTF-8' }, ['--commit', head.trim()]);

t.test('two builds in different places and times write the same files, byte for byte', async (t) => {
  if (!copy) t.comment('no hard link into the temporary directory: both builds are of this checkout');
  const names = files(a);
  t.same(files(b), names, 'the same file names');
  t.ok(names.length > 20, `${names.length} files, compressed copies included`);
  const differ = names.filter((f) => !readFileSync(path.join(a, f)).equals(readFileSync(path.join(b, f))));
  t.same(differ, [], 'no file differs');
  for (const f of names) {
    const bytes = readFileSync(path.join(a, f));
    for (const dir of [first, second, root]) t.notOk(bytes.includes(Buffer.from(dir)), `${f}: no path of the build's machine in it`);
  }
});

t.test('the manifest: every served file by URL path with its SHA-256, the commit and the pinned key', async (t) => {
  const manifest = JSON.parse(readFileSync(path.join(a, 'egide-manifest.json'), 'utf8')) as { format: string; commit: string; inputs: { intakeKeyId: string | null }; files: Record<string, string> };
  t.equal(manifest.format, 'egide-web-manifest/1');
  t.equal(manifest.commit, head.trim(), "the checkout's commit");
  t.same(manifest.inputs, { intakeKeyId: PIN });
  t.match(readFileSync(path.join(a, 'index.html'), 'utf8'), `<meta name="egide-intake-key-pin" content="${PIN}">`, 'the page carries the pin');
  const sha = (f: string) => createHash('sha256').update(readFileSync(path.join(a, f))).digest('hex');
  const page = JSON.parse(readFileSync(path.join(a, 'manifest.json'), 'utf8')) as { assets: Record<string, unknown> };
  const consoleBuild = JSON.parse(readFileSync(path.join(a, 'console', 'manifest.json'), 'utf8')) as { assets: Record<string, unknown> };
  const expected: Record<string, string> = { '/': sha('index.html'), '/suivi': sha('index.html'), '/console': sha('console/index.html') };
  for (const f of Object.keys(page.assets)) expected[`/${f}`] = sha(f);
  for (const f of Object.keys(consoleBuild.assets)) if (f !== 'index.html') expected[`/console/${f}`] = sha(path.join('console', f));
  t.same(manifest.files, expected, 'each file of both applications, and nothing else');
  t.same(Object.keys(manifest.files), Object.keys(manifest.files).sort(), 'sorted by path');
});

t.test('a fingerprint pins the same key as its keyId; anything else is refused', async (t) => {
  const { intakeKeyIdOf } = (await import(path.join(root, 'tools', 'build-web.mjs'))) as { intakeKeyIdOf(v: string): string };
  const hex = Buffer.from(PIN, 'base64url').toString('hex').toUpperCase();
  t.equal(intakeKeyIdOf(hex.match(/.{4}/g)!.join(' ')), PIN, 'the API’s fingerprint format');
  t.equal(intakeKeyIdOf(hex.toLowerCase()), PIN);
  t.throws(() => intakeKeyIdOf('not a key'), /neither an intake keyId/);
});
