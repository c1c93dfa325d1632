/**
 * What never reaches the logs: secrets and sealed content. Fastify logs no bodies by default;
 * these paths cover headers and anything a handler might log by mistake.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-receipt"]',
  'res.headers["set-cookie"]',
  '*.authKey',
  '*.accessToken',
  '*.refreshToken',
  '*.password',
  '*.receipt',
  '*.token',
  '*.totp',
  '*.totpSecret',
  '*.verifier',
  '*.wrappedPrivateKey',
  '*.recoveryWrap',
  '*.envelope',
  '*.sealed',
  '*.tokens',
  '*.entry',
  'body',
  'req.body',
];

export const CENSOR = '[redacted]';

/**
 * Query parameters whose values are replaced in the URL every request logs: whatever the paths
 * above name, and what clients and attackers put in URLs by habit (OAuth's access_token and code,
 * API keys, signatures). No route of the API takes a secret in its query string, but a client
 * may send one anyway (a receipt pasted into a link, a token in `?access_token=`), and the log
 * must not keep it.
 */
const SENSITIVE_QUERY_NAMES = [
  ...REDACT_PATHS.map((path) => /([A-Za-z0-9_-]+)"?\]?$/.exec(path)![1]!),
  'token',
  'access_token',
  'receipt',
  'code',
  'key',
  'secret',
  'signature',
  'sig',
  'recoveryCode',
  'session',
];

/** A name as compared: lower case, letters and digits only (`access_token` = `accessToken` = `Access-Token`). */
const normalise = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');
const SENSITIVE = [...new Set(SENSITIVE_QUERY_NAMES.map(normalise))];

/** Whether a parameter of this name is sensitive: one of the names, or ending with one (`refresh_token`, `api-key`, `resetCode`). */
export function isSensitiveName(name: string): boolean {
  const n = normalise(name);
  return SENSITIVE.some((s) => n.endsWith(s));
}

/**
 * The URL with the value of every sensitive query parameter replaced by `[redacted]`. Names are
 * compared decoded (`%74oken` is `token`); a name that does not decode has its value replaced
 * too, since what it says cannot be known.
 */
export function redactQuery(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const pairs = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      const raw = pair.slice(0, eq);
      let name: string | null;
      try {
        name = decodeURIComponent(raw.replaceAll('+', ' '));
      } catch {
        name = null;
      }
      return name === null || isSensitiveName(name) ? `${raw}=${CENSOR}` : pair;
    });
  return `${url.slice(0, q)}?${pairs.join('&')}`;
}

/** What a request logs (Fastify's own fields), its URL's sensitive query values replaced. */
export function serializeRequest(req: {
  method?: string | undefined;
  url?: string | undefined;
  headers?: Record<string, string | string[] | undefined>;
  socket?: { remotePort?: number | undefined } | null;
  host?: string;
  ip?: string;
}): { method?: string; url?: string; version?: string; host?: string; remoteAddress?: string; remotePort?: number } {
  const version = req.headers?.['accept-version'];
  const remotePort = req.socket?.remotePort;
  return {
    ...(req.method !== undefined ? { method: req.method } : {}),
    ...(req.url !== undefined ? { url: redactQuery(req.url) } : {}),
    ...(typeof version === 'string' ? { version } : {}),
    ...(req.host !== undefined ? { host: req.host } : {}),
    ...(req.ip !== undefined ? { remoteAddress: req.ip } : {}),
    ...(remotePort !== undefined ? { remotePort } : {}),
  };
}
