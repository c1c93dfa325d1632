/**
 * The warning that too few active members hold the current mechanism key, in the one shape the
 * custody screen and the admins' health page both read: how many hold it, how many should, and
 * the screen where a holder grants it to another supervisor.
 */
export interface KeyholderWarning {
  code: 'too_few_keyholders';
  holders: number;
  minimum: number;
  screen: '/console/custody';
}

export function keyholderWarning(holders: number, minimum: number): KeyholderWarning | null {
  return holders < minimum ? { code: 'too_few_keyholders', holders, minimum, screen: '/console/custody' } : null;
}
