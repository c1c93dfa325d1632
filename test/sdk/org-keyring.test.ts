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
  rotateOrgKey,
  sealEnvelope,
  sealKeyringEntry,
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
