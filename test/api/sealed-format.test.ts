/**
 * Sealed fields on the wire (docs/crypto-v1.md §3): clients write format 2 (`v2.`, padded), the
 * server takes v1 and v2 wherever a sealed field goes and checks a v2 ciphertext's length is a
 * padded one; key material (envelopes, keyring entries, wrapped keys) stays v1 only. The bounds
 * hold what the defender's page lets a person type, once padded.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import sodium from 'libsodium-wrappers-sumo';
import { buildTestApp } from '../helpers/app.js';
import { buildWorld, nextTotp, admitCase, baseMetadata, caseKeyOf, fileCase } from '../helpers/world.js';
import { caseReportNoteAd, enrol, messageBodyAd, openField, paddedLength, parseSealedField, prepareFiling, ready, sealEnvelope, sealField, toB64u, type JsonValue } from '../../src/sdk/index.js';
import { sealedFieldMaxLength, SEALED_JSON_BYTES } from '../../src/lib/schemas.js';
import { generateTotpSecret } from '../../src/auth/totp.js';

await ready();
const T = await buildTestApp(t, { now: '2026-06-01T08:00:00.000Z' });
const { dep, officers: { awa } } = await buildWorld(T, { officers: ['awa'] });
const c = await fileCase(T, dep);
await admitCase(T, dep, awa, c.caseId);
const awaDek = await caseKeyOf(T, awa, c.caseId);

const post = (headers: Record<string, string>, url: string, payload: object) => T.app.inject({ method: 'POST', url, headers, payload });
const defenderSelf = `d:${c.caseId}`;
/** Format 1 as an older client wrote it: the JSON encrypted without padding. */
function sealFormat1(value: JsonValue, dek: Uint8Array, ad: string): string {
  const nonce = sodium.randombytes_buf(24);
  const te = new TextEncoder();
  return `v1.${toB64u(nonce)}.${toB64u(sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(te.encode(JSON.stringify(value)), te.encode(ad), null, nonce, dek))}`;
}

t.test('a filing is stored in format 2: the server learns a length bucket, not the length', async (t) => {
  const rows = await T.database.sql`select field, sealed from case_fields where case_id = ${c.caseId}`;
  t.ok(rows.length >= 3);
  for (const r of rows) {
    const sealed = r.sealed as string;
    t.match(sealed, /^v2\./, `${r.field as string} is format 2`);
    const padded = parseSealedField(sealed).ciphertext.length - 16;
    t.equal(padded % 64, 0, `${r.field as string}: a whole number of 64-byte blocks`);
  }
  // Two names of different lengths, filed by two defenders: the same stored length.
  const short = await fileCase(T, dep, { secrets: { identity: { name: 'Ali' }, contact: { text: 'x' }, narrative: { text: 'y' } } });
  const long = await fileCase(T, dep, { secrets: { identity: { name: 'Aminata Traoré Diarra-Coulibaly' }, contact: { text: 'x' }, narrative: { text: 'y' } } });
  const identityOf = async (caseId: string) => ((await T.database.sql`select sealed from case_fields where case_id = ${caseId} and field = 'identity'`)[0]!.sealed as string).length;
  t.equal(await identityOf(short.caseId), await identityOf(long.caseId), 'a 3-letter and a 31-letter name are stored at one length');
});

t.test('a format-1 value is still taken and still opens for the other side', async (t) => {
  const id = randomUUID();
  const body = sealFormat1({ text: 'Je suis en sécurité.' }, c.defender.dek, messageBodyAd(id, defenderSelf));
  const sent = await post(c.defender.auth(), `/v1/cases/${c.caseId}/messages`, { id, body });
  t.equal(sent.statusCode, 201, sent.body);
  const list = await T.app.inject({ method: 'GET', url: `/v1/cases/${c.caseId}/messages`, headers: awa.auth() });
  const got = (list.json().items as Array<{ id: string; body: string; sender: string }>).find((m) => m.id === id)!;
  t.equal(got.body, body, 'kept as sent');
  t.same(openField(got.body, awaDek, messageBodyAd(id, got.sender)), { text: 'Je suis en sécurité.' }, 'the officer opens it');
});

t.test('a v2 value whose ciphertext is not a padded length is refused, nothing written', async (t) => {
  const id = randomUUID();
  const unpadded = sealFormat1({ text: 'court' }, c.defender.dek, messageBodyAd(id, defenderSelf));
  const before = (await T.database.sql`select count(*)::int as n from messages`)[0]!.n;
  const r = await post(c.defender.auth(), `/v1/cases/${c.caseId}/messages`, { id, body: `v2.${unpadded.slice(3)}` });
  t.equal(r.statusCode, 400);
  t.equal(r.json().code, 'validation_failed');
  t.match(r.json().errors, [{ field: '/body/body', message: /^bad_length: .*padded length/ }]);
  t.equal((await T.database.sql`select count(*)::int as n from messages`)[0]!.n, before);
  const note = sealFormat1({ text: 'court' }, c.defender.dek, caseReportNoteAd('incident', id));
  const incident = await post(c.defender.auth(), `/v1/cases/${c.caseId}/incidents`, { id, note: `v2.${note.slice(3)}` });
  t.equal(incident.statusCode, 400);
  t.match(incident.json().errors, [{ field: '/body/note', message: /^bad_length/ }]);
});

t.test("what the defender's page lets a person type fits once padded (20,000 characters, two bytes each)", async (t) => {
  // web/defender/ui.ts: a multi-line field takes 20,000 characters; é is two bytes of UTF-8.
  const text = 'é'.repeat(20_000);
  const noteId = randomUUID();
  const note = sealField({ text }, c.defender.dek, caseReportNoteAd('incident', noteId));
  t.ok(note.length > 16 * 1024, `the sealed note is ${note.length} characters (more than the 16 KiB that notes used to be bounded to)`);
  const incident = await post(c.defender.auth(), `/v1/cases/${c.caseId}/incidents`, { id: noteId, code: 'harassment', note });
  t.equal(incident.statusCode, 201, incident.body);
  const messageId = randomUUID();
  const message = await post(c.defender.auth(), `/v1/cases/${c.caseId}/messages`, { id: messageId, body: sealField({ text }, c.defender.dek, messageBodyAd(messageId, defenderSelf)) });
  t.equal(message.statusCode, 201, message.body);
  // The bound is computed from the JSON size: the largest padded value of that size just fits.
  const json = SEALED_JSON_BYTES.text;
  t.equal(sealedFieldMaxLength(json), 'v2.'.length + 32 + 1 + Math.ceil(((paddedLength(json) + 16) * 4) / 3));
  t.ok(new TextEncoder().encode(JSON.stringify({ text })).length <= json, 'the page maximum is within the bound');
});

t.test('key material stays format 1: a v2 envelope, keyring entry or wrap is refused', async (t) => {
  const env = sealEnvelope(awaDek, dep.supervisor.keyPair.publicKey);
  const grant = await post(awa.auth(), `/v1/cases/${c.caseId}/envelopes`, { userId: dep.supervisor.id, keyId: env.keyId, envelope: `v2.${env.envelope.slice(3)}` });
  t.equal(grant.statusCode, 400, 'a v2 case envelope');
  t.equal(grant.json().code, 'validation_failed');

  const intakeKey = (await T.app.inject({ method: 'GET', url: '/v1/keys/intake' })).json();
  const filing = prepareFiling({ intakeKey, pinnedKeyId: dep.mechanismKeyId, metadata: baseMetadata, secrets: { identity: 'a', contact: 'b', narrative: 'c' } });
  const body = structuredClone(filing.body);
  body.envelopes.defender.envelope = `v2.${body.envelopes.defender.envelope.slice(3)}`;
  const filed = await post({}, '/v1/cases', body);
  t.equal(filed.statusCode, 400, 'a v2 defender envelope at filing');
  t.equal((await T.database.sql`select count(*)::int as n from cases where id = ${filing.body.caseId}`)[0]!.n, 0, 'no case written');

  const inv = await post(dep.admin.auth(), '/v1/invitations', { username: 'officer-bintou', role: 'officer', orgId: dep.mechanismId });
  const e = enrol('mot de passe de Bintou');
  const totpSecret = generateTotpSecret();
  for (const field of ['wrappedPrivateKey', 'recoveryWrap'] as const) {
    const r = await post({}, '/v1/enrolments', { token: inv.json().token, ...e.upload, [field]: `v2.${e.upload[field].slice(3)}`, totpSecret, totpCode: nextTotp(T, totpSecret) });
    t.equal(r.statusCode, 400, `a v2 ${field}`);
  }
});
