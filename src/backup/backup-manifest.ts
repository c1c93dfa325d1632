import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SignedCheckpoint } from '../sdk/index.js';

/**
 * What a backup directory holds and how to check it: every file with its size and SHA-256, the
 * release that took it and the database's state at the snapshot. `restore` recomputes every hash
 * before it touches anything; the manifest's own SHA-256 (printed by `backup`, kept apart by the
 * operator) proves the manifest itself was not swapped.
 */
export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 'egide-backup/1';
const VERIFY_CONCURRENCY = 8;

export interface ManifestEntry {
  path: string;
  size: number;
  sha256: string;
}

export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  createdAt: string;
  egide: { version: string; commit: string | null };
  database: {
    dump: string;
    migrations: { applied: number; lastTag: string | null };
    cases: number;
    auditHead: { seq: number; hash: string };
    /**
     * The snapshot's audit head signed at backup time with the deployment's checkpoint key: the
     * events since the last stored checkpoint are covered too (null: an empty chain).
     */
    signedHead: SignedCheckpoint | null;
    latestCheckpoint: { seq: number; hash: string; signedAt: string } | null;
  };
  store: {
    kind: 'disk' | 's3';
    /** Complete evidence files copied (received or attached in the snapshot). */
    files: number;
    /** Files the snapshot names whose bytes were gone by the time they were copied (purged meanwhile). */
    missing: string[];
  };
  files: ManifestEntry[];
}

/** Hex SHA-256 and size of a file, streamed. */
export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** Writes the manifest and returns its own SHA-256 (what the operator keeps apart). */
export async function writeManifest(dir: string, manifest: BackupManifest): Promise<string> {
  const body = `${JSON.stringify(manifest, null, 2)}\n`;
  await writeFile(join(dir, MANIFEST_FILE), body, { mode: 0o600 });
  return createHash('sha256').update(body).digest('hex');
}

export class BackupInvalidError extends Error {
  override readonly name = 'BackupInvalidError';
}

/**
 * Reads the manifest and recomputes the hash of every file it lists: throws naming each file
 * that is missing or changed. With `expectedSha256`, the manifest itself must have that hash.
 */
export async function verifyBackup(dir: string, expectedSha256?: string): Promise<{ manifest: BackupManifest; manifestSha256: string }> {
  let body: Buffer;
  try {
    body = await readFile(join(dir, MANIFEST_FILE));
  } catch {
    throw new BackupInvalidError(`${join(dir, MANIFEST_FILE)} is missing: not an egide backup`);
  }
  const manifestSha256 = createHash('sha256').update(body).digest('hex');
  if (expectedSha256 && expectedSha256.toLowerCase() !== manifestSha256) throw new BackupInvalidError(`the manifest's SHA-256 is ${manifestSha256}, not the ${expectedSha256} kept for this backup`);
  const manifest = JSON.parse(body.toString('utf8')) as BackupManifest;
  if (manifest.format !== MANIFEST_FORMAT) throw new BackupInvalidError(`unknown backup format ${JSON.stringify(manifest.format)} (this release reads ${MANIFEST_FORMAT})`);
  const bad: string[] = [];
  // Several files at once: many small files are read at the disk's latency, not its throughput.
  let next = 0;
  const worker = async () => {
    while (next < manifest.files.length) {
      const entry = manifest.files[next++]!;
      if (entry.path.startsWith('/') || entry.path.split('/').includes('..')) {
        bad.push(`${entry.path}: not a path inside the backup`);
        continue;
      }
      try {
        const got = await hashFile(join(dir, entry.path));
        if (got.sha256 !== entry.sha256 || got.size !== entry.size) bad.push(`${entry.path}: changed (SHA-256 ${got.sha256}, ${got.size} bytes)`);
      } catch {
        bad.push(`${entry.path}: missing`);
      }
    }
  };
  await Promise.all(Array.from({ length: VERIFY_CONCURRENCY }, worker));
  bad.sort();
  if (bad.length > 0) throw new BackupInvalidError(`the backup does not match its manifest:\n  ${bad.slice(0, 20).join('\n  ')}${bad.length > 20 ? `\n  ... and ${bad.length - 20} more` : ''}`);
  return { manifest, manifestSha256 };
}
