/**
 * Referrals that share evidence files: the officer chooses attached files of the case with the
 * fields, the defender consents to both, the officer's client seals each file's key record (and
 * where to find it) into the packet under the referral key, and the partner organisation
 * downloads and opens exactly those files, only while the referral is live.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { buildTestApp } from '../helpers/app.js';
import { buildWorld, caseKeyOf, partnerOrg, refreshIfStale, type Actor, type DefenderSession, type PartnerOrg } from '../helpers/world.js';
import { openDownload } from '../../src/sdk/client/file-download.js';
import { openFileDescription, openFileKey } from '../../src/sdk/client/file-upload.js';
import {
  caseFieldAd,
  createReferralPacket,
  generateKeyPair,
  openField,
  openReferralFiles,
  openReferralPacket,
  pinnedPublicKey,
  referralFileEntry,
  type JsonValue,
  type ReferralFile,
  type SealedField,
} from '../../src/sdk/index.js';
import { attach, evidenceBytes, listen, sha256Hex, upload } from '../files/file-kit.js';

const T = await buildTestApp(t);
const { admin, officers, caseAt } = await buildWorld(T, { officers: ['ana'] });
const ana = officers.ana;
const origin = await listen(T);
const MARK = `PIECE-${randomUUID()}`;

const asf = await partnerOrg(T, admin, { name: 'Avocats sans frontières Mali', username: 'partner-asf' });
const other = await partnerOrg(T, admin, { name: 'Autre réseau', category: 'lawyers', username: 'partner-other' });

const c = await caseAt('triage', { officer: ana });
const elsewhere = await caseAt('triage', { officer: ana });
const dek = await caseKeyOf(T, ana, c.caseId);

async function as(who: Actor | DefenderSession, method: 'GET' | 'POST', url: string, payload?: object): Promise<LightMyRequestResponse> {
  if ('username' in who) await refreshIfStale(T, who);
  return T.app.inject({ method, url, headers: who.auth(), ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });
}
const fieldsOf = (r: LightMyRequestResponse): string[] => (r.json().errors as Array<{ field: string }>).map((e) => e.field);

/** The officer's client uploads a file to a case through tus and attaches it with its sealed description. */
async function addFile(caseId: string, caseDek: Uint8Array, bytes: Uint8Array, name: string, attachIt = true): Promise<string> {
  const fileId = randomUUID();
  const up = await upload(origin, { token: () => (ana.auth().authorization ?? '').slice(7), dek: caseDek }, caseId, fileId, bytes);
  if (attachIt) {
    const res = await attach(T, ana.auth(), caseId, fileId, caseDek, { name, type: 'image/jpeg', sha256: up.sha256 });
    if (res.statusCode !== 200) throw new Error(`attach: ${res.statusCode} ${res.body}`);
  }
  return fileId;
}

const photo = evidenceBytes(300_000 + 17, MARK);
const letter = evidenceBytes(70_000, MARK);
const photoId = await addFile(c.caseId, dek, photo, `photo-${MARK}.jpg`);
const letterId = await addFile(c.caseId, dek, letter, `lettre-${MARK}.jpg`);
const unattachedId = await addFile(c.caseId, dek, evidenceBytes(10_000, MARK), 'brouillon.jpg', false);
const foreignId = await addFile(elsewhere.caseId, elsewhere.dek, evidenceBytes(10_000, MARK), 'ailleurs.jpg');

/**
 * The referring officer's client: opens the chosen fields and files with the case key (each
 * file's key record and description from the case's file list), and builds the packet with the
 * SDK for the organisation's current key (pinned to the keyId the server lists) and itself.
 */
async function packetFor(referralId: string, fields: string[], fileIds: string[], org: PartnerOrg) {
  const sealed = (await as(ana, 'GET', `/v1/cases/${c.caseId}/sealed`)).json();
  const opened: Record<string, JsonValue> = Object.fromEntries(fields.map((f) => [f, openField(sealed.fields[f], dek, caseFieldAd(c.caseId, f))]));
  const listed = (await as(ana, 'GET', `/v1/cases/${c.caseId}/files`)).json().items as Array<{ id: string; caseId: string; size: number; ciphertextSha256: string; sealed: Record<string, string> }>;
  const files: ReferralFile[] = fileIds.map((id) => {
    const f = listed.find((x) => x.id === id);
    if (!f) throw new Error(`the case lists no file ${id}`);
    const d = openFileDescription(f.sealed, dek, id);
    return { caseId: f.caseId, fileId: id, key: openFileKey(f.sealed.key!, dek, id), name: d.name!, type: d.type!, sha256: d.sha256!, ciphertextSha256: f.ciphertextSha256, size: f.size };
  });
  const keys = (await as(ana, 'GET', `/v1/orgs/${org.id}/keys`)).json().keys as Array<{ keyId: string; publicKey: string; current: boolean }>;
  const current = keys.find((k) => k.current)!;
  const made = createReferralPacket(referralId, opened, pinnedPublicKey(current.publicKey, current.keyId), [ana.keyPair.publicKey], files);
  return {
    packet: made.fields,
    envelopes: [
      { ...made.envelope, recipientType: 'org', recipientId: org.id },
      { ...made.copies[0]!, recipientType: 'user', recipientId: ana.id },
    ],
  };
}

/** Proposed by the officer with `files`, consented by the defender. */
async function consented(files: string[], org: PartnerOrg = asf): Promise<string> {
  const id = randomUUID();
  const r = await as(ana, 'POST', `/v1/cases/${c.caseId}/referrals`, { id, orgId: org.id, fields: ['narrative'], files, purpose: 'legal_assistance' });
  if (r.statusCode !== 201) throw new Error(`propose: ${r.statusCode} ${r.body}`);
  const ok = await as(c.defender, 'POST', `/v1/referrals/${id}/consent`, { decision: 'consent' });
  if (ok.statusCode !== 200) throw new Error(`consent: ${ok.statusCode} ${ok.body}`);
  return id;
}

/** The partner member's client: reads the referral, opens its packet's files with the organisation key. */
async function partnerFiles(referralId: string, org: PartnerOrg = asf): Promise<ReferralFile[]> {
  const got = (await as(org.member, 'GET', `/v1/referrals/${referralId}`)).json();
  const packet = { referralId, fields: got.packet as Record<string, SealedField>, envelope: got.envelopes[0] };
  return openReferralFiles(packet, org.keyPair);
}

/** Downloads a file as the partner's client does and opens it with the key from the packet; the status alone when refused. */
async function partnerDownload(who: { auth(): Record<string, string> }, caseId: string, fileId: string, f?: ReferralFile): Promise<{ status: number; plain?: Uint8Array }> {
  const res = await fetch(`${origin}/v1/cases/${caseId}/files/${fileId}/content`, { headers: who.auth() });
  if (res.status !== 200 || !f || !res.body) {
    await res.body?.cancel();
    return { status: res.status };
  }
  const reader = openDownload(res.body, f.key, { ciphertextSha256: f.ciphertextSha256, plaintextSha256: f.sha256 }).plaintext.getReader();
  const parts: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  return { status: 200, plain: Buffer.concat(parts) };
}

t.test('the proposal names attached files of the case only, each once', async (t) => {
  const propose = (files: string[]) => as(ana, 'POST', `/v1/cases/${c.caseId}/referrals`, { id: randomUUID(), orgId: asf.id, fields: ['narrative'], files, purpose: 'legal_assistance' });
  const before = (await T.database.sql`select count(*)::int as n from referrals`)[0]!.n;
  const foreign = await propose([photoId, foreignId]);
  t.equal(foreign.statusCode, 400, foreign.body);
  t.equal(foreign.json().code, 'validation_failed');
  t.same(fieldsOf(foreign), ['/body/files/1'], 'a file of another case is refused, pointed at');
  const unattached = await propose([unattachedId]);
  t.equal(unattached.statusCode, 400);
  t.same(fieldsOf(unattached), ['/body/files/0'], 'an upload not attached yet is refused');
  const unknown = await propose([randomUUID()]);
  t.same(fieldsOf(unknown), ['/body/files/0'], 'an unknown id too');
  const twice = await propose([photoId, photoId.toUpperCase()]);
  t.equal(twice.statusCode, 400);
  t.same(fieldsOf(twice), ['/body/files'], 'a file named twice (whatever the case of its id)');
  const tooMany = await propose(Array.from({ length: 21 }, () => randomUUID()));
  t.equal(tooMany.statusCode, 400, 'at most 20 files');
  t.equal((await T.database.sql`select count(*)::int as n from referrals`)[0]!.n, before, 'nothing written');

  const none = await as(ana, 'POST', `/v1/cases/${c.caseId}/referrals`, { id: randomUUID(), orgId: asf.id, fields: ['narrative'], purpose: 'legal_assistance' });
  t.equal(none.statusCode, 201, 'files are optional');
  t.same(none.json().files, []);
});

const main = randomUUID();
t.test('the defender consents to the files with the fields', async (t) => {
  const r = await as(ana, 'POST', `/v1/cases/${c.caseId}/referrals`, { id: main, orgId: asf.id, fields: ['narrative'], files: [photoId.toUpperCase()], purpose: 'legal_assistance' });
  t.equal(r.statusCode, 201, r.body);
  t.same(r.json().files, [photoId], 'stored in lower case, as the packet names it');
  t.same((await T.database.sql`select files from referrals where id = ${main}`)[0]!.files, [photoId]);
  const mine = (await as(c.defender, 'GET', `/v1/cases/${c.caseId}/referrals`)).json().items.find((x: { id: string }) => x.id === main);
  t.same(mine.files, [photoId], 'the defender sees which file would be shared (their client names it from the case)');
  const ok = await as(c.defender, 'POST', `/v1/referrals/${main}/consent`, { decision: 'consent' });
  t.equal(ok.statusCode, 200, ok.body);
  t.same(ok.json().files, [photoId]);
});

t.test('the packet carries exactly the consented files', async (t) => {
  const post = (body: object) => as(ana, 'POST', `/v1/referrals/${main}/packet`, body);
  const without = await post(await packetFor(main, ['narrative'], [], asf));
  t.equal(without.statusCode, 400, without.body);
  t.same(fieldsOf(without), [`/body/packet/file.${photoId}`], 'the chosen file is missing');
  const swapped = await post(await packetFor(main, ['narrative'], [letterId], asf));
  t.equal(swapped.statusCode, 400);
  t.same(fieldsOf(swapped).sort(), [`/body/packet/file.${letterId}`, `/body/packet/file.${photoId}`].sort(), 'another file instead: one not consented to, one missing');
  const more = await post(await packetFor(main, ['narrative'], [photoId, letterId], asf));
  t.equal(more.statusCode, 400);
  t.same(fieldsOf(more), [`/body/packet/file.${letterId}`], 'a file more than consented to');
  const upper = await packetFor(main, ['narrative'], [photoId], asf);
  const badName = await post({ ...upper, packet: Object.fromEntries(Object.entries(upper.packet).map(([k, v]) => [k.startsWith('file.') ? `file.${photoId.toUpperCase()}` : k, v])) });
  t.equal(badName.statusCode, 400, 'an entry name is file.<lower-case id>');
  t.equal((await T.database.sql`select packet from referrals where id = ${main}`)[0]!.packet, null, 'nothing stored');

  const sent = await post(await packetFor(main, ['narrative'], [photoId], asf));
  t.equal(sent.statusCode, 200, sent.body);
  t.equal(sent.json().state, 'sent');
  const [row] = await T.database.sql`select packet from referrals where id = ${main}`;
  t.same(Object.keys(row!.packet as object), ['narrative', referralFileEntry(photoId)], 'fields then files, in the consented order');
  const [line] = await T.database.sql`select reason from case_timeline where case_id = ${c.caseId} and action = 'referral.sent'`;
  t.match(line!.reason, /\(narrative; 1 file\)$/, 'the timeline counts the files, names none');
});

t.test('the partner opens the packet, then downloads and opens the file with the key it carries', async (t) => {
  const got = (await as(asf.member, 'GET', `/v1/referrals/${main}`)).json();
  t.same(got.referral.files, [photoId], 'the listing names the file');
  t.notOk('caseId' in got.referral, 'the partner view still has no case id: it is sealed in the file entry');
  t.same(Object.keys(openReferralPacket({ referralId: main, fields: got.packet, envelope: got.envelopes[0] }, asf.keyPair)), ['narrative'], 'the fields open as before, files apart');
  const files = await partnerFiles(main);
  t.equal(files.length, 1);
  const f = files[0]!;
  t.same({ caseId: f.caseId, fileId: f.fileId, name: f.name, type: f.type, sha256: f.sha256 }, { caseId: c.caseId, fileId: photoId, name: `photo-${MARK}.jpg`, type: 'image/jpeg', sha256: sha256Hex(photo) });
  const down = await partnerDownload(asf.member, f.caseId, f.fileId, f);
  t.equal(down.status, 200);
  t.equal(sha256Hex(down.plain!), sha256Hex(photo), 'the same bytes');
  t.equal(down.plain!.length, photo.length);
  const audited = await T.database.sql`select outcome from audit_events where action = 'file.read' and resource = ${`file:${photoId}`} and actor = ${`u:${asf.member.id}`}`;
  t.ok(audited.some((a) => a.outcome === 'allowed'), 'the download is audited as the partner');
});

t.test('nothing else: other files, other cases, other organisations', async (t) => {
  t.equal((await partnerDownload(asf.member, c.caseId, letterId)).status, 404, 'another file of the case');
  t.equal((await partnerDownload(asf.member, elsewhere.caseId, photoId)).status, 404, 'the file under another case');
  t.equal((await partnerDownload(asf.member, elsewhere.caseId, foreignId)).status, 404, "another case's file");
  t.equal((await partnerDownload(other.member, c.caseId, photoId)).status, 404, 'another partner organisation');
  t.equal((await as(asf.member, 'GET', `/v1/cases/${c.caseId}/files`)).statusCode, 404, 'the partner does not list the case files');
  t.equal((await as(asf.member, 'GET', `/v1/cases/${c.caseId}/files/${photoId}/timestamp`)).statusCode, 404, 'no time-stamp yet: 404 as for anyone');
  t.equal((await partnerDownload(ana, c.caseId, letterId)).status, 200, 'the officer still reads every file');
});

t.test('accepted, the file stays readable; withdrawn, it is gone', async (t) => {
  t.equal((await as(asf.member, 'POST', `/v1/referrals/${main}/accept`)).statusCode, 200);
  const [f] = await partnerFiles(main);
  t.equal((await partnerDownload(asf.member, c.caseId, photoId, f)).status, 200, 'accepted is live');
  const w = await as(ana, 'POST', `/v1/referrals/${main}/withdraw`, { reason: 'la défenseure a trouvé un avocat' });
  t.equal(w.statusCode, 200, w.body);
  t.equal((await partnerDownload(asf.member, c.caseId, photoId)).status, 404, 'after the withdrawal');
});

t.test('declined or closed, the partner can no longer download', async (t) => {
  const declined = await consented([letterId]);
  t.equal((await as(ana, 'POST', `/v1/referrals/${declined}/packet`, await packetFor(declined, ['narrative'], [letterId], asf))).statusCode, 200);
  const [f] = await partnerFiles(declined);
  t.equal((await partnerDownload(asf.member, c.caseId, letterId, f)).status, 200, 'sent is live');
  t.equal((await partnerDownload(asf.member, c.caseId, photoId)).status, 404, 'the file of the withdrawn referral stays out of reach');
  t.equal((await as(asf.member, 'POST', `/v1/referrals/${declined}/decline`, { reason: 'Hors de notre mandat' })).statusCode, 200);
  t.equal((await partnerDownload(asf.member, c.caseId, letterId)).status, 404, 'after declining');

  const closing = await consented([letterId, photoId]);
  t.equal((await as(ana, 'POST', `/v1/referrals/${closing}/packet`, await packetFor(closing, ['narrative'], [letterId, photoId], asf))).statusCode, 200);
  t.same((await partnerFiles(closing)).map((x) => x.fileId).sort(), [letterId, photoId].sort(), 'both files (a packet is a map: PostgreSQL orders its keys)');
  t.equal((await as(asf.member, 'POST', `/v1/referrals/${closing}/accept`)).statusCode, 200);
  t.equal((await partnerDownload(asf.member, c.caseId, photoId)).status, 200);
  t.equal((await as(asf.member, 'POST', `/v1/referrals/${closing}/reports`, { id: randomUUID(), status: 'completed' })).statusCode, 201);
  t.equal((await partnerDownload(asf.member, c.caseId, photoId)).status, 404, 'after closing');
  t.equal((await partnerDownload(asf.member, c.caseId, letterId)).status, 404);
});

t.test('a file entry moved to another file or referral does not open', async (t) => {
  const org = generateKeyPair();
  const listed = (await as(ana, 'GET', `/v1/cases/${c.caseId}/files`)).json().items as Array<{ id: string; sealed: Record<string, string> }>;
  const key = openFileKey(listed.find((x) => x.id === photoId)!.sealed.key!, dek, photoId);
  const file: ReferralFile = { caseId: c.caseId, fileId: photoId, key, name: 'p.jpg', type: 'image/jpeg', sha256: sha256Hex(photo), ciphertextSha256: '0'.repeat(64), size: 1 };
  const p = createReferralPacket(main, {}, org.publicKey, [], [file]);
  t.same(openReferralFiles(p, org).map((x) => x.fileId), [photoId]);
  const moved = { ...p, fields: { [referralFileEntry(letterId)]: p.fields[referralFileEntry(photoId)]! } };
  t.throws(() => openReferralFiles(moved, org), { name: 'CryptoError', code: 'decrypt_failed' }, 'under another file id');
  t.throws(() => openReferralFiles({ ...p, referralId: randomUUID() }, org), { name: 'CryptoError', code: 'decrypt_failed' }, 'under another referral');
  t.throws(() => createReferralPacket(main, { [referralFileEntry(photoId)]: 'x' }, org.publicKey), { name: 'CryptoError', code: 'bad_associated_data' }, 'a field cannot pose as a file entry');
  t.throws(() => createReferralPacket(main, {}, org.publicKey, [], [file, file]), { name: 'CryptoError' }, 'a file twice');
});
