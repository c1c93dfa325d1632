import { randomUUID } from 'node:crypto';
import type { Db } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import type { ServerKeys } from '../lib/server-keys.js';
import { AppError } from '../lib/problem.js';
import { systemContext } from '../access/principal.js';
import type { AuditService } from '../audit/audit-service.js';
import type { OrgRepository } from './org-repository.js';
import type { UserRepository } from '../users/user-repository.js';
import { sealTotpSecret } from '../auth/totp.js';
import { checkKeyMaterial } from '../users/key-material.js';

/** A person's client-made account material (the SDK's `enrol(password).upload`) and their TOTP secret. */
export interface FirstUser {
  username: string;
  upload: { publicKey: string; keyId: string; salt: string; verifier: string; wrappedPrivateKey: string; recoveryWrap: string };
  totpSecret: string;
}

export interface BootstrapInput {
  mechanismName: string;
  /** 16 random bytes, b64u: published with the intake key. */
  receiptSalt: string;
  /** The mechanism (intake) key pair's public half, made on the bootstrapping client. */
  mechanismKey: { publicKey: string; keyId: string };
  admin: FirstUser;
  supervisor: FirstUser & { keyringEntry: string };
}

export interface BootstrapResult {
  mechanismId: string;
  adminId: string;
  supervisorId: string;
  mechanismKeyId: string;
}

/**
 * Creates a deployment's first state in one transaction: the mechanism, its key, the first
 * admin and the first supervisor (who holds the mechanism key). Every key was made on the
 * client (the CLI); the server only stores public halves and wraps. Refuses to run twice.
 */
export async function bootstrapDeployment(
  deps: { db: Db; orgs: OrgRepository; users: UserRepository; audit: Pick<AuditService, 'record'>; clock: Clock; keys: Pick<ServerKeys, 'totpKey'> },
  input: BootstrapInput,
): Promise<BootstrapResult> {
  const { db, orgs, users, audit, clock, keys } = deps;
  checkKeyMaterial(input.admin.upload);
  checkKeyMaterial(input.supervisor.upload);
  checkKeyMaterial({ publicKey: input.mechanismKey.publicKey, keyId: input.mechanismKey.keyId, salt: input.receiptSalt });
  const ctx = systemContext(`bootstrap-${randomUUID()}`);
  return db.transaction(async (tx) => {
    if (await orgs.mechanism(tx)) throw new AppError('already_exists', 'this deployment is already bootstrapped');
    const mechanismId = randomUUID();
    const keyRowId = randomUUID();
    const adminId = randomUUID();
    const supervisorId = randomUUID();
    await orgs.insert({ id: mechanismId, kind: 'mechanism', category: 'mechanism', name: input.mechanismName, receiptSalt: input.receiptSalt }, tx);
    await orgs.rotateKey({ id: keyRowId, orgId: mechanismId, publicKey: input.mechanismKey.publicKey, keyId: input.mechanismKey.keyId }, clock.now(), tx);
    for (const [id, role, u] of [
      [adminId, 'admin', input.admin],
      [supervisorId, 'supervisor', input.supervisor],
    ] as const) {
      await users.insert({ id, username: u.username, role, orgId: mechanismId, ...u.upload, totpSecret: sealTotpSecret(u.totpSecret, keys.totpKey) }, tx);
      await audit.record(ctx, { action: 'bootstrap.user', resource: `user:${id}`, outcome: 'allowed', reason: `first ${role}` }, tx);
    }
    await orgs.insertKeyringEntry({ id: randomUUID(), orgKeyId: keyRowId, userId: supervisorId, memberKeyId: input.supervisor.upload.keyId, entry: input.supervisor.keyringEntry, createdBy: null }, tx);
    await audit.record(ctx, { action: 'bootstrap.mechanism', resource: `org:${mechanismId}`, outcome: 'allowed', reason: `intake key ${input.mechanismKey.keyId}` }, tx);
    return { mechanismId, adminId, supervisorId, mechanismKeyId: input.mechanismKey.keyId };
  });
}
