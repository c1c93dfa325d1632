/**
 * Keeps the session's access token fresh while the crypto worker transfers a file: its tus
 * requests carry the token the page last gave it, and an upload of a long video on a slow line
 * outlasts an access token (minutes). The page renews the pair a minute before the token
 * expires (its `exp`, read from the token the page already holds), and the worker follows.
 */

/** When an access token (a JWT) expires, in ms since the epoch; null when it cannot be read. */
function expiresAt(token: string): number | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const json = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: unknown };
    return typeof json.exp === 'number' ? json.exp * 1000 : null;
  } catch {
    return null;
  }
}

const EARLY_MS = 60_000;
const MIN_WAIT_MS = 10_000;

/** Renews the session before each expiry until the returned function is called. */
export function keepSessionFresh(token: () => string | null, refresh: () => Promise<boolean>): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const plan = (): void => {
    const current = token();
    const exp = current ? expiresAt(current) : null;
    if (stopped || exp === null) return;
    timer = setTimeout(() => {
      void refresh().then((alive) => {
        if (alive) plan();
      });
    }, Math.max(MIN_WAIT_MS, exp - EARLY_MS - Date.now()));
  };
  plan();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
