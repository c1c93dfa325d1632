import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/config.js';
import { loadServerKeys } from '../lib/server-keys.js';
import { takeBackup, type BackupKeys } from '../backup/take-backup.js';
import { signCheckpoint } from '../sdk/index.js';
import { BackupInvalidError } from '../backup/backup-manifest.js';
import { restoreBackup, RestoreRefusedError } from '../backup/restore-backup.js';
import type { CliIo } from './cli-io.js';

type Io = Pick<CliIo, 'env' | 'stdout' | 'stderr'>;

/** The public halves of the keys the service runs with (from the secrets in the environment), and the checkpoint key's signature. */
async function backupKeys(config: Config): Promise<BackupKeys> {
  const keys = await loadServerKeys(config);
  return { auditSigningPublicKey: keys.audit.publicKey, jwtPublicKeyPem: keys.jwt.publicPem, signHead: (seq, hash) => signCheckpoint(seq, hash, keys.audit.secretKey) };
}

/** `egide backup <dir>`: 0 when every complete file was copied intact, 1 otherwise (the backup is still written, and says what it lacks). */
export async function backupCommand(dir: string, io: Io): Promise<number> {
  const config = loadConfig(io.env);
  const started = Date.now();
  const r = await takeBackup(config, await backupKeys(config), dir);
  const m = r.manifest;
  io.stdout.write(
    [
      `backup written to ${r.dir} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      `  database: ${m.database.cases} cases, audit head at seq ${m.database.auditHead.seq}${m.database.signedHead ? ' (signed)' : ''}, ${m.database.migrations.applied} migrations (${m.database.migrations.lastTag ?? 'none'})`,
      `  evidence files: ${m.store.files} (${m.store.kind} store)`,
      `  manifest SHA-256: ${r.manifestSha256}`,
      '  keep that hash, the .env secrets and the Shamir shares apart from the backup (KEEP-APART.md)',
      '',
    ].join('\n'),
  );
  let code = 0;
  if (m.store.missing.length > 0) {
    // Either erased between the snapshot and the copy (rare: run the backup again) or a store that is not the database's.
    io.stderr.write(`egide: ${m.store.missing.length} evidence files the database names are not in the ${m.store.kind} store (erased while the backup ran, then run it again; or FILE_STORE points to another store): ${m.store.missing.slice(0, 20).join(', ')}\n`);
    code = 1;
  }
  if (r.damaged.length > 0) {
    io.stderr.write(`egide: the stored bytes of ${r.damaged.length} evidence files differ from the SHA-256 recorded when they arrived: the live store is damaged (${r.damaged.slice(0, 20).join(', ')})\n`);
    code = 1;
  }
  return code;
}

/** `egide restore <dir>`: 0 when restored, 1 when refused (nothing written) or failed. */
export async function restoreCommand(dir: string, opts: { manifestSha256?: string }, io: Io): Promise<number> {
  const config = loadConfig(io.env);
  const started = Date.now();
  try {
    const r = await restoreBackup(config, await backupKeys(config), dir, opts.manifestSha256 ? { manifestSha256: opts.manifestSha256 } : {});
    io.stdout.write(
      [
        `restored the backup of ${r.manifest.createdAt} (egide ${r.manifest.egide.version}${r.manifest.egide.commit ? ` ${r.manifest.egide.commit.slice(0, 12)}` : ''}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
        `  database: ${r.manifest.database.cases} cases, audit head at seq ${r.manifest.database.auditHead.seq}${r.signedHead ? ' (signed at backup time: found in the restored chain)' : ''}`,
        `  evidence files: ${r.files} into the ${config.FILE_STORE} store`,
        `  policies: ${r.policies}`,
        '  start the API and the workers: the reconciler fires the deadline steps that fell due meanwhile',
        '',
      ].join('\n'),
    );
    for (const w of r.warnings) io.stderr.write(`warning: ${w}\n`);
    return 0;
  } catch (err) {
    if (err instanceof RestoreRefusedError || err instanceof BackupInvalidError) {
      io.stderr.write(`egide: restore refused: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** Adds `backup` and `restore` to the `egide` program (src/cli/main.ts). */
export function addBackupCommands(program: Command, io: Io, setCode: (code: number) => void): void {
  program
    .command('backup')
    .description('a consistent snapshot of the database, the evidence files, the policies and the public keys, with a manifest of SHA-256 hashes (no secret)')
    .argument('<dir>', 'a new or empty directory')
    .action(async (dir: string) => setCode(await backupCommand(dir, io)));
  program
    .command('restore')
    .description('restore a backup into an empty database (DATABASE_OWNER_URL) and an empty evidence store, after checking every hash of its manifest')
    .argument('<dir>', 'a directory written by `egide backup`')
    .option('--manifest-sha256 <hex>', 'the manifest hash `egide backup` printed, kept apart')
    .action(async (dir: string, opts: { manifestSha256?: string }) => setCode(await restoreCommand(dir, opts, io)));
}
