import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { createOrgKey, enrol, ready, toB64u, wipe } from '../sdk/index.js';
import { loadConfig } from '../config/config.js';
import { setUpDatabase } from '../db/setup.js';
import { systemClock } from '../lib/clock.js';
import { AppError } from '../lib/problem.js';
import { createContainer } from '../container.js';
import { bootstrapDeployment } from '../orgs/bootstrap.js';
import { generateTotpSecret } from '../auth/totp.js';
import type { CliIo } from './cli-io.js';

export interface BootstrapOptions {
  mechanismName: string;
  admin: string;
  supervisor: string;
}

const USERNAME = /^[a-z0-9][a-z0-9._-]{2,63}$/;
const MIN_PASSWORD = 12;

/** Reads a password from the TTY without echoing it. */
async function promptHidden(io: CliIo, question: string): Promise<string> {
  const input = io.stdin;
  if (!input.isTTY || typeof input.setRawMode !== 'function') throw new Error('no TTY to ask for a password on');
  io.stderr.write(question);
  input.setRawMode(true);
  input.resume();
  input.setEncoding('utf8');
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = '';
      const onData = (chunk: string) => {
        for (const ch of chunk) {
          if (ch === '\r' || ch === '\n') {
            input.off('data', onData);
            io.stderr.write('\n');
            resolve(value);
            return;
          }
          if (ch === '\u0003') {
            input.off('data', onData);
            reject(new Error('interrupted'));
            return;
          }
          if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
          else value += ch;
        }
      };
      input.on('data', onData);
    });
  } finally {
    input.setRawMode(false);
    input.pause();
  }
}

async function passwordFor(io: CliIo, role: 'admin' | 'supervisor', username: string): Promise<string> {
  const variable = role === 'admin' ? 'EGIDE_ADMIN_PASSWORD' : 'EGIDE_SUPERVISOR_PASSWORD';
  let password = io.env[variable];
  if (!password) {
    if (!io.stdin.isTTY) throw new Error(`set ${variable} or run on a terminal to be asked for the ${role}'s password`);
    password = await promptHidden(io, `password for ${role} ${username}: `);
    const again = await promptHidden(io, 'again: ');
    if (again !== password) throw new Error('the two passwords differ');
  }
  if (password.length < MIN_PASSWORD) throw new Error(`the ${role}'s password must have at least ${MIN_PASSWORD} characters`);
  return password;
}

function otpauthUri(username: string, secret: string, issuer: string): string {
  return new TOTP({ issuer, label: username, secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).toString();
}

/**
 * `egide bootstrap`: the deployment's first state. Every key is made here, on the operator's
 * machine, with the SDK: the people's key pairs (wrapped with their passwords), the mechanism
 * (intake) key sealed to the first supervisor, the TOTP secrets. The server stores only public
 * halves and wraps. Prints, once, what the people must keep; never prints a password.
 */
export async function bootstrapCommand(opts: BootstrapOptions, io: CliIo): Promise<number> {
  for (const [role, name] of [
    ['admin', opts.admin],
    ['supervisor', opts.supervisor],
  ] as const) {
    if (!USERNAME.test(name)) throw new Error(`--${role} ${JSON.stringify(name)} is not a valid username (lower case letters, digits, . _ -; 3 to 64)`);
  }
  if (opts.admin === opts.supervisor) throw new Error('the admin and the supervisor must be two different people');
  const mechanismName = opts.mechanismName.trim();
  if (mechanismName.length < 2 || mechanismName.length > 200) throw new Error('--mechanism-name must have 2 to 200 characters');

  const config = loadConfig(io.env);
  const adminPassword = await passwordFor(io, 'admin', opts.admin);
  const supervisorPassword = await passwordFor(io, 'supervisor', opts.supervisor);

  await ready();
  const setup = await setUpDatabase(config);
  if (setup.problems.length > 0) throw new Error(`the database is not ready:\n${setup.problems.map((p) => `  - ${p}`).join('\n')}`);
  for (const line of setup.info) io.stderr.write(`egide: ${line}\n`);
  const container = await createContainer({ config, clock: systemClock, redisOnDemand: true });
  try {
    const { keys, repos } = container;
    const db = container.database.db;
    const orgs = repos.orgs;
    if (await orgs.mechanism()) throw new AppError('already_exists', 'this deployment is already bootstrapped');
    const audit = container.services.audit;

    const admin = { username: opts.admin, enrolment: enrol(adminPassword), totpSecret: generateTotpSecret() };
    const supervisor = { username: opts.supervisor, enrolment: enrol(supervisorPassword), totpSecret: generateTotpSecret() };
    const mechanism = createOrgKey([supervisor.enrolment.keyPair.publicKey]);
    const receiptSalt = toB64u(randomBytes(16));
    const result = await bootstrapDeployment(
      { db, orgs, users: repos.users, audit, clock: systemClock, keys },
      {
        mechanismName,
        receiptSalt,
        mechanismKey: { publicKey: mechanism.publicKey, keyId: mechanism.keyId },
        admin: { username: admin.username, upload: admin.enrolment.upload, totpSecret: admin.totpSecret },
        supervisor: { username: supervisor.username, upload: supervisor.enrolment.upload, totpSecret: supervisor.totpSecret, keyringEntry: mechanism.entries[0]!.entry },
      },
    );
    // The mechanism's private key now exists only sealed to the supervisor; none stays here.
    wipe(mechanism.keyPair.privateKey);
    wipe(admin.enrolment.keyPair.privateKey);
    wipe(supervisor.enrolment.keyPair.privateKey);

    const issuer = `egide ${mechanismName}`;
    const out = io.stdout;
    out.write(`bootstrapped ${mechanismName} (mechanism ${result.mechanismId})\n\n`);
    out.write(`intake keyId to pin (posters; \`npm run egide -- web build --intake-key ${result.mechanismKeyId}\` pins it in the defender page, or set INTAKE_KEY_ID=${result.mechanismKeyId} in .env): ${result.mechanismKeyId}\n`);
    out.write(`receipt salt: ${receiptSalt}\n\n`);
    out.write('!! Shown only this once. Write them down now: each person keeps their own lines, on paper, apart from the password.\n');
    out.write('!! Add the otpauth URI to an authenticator app; the recovery code is the only way back into a lost account.\n\n');
    for (const [role, p, id] of [
      ['admin', admin, result.adminId],
      ['supervisor', supervisor, result.supervisorId],
    ] as const) {
      out.write(`${role} ${p.username} (${id})\n`);
      out.write(`  TOTP:          ${otpauthUri(p.username, p.totpSecret, issuer)}\n`);
      out.write(`  recovery code: ${p.enrolment.recoveryCode}\n\n`);
    }
    out.write(`the supervisor ${supervisor.username} holds the mechanism key; seal it to a second supervisor soon (a lost password could make cases unreadable).\n`);
    return 0;
  } finally {
    await container.close();
  }
}
