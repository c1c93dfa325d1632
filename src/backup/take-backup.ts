import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import postgres from 'postgres';
import type { Config } from '../config/config.js';
import { evidenceStoreConfig } from '../files/evidence-store-config.js';
import { createEvidenceStore } from '../files/stores/create-evidence-store.js';
import { EvidenceFileMissingError } from '../files/stores/evidence-id.js';
import type { EvidenceStore } from '../files/stores/evidence-store.js';
import { policiesPath, projectRoot } from '../lib/paths.js';
import { releaseOf } from '../lib/release.js';
import { fingerprintOf } from '../keys/public-key-view.js';
import type { SignedCheckpoint } from '../sdk/index.js';
import { hashFile, MANIFEST_FILE, MANIFEST_FORMAT, writeManifest, type BackupManifest, type ManifestEntry } from './backup-manifest.js';
import { keepApartText } from './keep-apart.js';
import { dumpDatabase, migrationTag } from './pg-tools.js';

export const DUMP_FILE = 'database.dump';
export const FILES_DIR = 'files';
export const POLICIES_DIR = 'policies';
export const PUBLIC_KEYS_FILE = 'keys/public-keys.json';
export const KEEP_APART_FILE = 'KEEP-APART.md';

/** How many evidence files are copied at once: the store is a disk or an object store over the network. */
const COPY_CONCURRENCY = 8;

/** The public halves of the server's keys (the caller derives them from the secrets it was started with). */
export interface ServerPublicKeys {
  auditSigningPublicKey: string;
  jwtPublicKeyPem: string;
}

/** What a backup needs of the keys: the public halves, and a signature of the snapshot's audit head by the checkpoint key. */
export interface BackupKeys extends ServerPublicKeys {
  signHead(seq: number, hash: string): SignedCheckpoint;
}

export interface BackupResult {
  dir: string;
  manifest: BackupManifest;
  manifestSha256: string;
  /** The store's bytes differ from the hash recorded when they arrived: the live store is damaged. */
  damaged: string[];
}

/** Runs `fn` over `items`, `limit` at a time. */
export async function eachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function gitCommit(): Promise<string | null> {
  try {
    const { stdout } = await promisify(execFile)('git', ['rev-parse', 'HEAD'], { cwd: projectRoot() });
    return stdout.trim() || null;
  } catch {
    return null;
  }
}

/** Copies one evidence file into the backup, hashing it on the way. */
async function copyEvidence(store: EvidenceStore, id: string, to: string): Promise<{ sha256: string; size: number } | null> {
  let source;
  try {
    source = await store.open(id);
  } catch (err) {
    if (err instanceof EvidenceFileMissingError) return null;
    throw err;
  }
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  await pipeline(source, tap, createWriteStream(to, { mode: 0o600, flags: 'wx' }));
  return { sha256: hash.digest('hex'), size };
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath, entry.name));
  }
  return out.sort();
}

/**
 * A consistent snapshot of a deployment into `dir` (new or empty): the database as of one
 * instant (a repeatable-read transaction exports its snapshot to pg_dump, and the list of
 * evidence files to copy is read in the same snapshot, so the dump and the files agree), the
 * ciphertext of every complete evidence file (checked against the SHA-256 recorded when it
 * arrived), the policies, the public keys, and a manifest of every file's SHA-256. No secret of
 * `.env` is written: KEEP-APART.md says what the operator keeps elsewhere.
 */
export async function takeBackup(config: Config, serverKeys: BackupKeys, dir: string, opts: { now?: () => Date } = {}): Promise<BackupResult> {
  const ownerUrl = config.DATABASE_OWNER_URL;
  if (!ownerUrl) throw new Error('set DATABASE_OWNER_URL: the dump reads every table as the owner role (README, "Database roles")');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if ((await readdir(dir)).length > 0) throw new Error(`${dir} is not empty: a backup goes into a new or empty directory`);
  const now = opts.now ?? (() => new Date());
  const createdAt = now().toISOString();

  const store = createEvidenceStore(evidenceStoreConfig(config));
  await store.start();
  const sql = postgres(ownerUrl, { max: 1, onnotice: () => undefined });
  const entries: ManifestEntry[] = [];
  const missing: string[] = [];
  const damaged: string[] = [];
  let database: BackupManifest['database'];
  let fileRows: Array<{ id: string; sha256: string }>;
  let orgKeys: Array<{ org_id: string; kind: string; name: string; key_id: string; public_key: string; created_at: Date; retired_at: Date | null }>;
  try {
    const dumpPath = join(dir, DUMP_FILE);
    // The events recorded but not chained yet are chained first (what the service does every
    // AUDIT_CHAIN_INTERVAL_MS), so the head signed below covers every event up to the snapshot.
    for (;;) {
      const [row] = await sql<Array<{ n: number }>>`select audit_chain_pending(5000) as n`;
      if (Number(row?.n ?? 0) < 5000) break;
    }
    ({ database, fileRows, orgKeys } = await sql.begin('isolation level repeatable read read only', async (tx) => {
      const [{ snapshot }] = (await tx`select pg_export_snapshot() as snapshot`) as unknown as [{ snapshot: string }];
      // The dump runs while this transaction holds the snapshot open.
      const dumped = dumpDatabase(ownerUrl, dumpPath, snapshot);
      // Awaited below; a query failing first must not leave its rejection unhandled.
      dumped.catch(() => undefined);
      const [migrations] = await tx<Array<{ n: number; last: string | null }>>`select count(*)::int as n, max(created_at)::text as last from drizzle.__drizzle_migrations`;
      const [cases] = await tx<Array<{ n: number }>>`select count(*)::int as n from cases`;
      const [head] = await tx<Array<{ seq: string; hash: string }>>`select seq::text, hash from audit_head order by id limit 1`;
      const [checkpoint] = await tx<Array<{ seq: string; hash: string; signed_at: Date }>>`select seq::text, hash, signed_at from audit_checkpoints order by seq desc limit 1`;
      const files = await tx<Array<{ id: string; sha256: string }>>`select id::text, ciphertext_sha256 as sha256 from case_files where state in ('received', 'available') and ciphertext_sha256 is not null order by id`;
      const keys = await tx<typeof orgKeys>`select k.org_id::text, o.kind, o.name, k.key_id, k.public_key, k.created_at, k.retired_at from org_keys k join organisations o on o.id = k.org_id order by o.kind, o.name, k.created_at`;
      // Evidence files: those complete in the snapshot (an upload in progress is sent again by
      // its client), copied while pg_dump runs: a complete file never changes, only goes.
      await mkdir(join(dir, FILES_DIR), { mode: 0o700 });
      const copies = eachLimit(files, COPY_CONCURRENCY, async (row) => {
        const path = `${FILES_DIR}/${row.id}`;
        const copied = await copyEvidence(store, row.id, join(dir, path));
        if (!copied) {
          missing.push(row.id);
          return;
        }
        if (copied.sha256 !== row.sha256) damaged.push(row.id);
        entries.push({ path, ...copied });
      });
      const [dump, copy] = await Promise.allSettled([dumped, copies]);
      if (dump.status === 'rejected') throw dump.reason;
      if (copy.status === 'rejected') throw copy.reason;
      return {
        database: {
          dump: DUMP_FILE,
          migrations: { applied: migrations?.n ?? 0, lastTag: migrationTag(migrations?.last ? Number(migrations.last) : null) },
          cases: cases?.n ?? 0,
          auditHead: { seq: Number(head?.seq ?? 0), hash: head?.hash ?? '' },
          signedHead: head && Number(head.seq) > 0 ? serverKeys.signHead(Number(head.seq), head.hash) : null,
          latestCheckpoint: checkpoint ? { seq: Number(checkpoint.seq), hash: checkpoint.hash, signedAt: checkpoint.signed_at.toISOString() } : null,
        },
        fileRows: [...files],
        orgKeys: [...keys],
      };
    }));

  } finally {
    await sql.end({ timeout: 5 });
    await store.close();
  }

  // The deployment's policies, as the API reads them.
  const policies = policiesPath(config);
  for (const file of await listFiles(policies)) {
    const to = join(dir, POLICIES_DIR, relative(policies, file));
    await mkdir(join(to, '..'), { recursive: true, mode: 0o700 });
    await copyFile(file, to);
  }

  // The public halves only: what a restored deployment and its verifiers check against.
  const publicKeys = {
    auditSigningPublicKey: serverKeys.auditSigningPublicKey,
    jwtPublicKeyPem: serverKeys.jwtPublicKeyPem,
    intakeKeyId: config.INTAKE_KEY_ID || null,
    organisations: orgKeys.map((k) => ({
      orgId: k.org_id,
      kind: k.kind,
      name: k.name,
      keyId: k.key_id,
      fingerprint: fingerprintOf(k.key_id),
      publicKey: k.public_key,
      createdAt: k.created_at.toISOString(),
      retiredAt: k.retired_at ? k.retired_at.toISOString() : null,
    })),
  };
  await mkdir(join(dir, 'keys'), { mode: 0o700 });
  await writeFile(join(dir, PUBLIC_KEYS_FILE), `${JSON.stringify(publicKeys, null, 2)}\n`, { mode: 0o600 });
  await writeFile(join(dir, KEEP_APART_FILE), keepApartText({ createdAt, auditSigningPublicKey: serverKeys.auditSigningPublicKey, mechanismKeys: publicKeys.organisations.filter((k) => k.kind === 'mechanism') }), { mode: 0o600 });

  // Every file but the evidence (hashed while copied) and the manifest itself.
  for (const file of await listFiles(dir)) {
    const path = relative(dir, file).split('\\').join('/');
    if (path === MANIFEST_FILE || path.startsWith(`${FILES_DIR}/`)) continue;
    entries.push({ path, ...(await hashFile(file)) });
  }
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  // The image holds no .git: there the commit is the one its web build recorded.
  const release = releaseOf(config);
  const manifest: BackupManifest = {
    format: MANIFEST_FORMAT,
    createdAt,
    egide: { version: release.version, commit: (await gitCommit()) ?? release.commit },
    database,
    store: { kind: config.FILE_STORE, files: fileRows.length - missing.length, missing: missing.sort() },
    files: entries,
  };
  const manifestSha256 = await writeManifest(dir, manifest);
  return { dir, manifest, manifestSha256, damaged: damaged.sort() };
}
