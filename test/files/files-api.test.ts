/**
 * Evidence files through the API: a defender uploads a photo to their case with the SDK (tus,
 * encrypted in format 2), attaches it with its sealed name and caption, and the officer who holds
 * the case downloads and opens it; the server kept the ciphertext, its size and its hash only.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { buildWorld, caseKeyOf } from '../helpers/world.js';
import { openFileDescription } from '../../src/sdk/client/file-upload.js';
import { attach, download, evidenceBytes, listen, sha256Hex, upload } from './file-kit.js';

const T = await buildTestApp(t);
const { officers, caseAt } = await buildWorld(T, { officers: ['ana', 'bo'] });
const origin = await listen(T);
const MARK = `PREUVE-${randomUUID()}`;

t.test('a defender uploads, attaches, and the assigned officer downloads the same bytes', async (t) => {
  const c = await caseAt('triage', { officer: officers.ana });
  const bytes = evidenceBytes(3 * 1024 * 1024 + 123, MARK);
  const fileId = randomUUID();
  const defender = { token: () => (c.defender.auth().authorization ?? '').slice(7), dek: c.defender.dek };
  const up = await upload(origin, defender, c.caseId, fileId, bytes);
  t.equal(up.sha256, sha256Hex(bytes), 'the SDK hashed the plaintext');
  const attached = await attach(T, c.defender.auth(), c.caseId, fileId, c.defender.dek, { name: `${MARK}.jpg`, type: 'image/jpeg', caption: `Légende ${MARK}`, sha256: up.sha256 });
  t.equal(attached.statusCode, 200, attached.body);
  t.equal(attached.json().state, 'available');
  const dek = await caseKeyOf(T, officers.ana, c.caseId);
  const list = await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}/files`, headers: officers.ana.auth() });
  t.equal(list.statusCode, 200, list.body);
  const file = list.json().items[0]!;
  t.equal(file.id, fileId);
  t.equal(file.size, up.size);
  t.same(openFileDescription(file.sealed, dek, fileId), { name: `${MARK}.jpg`, type: 'image/jpeg', caption: `Légende ${MARK}`, sha256: up.sha256 }, 'the officer reads its sealed description');
  const got = await download(origin, officers.ana.auth(), c.caseId, fileId, dek, file.sealed.key, file.ciphertextSha256, up.sha256);
  t.equal(got.status, 200);
  t.equal(sha256Hex(got.plain), sha256Hex(bytes), 'the officer opens the same bytes');
  t.equal(got.cipherSha256, file.ciphertextSha256, 'the ciphertext is what the server hashed on arrival');
  t.equal(got.reprDigest, `sha-256=:${Buffer.from(file.ciphertextSha256, 'hex').toString('base64')}:`);
  t.equal((await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}/files`, headers: officers.bo.auth() })).statusCode, 404, 'an officer not on the case: not found');
  const timeline = await T.database.sql`select action from case_timeline where case_id = ${c.caseId} and action = 'file.added'`;
  t.equal(timeline.length, 1, 'the timeline says a file was added');
});
