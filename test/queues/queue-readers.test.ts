/**
 * The API's handles on the queues, for looking only: one per queue however many reads (health
 * reports, scrapes), counts by watched state, a timeout when Redis does not answer, and closing
 * them leaves the connection they ride on open.
 */
import t from 'tap';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { createQueue } from '../../src/queues/registry.js';
import { createQueueReaders } from '../../src/queues/queue-readers.js';
import { REDIS_URL, testRedisPrefix } from '../helpers/app.js';

const config = { REDIS_PREFIX: await testRedisPrefix(t) };
const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
t.teardown(() => connection.disconnect());

t.test('one handle per queue, counts by state, and closing leaves the connection open', async (t) => {
  const producer = createQueue('webhooks', { connection, config });
  await producer.add('deliver', { deliveryId: '00000000-0000-4000-8000-000000000001' });
  await producer.add('deliver', { deliveryId: '00000000-0000-4000-8000-000000000002' }, { delay: 60_000 });
  await producer.close();

  const readers = createQueueReaders({ connection, config });
  t.equal(readers.handle('webhooks'), readers.handle('webhooks'), 'the same handle on every read');
  t.same(await readers.counts('webhooks', 2000), { waiting: 1, active: 0, delayed: 1, failed: 0 });
  t.same(await readers.counts('on-call', 2000), { waiting: 0, active: 0, delayed: 0, failed: 0 }, 'an empty queue');
  await readers.close();
  t.equal(await connection.ping(), 'PONG', 'the shared connection stays open');
});

t.test('a Redis that does not answer: the read rejects within its timeout', async (t) => {
  // Accepts connections and never answers, as a hung Redis would.
  const sockets = new Set<Socket>();
  const silent = createServer((s) => sockets.add(s));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const { port } = silent.address() as AddressInfo;
  const hung = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: null });
  hung.on('error', () => undefined);
  const readers = createQueueReaders({ connection: hung, config });
  const started = Date.now();
  await t.rejects(readers.counts('webhooks', 200), /no answer within 200 ms/);
  t.ok(Date.now() - started < 2000, 'not hanging');
  hung.disconnect();
  await readers.close();
});
