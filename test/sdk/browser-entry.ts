/**
 * Browser entry of test/sdk/browser.test.ts: bundled with esbuild (platform 'browser') and run in
 * Chromium under a strict CSP. It runs every vector of crypto-v1.json, the sealed-field vectors of
 * crypto-v2.json and a few end-to-end checks through the SDK exactly as a web page would use it,
 * and publishes one {name, ok, detail} per check on `globalThis.__egideResults`. A check that throws is recorded as failed; nothing is
 * skipped silently (the test compares the list of names with the one it expects).
 *
 * Names are `<group>[<i>] <label>` for vectors (labels per group are mirrored in the test) and
 * fixed names for the extra checks.
 */
import sodium from 'libsodium-wrappers-sumo';
import fixture from '../fixtures/crypto-v1.json' with { type: 'json' };
import fixtureV2 from '../fixtures/crypto-v2.json' with { type: 'json' };
import {
  CryptoError,
  KDF_PARAMS,
  caseFieldAd,
  checkpointMessage,
  canonicalEvent,
  chainHash,
  collect,
  decryptFile,
  deriveReceiptKeys,
  derivePasswordKeys,
  encryptBlob,
  encryptedFileSize,
  equalBytes,
  formatReceipt,
  fromB64u,
  generateDek,
  generateFileKey,
  generateKeyPair,
  generateReceipt,
  generateSalt,
  keyIdOf,
  normaliseReceipt,
  openEnvelope,
  openField,
  openKeyringEntry,
  pinnedPublicKey,
  publicKeyOf,
  randomBytes,
  ready,
  sealEnvelope,
  sealField,
  toB64u,
  unwrapPrivateKey,
  verifierOf,
  verifyChain,
  verifyCheckpoint,
  wrapPrivateKey,
  type ChainedAuditEvent,
  type CryptoErrorCode,
  type JsonValue,
} from '../../src/sdk/index.js';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

export interface BrowserReport {
  done: true;
  userAgent: string;
  results: CheckResult[];
  /** `securitypolicyviolation` events seen while the checks ran, as `directive blocked-uri`. */
  cspViolations: string[];
  elapsedMs: number;
}

/** The few browser globals this module touches (tsconfig has no DOM lib on purpose). */
interface BrowserGlobals {
  navigator?: { userAgent: string };
  window?: unknown;
  process?: unknown;
  addEventListener?: (type: string, listener: (event: { effectiveDirective?: string; blockedURI?: string }) => void) => void;
  __egideResults?: BrowserReport;
}

const g = globalThis as unknown as BrowserGlobals;
const results: CheckResult[] = [];
const cspViolations: string[] = [];
g.addEventListener?.('securitypolicyviolation', (event) => {
  cspViolations.push(`${event.effectiveDirective ?? '?'} ${event.blockedURI ?? '?'}`);
});

function describe(err: unknown): string {
  if (err instanceof CryptoError) return `CryptoError(${err.code}): ${err.message}`;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return `thrown: ${String(err)}`;
}

async function check(name: string, fn: () => unknown): Promise<void> {
  const started = performance.now();
  try {
    const out = await fn();
    const ms = `${Math.round(performance.now() - started)} ms`;
    results.push({ name, ok: true, detail: typeof out === 'string' && out ? `${out} (${ms})` : ms });
  } catch (err) {
    results.push({ name, ok: false, detail: describe(err) });
  }
}

function fail(message: string): never {
  throw new Error(message);
}

function expectEqual(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) fail(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

function expectB64u(actual: Uint8Array, expected: string, what: string): void {
  expectEqual(toB64u(actual), expected, what);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Runs `fn` and requires a CryptoError with `code` (a plain Error or no error fails the check). */
async function expectCryptoError(fn: () => unknown, code: CryptoErrorCode): Promise<string> {
  let outcome: unknown;
  try {
    outcome = await fn();
  } catch (err) {
    if (!(err instanceof CryptoError)) fail(`expected CryptoError(${code}), got ${describe(err)}`);
    if (err.code !== code) fail(`expected CryptoError(${code}), got CryptoError(${err.code}): ${err.message}`);
    return `CryptoError(${err.code})`;
  }
  return fail(`expected CryptoError(${code}), but it succeeded with ${JSON.stringify(outcome)?.slice(0, 80)}`);
}

/** Computes once; later calls return the value or rethrow the same error (dependent checks fail with the cause). */
function once<T>(fn: () => T): () => T {
  let state: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  return () => {
    if (!state) {
      try {
        state = { ok: true, value: fn() };
      } catch (error) {
        state = { ok: false, error };
      }
    }
    if (!state.ok) throw state.error;
    return state.value;
  };
}

type Vectors = typeof fixture.vectors;
type VectorGroup = keyof Vectors;

async function vectorChecks(): Promise<void> {
  const v: Vectors = fixture.vectors;

  for (const [i, vec] of v.keyId.entries()) {
    await check(`keyId[${i}] keyIdOf`, () => expectEqual(keyIdOf(fromB64u(vec.publicKey)), vec.keyId, 'keyId'));
    await check(`keyId[${i}] pinnedPublicKey accepts`, () => expectB64u(pinnedPublicKey(vec.publicKey, vec.keyId), vec.publicKey, 'public key'));
  }

  for (const [i, vec] of v.sealedField.entries()) {
    await check(`sealedField[${i}] openField`, () => {
      const value = openField(vec.sealed, fromB64u(vec.dek), vec.ad);
      if (!deepEqual(value, vec.value)) fail(`opened ${JSON.stringify(value)}, expected ${JSON.stringify(vec.value)}`);
    });
    // Writers pad (format 2): the same inputs seal to a v2 value that opens to the same value.
    await check(`sealedField[${i}] sealField writes format 2`, () => {
      const again = sealField(vec.value as JsonValue, fromB64u(vec.dek), vec.ad, fromB64u(vec.nonce));
      expectEqual(again.slice(0, 3), 'v2.', 'prefix');
      if (!deepEqual(openField(again, fromB64u(vec.dek), vec.ad), vec.value)) fail('the format-2 value does not open to the vector value');
    });
  }

  for (const [i, vec] of fixtureV2.vectors.sealedFieldV2.entries()) {
    await check(`sealedFieldV2[${i}] openField`, () => {
      const value = openField(vec.sealed, fromB64u(vec.dek), vec.ad);
      if (!deepEqual(value, vec.value)) fail(`opened ${JSON.stringify(value)}, expected ${JSON.stringify(vec.value)}`);
    });
    await check(`sealedFieldV2[${i}] sealField reproduces`, () => expectEqual(sealField(vec.value as JsonValue, fromB64u(vec.dek), vec.ad, fromB64u(vec.nonce)), vec.sealed, 'sealed'));
  }

  for (const [i, vec] of fixtureV2.vectors.sealedFieldV2MustFail.entries()) {
    await check(`sealedFieldV2MustFail[${i}] refused with its code`, async () => `${vec.name}: ${await expectCryptoError(() => openField(vec.sealed, fromB64u(vec.dek), vec.ad), vec.code as CryptoErrorCode)}`);
  }

  for (const [i, vec] of v.sealedFieldMustFail.entries()) {
    await check(`sealedFieldMustFail[${i}] openField fails with decrypt_failed`, async () => `${vec.why}: ${await expectCryptoError(() => openField(vec.sealed, fromB64u(vec.dek), vec.ad), 'decrypt_failed')}`);
  }

  for (const [i, vec] of v.keyEnvelope.entries()) {
    const recipient = once(() => {
      const kp = sodium.crypto_box_seed_keypair(fromB64u(vec.recipientSeed));
      return { publicKey: kp.publicKey, privateKey: kp.privateKey };
    });
    await check(`keyEnvelope[${i}] recipient key pair from seed`, () => expectB64u(recipient().publicKey, vec.recipientPublicKey, 'recipient public key'));
    await check(`keyEnvelope[${i}] recipient keyId`, () => expectEqual(keyIdOf(recipient().publicKey), vec.recipientKeyId, 'recipient keyId'));
    await check(`keyEnvelope[${i}] openEnvelope`, () =>
      expectB64u(openEnvelope({ keyId: vec.recipientKeyId, envelope: vec.envelope as `v1.${string}` }, recipient()), vec.dek, 'DEK'),
    );
  }

  for (const [i, vec] of v.password.entries()) {
    // One Argon2id run (64 MiB) shared by the checks of this vector.
    const keys = once(() => derivePasswordKeys(vec.password, { salt: vec.salt, ...KDF_PARAMS }));
    const unwrapped = once(() => unwrapPrivateKey(vec.wrappedPrivateKey, keys().wrapKey));
    await check(`password[${i}] derivePasswordKeys master`, () => expectB64u(keys().master, vec.master, 'master'));
    await check(`password[${i}] authKey`, () => expectB64u(keys().authKey, vec.authKey, 'authKey'));
    await check(`password[${i}] wrapKey`, () => expectB64u(keys().wrapKey, vec.wrapKey, 'wrapKey'));
    await check(`password[${i}] verifier`, () => expectEqual(verifierOf(keys().authKey), vec.verifier, 'verifier'));
    await check(`password[${i}] unwrapPrivateKey`, () => expectB64u(unwrapped().privateKey, vec.privateKey, 'private key'));
    await check(`password[${i}] public key`, () => expectB64u(unwrapped().publicKey, vec.publicKey, 'public key'));
    await check(`password[${i}] wrapPrivateKey reproduces`, () => {
      const nonce = fromB64u(vec.wrappedPrivateKey.split('.')[1] ?? '');
      expectEqual(wrapPrivateKey(fromB64u(vec.privateKey), keys().wrapKey, nonce), vec.wrappedPrivateKey, 'wrapped private key');
    });
  }

  for (const [i, vec] of v.receipt.entries()) {
    // One Argon2id run shared by the checks of this vector.
    const keys = once(() => deriveReceiptKeys(vec.receipt, vec.receiptSalt));
    await check(`receipt[${i}] normaliseReceipt`, () => expectEqual(normaliseReceipt(vec.receipt), vec.digits, 'digits'));
    await check(`receipt[${i}] formatReceipt`, () => expectEqual(formatReceipt(vec.digits), vec.receipt, 'formatted receipt'));
    await check(`receipt[${i}] authKey`, () => expectB64u(keys().authKey, vec.authKey, 'authKey'));
    await check(`receipt[${i}] verifier`, () => expectEqual(keys().verifier, vec.verifier, 'verifier'));
    await check(`receipt[${i}] defender public key`, () => expectB64u(keys().keyPair.publicKey, vec.defenderPublicKey, 'defender public key'));
    await check(`receipt[${i}] defender keyId`, () => expectEqual(keys().keyId, vec.defenderKeyId, 'defender keyId'));
  }

  for (const [i, vec] of v.orgKeyring.entries()) {
    const member = once(() => ({ privateKey: fromB64u(vec.memberPrivateKey), publicKey: publicKeyOf(fromB64u(vec.memberPrivateKey)) }));
    const org = once(() => openKeyringEntry(vec.entry, member()));
    await check(`orgKeyring[${i}] member public key`, () => expectB64u(member().publicKey, vec.memberPublicKey, 'member public key'));
    await check(`orgKeyring[${i}] openKeyringEntry org private key`, () => expectB64u(org().privateKey, vec.orgPrivateKey, 'org private key'));
    await check(`orgKeyring[${i}] org public key`, () => expectB64u(org().publicKey, vec.orgPublicKey, 'org public key'));
    await check(`orgKeyring[${i}] org keyId`, () => expectEqual(keyIdOf(org().publicKey), vec.orgKeyId, 'org keyId'));
  }

  const chain = v.auditChain;
  const chained = (): ChainedAuditEvent[] => chain.entries.map((e) => ({ ...(e.event as ChainedAuditEvent), hash: e.hash }));
  let prev = chain.genesis;
  for (const [j, entry] of chain.entries.entries()) {
    const previous = prev;
    await check(`auditChain.entries[${j}] canonical`, () => expectEqual(canonicalEvent(entry.event as ChainedAuditEvent), entry.canonical, 'canonical JSON'));
    await check(`auditChain.entries[${j}] hash`, () => expectEqual(chainHash(previous, entry.event as ChainedAuditEvent), entry.hash, 'chain hash'));
    prev = entry.hash;
  }
  const last = chain.entries[chain.entries.length - 1];
  await check('auditChain verifyChain', () => {
    const result = verifyChain(chained());
    if (!result.ok) fail(`chain did not verify: ${result.reason}`);
    expectEqual(result.count, chain.entries.length, 'count');
    expectEqual(result.head.hash, last?.hash, 'head hash');
    return `${result.count} events`;
  });
  await check('auditChain tampered event rejected', () => {
    const events = chained();
    const victim = events[1] ?? fail('the chain vector needs at least two events');
    events[1] = { ...victim, outcome: victim.outcome === 'allowed' ? 'denied' : 'allowed' };
    const result = verifyChain(events);
    if (result.ok) fail('a chain with an altered event verified');
    expectEqual(result.firstBadSeq, victim.seq, 'first bad seq');
    return result.reason;
  });

  const cp = v.auditCheckpoint;
  const checkpoint = once(() => {
    const head = last ?? fail('empty chain vector');
    return { seq: head.event.seq, hash: head.hash, signature: cp.signature };
  });
  await check('auditCheckpoint message', () => expectEqual(checkpointMessage(checkpoint().seq, checkpoint().hash), cp.message, 'checkpoint message'));
  await check('auditCheckpoint signature verifies', () => {
    if (!verifyCheckpoint(checkpoint(), cp.signingPublicKey)) fail('the vector checkpoint signature did not verify');
  });
  await check('auditCheckpoint other seq rejected', () => {
    if (verifyCheckpoint({ ...checkpoint(), seq: checkpoint().seq - 1 }, cp.signingPublicKey)) fail('a signature verified for another seq');
  });

  const known: ReadonlySet<string> = new Set<VectorGroup>(['keyId', 'sealedField', 'sealedFieldMustFail', 'keyEnvelope', 'password', 'receipt', 'orgKeyring', 'auditChain', 'auditCheckpoint']);
  for (const group of Object.keys(v)) {
    if (!known.has(group)) results.push({ name: `${group} (vector group without browser checks)`, ok: false, detail: 'add checks for this group to test/sdk/browser-entry.ts' });
  }
}

async function extraChecks(): Promise<void> {
  const caseId = '0193a5c4-7e21-7c3e-9a51-6f0b2d1e4a77';
  const otherCaseId = '0193a5c4-7e21-7c3e-9a51-6f0b2d1e4a78';
  const value: JsonValue = { city: 'Mopti', details: 'Menaces reçues — visite nocturne 🌙', count: 3, ok: true, tags: ['a', null] };
  const dek = once(() => generateDek());
  const sealed = once(() => sealField(value, dek(), caseFieldAd(caseId, 'narrative')));

  await check('seal/open round trip', () => {
    const opened = openField(sealed(), dek(), caseFieldAd(caseId, 'narrative'));
    if (!deepEqual(opened, value)) fail(`opened ${JSON.stringify(opened)}`);
  });
  await check('AD-moved ciphertext fails with decrypt_failed', () => expectCryptoError(() => openField(sealed(), dek(), caseFieldAd(otherCaseId, 'narrative')), 'decrypt_failed'));

  const reader = once(() => generateKeyPair());
  const other = once(() => generateKeyPair());
  await check('envelope round trip', () => {
    const env = sealEnvelope(dek(), reader().publicKey);
    expectEqual(env.keyId, keyIdOf(reader().publicKey), 'envelope keyId');
    if (!equalBytes(openEnvelope(env, reader()), dek())) fail('opened DEK differs');
  });
  await check('pinned keyId mismatch fails with key_id_mismatch', () =>
    expectCryptoError(() => pinnedPublicKey(toB64u(reader().publicKey), keyIdOf(other().publicKey)), 'key_id_mismatch'),
  );
  await check('envelope for another keyId fails with key_id_mismatch', () =>
    expectCryptoError(() => openEnvelope(sealEnvelope(dek(), reader().publicKey), other()), 'key_id_mismatch'),
  );

  await check('generateReceipt + deriveReceiptKeys', () => {
    const receipt = generateReceipt();
    if (!/^\d{4} \d{4} \d{4} \d{4}$/.test(receipt)) fail(`receipt ${JSON.stringify(receipt)} is not four groups of four digits`);
    const keys = deriveReceiptKeys(receipt, generateSalt()); // one Argon2id run
    expectEqual(keys.keyId, keyIdOf(keys.keyPair.publicKey), 'keyId');
    expectEqual(keys.verifier, verifierOf(keys.authKey), 'verifier');
    expectEqual(keys.authKey.length, 32, 'authKey length');
    // The defender key pair derived from the receipt opens what is sealed to its public key.
    if (!equalBytes(openEnvelope(sealEnvelope(dek(), keys.keyPair.publicKey), keys.keyPair), dek())) fail('defender key pair does not open its envelope');
    return 'receipt is 4 groups of 4 digits';
  });

  const plain = once(() => randomBytes(200 * 1024 + 123));
  const fileKey = once(() => generateFileKey());
  let encrypted: Uint8Array | undefined;
  const encryptedBytes = (): Uint8Array => encrypted ?? fail('encryptBlob produced nothing');
  await check('file: encryptBlob size', async () => {
    encrypted = await collect(encryptBlob(new Blob([plain()]), fileKey()));
    expectEqual(encrypted.length, encryptedFileSize(plain().length), 'ciphertext size');
    return `${plain().length} -> ${encrypted.length} bytes`;
  });
  await check('file: decryptFile round trip', async () => {
    const stream = (new Blob([encryptedBytes()]).stream() as ReadableStream<Uint8Array>).pipeThrough(decryptFile(fileKey()));
    const back = await collect(stream);
    expectEqual(back.length, plain().length, 'plaintext size');
    if (!equalBytes(back, plain())) fail('decrypted bytes differ from the original');
  });
  await check('file: truncated stream rejected', () => {
    const ct = encryptedBytes();
    // The last ciphertext chunk, whatever the padding made of the stream's length.
    const lastChunk = (ct.length - 24) % (64 * 1024 + 17) || 64 * 1024 + 17;
    const truncated = ct.subarray(0, ct.length - lastChunk);
    return expectCryptoError(() => collect((new Blob([truncated]).stream() as ReadableStream<Uint8Array>).pipeThrough(decryptFile(fileKey()))), 'bad_stream');
  });
}

async function main(): Promise<void> {
  const started = performance.now();
  await check('environment is a browser', () => {
    const ua = g.navigator?.userAgent ?? fail('no navigator');
    if (!/Chrom(e|ium)\//.test(ua)) fail(`unexpected user agent ${ua}`);
    if (g.window !== globalThis) fail('window is not the global object');
    if (g.process !== undefined) fail('a `process` global exists: this is not a plain browser environment');
    return ua;
  });
  await check('not_ready before ready()', () => expectCryptoError(() => keyIdOf(new Uint8Array(32)), 'not_ready'));
  await check('ready()', () => ready());
  try {
    await vectorChecks();
  } catch (err) {
    results.push({ name: 'vector checks aborted', ok: false, detail: describe(err) });
  }
  try {
    await extraChecks();
  } catch (err) {
    results.push({ name: 'extra checks aborted', ok: false, detail: describe(err) });
  }
  g.__egideResults = { done: true, userAgent: g.navigator?.userAgent ?? '', results, cspViolations, elapsedMs: Math.round(performance.now() - started) };
}

main().catch((err: unknown) => {
  results.push({ name: 'browser entry crashed', ok: false, detail: describe(err) });
  g.__egideResults = { done: true, userAgent: g.navigator?.userAgent ?? '', results, cspViolations, elapsedMs: -1 };
});
