import { isEntryPoint } from '../lib/entry-point.js';
import { randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { generateSecrets } from '../lib/server-keys.js';
import { projectRoot } from '../lib/paths.js';
import type { CliIo } from './cli-io.js';

/**
 * The two database roles on the local server, each with a fresh password (README, "Database
 * roles"): `npm start` creates them with these passwords when a superuser is reachable.
 */
export function freshDatabaseUrls(): { DATABASE_URL: string; DATABASE_OWNER_URL: string } {
  const password = () => randomBytes(24).toString('base64url');
  return {
    DATABASE_URL: `postgres://egide_app:${password()}@127.0.0.1:5432/egide`,
    DATABASE_OWNER_URL: `postgres://egide_owner:${password()}@127.0.0.1:5432/egide`,
  };
}

/** The body of a fresh `.env`: new secrets and database passwords; every other variable keeps its default (.env.example). */
export async function freshEnvFile(now: Date = new Date()): Promise<string> {
  const secrets = await generateSecrets();
  return [
    `# egide environment, written by \`egide env init\` on ${now.toISOString()}.`,
    '# It holds secrets: keep it private (mode 0600), out of version control, and backed up safely.',
    '# Replacing a secret ends every session (JWT_SIGNING_KEY) or makes new audit checkpoints',
    '# verify under a new public key (AUDIT_SIGNING_KEY). Other variables: see .env.example.',
    ...Object.entries(secrets).map(([key, value]) => `${key}=${value}`),
    '# The application role (API, workers) and the owner role (migrations). Give the serving',
    '# processes only DATABASE_URL where you can: see README, "Database roles".',
    ...Object.entries(freshDatabaseUrls()).map(([key, value]) => `${key}=${value}`),
    '',
  ].join('\n');
}

export type EnvInitResult = { status: 'created'; path: string } | { status: 'exists'; path: string };

/**
 * Writes `.env` with fresh secrets, readable by its owner only. Never overwrites: the file is
 * created exclusively, so an existing one (and the secrets in it) is always kept.
 */
export async function envInit(opts: { file?: string } = {}): Promise<EnvInitResult> {
  const path = opts.file ? resolve(opts.file) : join(projectRoot(), '.env');
  const body = await freshEnvFile();
  try {
    writeFileSync(path, body, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as { code?: string }).code === 'EEXIST') return { status: 'exists', path };
    throw err;
  }
  chmodSync(path, 0o600);
  return { status: 'created', path };
}

export interface EnvInitOptions {
  ifMissing?: boolean;
  file?: string;
  stdout?: boolean;
}

type Io = Pick<CliIo, 'stdout' | 'stderr'>;

/** `env init`: exit code 0 when written (or kept with --if-missing), 1 when a file is in the way. */
export async function envInitCommand(o: EnvInitOptions, io: Io): Promise<number> {
  if (o.stdout) {
    io.stdout.write(await freshEnvFile());
    return 0;
  }
  const result = await envInit(o.file ? { file: o.file } : {});
  if (result.status === 'created') {
    io.stdout.write(`egide: created ${result.path} with fresh secrets (mode 0600); keep it private and out of version control\n`);
    return 0;
  }
  if (o.ifMissing) return 0;
  io.stderr.write(`egide: ${result.path} exists already and was not overwritten (it holds the secrets in use); remove it yourself to start over\n`);
  return 1;
}

function defineInit(parent: Command, run: (o: EnvInitOptions) => Promise<void>): Command {
  return parent
    .description('write a .env with freshly generated secrets (never overwrites an existing one)')
    .option('--if-missing', 'succeed quietly when the file exists already')
    .option('--file <path>', 'where to write (default: .env in the project root)')
    .option('--stdout', 'print the file instead of writing it (e.g. `... --stdout > .env` for docker compose)')
    .action(run);
}

/** Adds `env init` to the `egide` program (src/cli/main.ts): `addEnvCommands(program, io, (c) => (code = c))`. */
export function addEnvCommands(program: Command, io: Io, setCode: (code: number) => void): void {
  const env = program.command('env').description('the environment file the service reads at start');
  defineInit(env.command('init'), async (o) => setCode(await envInitCommand(o, io)));
}

/**
 * Also runnable on its own (`node dist/src/cli/env-init.js --if-missing`), which is what
 * `npm start`'s prestart does on a fresh clone.
 */
export async function envInitMain(argv: readonly string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let code = 0;
  const program = defineInit(new Command('egide-env-init'), async (o) => {
    code = await envInitCommand(o, io);
  })
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    io.stderr.write(`egide: ${(err as Error).message}\n`);
    return 1;
  }
}


if (isEntryPoint(import.meta.url)) process.exitCode = await envInitMain(process.argv.slice(2));
