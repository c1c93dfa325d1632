import { isIP } from 'node:net';

/**
 * Which `X-Forwarded-For` entries the service believes. Trusting every proxy (the old `true`)
 * let any client write its own address in the header and escape every per-address limit, so
 * the setting names exactly what sits in front of the service:
 *   - `false` (default): nothing is trusted, the peer's address is the client's;
 *   - a number of hops, `1` to `10`: that many proxies in front, the client being the entry the
 *     last of them appended (counted from the right). Only safe when the service cannot be
 *     reached except through them (bound to a private address or behind a firewall);
 *   - a comma-separated list of proxy addresses or CIDR ranges (or `loopback`, `linklocal`,
 *     `uniquelocal`): entries are believed only while they come from one of these, from the
 *     right; the first other address is the client. The safer choice.
 */
export type TrustProxy = false | number | string[];

const NAMED = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrRange(entry: string): boolean {
  if (NAMED.has(entry)) return true;
  const [address, prefix, extra] = entry.split('/');
  if (extra !== undefined || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/** Parses TRUST_PROXY; a string naming what is wrong on a bad value. */
export function parseTrustProxy(raw: string): TrustProxy | string {
  const value = raw.trim();
  if (value === '' || value === 'false') return false;
  if (value === 'true') return 'true would trust every proxy, so any client could choose its own address: give the number of proxies in front (e.g. 1) or their addresses';
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops < 1 || hops > 10) return 'a number of proxies must be 1 to 10';
    return hops;
  }
  const entries = value.split(',').map((e) => e.trim());
  const bad = entries.filter((e) => !isAddressOrRange(e));
  if (bad.length > 0) return `not an address or CIDR range: ${bad.slice(0, 3).join(', ')}`;
  return entries;
}

/**
 * What Fastify's `trustProxy` option gets. Fastify 5 ignores a bare hop count (it cannot check
 * the peer), so hops become a function trusting the first `n` addresses from the right: the
 * socket's peer and the n - 1 entries before it.
 */
export function trustProxyOption(setting: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (setting === false) return false;
  if (typeof setting === 'number') return (_address: string, hop: number) => hop < setting;
  return setting;
}
