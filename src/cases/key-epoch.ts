import { Type } from 'typebox';
import { AppError } from '../lib/problem.js';

/**
 * Sealed writes name the case key generation they sealed under (`keyEpoch`, from the sealed
 * read). A re-key locks the case row and moves every reader to a new key: a value sealed under
 * the replaced key and stored after it would be readable by a revoked reader's old key and by
 * no current one. Optional, for clients that seal right after reading the key.
 */
export const KeyEpoch = Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'the case key generation the sealed values are under (GET /v1/cases/:caseId/sealed); refused with key_epoch_changed after a re-key' });

/** Throws 409 `key_epoch_changed` when the case (read under lock) was re-keyed since the client sealed. */
export function assertKeyEpoch(current: { keyEpoch: number }, sent: number | undefined): void {
  if (sent !== undefined && sent !== current.keyEpoch) {
    throw new AppError('key_epoch_changed', `the case was re-keyed (key generation ${current.keyEpoch}); open the new case key and seal again`);
  }
}
