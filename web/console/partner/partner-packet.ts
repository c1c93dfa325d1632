/**
 * A partner member's referral as the page handles it: the API's answer, the packet opened in the
 * worker with the organisation key from the member's keyring (getMe), reports sealed there under
 * the referral key. Only sealed strings and the packet's words (shown to the member it was sent
 * to) pass through the page.
 */
import type { JsonValue } from '../../../src/sdk/index.js';
import { call, codeOf, type ResponseOf } from '../api.js';
import { crypto } from '../crypto-client.js';
import type { KeyringItem } from '../protocol.js';
import type { OpenedReport } from '../referrals/referral-report-list.js';
import { account } from '../session.js';

export type PartnerReferral = ResponseOf<'getReferral'>['referral'];
export type Deadline = ResponseOf<'listDeadlines'>['items'][number];

export interface OpenedPacket {
  fields: Array<[string, JsonValue]>;
  files: Array<{ fileId: string; name: string; type: string; size: number }>;
}

/** The account's keyring entries, as the worker opens them (the organisation keys). */
export function keyringOfAccount(): KeyringItem[] {
  return (account.value?.keyring ?? []).map((k) => ({ orgKeyId: k.orgKeyId, entry: k.entry }));
}

/**
 * One referral: its metadata, and while the organisation has access, the packet opened in the
 * worker (whose referral key then seals reports) and the reports' notes.
 */
export async function loadReferral(referralId: string): Promise<{ referral: PartnerReferral; packet: OpenedPacket | null; packetProblem: string | null; reports: OpenedReport[] }> {
  const got = await call('getReferral', { params: { referralId } });
  const reports = got.reports ?? [];
  const withNote = reports.filter((r) => r.note !== null);
  let packet: OpenedPacket | null = null;
  let notes: Array<string | null> = [];
  let packetProblem: string | null = null;
  if (got.packet && (got.envelopes ?? []).length > 0) {
    // Sealed to a key this session has not seen (a colleague rotated it since the sign-in): the account's keyring is read again.
    const known = new Set((account.value?.keyring ?? []).map((k) => k.orgKeyId));
    if (!(got.envelopes ?? []).some((e) => known.has(e.keyId))) account.value = await call('getMe');
    try {
      const opened = await crypto({ op: 'openReferralPacket', referralId, packet: got.packet, envelopes: got.envelopes ?? [], keyring: keyringOfAccount(), reports: withNote.map((r) => ({ id: r.id, note: r.note! })) });
      packet = { fields: Object.entries(opened.fields), files: opened.files };
      notes = opened.reports;
    } catch (err) {
      // The referral itself is still shown (its state, its deadline), with why its packet does not open.
      packetProblem = codeOf(err);
    }
  }
  return {
    referral: got.referral,
    packet,
    packetProblem,
    reports: reports.map((r) => {
      const i = withNote.indexOf(r);
      return { id: r.id, status: r.status, reportedAt: r.reportedAt, hasNote: r.note !== null, text: i === -1 ? null : (notes[i] ?? null) };
    }),
  };
}

/** Sends a progress report, its note (if any) sealed in the worker under the open referral key. */
export async function sendReport(referralId: string, status: 'in_progress' | 'completed' | 'unable_to_act', text: string): Promise<void> {
  const id = self.crypto.randomUUID();
  const note = text.trim() ? await crypto({ op: 'sealReferralReport', referralId, reportId: id, text: text.trim() }) : null;
  await call('addReferralReport', { params: { referralId }, body: { id, status, ...(note ? { note } : {}) } });
}
