/**
 * Upgrading a deployment whose webhook URLs were stored in clear: the SQL migration cannot seal
 * them (the key is a SERVER_SECRET subkey, not in the database), so the first start of the new
 * release does, before serving, and deliveries go on to the same URL. Proven on a database
 * migrated only up to the release before, with a worker process started as operators start it.
 */
import t from 'tap';
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { REDIS_URL, testConfig, testRedisPrefix } from '../helpers/app.js';
import { APP_ROLE, OWNER_ROLE, PG_BASE, databaseBefore, roleUrl } from '../helpers/db.js';
import { launchWorker } from '../helpers/worker-process.js';
import { loadServerKeys } from '../../src/lib/server-keys.js';
import { sealWebhookSecret } from '../../src/notifications/webhook-secret.js';
import { openWebhookUrl } from '../../src/notifications/webhook-url.js';
import { fromB64u, toB64u } from '../../src/sdk/index.js';
import sodium from 'libsodium-wrappers-sumo';
import { holdsWithin } from '../helpers/wait-for.js';

const SEALING = '_webhook_url_sealed_delivery_lease';

// The release before (the migrations before the one that introduced sealed URLs), migrated by the
// owner role; the test then writes its rows as the superuser.
const { name } = await databaseBefore(t, SEALING);
const sql = postgres(`${PG_BASE}/${name}`, { max: 1, onnotice: () => undefined });
t.teardown(() => sql.end());

const config = await testConfig({ DATABASE_URL: roleUrl(APP_ROLE, name), DATABASE_OWNER_URL: roleUrl(OWNER_ROLE, name), REDIS_URL, REDIS_PREFIX: await testRedisPrefix(t) });
const keys = await loadServerKeys(config);

const received: Array<{ url: string; delivery: string }> = [];
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received.push({ url: req.url ?? '', delivery: String(req.headers['x-egide-delivery']) });
    res.writeHead(204).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
t.teardown(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
const port = (receiver.address() as { port: number }).port;

t.test('a URL stored in clear by the release before is sealed at the first start, and still delivered to', async (t) => {
  const token = `JETON-${randomUUID()}`;
  const hookUrl = `http://127.0.0.1:${port}/hook?token=${token}`;
  const orgId = randomUUID();
  const endpointId = randomUUID();
  const deliveryId = randomUUID();
  // The release before derived the webhook secrets' key outside loadServerKeys: the same subkey still opens them.
  t.equal(toB64u(keys.webhookSecretKey), toB64u(sodium.crypto_kdf_derive_from_key(32, 3, 'egidewhk', fromB64u(config.SERVER_SECRET))), 'webhook secrets: the same key as before');
  const subkeys = [keys.preloginKey, keys.totpKey, keys.webhookSecretKey, keys.webhookUrlKey].map(toB64u);
  t.equal(new Set(subkeys).size, subkeys.length, 'every SERVER_SECRET subkey differs');
  // As the release before wrote them.
  await sql`insert into organisations (id, kind, name, category, created_at) values (${orgId}, 'partner', 'Avocats', 'lawyers', now())`;
  await sql`insert into webhook_endpoints (id, org_id, url, secret, created_at) values (${endpointId}, ${orgId}, ${hookUrl}, ${sealWebhookSecret('s'.repeat(43), endpointId, keys.webhookSecretKey)}, now())`;
  await sql`insert into webhook_deliveries (id, endpoint_id, outbox_id, topic, body, status, attempts, next_attempt_at, created_at)
    values (${deliveryId}, ${endpointId}, 1, 'referral.withdrawn', ${JSON.stringify({ id: deliveryId, event: 'referral.withdrawn' })}, 'pending', 0, now(), now())`;

  // The new release starts (here a worker alone): the remaining migrations, the sealing, the workers.
  const worker = launchWorker({ config }, (fn) => t.teardown(fn), { logLevel: 'info', env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' } });
  await holdsWithin(() => received.length > 0 || worker.child.exitCode !== null, 60_000, 100);
  t.same(received, [{ url: `/hook?token=${token}`, delivery: deliveryId }], 'the pending delivery went to the whole URL', { workerOutput: worker.output().slice(-2000) });

  await holdsWithin(async () => (await sql`select status from webhook_deliveries where id = ${deliveryId}`)[0]!.status === 'delivered', 30_000, 100);
  t.match((await sql`select status, attempts, last_status_code from webhook_deliveries where id = ${deliveryId}`)[0], { status: 'delivered', attempts: 1, last_status_code: 204 }, 'and was recorded delivered');
  const [row] = await sql`select url_plaintext, url_sealed, url_origin from webhook_endpoints where id = ${endpointId}`;
  t.match(row, { url_plaintext: null, url_sealed: /^v1\./, url_origin: `http://127.0.0.1:${port}` }, 'the URL is sealed, its origin kept beside it');
  t.equal(openWebhookUrl(String(row!.url_sealed), endpointId, keys.webhookUrlKey), hookUrl, 'and opens to the URL registered');
  t.equal((await sql`select count(*)::int as n from webhook_endpoints e where strpos(e::text, ${token}) > 0`)[0]!.n, 0, 'the token is nowhere in the table');
  t.match(worker.output(), /sealed 1 webhook URL\(s\) that an earlier release stored in clear/, 'the start says what it sealed');
  t.notMatch(worker.output(), new RegExp(token), 'and logs no URL');
  await t.rejects(sql`update webhook_endpoints set url_plaintext = ${hookUrl} where id = ${endpointId}`, /webhook_endpoints_url_sealed/, 'nothing can put a URL in clear again beside a sealed one');
  await t.rejects(sql`insert into webhook_endpoints (id, org_id, secret, created_at) values (${randomUUID()}, ${orgId}, 'x', now())`, /webhook_endpoints_url_sealed/, 'nor write an endpoint without its URL');
});
