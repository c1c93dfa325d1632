import { randomBytes } from 'node:crypto';
import { createOrgKey, enrol, login, openAccount, ready, toB64u, type BoxKeyPair } from '../../src/sdk/index.js';
import { bootstrapDeployment } from '../../src/orgs/bootstrap.js';
import { generateTotpSecret, totpCode } from '../../src/auth/totp.js';
import { loadServerKeys } from '../../src/lib/server-keys.js';
import type { StaffRole } from '../../src/access/principal.js';
import type { TestApp } from './app.js';

/** A person using the service through HTTP, with the keys their own client holds. */
export interface Actor {
  id: string;
  username: string;
  role: StaffRole;
  orgId: string;
  password: string;
  totpSecret: string;
  recoveryCode: string;
  keyPair: BoxKeyPair;
  accessToken: string;
  refreshToken: string;
  /** Test-clock time the access token was issued: tests move the clock, real clients refresh. */
  issuedAt: number;
  auth(): { authorization: string };
}

/** Logs the actor in again (after a test moved the clock by days: every token has expired). */
export async function reauth(t: TestApp, actor: Actor): Promise<void> {
  const tokens = await logIn(t, actor);
  actor.accessToken = tokens.accessToken;
  actor.refreshToken = tokens.refreshToken;
  actor.issuedAt = t.clock.now().getTime();
}

/** Rotates the actor's tokens through /v1/auth/refresh when the test clock has moved close to expiry. */
export async function refreshIfStale(t: TestApp, actor: Actor): Promise<void> {
  if (t.clock.now().getTime() - actor.issuedAt < 10 * 60_000) return;
  const res = await t.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: actor.refreshToken } });
  if (res.statusCode !== 200) throw new Error(`refresh ${res.statusCode} ${res.body}`);
  const tokens = res.json();
  actor.accessToken = tokens.accessToken;
  actor.refreshToken = tokens.refreshToken;
  actor.issuedAt = t.clock.now().getTime();
}

/** A fresh TOTP code: the clock moves past the last used step, since a code is accepted only once. */
export function nextTotp(t: TestApp, secret: string): string {
  t.clock.advance(31_000);
  return totpCode(secret, t.clock.now());
}

/** Logs an actor in through HTTP as their client would (prelogin, Argon2id, login). */
export async function logIn(t: TestApp, actor: Pick<Actor, 'username' | 'password' | 'totpSecret'>): Promise<{ accessToken: string; refreshToken: string }> {
  const pre = await t.app.inject({ method: 'POST', url: '/v1/auth/prelogin', payload: { username: actor.username } });
  if (pre.statusCode !== 200) throw new Error(`prelogin ${pre.statusCode} ${pre.body}`);
  const keys = login(actor.password, pre.json());
  const res = await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { username: actor.username, authKey: toB64u(keys.authKey), totp: nextTotp(t, actor.totpSecret) } });
  if (res.statusCode !== 200) throw new Error(`login ${res.statusCode} ${res.body}`);
  return res.json();
}

function actorOf(t: TestApp, base: Omit<Actor, 'accessToken' | 'refreshToken' | 'auth' | 'issuedAt'>, tokens: { accessToken: string; refreshToken: string }): Actor {
  const a: Actor = { ...base, ...tokens, issuedAt: t.clock.now().getTime(), auth: () => ({ authorization: `Bearer ${a.accessToken}` }) };
  return a;
}

export interface Deployment {
  mechanismId: string;
  mechanismKey: BoxKeyPair;
  mechanismKeyId: string;
  receiptSalt: string;
  admin: Actor;
  supervisor: Actor;
}

/** Bootstraps the deployment as the CLI does (keys made client-side), then logs both first users in. */
export async function bootstrap(t: TestApp): Promise<Deployment> {
  await ready();
  const people = ['admin', 'supervisor'].map((role) => {
    const password = `pw-${role}-${randomBytes(4).toString('hex')}`;
    return { role: role as StaffRole, username: `first-${role}`, password, totpSecret: generateTotpSecret(), enrolment: enrol(password) };
  });
  const [admin, supervisor] = people as [(typeof people)[0], (typeof people)[0]];
  const mechanism = createOrgKey([supervisor.enrolment.keyPair.publicKey]);
  const receiptSalt = toB64u(randomBytes(16));
  const svc = t.app.services;
  const result = await bootstrapDeployment(
    { db: svc.db, orgs: svc.repos.orgs, users: svc.repos.users, audit: svc.audit, clock: t.clock, keys: await loadServerKeys(t.config) },
    {
      mechanismName: 'CNDH Mali',
      receiptSalt,
      mechanismKey: { publicKey: mechanism.publicKey, keyId: mechanism.keyId },
      admin: { username: admin.username, upload: admin.enrolment.upload, totpSecret: admin.totpSecret },
      supervisor: { username: supervisor.username, upload: supervisor.enrolment.upload, totpSecret: supervisor.totpSecret, keyringEntry: mechanism.entries[0]!.entry },
    },
  );
  const make = async (p: typeof admin, id: string) =>
    actorOf(t, { id, username: p.username, role: p.role, orgId: result.mechanismId, password: p.password, totpSecret: p.totpSecret, recoveryCode: p.enrolment.recoveryCode, keyPair: p.enrolment.keyPair }, await logIn(t, p));
  return {
    mechanismId: result.mechanismId,
    mechanismKey: mechanism.keyPair,
    mechanismKeyId: mechanism.keyId,
    receiptSalt,
    admin: await make(admin, result.adminId),
    supervisor: await make(supervisor, result.supervisorId),
  };
}

/** The admin invites, the person enrols from their own client (keys and TOTP made there), then logs in. */
export async function enrolActor(t: TestApp, admin: Actor, input: { username: string; role: StaffRole; orgId: string }): Promise<Actor> {
  await refreshIfStale(t, admin);
  const inv = await t.app.inject({ method: 'POST', url: '/v1/invitations', headers: admin.auth(), payload: input });
  if (inv.statusCode !== 201) throw new Error(`invite ${inv.statusCode} ${inv.body}`);
  const password = `pw-${input.username}-${randomBytes(4).toString('hex')}`;
  const e = enrol(password);
  const totpSecret = generateTotpSecret();
  const res = await t.app.inject({ method: 'POST', url: '/v1/enrolments', payload: { token: inv.json().token, ...e.upload, totpSecret, totpCode: nextTotp(t, totpSecret) } });
  if (res.statusCode !== 201) throw new Error(`enrol ${res.statusCode} ${res.body}`);
  const user = res.json();
  return actorOf(t, { id: user.id, username: input.username, role: input.role, orgId: input.orgId, password, totpSecret, recoveryCode: e.recoveryCode, keyPair: e.keyPair }, await logIn(t, { username: input.username, password, totpSecret }));
}

/** An actor's client after login: the account bundle fetched and the private key unwrapped with the password. */
export async function openOwnKeys(t: TestApp, actor: Actor): Promise<BoxKeyPair> {
  const pre = (await t.app.inject({ method: 'POST', url: '/v1/auth/prelogin', payload: { username: actor.username } })).json();
  const me = (await t.app.inject({ method: 'GET', url: '/v1/me', headers: actor.auth() })).json();
  return openAccount(login(actor.password, pre), me.wrappedPrivateKey);
}
