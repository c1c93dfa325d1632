import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { CONSOLE_CSP } from '../plugins/console-page.js';
import { DEFENDER_PAGE_CSP } from '../plugins/defender-page.js';
import type { CliIo } from './cli-io.js';
import { buildWebInto, localCheckout, MANIFEST_FILE, parseDeploymentManifest, type DeploymentManifest } from './web-build.js';
import { parsePublicKey, signatureHolds } from './web-signing.js';

/** Where a deployment publishes its manifest, and the signature beside it (src/plugins/web-manifest.ts). */
const MANIFEST_PATH = '/.well-known/egide/manifest.json';
const SIGNATURE_PATH = `${MANIFEST_PATH}.sig`;

/**
 * Each file is fetched as a browser may receive it: plain, gzip and brotli. A server could send
 * other bytes to browsers that accept brotli than to a checker that does not: each is decoded
 * and must hash the same.
 */
const ENCODINGS = ['identity', 'gzip', 'br'] as const;

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * The Content-Security-Policy this commit serves each file with: the same code under a looser
 * policy (another host allowed to run scripts or receive data) is not the same page.
 */
const cspFor = (path: string): string => (path === '/console' || path.startsWith('/console/') ? CONSOLE_CSP : DEFENDER_PAGE_CSP);

interface Fetched {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** GET with the one Accept-Encoding given, the body as sent (no client decodes it behind our back). */
function get(url: URL, acceptEncoding: string, timeoutMs = 30_000): Promise<Fetched> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers: { 'accept-encoding': acceptEncoding, 'user-agent': 'egide-web-verify' }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${url.href}: no answer in ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end();
  });
}

function decoded(f: Fetched): Buffer {
  const encoding = String(f.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'identity') return f.body;
  if (encoding === 'gzip') return gunzipSync(f.body);
  if (encoding === 'br') return brotliDecompressSync(f.body);
  throw new Error(`content encoding ${encoding}`);
}

export interface WebVerifyOptions {
  /** The operator's Ed25519 public key (base64url, or a file): the manifest's signature must hold. */
  signingKey?: string;
}

/**
 * `egide web verify <base-url>`: compares what a running deployment serves with a build of this
 * checkout. It fetches the deployment's manifest (and checks its signature with --signing-key),
 * builds the web applications into a temporary directory from this checkout with the
 * deployment's inputs (the pinned intake key), then fetches every file the deployment's
 * manifest or the local build names, in every encoding, and compares their SHA-256. Exit 0 when
 * every byte is the same, 1 otherwise with one line per difference.
 */
export async function webVerify(baseUrl: string, opts: WebVerifyOptions, io: CliIo): Promise<number> {
  const out = (s: string) => io.stdout.write(`${s}\n`);
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    out(`FAILED: ${baseUrl} is not a URL`);
    return 1;
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') {
    out(`FAILED: ${baseUrl}: only http:// and https:// deployments can be fetched`);
    return 1;
  }
  const at = (path: string) => new URL(path, base);

  const served = await get(at(MANIFEST_PATH), 'identity');
  if (served.status !== 200) {
    out(`FAILED: ${at(MANIFEST_PATH).href} answered ${served.status}: no manifest to check against`);
    return 1;
  }
  let deployment: DeploymentManifest;
  try {
    deployment = parseDeploymentManifest(served.body);
  } catch (err) {
    out(`FAILED: ${at(MANIFEST_PATH).href}: ${(err as Error).message}`);
    return 1;
  }
  const manifestHash = sha256(served.body);
  out(`deployment manifest ${at(MANIFEST_PATH).href}`);
  out(`  sha256 ${manifestHash}`);
  out(`  commit ${deployment.commit}, intake key ${deployment.inputs.intakeKeyId ? `pinned to ${deployment.inputs.intakeKeyId}` : 'not pinned'}, ${Object.keys(deployment.files).length} files`);

  const problems: string[] = [];
  if (opts.signingKey !== undefined) {
    const key = parsePublicKey(opts.signingKey);
    const sig = await get(at(SIGNATURE_PATH), 'identity');
    if (sig.status !== 200) problems.push(`signature: ${at(SIGNATURE_PATH).href} answered ${sig.status}: the manifest is not signed`);
    else if (!signatureHolds(served.body, sig.body.toString('utf8'), key)) problems.push('signature: BAD — the manifest is not signed by the key given with --signing-key');
    else out('  signature: good (the key given with --signing-key)');
  }

  const local = await localCheckout();
  if (!local) {
    out('FAILED: this directory is not a git checkout: clone the project and check out the deployment\'s commit');
    return 1;
  }
  if (deployment.commit !== local.commit) {
    for (const p of problems) out(`DIFFERS ${p}`);
    out(`FAILED: the deployment was built from commit ${deployment.commit}; this checkout is at ${local.commit}. Run \`git checkout ${deployment.commit}\` and verify again.`);
    return 1;
  }
  if (local.dirty) out('  warning: this checkout has local changes (web/, src/, tools/ or package-lock.json): the local build is not the commit\'s');

  const dir = await mkdtemp(join(tmpdir(), 'egide-web-verify-'));
  let mine: DeploymentManifest;
  let mineBytes: Buffer;
  try {
    await buildWebInto(join(dir, 'web'), { intakeKey: deployment.inputs.intakeKeyId, commit: deployment.commit });
    mineBytes = await readFile(join(dir, 'web', MANIFEST_FILE));
    mine = parseDeploymentManifest(mineBytes);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  out(`local build of ${local.commit}: manifest sha256 ${sha256(mineBytes)}`);

  const paths = [...new Set([...Object.keys(deployment.files), ...Object.keys(mine.files)])].sort();
  let same = 0;
  for (const path of paths) {
    const claimed = deployment.files[path];
    const expected = mine.files[path];
    if (expected === undefined) {
      problems.push(`${path}: in the deployment's manifest, not in a build of this commit`);
      continue;
    }
    if (claimed === undefined) problems.push(`${path}: in a build of this commit, missing from the deployment's manifest`);
    else if (claimed !== expected) problems.push(`${path}: the deployment's manifest says ${claimed}, a build of this commit gives ${expected}`);
    const wrong: string[] = [];
    for (const encoding of ENCODINGS) {
      let got: Fetched;
      try {
        got = await get(at(path), encoding);
      } catch (err) {
        wrong.push(`${encoding}: ${(err as Error).message}`);
        continue;
      }
      if (got.status !== 200) {
        wrong.push(`${encoding}: HTTP ${got.status}`);
        continue;
      }
      let hash: string;
      try {
        hash = sha256(decoded(got));
      } catch (err) {
        wrong.push(`${encoding}: cannot be decoded (${(err as Error).message})`);
        continue;
      }
      if (hash !== expected) wrong.push(`${encoding}: served ${hash}`);
      const csp = String(got.headers['content-security-policy'] ?? '');
      if (encoding === 'identity' && csp !== cspFor(path)) wrong.push(`served with another Content-Security-Policy: ${JSON.stringify(csp)}`);
    }
    if (wrong.length) problems.push(`${path}: a build of this commit gives ${expected}; ${wrong.join('; ')}`);
    else if (claimed === expected) same++;
  }
  if (manifestHash !== sha256(mineBytes) && problems.length === 0) problems.push(`${MANIFEST_PATH}: the manifest's own bytes differ from the local build's (same files: check its commit and inputs)`);

  if (problems.length) {
    for (const p of problems) out(`DIFFERS ${p}`);
    out(`FAILED: ${problems.length} difference(s) between ${base.origin} and a build of commit ${local.commit}; ${same} of ${paths.length} files identical`);
    return 1;
  }
  out(`OK: the ${paths.length} files served by ${base.origin} are byte for byte a build of commit ${local.commit}${deployment.inputs.intakeKeyId ? ` pinning intake key ${deployment.inputs.intakeKeyId}` : ''}`);
  return 0;
}
