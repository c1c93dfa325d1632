import t from 'tap';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTimestampClient,
  readTimestampToken,
  TimestampError,
  verifyTimestampToken,
  type TimestampErrorCode,
} from '../../src/files/timestamp-authority.js';
import { startTimestampAuthority } from '../helpers/timestamp-authority.js';

/**
 * The RFC 3161 client against a local authority made of `openssl ts`: a token it returns
 * verifies with the tool a court would use (`openssl ts -verify`), for this hash only; every
 * answer it must not store (refusal, another hash, a replayed reply, garbage, a dead or silent
 * server) fails with the code the stamping job acts on.
 */
const tsa = await startTimestampAuthority();
t.teardown(() => tsa.close());
const other = await startTimestampAuthority();
t.teardown(() => other.close());
const work = await mkdtemp(join(tmpdir(), 'egide-tsa-test-'));
t.teardown(() => rm(work, { recursive: true, force: true }));

const sha256 = (text: string) => new Uint8Array(createHash('sha256').update(text).digest());
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** `openssl ts -verify` on a bare TimeStampToken, as a court expert would run it; returns its verdict line. */
async function opensslVerify(token: Uint8Array, digestHex: string, caFile: string, untrusted: string): Promise<string> {
  const file = join(work, `token-${Math.random().toString(16).slice(2)}.der`);
  await writeFile(file, token);
  const args = ['ts', '-verify', '-digest', digestHex, '-token_in', '-in', file, '-CAfile', caFile, '-untrusted', untrusted];
  return new Promise((resolve) => {
    execFile('openssl', args, (_err, stdout) => resolve(stdout.trim()));
  });
}

async function codeOf(p: Promise<unknown>): Promise<TimestampErrorCode | 'no error' | 'other error'> {
  try {
    await p;
    return 'no error';
  } catch (err) {
    return err instanceof TimestampError ? err.code : 'other error';
  }
}

const client = createTimestampClient({ url: tsa.url, timeoutMs: 5_000 });
const evidence = sha256('ciphertext of an evidence file');

t.test('a granted token verifies with openssl ts -verify, for this hash only', async (t) => {
  const before = tsa.requests();
  const started = Date.now();
  const stamped = await client.stamp(evidence);
  t.equal(tsa.requests(), before + 1, 'one request to the TSA');

  t.ok(Math.abs(stamped.genTime.getTime() - started) < 5_000, 'genTime is now');
  t.equal(stamped.policy, '1.2.3.4.1', "the TSA's default policy");
  t.match(stamped.serialNumber, /^[0-9a-f]+$/, 'serial number in hex');

  t.equal(await opensslVerify(stamped.token, hex(evidence), tsa.caFile, tsa.tsaCertFile), 'Verification: OK');
  t.equal(
    await opensslVerify(stamped.token, hex(sha256('another file')), tsa.caFile, tsa.tsaCertFile),
    'Verification: FAILED',
    'another hash does not verify',
  );
  t.equal(
    await opensslVerify(stamped.token, hex(evidence), other.caFile, tsa.tsaCertFile),
    'Verification: FAILED',
    'another CA does not vouch for this TSA',
  );

  const read = readTimestampToken(stamped.token);
  t.same(
    { genTime: read.genTime, serialNumber: read.serialNumber, policy: read.policy, imprint: hex(read.imprint) },
    { genTime: stamped.genTime, serialNumber: stamped.serialNumber, policy: stamped.policy, imprint: hex(evidence) },
    'a stored token reads back',
  );

  t.equal(await verifyTimestampToken(stamped.token, evidence, tsa.caPem), true, 'verifies against the TSA CA');
  t.equal(await verifyTimestampToken(stamped.token, evidence), true, 'signature holds without a CA');
  t.equal(await verifyTimestampToken(stamped.token, sha256('another file'), tsa.caPem), false, 'another hash');
  t.equal(await verifyTimestampToken(stamped.token, evidence, other.caPem), false, 'another CA');
  t.equal(await verifyTimestampToken(stamped.token, evidence, tsa.tsaCertPem), false, 'the TSA certificate is no CA');

  const tampered = new Uint8Array(stamped.token);
  const at = Buffer.from(tampered).indexOf(Buffer.from(evidence));
  t.ok(at > 0, 'the imprint is in the token');
  tampered[at + 31] = (tampered[at + 31] ?? 0) ^ 1;
  const altered = new Uint8Array(evidence);
  altered[31] = (altered[31] ?? 0) ^ 1;
  t.equal(await verifyTimestampToken(tampered, altered, tsa.caPem), false, 'a token rewritten for another hash');
  t.equal(
    await opensslVerify(tampered, hex(altered), tsa.caFile, tsa.tsaCertFile),
    'Verification: FAILED',
    'openssl agrees',
  );
  t.equal(await verifyTimestampToken(new Uint8Array([1, 2, 3]), evidence, tsa.caPem), false, 'not a token');
});

t.test('a client given the CA refuses a token from another authority', async (t) => {
  const strict = createTimestampClient({ url: other.url, trustedCaPem: tsa.caPem });
  t.equal(await codeOf(strict.stamp(evidence)), 'tsa_bad_reply');
  const trusting = createTimestampClient({ url: tsa.url, trustedCaPem: tsa.caPem });
  const stamped = await trusting.stamp(evidence);
  t.equal(readTimestampToken(stamped.token).serialNumber, stamped.serialNumber);
});

t.test('answers not to store fail with the code the job acts on', async (t) => {
  t.teardown(() => tsa.setMode('ok'));
  const cases: Array<[Parameters<typeof tsa.setMode>[0], TimestampErrorCode]> = [
    ['refuse', 'tsa_refused'],
    ['wrong-hash', 'tsa_mismatch'],
    ['garbage', 'tsa_bad_reply'],
    ['http-500', 'tsa_unreachable'],
  ];
  for (const [mode, code] of cases) {
    tsa.setMode(mode);
    const before = tsa.requests();
    t.equal(await codeOf(client.stamp(evidence)), code, mode);
    t.equal(tsa.requests(), before + 1, `${mode}: the TSA was asked`);
  }

  // A reply replayed from an earlier request covers the same hash but not this request's nonce.
  tsa.setMode('ok');
  await client.stamp(evidence);
  tsa.setMode('replay');
  t.equal(await codeOf(client.stamp(evidence)), 'tsa_mismatch', 'replayed reply');

  const err = await client.stamp(evidence).catch((e: unknown) => e);
  t.ok(err instanceof TimestampError && !err.retryable, 'a mismatch is not retried');
});

t.test('a closed port or a silent server is unreachable (retryable)', async (t) => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port: closedPort } = closed.address() as AddressInfo;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const err = await createTimestampClient({ url: `http://127.0.0.1:${closedPort}/` }).stamp(evidence).catch((e: unknown) => e);
  t.ok(err instanceof TimestampError && err.code === 'tsa_unreachable' && err.retryable, 'closed port');

  const held = new Set<Socket>();
  const silent = createServer((s) => held.add(s));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    for (const s of held) s.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });
  const { port } = silent.address() as AddressInfo;
  const started = Date.now();
  const code = await codeOf(createTimestampClient({ url: `http://127.0.0.1:${port}/`, timeoutMs: 200 }).stamp(evidence));
  t.equal(code, 'tsa_unreachable', 'silent server');
  t.ok(Date.now() - started < 3_000, 'gives up at the timeout');
});

t.test('only a SHA-256 is stamped', async (t) => {
  const before = tsa.requests();
  await t.rejects(client.stamp(new Uint8Array(20)), TypeError);
  t.equal(tsa.requests(), before, 'nothing sent');
});
