/**
 * `egide audit verify`: an export fetched over HTTP verifies offline against a kept head; one
 * flipped character, or a head signed by another deployment's key, fails with exit code 1. A
 * range export verifies with its two signed checkpoints (`--range`), as the console's worker does.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import sodium from 'libsodium-wrappers-sumo';
import { ready, signCheckpoint, toB64u } from '../../src/sdk/index.js';
import type { CliIo } from '../../src/cli/cli-io.js';
import { main } from '../../src/cli/main.js';
import { projectRoot } from '../../src/lib/paths.js';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap } from '../helpers/world.js';

await ready();
const T = await buildTestApp(t);
const { app } = T;
const dep = await bootstrap(T);
const sup = dep.supervisor;
const dir = mkdtempSync(join(tmpdir(), 'egide-audit-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

for (let i = 0; i < 4; i++) await app.inject({ method: 'GET', url: `/v1/audit/events?limit=${i + 1}`, headers: sup.auth() });
const headReply = await app.inject({ method: 'GET', url: '/v1/audit/head', headers: sup.auth() });
const head = headReply.json();
const headFile = join(dir, 'head.json');
writeFileSync(headFile, headReply.body);
// The export is taken later than the head: the chain must pass through the kept head.
await app.inject({ method: 'GET', url: '/v1/audit/events?limit=1', headers: sup.auth() });
const exportReply = await app.inject({ method: 'GET', url: '/v1/audit/export', headers: sup.auth() });
const exportFile = join(dir, 'audit.ndjson');
writeFileSync(exportFile, exportReply.body);
const lineCount = exportReply.body.trimEnd().split('\n').length;

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { env: {}, stdin: process.stdin, stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } };
  const code = await main(argv, io);
  return { code, out, err };
}

t.test('the export verifies, alone and against the kept head and trusted key', async (t) => {
  t.ok(lineCount > head.seq, 'the export goes past the kept head');
  const alone = await run('audit', 'verify', exportFile);
  t.equal(alone.code, 0, alone.out + alone.err);
  t.match(alone.out, new RegExp(`ok: ${lineCount} events verified`));
  const last = JSON.parse(exportReply.body.trimEnd().split('\n').at(-1)!);
  t.match(alone.out, new RegExp(`head: seq ${last.seq} hash ${last.hash}`));

  const withHead = await run('audit', 'verify', exportFile, '--head', headFile, '--signing-key', head.signingPublicKey);
  t.equal(withHead.code, 0, withHead.out + withHead.err);
  t.match(withHead.out, new RegExp(`kept head: seq ${head.seq} signature valid`));
  t.equal(withHead.err, '', 'no warning when the key is given');

  const keyFromHead = await run('audit', 'verify', exportFile, '--head', headFile);
  t.equal(keyFromHead.code, 0);
  t.match(keyFromHead.err, /warning: .*--signing-key/, 'warns that the key came from the head file');
});

t.test('one flipped character fails, naming the seq', async (t) => {
  const lines = readFileSync(exportFile, 'utf8').trimEnd().split('\n');
  const n = 3;
  const event = JSON.parse(lines[n - 1]!);
  t.equal(event.seq, n);
  lines[n - 1] = lines[n - 1]!.replace(/"requestId":"(.)/, (_m, c: string) => `"requestId":"${c === 'a' ? 'b' : 'a'}`);
  t.not(lines[n - 1], JSON.stringify(event), 'one character changed');
  const bad = join(dir, 'flipped.ndjson');
  writeFileSync(bad, `${lines.join('\n')}\n`);
  const r = await run('audit', 'verify', bad);
  t.equal(r.code, 1);
  t.match(r.out, new RegExp(`FAILED: seq ${n}: hash of seq ${n} does not match`));

  const broken = join(dir, 'broken.ndjson');
  const good = readFileSync(exportFile, 'utf8').split('\n').slice(0, 4);
  writeFileSync(broken, `${good.join('\n')}\n{not json\n`);
  const r2 = await run('audit', 'verify', broken);
  t.equal(r2.code, 1);
  t.match(r2.out, /FAILED: seq 5: line 5 is not valid JSON/);
});

t.test('a head from another deployment key, or one the export does not reach, fails', async (t) => {
  const other = sodium.crypto_sign_keypair();
  const forged = { ...signCheckpoint(head.seq, head.hash, other.privateKey), signingPublicKey: toB64u(other.publicKey) };
  const forgedFile = join(dir, 'forged-head.json');
  writeFileSync(forgedFile, JSON.stringify(forged));
  const r = await run('audit', 'verify', exportFile, '--head', forgedFile, '--signing-key', head.signingPublicKey);
  t.equal(r.code, 1);
  t.match(r.out, /FAILED: the head was signed by another key/);

  // Same head, its key field rewritten to ours: the signature itself must fail.
  writeFileSync(forgedFile, JSON.stringify({ ...forged, signingPublicKey: head.signingPublicKey }));
  const r2 = await run('audit', 'verify', exportFile, '--head', forgedFile, '--signing-key', head.signingPublicKey);
  t.equal(r2.code, 1);
  t.match(r2.out, /signature of the head .* does not verify/);

  const short = join(dir, 'short.ndjson');
  writeFileSync(short, `${readFileSync(exportFile, 'utf8').split('\n').slice(0, head.seq - 1).join('\n')}\n`);
  const r3 = await run('audit', 'verify', short, '--head', headFile, '--signing-key', head.signingPublicKey);
  t.equal(r3.code, 1);
  t.match(r3.out, new RegExp(`before the kept head's seq ${head.seq}`));
});

t.test('a range export verifies with its checkpoints (--range), and fails where the console would', async (t) => {
  const cp = (await app.container.services.audit.checkpoint())!;
  T.clock.advance(60_000);
  const from = T.clock.now().toISOString();
  for (let i = 0; i < 3; i++) await app.inject({ method: 'GET', url: '/v1/me', headers: sup.auth() });
  const checkpointsReply = await app.inject({ method: 'GET', url: `/v1/audit/checkpoints?from=${from}`, headers: sup.auth() });
  t.equal(checkpointsReply.statusCode, 200, checkpointsReply.body);
  const range = checkpointsReply.json();
  t.equal(range.start.seq, cp.seq, 'the range starts at the checkpoint before the period');
  const rangeFile = join(dir, 'checkpoints.json');
  writeFileSync(rangeFile, checkpointsReply.body);
  const rangeReply = await app.inject({ method: 'GET', url: `/v1/audit/export?afterSeq=${range.start.seq}&toSeq=${range.end.seq}`, headers: sup.auth() });
  t.equal(rangeReply.statusCode, 200);
  const rangeExport = join(dir, 'range.ndjson');
  writeFileSync(rangeExport, rangeReply.body);
  const key = head.signingPublicKey as string;

  const ok = await run('audit', 'verify', rangeExport, '--range', rangeFile, '--signing-key', key);
  t.equal(ok.code, 0, ok.out + ok.err);
  t.match(ok.out, `ok: ${range.end.seq - cp.seq} events verified, seq ${cp.seq + 1} to ${range.end.seq}`);
  t.match(ok.out, `start: checkpoint seq ${cp.seq} signed ${range.start.signedAt}, signature valid`);
  t.match(ok.out, `end: checkpoint seq ${range.end.seq} signed ${range.end.signedAt}, signature valid, the chain lands on it`);
  t.equal(ok.err, '');
  const keyFromFile = await run('audit', 'verify', rangeExport, '--range', rangeFile);
  t.equal(keyFromFile.code, 0);
  t.match(keyFromFile.err, /warning: checking the checkpoints with the key written in the checkpoints file itself/);

  const alone = await run('audit', 'verify', rangeExport);
  t.equal(alone.code, 1, 'without its checkpoints a range is not a chain from genesis');
  t.match(alone.out, /FAILED: seq 1: expected seq 1, got \d+; a range export is verified with --range <checkpoints\.json>/);

  const lines = rangeReply.body.trimEnd().split('\n');
  const inside = JSON.parse(lines[1]!) as { seq: number };
  lines[1] = lines[1]!.replace('"outcome":"allowed"', '"outcome":"denied"');
  const tampered = join(dir, 'range-tampered.ndjson');
  writeFileSync(tampered, `${lines.join('\n')}\n`);
  const bad = await run('audit', 'verify', tampered, '--range', rangeFile, '--signing-key', key);
  t.equal(bad.code, 1);
  t.match(bad.out, `FAILED: seq ${inside.seq}: hash of seq ${inside.seq} does not match`);

  const short = join(dir, 'range-short.ndjson');
  writeFileSync(short, `${rangeReply.body.trimEnd().split('\n').slice(0, -1).join('\n')}\n`);
  const cut = await run('audit', 'verify', short, '--range', rangeFile, '--signing-key', key);
  t.equal(cut.code, 1);
  t.match(cut.out, `before the end checkpoint's seq ${range.end.seq}`);

  const other = sodium.crypto_sign_keypair();
  const forgedFile = join(dir, 'forged-checkpoints.json');
  writeFileSync(forgedFile, JSON.stringify({ ...range, start: { ...range.start, ...signCheckpoint(cp.seq, cp.hash, other.privateKey) } }));
  const forged = await run('audit', 'verify', rangeExport, '--range', forgedFile, '--signing-key', key);
  t.equal(forged.code, 1);
  t.match(forged.out, `FAILED: seq ${cp.seq}: the start checkpoint (seq ${cp.seq}) is not signed by the trusted key`);
  const otherKey = await run('audit', 'verify', rangeExport, '--range', rangeFile, '--signing-key', toB64u(other.publicKey));
  t.equal(otherKey.code, 1);
  t.match(otherKey.out, /FAILED: the checkpoints were signed by another key/);

  const both = await run('audit', 'verify', rangeExport, '--range', rangeFile, '--head', headFile);
  t.equal(both.code, 1);
  t.match(both.out, /--head and --range do not go together/);
  writeFileSync(join(dir, 'not-checkpoints.json'), JSON.stringify({ start: null }));
  const notRange = await run('audit', 'verify', rangeExport, '--range', join(dir, 'not-checkpoints.json'));
  t.equal(notRange.code, 1);
  t.match(notRange.err, /is not a saved pair of audit checkpoints/);
});

t.test('as a process: node --import tsx src/cli/main.ts audit verify', async (t) => {
  const ok = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'audit', 'verify', exportFile, '--head', headFile, '--signing-key', head.signingPublicKey], { cwd: projectRoot(), encoding: 'utf8' });
  t.equal(ok.status, 0, ok.stdout + ok.stderr);
  t.match(ok.stdout, /ok: \d+ events verified/);
  const flipped = join(dir, 'flipped.ndjson');
  const bad = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'audit', 'verify', flipped], { cwd: projectRoot(), encoding: 'utf8' });
  t.equal(bad.status, 1);
  t.match(bad.stdout, /FAILED: seq 3/);
});
