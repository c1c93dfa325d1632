/**
 * TRUST_PROXY names the proxies in front of the service (a number of hops or their addresses),
 * never "every proxy": a client that writes its own X-Forwarded-For cannot pick the address its
 * limits are counted under. Off by default; with 1 hop the right-most entry (the one the proxy
 * appended) is the client; with a list, only entries that came through a listed proxy count.
 */
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { generateSecrets } from '../../src/lib/server-keys.js';
import { parseTrustProxy } from '../../src/config/trust-proxy.js';

const guess = (app: Awaited<ReturnType<typeof buildTestApp>>['app'], remoteAddress: string, xff?: string) =>
  app.inject({ method: 'POST', url: '/v1/auth/login', remoteAddress, headers: xff ? { 'x-forwarded-for': xff } : {}, payload: { username: 'nobody', authKey: 'A'.repeat(43), totp: '123456' } });

t.test('the setting: off, a number of hops or proxy addresses; never true', async (t) => {
  t.equal(parseTrustProxy(''), false);
  t.equal(parseTrustProxy('false'), false);
  t.equal(parseTrustProxy('1'), 1);
  t.same(parseTrustProxy('10.0.0.1, 192.168.0.0/16,::1,fd00::/8,loopback'), ['10.0.0.1', '192.168.0.0/16', '::1', 'fd00::/8', 'loopback']);
  for (const bad of ['true', '0', '11', '10.0.0.0/33', 'proxy.example', '10.0.0.1/8/1', '1.2.3']) t.type(parseTrustProxy(bad), 'string', `${bad}: refused with a reason`);
  const secrets = await generateSecrets();
  t.throws(() => loadConfig({ ...secrets, TRUST_PROXY: 'true' }), ConfigError);
  t.throws(() => loadConfig({ ...secrets, TRUST_PROXY: 'true' }), /TRUST_PROXY is invalid \(true would trust every proxy/);
  t.equal(loadConfig({ ...secrets }).TRUST_PROXY, 'false', 'off by default');
});

t.test('off (default): X-Forwarded-For is ignored, the limit follows the peer', async (t) => {
  const { app } = await buildTestApp(t, { env: { LOGIN_RATE_LIMIT_PER_MINUTE: '2' } });
  const codes = [];
  for (let i = 1; i <= 3; i++) codes.push((await guess(app, '198.51.100.7', `203.0.113.${i}`)).statusCode);
  t.same(codes, [401, 401, 429], 'a new X-Forwarded-For each time changes nothing');
});

t.test('one hop: the right-most entry is the client; what the client wrote before it changes nothing', async (t) => {
  const { app } = await buildTestApp(t, { env: { LOGIN_RATE_LIMIT_PER_MINUTE: '2', TRUST_PROXY: '1' } });
  const proxy = '10.0.0.5';
  const codes = [];
  for (let i = 1; i <= 3; i++) codes.push((await guess(app, proxy, `6.6.6.${i}, 203.0.113.9`)).statusCode);
  t.same(codes, [401, 401, 429], 'a client-supplied left-most entry does not change the key');
  t.equal((await guess(app, proxy, '203.0.113.10')).statusCode, 401, 'another client behind the same proxy has its own allowance');
  t.equal((await guess(app, proxy, '6.6.6.6, 203.0.113.10')).statusCode, 401, 'the same client, whatever it prepends');
  t.equal((await guess(app, proxy, '6.6.6.7, 203.0.113.10')).statusCode, 429);
});

t.test('a list of proxies: entries count only when they came through one of them', async (t) => {
  const { app } = await buildTestApp(t, { env: { LOGIN_RATE_LIMIT_PER_MINUTE: '2', TRUST_PROXY: '10.0.0.0/24' } });
  const codes = [];
  for (let i = 1; i <= 3; i++) codes.push((await guess(app, '10.0.0.5', `6.6.6.${i}, 203.0.113.20`)).statusCode);
  t.same(codes, [401, 401, 429], 'through the proxy: the client is the right-most entry');
  const direct = [];
  for (let i = 1; i <= 3; i++) direct.push((await guess(app, '198.51.100.30', `203.0.113.${40 + i}`)).statusCode);
  t.same(direct, [401, 401, 429], 'a client reaching the service directly cannot pick its address');
});
