/**
 * The warning that too few active members hold the current mechanism key, in the one shape the
 * custody screen and the admins' health page both read: how many hold it, how many should,
 * whether a split backup of the current key exists (one made before the last rotation does not
 * count: it does not open cases moved to the new key), and the screen where a holder grants the
 * key to another supervisor or makes a backup.
 */
export interface KeyholderWarning {
  code: 'too_few_keyholders';
  holders: number;
  minimum: number;
  backup: boolean;
  screen: '/console/custody';
}

export function keyholderWarning(holders: number, minimum: number, backup: boolean): KeyholderWarning | null {
  return holders < minimum ? { code: 'too_few_keyholders', holders, minimum, backup, screen: '/console/custody' } : null;
}
