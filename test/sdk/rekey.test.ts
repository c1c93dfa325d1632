/**
 * Re-keying on the client: every sealed value of a case opened with the old DEK and re-sealed
 * under a new one with the same AD, the new DEK sealed to the remaining readers only. A revoked
 * reader who kept the old DEK opens nothing new; a tampered or misplaced item stops it all.
 */
import t from 'tap';
import {
  appealGroundsAd,
  assessmentFieldAd,
  caseFieldAd,
  caseReportNoteAd,
  generateDek,
  generateKeyPair,
  keyIdOf,
  measureDetailsAd,
  messageBodyAd,
  noteBodyAd,
  openEnvelope,
  openField,
  openNote,
  openRekeyDek,
  openRekeyStaffKey,
  prepareRekey,
  sealNote,
  ready,
  sealEnvelope,
  sealField,
  toB64u,
  type JsonValue,
  type RekeyBundle,
} from '../../src/sdk/index.js';

await ready();

const refusal = (code: string) => ({ name: 'CryptoError', code });

const caseId = '0193a5c4-7e21-7c3e-9a51-6f0b2d1e4a77';
const mechanismOrg = '0193a5c4-7e21-7c3e-9a51-6f0b2d1e4a70';
const ids = { m1: '0193a5c5-0000-7000-8000-000000000001', a1: '0193a5c5-0000-7000-8000-000000000002', me1: '0193a5c5-0000-7000-8000-000000000003', r1: '0193a5c5-0000-7000-8000-000000000004', ap1: '0193a5c5-0000-7000-8000-000000000005' };
const userA = '0193a5c6-0000-7000-8000-00000000000a';
const userB = '0193a5c6-0000-7000-8000-00000000000b';

const oldDek = generateDek();
const mechanism = generateKeyPair();
const defender = generateKeyPair();
const a = generateKeyPair();
const b = generateKeyPair();

const plain: Array<{ kind: RekeyBundle['items'][number]['kind']; id: string; field: string; ad: string; value: JsonValue }> = [
  { kind: 'case_field', id: caseId, field: 'narrative', ad: caseFieldAd(caseId, 'narrative'), value: 'Menaces reçues par SMS.' },
  { kind: 'case_field', id: caseId, field: 'identity', ad: caseFieldAd(caseId, 'identity'), value: { name: 'Aminata' } },
  { kind: 'message', id: ids.m1, field: 'body', ad: messageBodyAd(ids.m1, `d:${caseId}`), value: { text: 'Ils sont revenus.' } },
  { kind: 'assessment', id: ids.a1, field: 'threats.0.facts', ad: assessmentFieldAd(ids.a1, 'threats.0.facts'), value: ['SMS', 'visite'] },
  { kind: 'measure', id: ids.me1, field: 'details', ad: measureDetailsAd(ids.me1), value: { provider: 'x' } },
  { kind: 'case_report', id: ids.r1, field: 'note', ad: caseReportNoteAd('alert', ids.r1), value: 'Je suis suivie.' },
  { kind: 'appeal', id: ids.ap1, field: 'grounds', ad: appealGroundsAd(ids.ap1), value: 'Le refus ignore les menaces.' },
];

const bundle: RekeyBundle = {
  caseId,
  epoch: 3,
  envelopes: [
    { keyId: keyIdOf(mechanism.publicKey), recipientType: 'org', recipientId: mechanismOrg, currentKeyId: keyIdOf(mechanism.publicKey), publicKey: toB64u(mechanism.publicKey) },
    { keyId: keyIdOf(defender.publicKey), recipientType: 'defender', recipientId: caseId, currentKeyId: keyIdOf(defender.publicKey), publicKey: null },
    { keyId: keyIdOf(a.publicKey), recipientType: 'user', recipientId: userA, currentKeyId: keyIdOf(a.publicKey), publicKey: toB64u(a.publicKey) },
    { keyId: keyIdOf(b.publicKey), recipientType: 'user', recipientId: userB, currentKeyId: keyIdOf(b.publicKey), publicKey: toB64u(b.publicKey) },
  ],
  own: [sealEnvelope(oldDek, a.publicKey)],
  items: plain.map((p) => ({ kind: p.kind, id: p.id, field: p.field, ad: p.ad, sealed: sealField(p.value, oldDek, p.ad) })),
};

const recipients = [
  { keyId: keyIdOf(mechanism.publicKey), publicKey: toB64u(mechanism.publicKey), recipientType: 'org' as const, recipientId: mechanismOrg },
  { keyId: keyIdOf(defender.publicKey), publicKey: defender.publicKey, recipientType: 'defender' as const, recipientId: caseId },
  { keyId: keyIdOf(a.publicKey), publicKey: a.publicKey, recipientType: 'user' as const, recipientId: userA },
];
const revokeB = [keyIdOf(b.publicKey)];

t.test('the caller opens the current DEK from their own envelope in the bundle', async (t) => {
  t.same(openRekeyDek(bundle, [generateKeyPair(), a]), oldDek);
  t.throws(() => openRekeyDek(bundle, [b]), refusal('key_id_mismatch'), 'a key pair with no envelope in the bundle');
});

t.test('every item is re-sealed under a new DEK with its AD; the old DEK opens none of them', async (t) => {
  const { body, dek } = prepareRekey({ bundle, oldDek, revoke: revokeB, recipients });
  t.not(toB64u(dek), toB64u(oldDek), 'a new DEK');
  t.equal(body.epoch, 3, 'the epoch the bundle was read at');
  t.same(body.revoke, revokeB);
  t.equal(body.items.length, plain.length, 'every item, once');
  body.items.forEach((item, i) => {
    const p = plain[i]!;
    t.same({ kind: item.kind, id: item.id, field: item.field }, { kind: p.kind, id: p.id, field: p.field }, 'same place');
    t.not(item.sealed, bundle.items[i]!.sealed, 'a new ciphertext');
    t.same(openField(item.sealed, dek, p.ad), p.value, `${p.kind} opens with the new DEK under the same AD`);
    t.throws(() => openField(item.sealed, oldDek, p.ad), refusal('decrypt_failed'), `${p.kind}: the old DEK (kept by the revoked reader) opens nothing`);
    t.throws(() => openField(item.sealed, dek, caseFieldAd(caseId, 'other')), refusal('decrypt_failed'), 'still bound to its place');
  });
});

t.test('the new DEK is sealed to each remaining reader, never to the revoked one', async (t) => {
  const { body, dek } = prepareRekey({ bundle, oldDek, revoke: revokeB, recipients });
  t.same(
    body.envelopes.map((e) => [e.recipientType, e.recipientId, e.keyId]),
    recipients.map((r) => [r.recipientType, r.recipientId, r.keyId]),
  );
  for (const [pair, e] of [mechanism, defender, a].map((k, i) => [k, body.envelopes[i]!] as const)) t.same(openEnvelope(e, pair), dek);
  t.notOk(body.envelopes.some((e) => e.keyId === keyIdOf(b.publicKey)), 'no envelope for B');
  for (const e of body.envelopes) t.throws(() => openEnvelope(e.envelope, b), refusal('decrypt_failed'), "B's key opens no envelope");
});

t.test('a tampered item fails with a CryptoError and nothing is returned', async (t) => {
  const sealed = bundle.items[2]!.sealed;
  const flipped = `${sealed.slice(0, -2)}${sealed.at(-2) === 'A' ? 'B' : 'A'}${sealed.at(-1)}`;
  const tampered: RekeyBundle = { ...bundle, items: bundle.items.map((x, i) => (i === 2 ? { ...x, sealed: flipped } : x)) };
  t.throws(() => prepareRekey({ bundle: tampered, oldDek, revoke: revokeB, recipients }), refusal('decrypt_failed'));
  t.throws(() => prepareRekey({ bundle, oldDek: generateDek(), revoke: revokeB, recipients }), refusal('decrypt_failed'), 'the wrong old DEK');
});

t.test('a server that pairs a ciphertext with another place is caught before anything is re-sealed', async (t) => {
  // The narrative's ciphertext and AD, presented as the identity field: opening would succeed.
  const moved: RekeyBundle = { ...bundle, items: bundle.items.map((x, i) => (i === 1 ? { ...bundle.items[0]!, field: 'identity' } : x)) };
  t.throws(() => prepareRekey({ bundle: moved, oldDek, revoke: revokeB, recipients }), refusal('bad_associated_data'));
  const otherCase: RekeyBundle = { ...bundle, items: [{ ...bundle.items[0]!, id: ids.m1 }] };
  t.throws(() => prepareRekey({ bundle: otherCase, oldDek, revoke: revokeB, recipients }), refusal('bad_associated_data'), 'a case field of another id');
  const badReport: RekeyBundle = { ...bundle, items: [{ ...bundle.items[5]!, ad: `egide/v1/case/${ids.r1}/note` }] };
  t.throws(() => prepareRekey({ bundle: badReport, oldDek, revoke: revokeB, recipients }), refusal('bad_associated_data'));
  const badSender: RekeyBundle = { ...bundle, items: [{ ...bundle.items[2]!, ad: `egide/v1/message/${ids.m1}/body` }] };
  t.throws(() => prepareRekey({ bundle: badSender, oldDek, revoke: revokeB, recipients }), refusal('bad_associated_data'), 'a message AD without a sender');
});

t.test('recipients must be exactly the remaining readers, each at the key it claims', async (t) => {
  t.throws(() => prepareRekey({ bundle, oldDek, revoke: revokeB, recipients: recipients.slice(1) }), /missing org:/);
  t.throws(() => prepareRekey({ bundle, oldDek, revoke: [], recipients }), /missing user:/, 'B is still a reader unless revoked');
  t.throws(() => prepareRekey({ bundle, oldDek, revoke: revokeB, recipients: [...recipients, { keyId: keyIdOf(b.publicKey), publicKey: b.publicKey, recipientType: 'user', recipientId: userB }] }), /not expected user:/);
  t.throws(() => prepareRekey({ bundle, oldDek, revoke: ['AAAAAAAAAAAAAAAAAAAAAA'], recipients }), /no envelope of the case/);
  const swapped = recipients.map((r) => (r.recipientId === userA ? { ...r, publicKey: b.publicKey } : r));
  t.throws(() => prepareRekey({ bundle, oldDek, revoke: revokeB, recipients: swapped }), refusal('key_id_mismatch'), 'a public key that is not the keyId given');
});

t.test('a case with internal notes: a new staff key for the staff holders who remain, every note re-sealed, a moved note caught', async (t) => {
  const staffKey = generateDek();
  const noteId = '0193a5c7-0000-7000-8000-000000000001';
  const author = `u:${userA}`;
  const place = { caseId, noteId, author };
  const staff = {
    epoch: 3,
    own: [sealEnvelope(staffKey, a.publicKey)],
    holders: [
      { keyId: keyIdOf(mechanism.publicKey), recipientType: 'org' as const, recipientId: mechanismOrg },
      { keyId: keyIdOf(a.publicKey), recipientType: 'user' as const, recipientId: userA },
      { keyId: keyIdOf(b.publicKey), recipientType: 'user' as const, recipientId: userB },
    ],
    notes: [{ id: noteId, author, ad: noteBodyAd(caseId, noteId, author), sealed: sealNote({ text: 'Appel reçu.' }, staffKey, place) }],
  };
  const withNotes: RekeyBundle = { ...bundle, staff };
  t.throws(() => prepareRekey({ bundle: withNotes, oldDek, revoke: revokeB, recipients }), refusal('key_id_mismatch'), 'the old staff key is needed');
  const opened = openRekeyStaffKey(withNotes, [a]);
  t.same(opened, staffKey, "the caller's own staff-key envelope opens it");
  const { body, staffKey: fresh } = prepareRekey({ bundle: withNotes, oldDek, revoke: revokeB, recipients, oldStaffKey: opened });
  t.ok(fresh && !Buffer.from(fresh).equals(Buffer.from(staffKey)), 'a new staff key');
  t.same(body.staff!.envelopes.map((e) => e.recipientId).sort(), [mechanismOrg, userA].sort(), 'to the remaining staff holders: not the revoked one, never the defender');
  t.same(openNote(body.staff!.notes[0]!.sealed, fresh!, place), { text: 'Appel reçu.' }, 're-sealed under the new key, same AD');
  t.throws(() => openNote(body.staff!.notes[0]!.sealed, staffKey, place), refusal('decrypt_failed'), 'the old staff key opens nothing new');
  t.same(openEnvelope(body.staff!.envelopes.find((e) => e.recipientId === userA)!, a), fresh);
  const moved = { ...withNotes, staff: { ...staff, notes: [{ ...staff.notes[0]!, ad: noteBodyAd(caseId, noteId, `u:${userB}`) }] } };
  t.throws(() => prepareRekey({ bundle: moved, oldDek, revoke: revokeB, recipients, oldStaffKey: opened }), refusal('bad_associated_data'), 'a note the server re-attributes');
  const noStaff = prepareRekey({ bundle, oldDek, revoke: revokeB, recipients });
  t.equal(noStaff.staffKey, null);
  t.notOk('staff' in noStaff.body, 'a case without a staff key: no staff part');
});
