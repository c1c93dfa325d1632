import { AppError } from '../lib/problem.js';
import type { Queryable } from '../db/client.js';
import type { NoteRepository } from './note-repository.js';

/** A staff-key envelope as a client sends it. */
export type StaffEnvelopeInput = { keyId: string; envelope: string; recipientType: 'org' | 'user'; recipientId: string };

const readerOf = (r: { recipientType: string; recipientId: string }): string => `${r.recipientType}:${r.recipientId}`;
const some = (xs: string[]): string => (xs.length > 5 ? `${xs.slice(0, 5).join(', ')} and ${xs.length - 5} more` : xs.join(', '));

/**
 * The staff among a case's readers: users (case envelopes go to officers and supervisors only)
 * and the mechanism. Never the defender, never another organisation.
 */
export function staffReaders<E extends { recipientType: string; recipientId: string }>(envelopes: readonly E[], mechanismId: string | undefined): E[] {
  return envelopes.filter((e) => e.recipientType === 'user' || (e.recipientType === 'org' && e.recipientId === mechanismId));
}

/**
 * Checks that `given` holds exactly one envelope per expected holder (reader -> keyId), each at
 * that keyId and none of them an old one; returns what is wrong (empty: complete).
 */
export function staffEnvelopeProblems(given: readonly StaffEnvelopeInput[], expected: ReadonlyMap<string, string>, old: ReadonlySet<string> = new Set()): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const e of given) {
    const reader = readerOf(e);
    const keyId = expected.get(reader);
    if (keyId === undefined) problems.push(`${reader} is not a staff holder of the case`);
    else if (seen.has(reader)) problems.push(`${reader} has two envelopes`);
    else if (e.keyId !== keyId) problems.push(`the envelope of ${reader} must be addressed to ${keyId}, not ${e.keyId}`);
    else if (old.has(e.envelope)) problems.push(`the envelope of ${reader} is the current one: it seals the old staff key`);
    seen.add(reader);
  }
  const missing = [...expected.keys()].filter((r) => !seen.has(r));
  if (missing.length > 0) problems.push(`no envelope for ${some(missing)}`);
  return problems;
}

/**
 * The staff part of a re-key, checked against the locked case: a case with a staff key must get
 * a new one, sealed to every staff holder who remains a reader (at the key their case envelope
 * goes to), with every note re-sealed exactly once; a case without one takes none.
 */
export async function planStaffRekey(
  notes: Pick<NoteRepository, 'staffEnvelopes' | 'all'>,
  caseId: string,
  staff: { envelopes: StaffEnvelopeInput[]; notes: Array<{ id: string; sealed: string }> } | undefined,
  remaining: ReadonlyMap<string, string>,
  tx: Queryable,
): Promise<void> {
  const current = await notes.staffEnvelopes(caseId, tx);
  if (current.length === 0) {
    if (staff) throw new AppError('conflict', 'this case has no staff key: a re-key of it carries none');
    return;
  }
  if (!staff) throw new AppError('rekey_incomplete', 'staff: this case has a staff key (internal notes): a new one and every note re-sealed under it must come with the re-key');
  const expected = new Map<string, string>();
  for (const e of current) {
    const keyId = remaining.get(readerOf(e));
    if (keyId !== undefined) expected.set(readerOf(e), keyId);
  }
  const envelopeProblems = staffEnvelopeProblems(staff.envelopes, expected, new Set(current.map((e) => e.envelope)));
  if (envelopeProblems.length > 0) throw new AppError('rekey_incomplete', `staff envelopes: ${some(envelopeProblems)}`);

  const stored = new Map((await notes.all(caseId, tx)).map((n) => [n.id, n.body]));
  const given = new Set<string>();
  const problems: string[] = [];
  for (const n of staff.notes) {
    if (given.has(n.id)) problems.push(`note ${n.id} given twice`);
    given.add(n.id);
    const old = stored.get(n.id);
    if (old === undefined) problems.push(`${n.id} is no note of this case`);
    else if (old === n.sealed) problems.push(`note ${n.id} unchanged, still under the old staff key`);
  }
  const missing = [...stored.keys()].filter((id) => !given.has(id));
  if (missing.length > 0) problems.push(`${missing.length} note(s) not re-sealed (${some(missing)})`);
  if (problems.length > 0) throw new AppError('rekey_incomplete', `notes: ${some(problems)}`);
}
