/**
 * A defender's uploads count in the anonymous filing ceiling of their address (policies/limits.yaml):
 * past it, one address can no longer fill the store through receipt sessions; staff uploads are not
 * counted (they are accountable users).
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { policiesWith } from '../helpers/policies.js';
import { buildWorld } from '../helpers/world.js';
import { encryptedFileSize } from '../../src/sdk/index.js';
import { newFileKey, sealFileKey } from '../../src/sdk/client/file-upload.js';
import { caseKeyOf } from '../helpers/world.js';
import { tusCreate } from './file-kit.js';

const MiB = 1024 * 1024;
const POLICIES = policiesWith(t, {
  'limits.yaml': (doc) => {
    doc.filing.uploadCeilingBytesPerHour = 3 * MiB;
  },
});
const T = await buildTestApp(t, { env: { POLICIES_DIR: POLICIES } });
const { officers, caseAt } = await buildWorld(T, { officers: ['ana'] });

t.test("a defender's bytes count in the hourly total of their address, held to the upload ceiling; staff bytes do not", async (t) => {
  const c = await caseAt('triage', { officer: officers.ana });
  const d = c.defender;
  const create = (headers: Record<string, string>, dek: Uint8Array) => {
    const fileId = randomUUID();
    return tusCreate(T, headers, { caseId: c.caseId, fileId, key: sealFileKey(newFileKey(), dek, fileId) }, encryptedFileSize(MiB));
  };
  t.equal((await create(d.auth(), d.dek)).statusCode, 201);
  t.equal((await create(d.auth(), d.dek)).statusCode, 201);
  const third = await create(d.auth(), d.dek);
  t.equal(third.statusCode, 429, 'past the hourly ceiling of the address');
  t.equal(third.json().code, 'filing_quota_exceeded');
  t.ok(Number(third.headers['retry-after']) > 0, 'with the time to wait');
  const denied = await T.database.sql`select reason from audit_events where action = 'file.upload' and outcome = 'denied' and case_id = ${c.caseId}`;
  t.equal(denied.length, 1, 'the refusal is audited');
  t.equal((await T.database.sql`select count(*)::int as n from case_files where case_id = ${c.caseId}`)[0]!.n, 2, 'and keeps nothing');
  const dek = await caseKeyOf(T, officers.ana, c.caseId);
  t.equal((await create(officers.ana.auth(), dek)).statusCode, 201, 'the assigned officer is not held by the ceiling of anonymous filing');
});
