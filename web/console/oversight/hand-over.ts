/**
 * The two case commands a supervisor runs to move work between people, with the keys handled in
 * the crypto worker only: a hand-over (the case key opened from the mechanism's envelope, sealed to
 * the new officer's public key, sent with the reassignment) and a re-key that revokes one staff
 * member's envelopes (the SDK's re-key in the worker). Both are the API's ordinary commands.
 */
import type { RekeyBundle } from '../../../src/sdk/index.js';
import { call, transition } from '../api.js';
import { crypto } from '../crypto-client.js';
import type { OfficerKey } from '../keys/officer-key.js';
import { account } from '../session.js';

const keyringOf = () => (account.value?.keyring ?? []).map((k) => ({ orgKeyId: k.orgKeyId, entry: k.entry }));

/**
 * Reassigns an open case to an officer with a reason, the case key sealed to `officer`'s key: the
 * one the supervisor checked on screen (OfficerKeyCheck), never one fetched here unseen.
 */
export async function handOverCase(caseId: string, officer: OfficerKey, reason: string): Promise<void> {
  const sealed = await call('getCaseSealed', { params: { caseId } });
  await crypto({ op: 'openCaseKey', caseId, keyEpoch: sealed.keyEpoch, envelopes: sealed.envelopes, keyring: keyringOf() });
  const { userId: officerId, ...key } = officer;
  const envelope = await crypto({ op: 'sealCaseKeyTo', caseId, publicKey: key.publicKey, keyId: key.keyId });
  await transition(caseId, 'reassign', { reason, assigneeId: officerId, keyId: envelope.keyId, envelope: envelope.envelope });
}

/** Assigns a case of the intake pool to an officer (acknowledge); the case key follows through the officer grant. */
export async function assignPoolCase(caseId: string, officerId: string, reason: string): Promise<void> {
  await transition(caseId, 'acknowledge', { reason, assigneeId: officerId });
}

/** Re-keys a case so that `userId` holds no envelope of it any more. */
export async function rekeyWithout(caseId: string, userId: string): Promise<void> {
  const bundle = await call('getCaseRekeyBundle', { params: { caseId } });
  const { body } = await crypto({ op: 'rekeyWithout', caseId, userId, bundle: bundle as RekeyBundle, keyring: keyringOf() });
  await call('rekeyCase', { params: { caseId }, body });
}
