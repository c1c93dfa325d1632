import { isEntryPoint } from '../lib/entry-point.js';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/config.js';
import { loadEnvFile } from '../config/env-file.js';
import { AppError } from '../lib/problem.js';
import { auditVerify } from './audit-verify.js';
import type { CliIo } from './cli-io.js';
import { bootstrapCommand } from './bootstrap.js';
import { dbMigrateCommand } from './db-migrate.js';
import { addEnvCommands } from './env-init.js';
import { addWebCommands } from './web.js';
import { addBackupCommands } from './backup.js';

const processIo = (): CliIo => ({ env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });

/**
 * `egide <command>`: operator commands. Returns the exit code (0 ok, 1 failed, 2 usage) rather
 * than exiting, so tests call it in-process.
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let code = 0;
  const program = new Command('egide')
    .description('egide operator commands')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  program
    .command('bootstrap')
    .description('create the mechanism and its key, the first admin and the first supervisor (keys made here, client-side)')
    .requiredOption('--mechanism-name <name>', 'the mechanism organisation, e.g. "CNDH Mali"')
    .requiredOption('--admin <username>', 'the first admin')
    .requiredOption('--supervisor <username>', 'the first supervisor (holds the mechanism key)')
    .addHelpText('after', '\nPasswords come from EGIDE_ADMIN_PASSWORD and EGIDE_SUPERVISOR_PASSWORD, or are asked for on the terminal.\nThe database is DATABASE_URL; the server secrets must be those the API runs with. Like `npm start`, egide reads\n.env in the project root (or the file EGIDE_ENV_FILE names; none: no file); variables already set win.')
    .action(async (opts: { mechanismName: string; admin: string; supervisor: string }) => {
      code = await bootstrapCommand(opts, io);
    });

  addEnvCommands(program, io, (c) => (code = c));
  addWebCommands(program, io, (c) => (code = c));
  addBackupCommands(program, io, (c) => (code = c));

  program
    .command('db')
    .description('the database')
    .command('migrate')
    .description('create the database roles and the database if missing, apply the migrations as the owner role (DATABASE_OWNER_URL), grant the application role (DATABASE_URL)')
    .action(async () => {
      code = await dbMigrateCommand(io);
    });

  const audit = program.command('audit').description('the audit log');
  audit
    .command('verify')
    .description('verify an NDJSON export of the audit log offline, optionally against a kept signed head; a range export against its two signed checkpoints')
    .argument('<export>', 'NDJSON file from GET /v1/audit/export')
    .option('--head <file>', 'a head saved from GET /v1/audit/head')
    .option('--range <file>', 'the checkpoints of a range export, saved from GET /v1/audit/checkpoints')
    .option('--signing-key <b64u>', 'the audit signing public key you trust')
    .action(async (file: string, opts: { head?: string; range?: string; signingKey?: string }) => {
      code = await auditVerify(file, { ...(opts.head ? { head: opts.head } : {}), ...(opts.range ? { range: opts.range } : {}), ...(opts.signingKey ? { signingKey: opts.signingKey } : {}) }, io);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof ConfigError || err instanceof AppError || err instanceof Error) {
      io.stderr.write(`egide: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/**
 * The `egide` process (`npm run egide -- <command>`): reads the environment file into
 * process.env the way `npm start` does (src/config/env-file.ts), so the commands see the same
 * DATABASE_URL and server secrets as the API they administer, then runs the command.
 */
export async function runProcess(argv: readonly string[]): Promise<number> {
  try {
    for (const warning of loadEnvFile(process.env).warnings) process.stderr.write(`egide: ${warning}\n`);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`egide: ${err.message}\n`);
    return 1;
  }
  return main(argv);
}

if (isEntryPoint(import.meta.url)) process.exitCode = await runProcess(process.argv.slice(2));
