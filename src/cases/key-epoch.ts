import { AppError } from '../lib/problem.js';


/** Throws 409 `key_epoch_changed` when the case (read under lock) was re-keyed since the client sealed. */
export function assertKeyEpoch(current: { keyEpoch: number }, sent: number | undefined): void {
  if (sent !== undefined && sent !== current.keyEpoch) {
    throw new AppError('key_epoch_changed', `the case was re-keyed (key generation ${current.keyEpoch}); open the new case key and seal again`);
  }
}
