/**
 * Organisation keys: members hold the org private key through keyring entries; a non-member
 * gets nothing, and rotation leaves old cases readable to the members who keep the old entries.
 */
import t from 'tap';
import {
  createOrgKey,
  generateDek,
  generateKeyPair,
  keyIdOf,
  openEnvelope,
  openKeyringEntry,
  ready,
  rewrapEnvelope,
  rotateOrgKey,
  sealEnvelope,
  sealKeyringEntry,
  sealKeyringGrant,
  toB64u,
  type BoxKeyPair,
  type CryptoErrorCode,
} from '../../src/sdk/index.js';

await ready();

const refusal = (code: CryptoErrorCode) => ({ name: 'CryptoError', code: new RegExp(`^${code}$`) });

const alice = generateKeyPair();
const bob = generateKeyPair();
const outsider = generateKeyPair();
const org = createOrgKey([alice.publicKey, bob.publicKey]);

function entryFor(entries: typeof org.entries, member: BoxKeyPair) {
  const entry = entries.find((e) => e.memberKeyId === keyIdOf(member.publicKey));
  if (!entry) throw new Error('no entry for this member');
  return entry;
}

t.test('createOrgKey for two members: each opens their own entry to the org key pair', async (t) => {
  t.equal(org.entries.length, 2);
  t.equal(org.keyId, keyIdOf(org.keyPair.publicKey));
  t.equal(org.publicKey, toB64u(org.keyPair.publicKey));
  for (const [name, member] of [['alice', alice], ['bob', bob]] as const) {
    const entry = entryFor(org.entries, member);
    t.equal(entry.orgKeyId, org.keyId, `${name}'s entry names the org key`);
    const opened = openKeyringEntry(entry, member);
    t.same(opened.privateKey, org.keyPair.privateKey, `${name} opens the org private key`);
    t.same(opened.publicKey, org.keyPair.publicKey, `${name} gets the matching public key`);
    t.same(openKeyringEntry(entry.entry, member), opened, `${name} opens the bare entry too`);
  }
  t.not(org.entries[0]!.entry, org.entries[1]!.entry, 'entries are sealed separately');
});

t.test('a non-member opens no entry', async (t) => {
  for (const entry of org.entries) {
    t.throws(() => openKeyringEntry(entry, outsider), refusal('key_id_mismatch'), 'an entry addressed to another member is refused before decrypting');
    t.throws(() => openKeyringEntry(entry.entry, outsider), refusal('decrypt_failed'), 'the bare entry does not open either');
  }
  t.throws(() => openKeyringEntry(entryFor(org.entries, alice), bob), refusal('key_id_mismatch'), "bob cannot use alice's entry");
});

t.test('a member adds a new member from the key they opened', async (t) => {
  const carol = generateKeyPair();
  const fromAlice = openKeyringEntry(entryFor(org.entries, alice), alice);
  const entry = sealKeyringEntry(fromAlice.privateKey, carol.publicKey);
  t.equal(entry.orgKeyId, org.keyId);
  t.equal(entry.memberKeyId, keyIdOf(carol.publicKey));
  t.same(openKeyringEntry(entry, carol).privateKey, org.keyPair.privateKey);
  t.throws(() => openKeyringEntry(entry.entry, outsider), refusal('decrypt_failed'));
});

t.test('rotateOrgKey: a new key for the remaining members; old entries still open the old key', async (t) => {
  const oldCaseDek = generateDek();
  const oldEnvelope = sealEnvelope(oldCaseDek, org.keyPair.publicKey);

  // bob leaves: the org rotates to a key sealed to alice only.
  const rotated = rotateOrgKey([alice.publicKey]);
  t.not(rotated.keyId, org.keyId, 'a new keyId');
  t.notSame(rotated.keyPair.privateKey, org.keyPair.privateKey);
  t.equal(rotated.entries.length, 1);
  t.same(openKeyringEntry(entryFor(rotated.entries, alice), alice).privateKey, rotated.keyPair.privateKey, 'alice opens the new key');
  t.throws(() => openKeyringEntry(rotated.entries[0]!.entry, bob), refusal('decrypt_failed'), 'bob does not');

  for (const [name, member] of [['alice', alice], ['bob', bob]] as const) {
    const oldKey = openKeyringEntry(entryFor(org.entries, member), member);
    t.same(oldKey.privateKey, org.keyPair.privateKey, `${name}'s old entry still opens the old key`);
    t.same(openEnvelope(oldEnvelope, oldKey), oldCaseDek, `${name} still reads an old case`);
  }

  const newCaseDek = generateDek();
  const newEnvelope = sealEnvelope(newCaseDek, rotated.keyPair.publicKey);
  const newKeyOfAlice = openKeyringEntry(entryFor(rotated.entries, alice), alice);
  t.same(openEnvelope(newEnvelope, newKeyOfAlice), newCaseDek, 'a new case is read with the new key');
  t.throws(() => openEnvelope(newEnvelope, org.keyPair), refusal('key_id_mismatch'), 'the old key is not the new case key');
  t.throws(() => openEnvelope(newEnvelope.envelope, org.keyPair), refusal('decrypt_failed'), 'and cannot open it');
});

t.test('a grant passes the whole keyring: the current key and each retired one, sealed to the member', async (t) => {
  const next = rotateOrgKey([alice.publicKey]);
  const grant = sealKeyringGrant(next.keyPair.privateKey, [org.keyPair.privateKey], outsider.publicKey);
  t.equal(grant.memberKeyId, keyIdOf(outsider.publicKey));
  t.same(openKeyringEntry(grant.entry, outsider), next.keyPair, 'the entry opens the current key');
  t.same(grant.retired.map((r) => r.orgKeyId), [org.keyId]);
  t.same(openKeyringEntry({ orgKeyId: org.keyId, memberKeyId: grant.memberKeyId, entry: grant.retired[0]!.entry }, outsider), org.keyPair, 'each retired entry opens the key it names');
  t.throws(() => sealKeyringGrant(next.keyPair.privateKey, [next.keyPair.privateKey], outsider.publicKey), refusal('key_id_mismatch'), 'the current key is not a retired one');
});

t.test('after a rotation a case key moves from the retired key to the current one, unchanged', async (t) => {
  const next = rotateOrgKey([alice.publicKey]);
  const dek = generateDek();
  const old = sealEnvelope(dek, org.keyPair.publicKey);
  const moved = rewrapEnvelope(old, org.keyPair, next.keyPair.publicKey);
  t.equal(moved.keyId, next.keyId, 'addressed to the current key');
  t.not(moved.envelope, old.envelope);
  t.same(openEnvelope(moved, next.keyPair), dek, 'the same case key');
  t.throws(() => openEnvelope({ ...moved, keyId: org.keyId }, org.keyPair), refusal('decrypt_failed'), 'the retired key does not open it');
  t.throws(() => rewrapEnvelope(old, next.keyPair, next.keyPair.publicKey), refusal('key_id_mismatch'), 'only the key the envelope names opens it');
});
