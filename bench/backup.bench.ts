/**
 * Backup and restore at scale: a mechanism's database of 100,000 cases (bench/lib/stats-world.ts:
 * five years of workflow, deadlines, measures, referrals and 1,000,000 audit events) with 20,000
 * evidence files of 64 KiB on the disk store (one case in five has one; 1.25 GiB of ciphertext),
 * backed up with `egide backup` and restored with `egide restore` into an empty database and an
 * empty store. Baselines in the same run: the bare tools on the same data (pg_dump --format=custom
 * and `cp -r` of the files; pg_restore into an empty database and `cp -r` back): what egide adds
 * is the snapshot shared by the dump and the file list, the SHA-256 of every file (checked against
 * the database at backup, against the manifest at restore) and the grants.
 *
 * `BENCH_BACKUP_CASES` (100,000), `BENCH_BACKUP_AUDIT_EVENTS` (1,000,000), `BENCH_BACKUP_FILES`
 * (20,000) and `BENCH_BACKUP_FILE_KIB` (64) change the world.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { takeBackup } from '../src/backup/take-backup.js';
import { restoreBackup } from '../src/backup/restore-backup.js';
import { verifyBackup } from '../src/backup/backup-manifest.js';
import { eachLimit } from '../src/backup/take-backup.js';
import type { Config } from '../src/config/config.js';
import { loadServerKeys } from '../src/lib/server-keys.js';
import { signCheckpoint } from '../src/sdk/index.js';
import { APP_ROLE, OWNER_ROLE, PG_BASE, roleUrl } from '../test/helpers/db.js';
import { bootstrap, enrolActor, type Actor } from '../test/helpers/world.js';
import { defineBenchmark, row } from './lib/report.js';
import { benchService } from './lib/service.js';
import { seedStatsWorld } from './lib/stats-world.js';
import { nowMs } from './lib/stats.js';

const CASES = Number(process.env.BENCH_BACKUP_CASES ?? 100_000);
const AUDIT_EVENTS = Number(process.env.BENCH_BACKUP_AUDIT_EVENTS ?? 1_000_000);
const FILES = Number(process.env.BENCH_BACKUP_FILES ?? 20_000);
const FILE_BYTES = Number(process.env.BENCH_BACKUP_FILE_KIB ?? 64) * 1024;
const run = promisify(execFile);

async function emptyDatabase(admin: postgres.Sql): Promise<{ name: string; url: string; ownerUrl: string }> {
  const name = `egide_bench_${randomBytes(5).toString('hex')}`;
  await admin.unsafe(`create database "${name}" owner ${OWNER_ROLE}`);
  return { name, url: roleUrl(APP_ROLE, name), ownerUrl: roleUrl(OWNER_ROLE, name) };
}

async function duSize(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) total += (await stat(join(e.parentPath, e.name))).size;
  return total;
}

const s = (ms: number) => ms / 1000;

export default defineBenchmark({
  title: `egide backup and restore: ${CASES.toLocaleString('en')} cases, ${AUDIT_EVENTS.toLocaleString('en')} audit events, ${FILES.toLocaleString('en')} evidence files of ${FILE_BYTES / 1024} KiB`,
  async run(ctx) {
    const work = await mkdtemp(join(tmpdir(), 'egide-bench-backup-'));
    const storeDir = join(work, 'store');
    const svc = await benchService({ env: { FILE_STORE_DIR: storeDir } });
    const admin = postgres(`${PG_BASE}/postgres`, { max: 1, onnotice: () => undefined });
    const dbAdmin = postgres(svc.db.adminUrl, { max: 1, onnotice: () => undefined });
    const created: string[] = [];
    try {
      const local = await svc.start();
      const t = { app: local.app, clock: svc.clock, config: svc.config } as never;
      const dep = await bootstrap(t);
      const officers: Actor[] = [];
      for (let k = 0; k < 6; k++) officers.push(await enrolActor(t, dep.admin, { username: `officer-${k}`, role: 'officer', orgId: dep.mechanismId }));
      ctx.log(`seeding ${CASES} cases and ${AUDIT_EVENTS} audit events with COPY`);
      await seedStatsWorld({
        adminUrl: svc.db.adminUrl,
        cases: CASES,
        auditEvents: AUDIT_EVENTS,
        now: Date.now(),
        years: 5,
        officers: officers.map((o) => o.id),
        supervisorId: dep.supervisor.id,
        adminId: dep.admin.id,
        orgIds: [],
        mechanismKeyId: dep.mechanismKeyId,
        policies: local.app.container.policies,
        log: ctx.log,
      });

      // The evidence: random bytes stand for ciphertext (which they are indistinguishable from), one file per chosen case.
      ctx.log(`writing ${FILES} evidence files of ${FILE_BYTES} bytes`);
      const caseIds = (await dbAdmin<Array<{ id: string }>>`select id::text from cases order by md5(id::text) limit ${FILES}`).map((r) => r.id);
      const rows: Array<{ id: string; caseId: string; sha: string }> = [];
      await eachLimit(caseIds, 8, async (caseId) => {
        const id = randomUUID();
        const bytes = randomBytes(FILE_BYTES);
        await writeFile(join(storeDir, 'files', id), bytes, { mode: 0o600 });
        rows.push({ id, caseId, sha: createHash('sha256').update(bytes).digest('hex') });
      });
      await dbAdmin.begin(async (tx) => {
        await tx`set local session_replication_role = replica`;
        for (let i = 0; i < rows.length; i += 5000) {
          const part = rows.slice(i, i + 5000);
          await tx`insert into case_files (id, case_id, uploader, uploader_role, state, size, chunks, ciphertext_sha256, sealed, created_at, received_at, attached_at, updated_at)
            select x.id::uuid, x.case_id::uuid, 'd:' || x.case_id, 'defender', 'available', ${FILE_BYTES}, 1, x.sha, '{}'::jsonb, now(), now(), now(), now()
            from unnest(${part.map((r) => r.id)}::text[], ${part.map((r) => r.caseId)}::text[], ${part.map((r) => r.sha)}::text[]) as x(id, case_id, sha)`;
        }
      });
      await dbAdmin`vacuum (analyze)`;
      const [size] = await dbAdmin<Array<{ bytes: string }>>`select pg_database_size(current_database())::text as bytes`;
      const dbBytes = Number(size!.bytes);
      await local.app.close();
      const config = { ...svc.config, DATABASE_OWNER_URL: svc.db.ownerUrl } as Config;
      const keys = await loadServerKeys(config);
      const serverKeys = { auditSigningPublicKey: keys.audit.publicKey, jwtPublicKeyPem: keys.jwt.publicPem, signHead: (seq: number, hash: string) => signCheckpoint(seq, hash, keys.audit.secretKey) };

      // Baseline backup: the bare tools on the same data.
      ctx.log('baseline: pg_dump --format=custom and cp -r of the files');
      const bare = join(work, 'bare');
      await run('mkdir', ['-p', bare]);
      let t0 = nowMs();
      await run('pg_dump', ['--format=custom', `--file=${join(bare, 'database.dump')}`, `--dbname=${svc.db.ownerUrl}`]);
      await run('cp', ['-r', join(storeDir, 'files'), join(bare, 'files')]);
      const bareBackupMs = nowMs() - t0;

      ctx.log('egide backup');
      const backupDir = join(work, 'backup');
      t0 = nowMs();
      const backup = await takeBackup(config, serverKeys, backupDir);
      const backupMs = nowMs() - t0;
      if (backup.damaged.length > 0 || backup.manifest.store.files !== FILES) throw new Error(`backup: ${backup.manifest.store.files} files, ${backup.damaged.length} damaged`);
      const backupBytes = await duSize(backupDir);
      ctx.log(`backup in ${s(backupMs).toFixed(1)} s (bare tools ${s(bareBackupMs).toFixed(1)} s), ${(backupBytes / 2 ** 20).toFixed(0)} MiB`);

      // Baseline restore: pg_restore into an empty database, cp -r back.
      ctx.log('baseline: pg_restore into an empty database and cp -r of the files');
      const bareTarget = await emptyDatabase(admin);
      created.push(bareTarget.name);
      t0 = nowMs();
      await run('pg_restore', ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', `--dbname=${bareTarget.ownerUrl}`, join(bare, 'database.dump')]);
      await run('cp', ['-r', join(bare, 'files'), join(work, 'bare-restored-files')]);
      const bareRestoreMs = nowMs() - t0;

      ctx.log('egide restore (the manifest checked alone first, for its share)');
      t0 = nowMs();
      await verifyBackup(backupDir, backup.manifestSha256);
      const verifyMs = nowMs() - t0;
      const target = await emptyDatabase(admin);
      created.push(target.name);
      const restoredConfig = { ...config, DATABASE_URL: target.url, DATABASE_OWNER_URL: target.ownerUrl, FILE_STORE_DIR: join(work, 'restored-store'), POLICIES_DIR: join(work, 'restored-policies') } as Config;
      t0 = nowMs();
      const restored = await restoreBackup(restoredConfig, serverKeys, backupDir, { manifestSha256: backup.manifestSha256 });
      const restoreMs = nowMs() - t0;
      const check = postgres(target.url, { max: 1, onnotice: () => undefined });
      const [counts] = await check<Array<{ cases: number; files: number }>>`select (select count(*)::int from cases) as cases, (select count(*)::int from case_files) as files`;
      await check.end();
      if (counts!.cases !== CASES || counts!.files !== FILES || restored.files !== FILES) throw new Error(`restored ${JSON.stringify(counts)}`);
      ctx.log(`restore in ${s(restoreMs).toFixed(1)} s (verify ${s(verifyMs).toFixed(1)} s; bare tools ${s(bareRestoreMs).toFixed(1)} s)`);

      const mib = backupBytes / 2 ** 20;
      const label = { backup: 'pg_dump --format=custom + cp -r of the files, same data', restore: 'pg_restore into an empty database + cp -r of the files, same data' };
      return {
        rows: [
          row({ figure: `egide backup, ${CASES.toLocaleString('en')} cases and ${FILES.toLocaleString('en')} files (${mib.toFixed(0)} MiB)`, value: s(backupMs), unit: 's', baseline: { value: s(bareBackupMs), label: label.backup }, target: { on: 'ratio', op: '<=', limit: 2 } }),
          row({ figure: `egide restore, same backup (hashes checked first)`, value: s(restoreMs), unit: 's', baseline: { value: s(bareRestoreMs), label: label.restore }, target: { on: 'ratio', op: '<=', limit: 2 } }),
          row({ figure: 'of which checking the manifest (SHA-256 of every file)', value: s(verifyMs), unit: 's' }),
          row({ figure: 'backup size', value: mib, unit: 'MiB' }),
          row({ figure: 'database size on the server', value: dbBytes / 2 ** 20, unit: 'MiB' }),
        ],
        notes: [
          `backup ${(mib / s(backupMs)).toFixed(0)} MiB/s, restore ${(mib / s(restoreMs)).toFixed(0)} MiB/s on this disk; the evidence files dominate past a few GiB: scale the file part by the store's size`,
          'the bare tools ran first, on a cold page cache; egide after them, on a warm one for the same files',
        ],
        details: { cases: CASES, auditEvents: AUDIT_EVENTS, files: FILES, fileBytes: FILE_BYTES, backupBytes, dbBytes, manifestSha256: backup.manifestSha256, warnings: restored.warnings },
      };
    } finally {
      await dbAdmin.end();
      for (const name of created) await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
      await svc.close();
      await rm(work, { recursive: true, force: true });
    }
  },
});
