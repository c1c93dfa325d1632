/**
 * Sending a consented referral: the organisation's current key from the API, the packet built and
 * sealed in the worker (the chosen case fields, opened there with the open case key, and the
 * chosen evidence files' keys and descriptions, all re-sealed under a fresh referral key sealed
 * to the organisation and to the sender), then uploaded. Only sealed strings pass through the page.
 */
import { caseFieldAd } from '../../../src/sdk/crypto/associated-data.js';
import { call, type ResponseOf } from '../api.js';
import { crypto } from '../crypto-client.js';
import { account } from '../session.js';
import { refOf } from '../files/open-listed.js';
import type { OpenedReport } from './referral-report-list.js';

export type OrgKey = ResponseOf<'listOrgKeys'>['keys'][number];
export type Referral = ResponseOf<'listCaseReferrals'>['items'][number];

/** The organisation's current key, or a failure the page words (`recipient_not_eligible`: it has none). */
export async function currentOrgKey(orgId: string): Promise<OrgKey> {
  const listed = await call('listOrgKeys', { params: { orgId } });
  const current = listed.keys.find((k) => k.current);
  if (!current) throw Object.assign(new Error('no current key'), { code: 'recipient_not_eligible' });
  return current;
}

/** The consented files as the case lists them now (sealed key and description, the server's hash and size), in the referral's order. */
async function chosenFiles(caseId: string, referral: Referral) {
  const ids = referral.files ?? [];
  if (ids.length === 0) return [];
  const listed = await call('listCaseFiles', { params: { caseId } });
  return ids.map((id) => {
    const file = listed.items.find((f) => f.id === id && f.attachedAt !== null);
    if (!file) throw Object.assign(new Error(`no file ${id}`), { code: 'referral_file_unavailable' });
    return refOf(file);
  });
}

/** Seals the referral's fields and files to `key` in the worker and uploads the packet: the referral is sent. */
export async function sendPacket(caseId: string, referral: Referral, key: OrgKey): Promise<Referral> {
  const userId = account.value?.id;
  if (!userId) throw Object.assign(new Error('locked'), { code: 'locked' });
  const sealed = await call('getCaseSealed', { params: { caseId } });
  const fields = Object.fromEntries(
    referral.fields.map((name) => {
      const value = sealed.fields[name];
      if (!value) throw Object.assign(new Error(`no ${name}`), { code: 'field_missing' });
      return [name, { sealed: value, ad: caseFieldAd(caseId, name) }];
    }),
  );
  const made = await crypto({ op: 'sealReferralPacket', caseId, referralId: referral.id, fields, files: await chosenFiles(caseId, referral), orgPublicKey: key.publicKey, orgKeyId: key.keyId });
  const orgId = referral.orgId ?? '';
  return call('uploadReferralPacket', {
    params: { referralId: referral.id },
    body: {
      packet: made.packet,
      envelopes: [
        { keyId: made.org.keyId, envelope: made.org.envelope, recipientType: 'org', recipientId: orgId },
        { keyId: made.own.keyId, envelope: made.own.envelope, recipientType: 'user', recipientId: userId },
      ],
    },
  });
}

/** The partner's reports of a referral, their notes opened in the worker with the sender's copy of the referral key. */
export async function readReports(referralId: string): Promise<OpenedReport[]> {
  const got = await call('getReferral', { params: { referralId } });
  const reports = got.reports ?? [];
  const withNote = reports.filter((r) => r.note !== null);
  const opened = withNote.length > 0 ? await crypto({ op: 'openReferralReports', referralId, envelopes: got.envelopes ?? [], reports: withNote.map((r) => ({ id: r.id, note: r.note! })) }) : [];
  return reports.map((r) => {
    const i = withNote.indexOf(r);
    return { id: r.id, status: r.status, reportedAt: r.reportedAt, hasNote: r.note !== null, text: i === -1 ? null : (opened[i] ?? null) };
  });
}
