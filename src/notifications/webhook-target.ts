import { lookup } from 'node:dns/promises';
import { lookup as lookupCallback, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent } from 'undici';
import { AppError } from '../lib/problem.js';

/**
 * Where a webhook may point (OWASP API7, server-side request forgery): an https URL whose host
 * resolves only to public addresses (`isForbiddenAddress`), so that an admin's typo or a stolen
 * admin session cannot make the service POST into its own network (PostgreSQL, Redis, the
 * metrics port). Checked at registration, again before each delivery, and at connection time
 * (`guardedLookup`), since a name can be re-pointed after it was registered.
 *
 * `allowPrivate` (WEBHOOK_ALLOW_PRIVATE_TARGETS) is for development and tests only: it lets http
 * and local addresses through, for a receiver on the same machine.
 */

/** The well-known NAT64 prefix (RFC 6052): a translator forwards to the IPv4 address in its last 32 bits. */
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');
/**
 * Deprecated IPv4-compatible addresses (RFC 4291 2.5.5.1, e.g. `::127.0.0.1`): ipaddr.js files
 * them as ordinary unicast, yet a stack that still honours them (or a tunnel) reaches the IPv4
 * address inside. Nothing public lives there.
 */
const IPV4_COMPATIBLE = ipaddr.IPv6.parseCIDR('::/96');

/**
 * Is this address one a webhook may not reach? Only what ipaddr.js (the address library Fastify
 * itself uses) files as plain `unicast` is allowed: loopback, private, link-local (cloud metadata
 * at 169.254.169.254), carrier-grade NAT, unique-local, multicast, documentation, benchmarking and
 * reserved ranges are refused, and so is every IPv6 form that carries traffic to an IPv4 address
 * chosen by whoever controls the name: 6to4 (`2002::/16`), Teredo (`2001::/32`), the local-use
 * NAT64 prefix (`64:ff9b:1::/48`, the operator's own translator, whose embedding depends on its
 * prefix length), IPv4-translated (`::ffff:0:0:0/96`) and IPv4-compatible (`::/96`) addresses.
 * IPv4-mapped (`::ffff:a.b.c.d`) and well-known NAT64 (`64:ff9b::a.b.c.d`, what DNS64 answers on an
 * IPv6-only network for every IPv4 partner) are judged by the IPv4 address they carry.
 * Anything that is not a plain address literal (a zone id, an IPv4 in octal or hex) is refused.
 */
export function isForbiddenAddress(address: string): boolean {
  if (isIP(address) === 0 || address.includes('%')) return true;
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.parse(address);
  } catch {
    return true;
  }
  if (ip.kind() === 'ipv4') return ip.range() !== 'unicast';
  const v6 = ip as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return isForbiddenAddress(v6.toIPv4Address().toString());
  if (v6.match(NAT64_WELL_KNOWN)) return isForbiddenAddress(ipaddr.fromByteArray(v6.toByteArray().slice(12)).toString());
  if (v6.match(IPV4_COMPATIBLE)) return true;
  return v6.range() !== 'unicast';
}

export type Resolver = (host: string) => Promise<string[]>;

const systemResolver: Resolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

const refuse = (message: string) => new AppError('webhook_target_refused', `the webhook URL ${message}`, { errors: [{ field: '/body/url', message }] });

/**
 * Throws `webhook_target_refused` unless `raw` is an https URL, without credentials, whose host
 * resolves (every address of it) to public addresses only. With `allowPrivate` (development and
 * tests) http and private addresses pass, but the name must still resolve.
 */
export async function checkWebhookTarget(raw: string, opts: { allowPrivate: boolean; resolve?: Resolver }): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse('is not a URL');
  }
  if (opts.allowPrivate ? url.protocol !== 'https:' && url.protocol !== 'http:' : url.protocol !== 'https:') throw refuse(opts.allowPrivate ? 'must be http(s)' : 'must use https');
  if (url.username || url.password) throw refuse('must not carry credentials');
  const forbidden = (address: string) => !opts.allowPrivate && isForbiddenAddress(address);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    if (forbidden(host)) throw refuse('points to a private, loopback or link-local address');
    return url;
  }
  if (!opts.allowPrivate && (host === 'localhost' || host.endsWith('.localhost') || !host.includes('.'))) throw refuse('must name a public host');
  let addresses: string[];
  try {
    addresses = await (opts.resolve ?? systemResolver)(host);
  } catch {
    throw refuse('names a host that does not resolve');
  }
  if (addresses.length === 0) throw refuse('names a host that does not resolve');
  if (addresses.some(forbidden)) throw refuse('resolves to a private, loopback or link-local address');
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
