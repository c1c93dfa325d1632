import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import postgres from 'postgres';
import { urlUser, type Config } from '../config/config.js';
import { migrationStatus } from '../db/migrate.js';
import { grantApplicationRole } from '../db/roles.js';
import { preparePostgres } from '../db/setup.js';
import { evidenceStoreConfig } from '../files/evidence-store-config.js';
import { createEvidenceStore } from '../files/stores/create-evidence-store.js';
import { isEvidenceId } from '../files/stores/evidence-id.js';
import { policiesPath } from '../lib/paths.js';
import { verifyCheckpoint } from '../sdk/index.js';
import { verifyBackup, type BackupManifest } from './backup-manifest.js';
import { restoreDatabase } from './pg-tools.js';
import { eachLimit, FILES_DIR, POLICIES_DIR, PUBLIC_KEYS_FILE, type ServerPublicKeys } from './take-backup.js';

export class RestoreRefusedError extends Error {
  override readonly name = 'RestoreRefusedError';
}

export interface RestoreResult {
  manifest: BackupManifest;
  files: number;
  policies: 'copied' | 'same' | 'kept';
  /** The audit head signed at backup time, found in the restored chain under the backup's checkpoint key (null: an empty chain). */
  signedHead: { seq: number } | null;
  /** Things the operator should know (policies that differ, another audit signing key, migrations to apply). */
  warnings: string[];
}

const RESTORE_CONCURRENCY = 8;

/** Tables, views and sequences of egide's schemas in the target database (none: it is empty). */
async function databaseObjects(sql: postgres.Sql): Promise<number> {
  const [row] = await sql<Array<{ n: number }>>`
    select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname in ('public', 'drizzle') and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')`;
  return row?.n ?? 0;
}

async function regularFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true, recursive: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return [];
    throw err;
  }
}

/** Puts the backup's policies in place when the deployment has none, or says where they differ. */
async function restorePolicies(dir: string, target: string, warnings: string[]): Promise<RestoreResult['policies']> {
  const source = join(dir, POLICIES_DIR);
  const backed = await regularFiles(source);
  const present = await regularFiles(target);
  if (present.length === 0) {
    for (const file of backed) {
      await mkdir(join(target, file, '..'), { recursive: true });
      await copyFile(join(source, file), join(target, file));
    }
    return 'copied';
  }
  const differ: string[] = [];
  for (const file of new Set([...backed, ...present])) {
    const a = await readFile(join(source, file)).catch(() => null);
    const b = await readFile(join(target, file)).catch(() => null);
    if (a === null || b === null || !a.equals(b)) differ.push(file);
  }
  if (differ.length === 0) return 'same';
  warnings.push(`the policies in ${target} differ from the backup's (${differ.join(', ')}): they were kept; the backup's are in ${source}`);
  return 'kept';
}

/**
 * Restores a backup into an empty database and an empty evidence store: every hash of the
 * manifest is checked first, and nothing is written when one fails or when the database or the
 * store holds anything already. The database is loaded as the owner role in one transaction, then
 * the application role is granted (under whatever name DATABASE_URL gives it here). Redis is not
 * restored: it holds nothing PostgreSQL cannot rebuild, and the workers' reconciler re-creates
 * the deadline jobs at start, firing at once the steps that fell due meanwhile.
 */
export async function restoreBackup(config: Config, serverKeys: ServerPublicKeys, dir: string, opts: { manifestSha256?: string } = {}): Promise<RestoreResult> {
  const ownerUrl = config.DATABASE_OWNER_URL;
  if (!ownerUrl) throw new RestoreRefusedError('set DATABASE_OWNER_URL: the database is restored as the owner role (README, "Database roles")');
  const { manifest } = await verifyBackup(dir, opts.manifestSha256);
  const warnings: string[] = [];

  const prepared = await preparePostgres(config);
  if (prepared.problems.length > 0) throw new RestoreRefusedError(`the database is not reachable as it should be:\n  ${prepared.problems.join('\n  ')}`);

  const store = createEvidenceStore(evidenceStoreConfig(config));
  const sql = postgres(ownerUrl, { max: 1, onnotice: () => undefined });
  try {
    await store.start();
    const objects = await databaseObjects(sql);
    if (objects > 0) throw new RestoreRefusedError(`the database holds ${objects} tables or sequences already: a backup is restored into an empty database only (create a new one, or drop this one if you mean to replace it)`);
    const stored = await store.list();
    if (stored.length > 0) throw new RestoreRefusedError(`the evidence store (FILE_STORE=${config.FILE_STORE}) holds ${stored.length} objects already: a backup is restored into an empty store only`);

    const published = JSON.parse(await readFile(join(dir, PUBLIC_KEYS_FILE), 'utf8')) as { auditSigningPublicKey: string };
    const head = manifest.database.signedHead;
    if (head && !verifyCheckpoint(head, published.auditSigningPublicKey)) throw new RestoreRefusedError(`the audit head in the manifest (seq ${head.seq}) is not signed by the backup's checkpoint key`);

    const evidence = manifest.files.filter((f) => f.path.startsWith(`${FILES_DIR}/`));
    const bad = evidence.find((f) => !isEvidenceId(f.path.slice(FILES_DIR.length + 1)));
    if (bad) throw new RestoreRefusedError(`${bad.path} is not named by an evidence id`);
    // The files go in while PostgreSQL loads the dump (another process): the two overlap. When
    // either fails, the files put back are removed, so the store is empty again for the next try.
    const restored: string[] = [];
    const files = eachLimit(evidence, RESTORE_CONCURRENCY, async (f) => {
      const id = f.path.slice(FILES_DIR.length + 1);
      await store.restore(id, createReadStream(join(dir, f.path)), f.size);
      restored.push(id);
    });
    const [db, copied] = await Promise.allSettled([restoreDatabase(ownerUrl, join(dir, manifest.database.dump)), files]);
    if (db.status === 'rejected' || copied.status === 'rejected') {
      await eachLimit(restored, RESTORE_CONCURRENCY, (id) => store.remove(id)).catch(() => undefined);
      throw db.status === 'rejected' ? db.reason : (copied as PromiseRejectedResult).reason;
    }
    await grantApplicationRole(sql, urlUser(config.DATABASE_URL));

    const status = await migrationStatus(sql);
    if (!status.current) warnings.push(`the backup's database has ${status.applied} of this release's ${status.expected} migrations: apply them (\`npm run egide -- db migrate\`, or start with DATABASE_OWNER_URL) before serving`);
    const policies = await restorePolicies(dir, policiesPath(config), warnings);
    if (head) {
      const [row] = await sql<Array<{ hash: string }>>`select hash from audit_log where seq = ${head.seq}`;
      if (row?.hash !== head.hash) throw new Error(`the restored audit chain does not pass through the head signed at backup time (seq ${head.seq}): do not serve this database; restore another backup`);
    }
    if (serverKeys.auditSigningPublicKey !== published.auditSigningPublicKey) {
      warnings.push(`AUDIT_SIGNING_KEY here is not the one of the backup (public key ${published.auditSigningPublicKey}): the chain verifies, but the stored checkpoints do not verify under this key; restore the kept .env secret (KEEP-APART.md)`);
    }
    if (manifest.store.missing.length > 0) warnings.push(`${manifest.store.missing.length} files of the snapshot were purged before they were copied and have no bytes: ${manifest.store.missing.slice(0, 5).join(', ')}${manifest.store.missing.length > 5 ? ', ...' : ''}`);
    return { manifest, files: evidence.length, policies, signedHead: head ? { seq: head.seq } : null, warnings };
  } finally {
    await sql.end({ timeout: 5 });
    await store.close();
  }
}
