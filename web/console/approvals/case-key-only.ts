/**
 * Opens a case's key in the worker without opening its fields: the approvals list needs the key
 * only to open what the supervisor asked to read (an assessment's narratives, an appeal's
 * grounds). False when no envelope opens with the account's keys (the codes are shown alone).
 */
import { call, codeOf } from '../api.js';
import { crypto } from '../crypto-client.js';
import { account } from '../session.js';

export async function openCaseKeyOnly(caseId: string): Promise<boolean> {
  try {
    const sealed = await call('getCaseSealed', { params: { caseId } });
    if (sealed.envelopes.length === 0) return false;
    const keyring = (account.value?.keyring ?? []).map((k) => ({ orgKeyId: k.orgKeyId, entry: k.entry }));
    await crypto({ op: 'openCaseKey', caseId, keyEpoch: sealed.keyEpoch, envelopes: sealed.envelopes, keyring });
    return true;
  } catch (err) {
    // Not a reader of this case (no envelope, or none that opens): the metadata is all there is.
    if (['no_envelope', 'break_glass_required'].includes(codeOf(err))) return false;
    throw err;
  }
}
