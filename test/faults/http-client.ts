/**
 * The load's HTTP side: people of a deployment using running API instances over real sockets,
 * with the SDK on the client (keys, Argon2, sealing), and a journal of every request made and
 * what came back (or did not), for the checks that follow a run.
 */
import { randomBytes } from 'node:crypto';
import { generateTotpSecret, totpCode } from '../../src/auth/totp.js';
import { createAuditRepository } from '../../src/audit/audit-repository.js';
import { createAuditService } from '../../src/audit/audit-service.js';
import type { Config } from '../../src/config/config.js';
import { createDatabase } from '../../src/db/client.js';
import { systemClock } from '../../src/lib/clock.js';
import { loadServerKeys } from '../../src/lib/server-keys.js';
import { bootstrapDeployment } from '../../src/orgs/bootstrap.js';
import { createOrgRepository } from '../../src/orgs/org-repository.js';
import { createUserRepository } from '../../src/users/user-repository.js';
import { createOrgKey, enrol, login, ready, toB64u, type BoxKeyPair } from '../../src/sdk/index.js';

export interface Outcome {
  /** HTTP status, or null when no response came (connection refused or reset, timeout) */
  status: number | null;
  /** problem+json `code`, when the response was a problem */
  code: string | null;
  contentType: string | null;
  /** `timeout` or the network error's code, when there was no response */
  error: string | null;
  ms: number;
  body: unknown;
}

export interface JournalEntry extends Outcome {
  seq: number;
  /** which API instance */
  api: string;
  kind: string;
  caseId: string | null;
  actor: string;
  attempt: number;
  startedAt: number;
  endedAt: number;
}

export class Journal {
  readonly entries: JournalEntry[] = [];
  add(e: Omit<JournalEntry, 'seq'>): JournalEntry {
    const entry = { ...e, seq: this.entries.length + 1 };
    this.entries.push(entry);
    return entry;
  }
}

/** One request; never throws: a missing response is an outcome too. */
export async function call(base: string, method: string, path: string, opts: { headers?: Record<string, string>; body?: unknown; timeoutMs?: number } = {}): Promise<Outcome> {
  const started = Date.now();
  try {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
    });
    const contentType = res.headers.get('content-type');
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: kept as text
    }
    const code = contentType?.startsWith('application/problem+json') ? String((body as { code?: unknown } | null)?.code ?? '') : null;
    return { status: res.status, code, contentType, error: null, ms: Date.now() - started, body };
  } catch (err) {
    const e = err as { name?: string; cause?: { code?: string }; code?: string };
    const error = e.name === 'TimeoutError' || e.name === 'AbortError' ? 'timeout' : (e.cause?.code ?? e.code ?? e.name ?? 'error');
    return { status: null, code: null, contentType: null, error, ms: Date.now() - started, body: null };
  }
}

export interface Person {
  id: string;
  username: string;
  role: 'admin' | 'supervisor' | 'officer';
  password: string;
  totpSecret: string;
  keyPair: BoxKeyPair;
  accessToken: string;
  auth(): Record<string, string>;
}

export interface Deployment {
  mechanismId: string;
  intakeKey: { publicKey: string; keyId: string; receiptSalt: string };
  admin: Person;
  supervisor: Person;
  officers: Person[];
}

/** A TOTP code for a step after the last one used by this person (each code is accepted once). */
function nextCode(secret: string, used: Map<string, number>): string {
  const step = Math.max(Math.floor(Date.now() / 30_000), (used.get(secret) ?? -1) + 1);
  used.set(secret, step);
  return totpCode(secret, new Date(step * 30_000 + 1000));
}

async function logIn(base: string, p: Omit<Person, 'accessToken' | 'auth'>, used: Map<string, number>): Promise<Person> {
  const pre = await call(base, 'POST', '/v1/auth/prelogin', { body: { username: p.username } });
  if (pre.status !== 200) throw new Error(`prelogin ${p.username}: ${pre.status ?? pre.error} ${JSON.stringify(pre.body)}`);
  const keys = login(p.password, pre.body as Parameters<typeof login>[1]);
  const res = await call(base, 'POST', '/v1/auth/login', { body: { username: p.username, authKey: toB64u(keys.authKey), totp: nextCode(p.totpSecret, used) } });
  if (res.status !== 200) throw new Error(`login ${p.username}: ${res.status ?? res.error} ${JSON.stringify(res.body)}`);
  const person: Person = { ...p, accessToken: (res.body as { accessToken: string }).accessToken, auth: () => ({ authorization: `Bearer ${person.accessToken}` }) };
  return person;
}

/**
 * The deployment's first state as `egide bootstrap` makes it (keys made here with the SDK, the
 * server storing public halves and wraps), then, through the API: the admin and the supervisor
 * log in, the admin invites officers, each enrols from their own client and logs in.
 */
export async function setUpDeployment(base: string, config: Config, officerCount: number): Promise<Deployment> {
  await ready();
  const used = new Map<string, number>();
  const people = (['admin', 'supervisor'] as const).map((role) => {
    const password = `pw-${role}-${randomBytes(6).toString('hex')}`;
    return { role, username: `first-${role}`, password, totpSecret: generateTotpSecret(), enrolment: enrol(password) };
  });
  const [admin, supervisor] = people as [(typeof people)[0], (typeof people)[0]];
  const mechanism = createOrgKey([supervisor.enrolment.keyPair.publicKey]);
  const receiptSalt = toB64u(randomBytes(16));
  const database = createDatabase(config.DATABASE_URL, { max: 2 });
  let result: Awaited<ReturnType<typeof bootstrapDeployment>>;
  try {
    const keys = await loadServerKeys(config);
    const audit = createAuditService({ repo: createAuditRepository(database.db), clock: systemClock, signingSecretKey: keys.audit.secretKey });
    result = await bootstrapDeployment(
      { db: database.db, orgs: createOrgRepository(database.db), users: createUserRepository(database.db), audit, clock: systemClock, keys },
      {
        mechanismName: 'CNDH Mali',
        receiptSalt,
        mechanismKey: { publicKey: mechanism.publicKey, keyId: mechanism.keyId },
        admin: { username: admin.username, upload: admin.enrolment.upload, totpSecret: admin.totpSecret },
        supervisor: { username: supervisor.username, upload: supervisor.enrolment.upload, totpSecret: supervisor.totpSecret, keyringEntry: mechanism.entries[0]!.entry },
      },
    );
  } finally {
    await database.close();
  }
  const adminP = await logIn(base, { id: result.adminId, username: admin.username, role: 'admin', password: admin.password, totpSecret: admin.totpSecret, keyPair: admin.enrolment.keyPair }, used);
  const supervisorP = await logIn(base, { id: result.supervisorId, username: supervisor.username, role: 'supervisor', password: supervisor.password, totpSecret: supervisor.totpSecret, keyPair: supervisor.enrolment.keyPair }, used);
  const officers: Person[] = [];
  for (let i = 0; i < officerCount; i++) {
    const username = `officer-${i + 1}`;
    const inv = await call(base, 'POST', '/v1/invitations', { headers: adminP.auth(), body: { username, role: 'officer', orgId: result.mechanismId } });
    if (inv.status !== 201) throw new Error(`invite ${username}: ${inv.status ?? inv.error} ${JSON.stringify(inv.body)}`);
    const password = `pw-${username}-${randomBytes(6).toString('hex')}`;
    const e = enrol(password);
    const totpSecret = generateTotpSecret();
    const res = await call(base, 'POST', '/v1/enrolments', { body: { token: (inv.body as { token: string }).token, ...e.upload, totpSecret, totpCode: nextCode(totpSecret, used) } });
    if (res.status !== 201) throw new Error(`enrol ${username}: ${res.status ?? res.error} ${JSON.stringify(res.body)}`);
    officers.push(await logIn(base, { id: (res.body as { id: string }).id, username, role: 'officer', password, totpSecret, keyPair: e.keyPair }, used));
  }
  return { mechanismId: result.mechanismId, intakeKey: { publicKey: mechanism.publicKey, keyId: mechanism.keyId, receiptSalt }, admin: adminP, supervisor: supervisorP, officers };
}
