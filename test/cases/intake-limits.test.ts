/**
 * Filing needs no account, so it is bounded per client address: past the policy's number of
 * filings a minute the next gets a 429 problem with Retry-After and writes nothing.
 */
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap, baseMetadata } from '../helpers/world.js';
import { prepareFiling, ready } from '../../src/sdk/index.js';

await ready();
const T = await buildTestApp(t, { env: { FILING_RATE_LIMIT_PER_MINUTE: '2' } });
const dep = await bootstrap(T);
const intakeKey = (await T.app.inject({ method: 'GET', url: '/v1/keys/intake' })).json();
const file = () =>
  T.app.inject({ method: 'POST', url: '/v1/cases', payload: prepareFiling({ intakeKey, pinnedKeyId: dep.mechanismKeyId, metadata: baseMetadata, secrets: { identity: 'x', contact: 'y', narrative: 'z' } }).body });
const cases = async () => (await T.database.sql`select count(*)::int as n from cases`)[0]!.n as number;

t.test('the third filing in a minute from one address is refused, with nothing written', async (t) => {
  t.equal((await file()).statusCode, 201);
  t.equal((await file()).statusCode, 201);
  const third = await file();
  t.equal(third.statusCode, 429);
  t.equal(third.json().code, 'rate_limited');
  t.ok(Number(third.headers['retry-after']) > 0, 'the client is told when to retry');
  t.equal(await cases(), 2, 'the refused filing wrote nothing');
});
