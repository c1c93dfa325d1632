/**
 * Keys pinned at first use: the console remembers, for each person who uses it, the keyId of
 * each organisation key and each colleague's key it first showed them. A key that later differs
 * is a warning (a rotation, or a server handing out another key): nothing is sealed to it until
 * the person confirms they compared the new fingerprint with its holder. KeyIds are public, so
 * they may live in localStorage; the worker still checks each key against its keyId.
 */

/** What a key is to the person: never seen, the one pinned, or another one than pinned. */
export type PinState = { state: 'new' } | { state: 'same' } | { state: 'changed'; pinnedKeyId: string };

/** The part of Storage the pins need (localStorage in the console; a Map in a unit test). */
export interface PinStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const KEY_ID = /^[A-Za-z0-9_-]{22}$/;

/** The fingerprint of a keyId as the API and the account screen print it: its 16 bytes in upper-case hex, eight groups of four. */
export function fingerprintOf(keyId: string): string {
  if (!KEY_ID.test(keyId)) return keyId;
  const binary = atob(keyId.replace(/-/g, '+').replace(/_/g, '/') + '==');
  const hex = Array.from(binary, (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('').toUpperCase();
  return hex.match(/.{4}/g)!.join(' ');
}

/** What is pinned for whom: `org:<orgId>` and `user:<userId>` subjects, per account of the console. */
export function createPins(storage: PinStorage) {
  const slot = (owner: string) => `egide.pinnedKeys.${owner}`;
  const read = (owner: string): Record<string, string> => {
    try {
      const value: unknown = JSON.parse(storage.getItem(slot(owner)) ?? '{}');
      return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, string>) : {};
    } catch {
      return {};
    }
  };
  return {
    /** Where `keyId` stands against what `owner` pinned for `subject`. */
    check(owner: string, subject: string, keyId: string): PinState {
      const pinned = read(owner)[subject];
      if (pinned === undefined) return { state: 'new' };
      return pinned === keyId ? { state: 'same' } : { state: 'changed', pinnedKeyId: pinned };
    },
    /** Pins `keyId` for `subject` (first use, or a change the person confirmed). */
    pin(owner: string, subject: string, keyId: string): void {
      storage.setItem(slot(owner), JSON.stringify({ ...read(owner), [subject]: keyId }));
    },
  };
}

/** A browser with storage turned off still works: the pins then last as long as the page. */
function browserStorage(): PinStorage {
  try {
    const probe = 'egide.pinnedKeys.probe';
    localStorage.setItem(probe, '1');
    localStorage.removeItem(probe);
    return localStorage;
  } catch {
    const memory = new Map<string, string>();
    return { getItem: (k) => memory.get(k) ?? null, setItem: (k, v) => void memory.set(k, v) };
  }
}

let pins: ReturnType<typeof createPins> | null = null;

/** The console's pins, in localStorage. */
export function consolePins(): ReturnType<typeof createPins> {
  pins ??= createPins(browserStorage());
  return pins;
}
