/**
 * Colleagues' names for the screens that say who did what (an assessment, a measure, the
 * timeline): the staff directory, read once per session and forgotten when the session changes.
 * Until it has answered, or for a role that may not read it, a screen says "a colleague".
 */
import { effect, signal } from '@preact/signals';
import { call } from '../api.js';
import { account } from '../session.js';

const names = signal<ReadonlyMap<string, string>>(new Map());
let asked: string | null = null;

effect(() => {
  const id = account.value?.id ?? null;
  if (id !== asked) {
    asked = null;
    names.value = new Map();
  }
});

/** The username of a colleague, or null while it is not known. Reading it re-renders the screen once the directory answers. */
export function staffName(userId: string): string | null {
  const me = account.value?.id ?? null;
  // Only the roles policies/access.yaml lets read the directory ask for it: anyone else would be refused, and audited, at each session.
  const mayRead = account.value?.role === 'officer' || account.value?.role === 'supervisor';
  if (me && mayRead && asked !== me) {
    asked = me;
    call('listStaffDirectory').then(
      (r) => {
        if (asked === me) names.value = new Map(r.items.map((m) => [m.userId, m.username]));
      },
      () => undefined,
    );
  }
  return names.value.get(userId) ?? null;
}
