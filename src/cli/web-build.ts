import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../lib/paths.js';

/** The deployment manifest as tools/build-web.mjs writes it (egide-manifest.json). */
export interface DeploymentManifest {
  format: 'egide-web-manifest/1';
  /** the git commit the sources were at ('unknown' when built outside a checkout without --commit) */
  commit: string;
  /** what else decides the bytes: the intake key the defender's page pins, if any */
  inputs: { intakeKeyId: string | null };
  /** URL path -> SHA-256 (hex) of the bytes served there, content encoding undone */
  files: Record<string, string>;
}

export const MANIFEST_FILE = 'egide-manifest.json';

/** Checks a manifest read from anywhere (a server, a file) before anything trusts its shape. */
export function parseDeploymentManifest(bytes: Uint8Array): DeploymentManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new Error('the manifest is not JSON');
  }
  const m = raw as Partial<DeploymentManifest>;
  const ok =
    m.format === 'egide-web-manifest/1' &&
    typeof m.commit === 'string' &&
    /^(?:[0-9a-f]{40}|[0-9a-f]{64}|unknown)$/.test(m.commit) &&
    typeof m.inputs === 'object' &&
    m.inputs !== null &&
    (m.inputs.intakeKeyId === null || (typeof m.inputs.intakeKeyId === 'string' && /^[A-Za-z0-9_-]{22}$/.test(m.inputs.intakeKeyId))) &&
    typeof m.files === 'object' &&
    m.files !== null &&
    Object.entries(m.files).every(([p, h]) => /^\/[A-Za-z0-9/._-]{0,200}$/.test(p) && !p.includes('..') && typeof h === 'string' && /^[0-9a-f]{64}$/.test(h));
  if (!ok) throw new Error('the manifest is not an egide web manifest (format egide-web-manifest/1)');
  return m as DeploymentManifest;
}

const run = promisify(execFile);

/**
 * Builds the web applications into `outDir` with tools/build-web.mjs (in a process of its own,
 * as `npm run build:web` does). Returns what the build printed.
 */
export async function buildWebInto(outDir: string, opts: { intakeKey?: string | null; commit?: string } = {}): Promise<string> {
  const root = projectRoot();
  const args = [join(root, 'tools', 'build-web.mjs'), '--out', outDir];
  if (opts.intakeKey) args.push('--intake-key', opts.intakeKey);
  if (opts.commit) args.push('--commit', opts.commit);
  let log: string;
  try {
    const { stdout, stderr } = await run(process.execPath, args, { cwd: root, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    log = `${stdout}${stderr}`;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`the web build failed: ${(e.stderr || e.stdout || e.message).trim()}`);
  }
  // Without esbuild (a production install) the build script warns and exits 0 with nothing built.
  if (!existsSync(join(outDir, MANIFEST_FILE))) throw new Error(`nothing was built (${log.trim() || 'no output'}): run \`npm ci\` with the development dependencies`);
  return log;
}

/** The commit the local checkout is at, and whether its tracked files differ from it; null outside a git checkout. */
export async function localCheckout(): Promise<{ commit: string; dirty: boolean } | null> {
  const root = projectRoot();
  try {
    const { stdout: commit } = await run('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' });
    const { stdout: status } = await run('git', ['status', '--porcelain', '--untracked-files=no', '--', 'web', 'src', 'tools', 'package-lock.json'], { cwd: root, encoding: 'utf8' });
    return { commit: commit.trim(), dirty: status.trim() !== '' };
  } catch {
    return null;
  }
}
