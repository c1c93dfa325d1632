/**
 * Opening a case in the worker: the sealed fields and envelopes from the API, the case key opened
 * there (from the officer's own envelope, or the mechanism key of their keyring), then each field
 * opened with the AD the SDK sealed it with (egide/v1/case/<caseId>/<field>). Only display text
 * comes back; a field that does not open comes back as null.
 */
import { caseFieldAd } from '../../../src/sdk/crypto/associated-data.js';
import { call } from '../api.js';
import { crypto } from '../crypto-client.js';
import { account } from '../session.js';
import { fieldText } from './field-text.js';

export interface OpenedField {
  name: string;
  /** null: the field did not open (tampered, moved, or sealed under another key). */
  text: string | null;
}

export interface OpenedCase {
  keyEpoch: number;
  fields: OpenedField[];
}

/** The fields in the order a reader expects them; any other field follows. */
const ORDER = ['identity', 'contact', 'location', 'narrative', 'relatives'];

export async function openCase(caseId: string): Promise<OpenedCase> {
  const sealed = await call('getCaseSealed', { params: { caseId } });
  const keyring = (account.value?.keyring ?? []).map((k) => ({ orgKeyId: k.orgKeyId, entry: k.entry }));
  if (sealed.envelopes.length === 0) throw Object.assign(new Error('no envelope'), { code: 'no_envelope' });
  const { keyEpoch } = await crypto({ op: 'openCaseKey', caseId, keyEpoch: sealed.keyEpoch, envelopes: sealed.envelopes, keyring });
  const names = Object.keys(sealed.fields).sort((a, b) => rank(a) - rank(b));
  const opened = await crypto({ op: 'open', caseId, items: names.map((name) => ({ sealed: sealed.fields[name]!, ad: caseFieldAd(caseId, name) })) });
  return { keyEpoch, fields: names.map((name, i) => ({ name, text: opened[i] == null ? null : fieldText(opened[i]) })) };
}

function rank(name: string): number {
  const i = ORDER.indexOf(name);
  return i === -1 ? ORDER.length : i;
}
