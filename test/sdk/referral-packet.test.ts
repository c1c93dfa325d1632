/**
 * Referral packets share chosen fields, not the case: the partner organisation reads exactly what
 * the officer chose, never holds the case DEK, and a server cannot move packet fields around.
 */
import t from 'tap';
import {
  caseFieldAd,
  createOrgKey,
  createReferralPacket,
  generateDek,
  generateKeyPair,
  keyIdOf,
  openEnvelope,
  openField,
  openKeyringEntry,
  openReferralPacket,
  pinnedPublicKey,
  ready,
  referralFieldAd,
  sealEnvelope,
  sealField,
  type CryptoErrorCode,
  type JsonValue,
  type ReferralPacket,
} from '../../src/sdk/index.js';

await ready();

const refusal = (code: CryptoErrorCode) => ({ name: 'CryptoError', code: new RegExp(`^${code}$`) });

const caseId = '0193a5c4-7e21-7c3e-9a51-6f0b2d1e4a77';
const referralId = '0193a5c5-0000-7000-8000-000000000001';
const caseFields: Record<string, JsonValue> = {
  'identity.fullName': 'Aminata Traoré',
  'contact.phone': '+223 70 00 00 00',
  'location.exact': { lat: 14.49, lon: -4.19 },
  narrative: { details: 'Menaces reçues par SMS le 3 mars, puis visite nocturne.', incidents: 2 },
  'threats.0.facts': ['SMS', 'visite'],
};
const chosen = ['narrative', 'threats.0.facts'];

// The case as the server stores it: sealed fields and an envelope for the officer.
const officer = generateKeyPair();
const caseDek = generateDek();
const storedCase = Object.fromEntries(Object.entries(caseFields).map(([f, v]) => [f, sealField(v, caseDek, caseFieldAd(caseId, f))]));
const officerEnvelope = sealEnvelope(caseDek, officer.publicKey);

// The partner organisation and one of its members.
const partnerMember = generateKeyPair();
const partnerOrg = createOrgKey([partnerMember.publicKey]);
const outsider = generateKeyPair();

// The officer's client: open the case, pick fields, build the packet to the pinned org key.
const officerDek = openEnvelope(officerEnvelope, officer);
const picked = Object.fromEntries(chosen.map((f) => [f, openField(storedCase[f]!, officerDek, caseFieldAd(caseId, f))]));
const packet = createReferralPacket(referralId, picked, pinnedPublicKey(partnerOrg.publicKey, partnerOrg.keyId));

// The partner's client: open the keyring entry, then the packet.
const partnerOrgKey = openKeyringEntry(partnerOrg.entries[0]!, partnerMember);

t.test('the officer opens the case fields', async (t) => {
  t.same(picked, Object.fromEntries(chosen.map((f) => [f, caseFields[f]!])));
});

t.test('the partner opens exactly the chosen fields', async (t) => {
  t.equal(packet.referralId, referralId);
  t.equal(packet.envelope.keyId, partnerOrg.keyId, 'the packet key is sealed to the org key');
  t.same(Object.keys(packet.fields).sort(), [...chosen].sort(), 'only the chosen fields travel');
  const opened = openReferralPacket(packet, partnerOrgKey);
  t.same(opened, picked);
  t.same(Object.keys(opened).sort(), [...chosen].sort(), 'nothing else is opened');
});

t.test('the partner never holds the case DEK', async (t) => {
  const referralDek = openEnvelope(packet.envelope, partnerOrgKey);
  t.notSame(referralDek, caseDek, 'the packet has its own DEK');
  for (const [f, sealed] of Object.entries(packet.fields)) {
    t.not(sealed, storedCase[f], `${f} is re-encrypted, not copied`);
    t.throws(() => openField(sealed, caseDek, referralFieldAd(referralId, f)), refusal('decrypt_failed'), `the case DEK does not open packet field ${f}`);
  }
  for (const [f, sealed] of Object.entries(storedCase)) {
    t.throws(() => openField(sealed, referralDek, caseFieldAd(caseId, f)), refusal('decrypt_failed'), `the referral DEK does not open case field ${f}`);
  }
});

t.test('packet fields moved to another field name or another referral do not open', async (t) => {
  const [a, b] = chosen as [string, string];
  const swapped: ReferralPacket = { ...packet, fields: { [a]: packet.fields[b]!, [b]: packet.fields[a]! } };
  t.throws(() => openReferralPacket(swapped, partnerOrgKey), refusal('decrypt_failed'), 'two fields swapped');
  const renamed: ReferralPacket = { ...packet, fields: { 'identity.fullName': packet.fields[a]! } };
  t.throws(() => openReferralPacket(renamed, partnerOrgKey), refusal('decrypt_failed'), 'a field renamed');
  const moved: ReferralPacket = { ...packet, referralId: '0193a5c5-0000-7000-8000-000000000002' };
  t.throws(() => openReferralPacket(moved, partnerOrgKey), refusal('decrypt_failed'), 'the packet under another referralId');

  // A field taken from another packet (sealed under another referral DEK) does not fit either.
  const other = createReferralPacket('0193a5c5-0000-7000-8000-000000000003', { [a]: 'autre chose' }, partnerOrgKey.publicKey);
  const spliced: ReferralPacket = { ...packet, fields: { ...packet.fields, [a]: other.fields[a]! } };
  t.throws(() => openReferralPacket(spliced, partnerOrgKey), refusal('decrypt_failed'), 'a field from another packet');
});

t.test('a non-member cannot open the packet', async (t) => {
  t.throws(() => openReferralPacket(packet, outsider), refusal('key_id_mismatch'), 'refused before decrypting: not addressed to this key');
  const relabelled: ReferralPacket = { ...packet, envelope: { ...packet.envelope, keyId: keyIdOf(outsider.publicKey) } };
  t.throws(() => openReferralPacket(relabelled, outsider), refusal('decrypt_failed'), 'even when the server relabels the envelope');
  t.throws(() => openReferralPacket(packet, officer), refusal('key_id_mismatch'), 'the referring officer is not the partner either');
  t.throws(() => openKeyringEntry(partnerOrg.entries[0]!.entry, outsider), refusal('decrypt_failed'), 'nor can the outsider get the org key');
});

t.test('a field named like an Object.prototype property still travels', async (t) => {
  // Field names come from the client's form model; a name such as "__proto__" must neither vanish
  // nor change the prototype of the partner's result.
  const fields: Record<string, JsonValue> = JSON.parse('{"__proto__": {"polluted": true}, "constructor": "c", "toString": 1}');
  const p = createReferralPacket(referralId, fields, partnerOrgKey.publicKey);
  t.same(Object.keys(p.fields).sort(), ['__proto__', 'constructor', 'toString']);
  const opened = openReferralPacket(p, partnerOrgKey);
  t.same(Object.keys(opened).sort(), ['__proto__', 'constructor', 'toString']);
  t.equal(Object.getPrototypeOf(opened), Object.prototype, 'the result keeps its prototype');
  t.same(Object.getOwnPropertyDescriptor(opened, '__proto__')?.value, { polluted: true });
});

t.test('a copy of the referral key for the referring officer opens what the partner opens, and nothing of the case', async (t) => {
  t.same(packet.copies, [], 'no copy unless asked');
  const withCopy = createReferralPacket(referralId, picked, pinnedPublicKey(partnerOrg.publicKey, partnerOrg.keyId), [officer.publicKey]);
  t.equal(withCopy.copies.length, 1);
  t.equal(withCopy.copies[0]!.keyId, keyIdOf(officer.publicKey), "sealed to the officer's key");
  const officerCopy = openEnvelope(withCopy.copies[0]!, officer);
  t.same(officerCopy, openEnvelope(withCopy.envelope, partnerOrgKey), 'the same referral key as the partner');
  t.notSame(officerCopy, caseDek, 'not the case key');
  t.same(openReferralPacket({ ...withCopy, envelope: withCopy.copies[0]! }, officer), picked);
});
