import { lookup } from 'node:dns/promises';
import { lookup as lookupCallback, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent } from 'undici';
import { AppError } from '../lib/problem.js';

/**
 * Where a webhook may point (OWASP API7, server-side request forgery): an https URL whose host
 * resolves only to public addresses. Loopback, private, link-local (cloud metadata at
 * 169.254.169.254), carrier-grade NAT, unique-local, multicast and reserved ranges are refused,
 * so that an admin's typo or a stolen admin session cannot make the service POST into its own
 * network (PostgreSQL, Redis, the metrics port). Checked at registration and again before each
 * delivery, since a name can be re-pointed after it was registered.
 *
 * `allowPrivate` (WEBHOOK_ALLOW_PRIVATE_TARGETS) is for development and tests only: it lets http
 * and local addresses through, for a receiver on the same machine.
 */
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** Is this address one a webhook may not reach? IPv4-mapped IPv6 (::ffff:a.b.c.d) is judged as IPv4. */
export function isForbiddenAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return isForbiddenAddress(mapped[1]!);
  const family = isIP(address);
  if (family === 0) return true;
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export type Resolver = (host: string) => Promise<string[]>;

const systemResolver: Resolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

const refuse = (message: string) => new AppError('webhook_target_refused', `the webhook URL ${message}`, { errors: [{ field: '/body/url', message }] });

/**
 * Throws `webhook_target_refused` unless `raw` is an https URL, without credentials, whose host
 * resolves (every address of it) to public addresses only.
 */
export async function checkWebhookTarget(raw: string, opts: { allowPrivate: boolean; resolve?: Resolver }): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse('is not a URL');
  }
  if (opts.allowPrivate) {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuse('must be http(s)');
    return url;
  }
  if (url.protocol !== 'https:') throw refuse('must use https');
  if (url.username || url.password) throw refuse('must not carry credentials');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    if (isForbiddenAddress(host)) throw refuse('points to a private, loopback or link-local address');
    return url;
  }
  if (host === 'localhost' || host.endsWith('.localhost') || !host.includes('.')) throw refuse('must name a public host');
  let addresses: string[];
  try {
    addresses = await (opts.resolve ?? systemResolver)(host);
  } catch {
    throw refuse('names a host that does not resolve');
  }
  if (addresses.length === 0) throw refuse('names a host that does not resolve');
  if (addresses.some(isForbiddenAddress)) throw refuse('resolves to a private, loopback or link-local address');
  return url;
}

/** dns.lookup's callback form, as net.connect calls it (with `all: true` under Node's happy eyeballs). */
export type ConnectLookup = (hostname: string, options: LookupOptions, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => void;

/**
 * The address a delivery connects to is the one checked: the check before each delivery resolves
 * the name once, the connection would resolve it again, and a name re-pointed in between (DNS
 * rebinding: a short TTL answering a public address, then 127.0.0.1) would reach the inside. This
 * lookup, given to the delivery's connection, refuses to connect when any address is forbidden.
 */
export function guardedLookup(base: ConnectLookup = lookupCallback as unknown as ConnectLookup): ConnectLookup {
  return (hostname, options, callback) => {
    base(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = addresses as LookupAddress[];
      const bad = list.find((a) => isForbiddenAddress(a.address));
      if (bad || list.length === 0) {
        return callback(Object.assign(new Error(`the webhook host ${hostname} resolves to a forbidden address at connection time`), { code: 'EWEBHOOKTARGET' }), []);
      }
      if (options.all) return callback(null, list);
      return callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

/** An HTTP client whose every connection goes through `guardedLookup` (for webhook deliveries). */
export function guardedDispatcher(base?: ConnectLookup): Agent {
  return new Agent({ connect: { lookup: guardedLookup(base) } });
}
