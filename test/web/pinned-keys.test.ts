/**
 * Keys pinned at first use (web/console/keys/pinned-keys.ts), in Node: the first key of a
 * subject is what later keys are compared with, per account of the console; a different key is
 * `changed` until pinned in its place; the fingerprint is the API's format for the same keyId.
 */
import t from 'tap';
import { generateKeyPair, keyIdOf, ready } from '../../src/sdk/index.js';
import { fingerprintOf as apiFingerprint } from '../../src/keys/public-key-view.js';
import { createPins, fingerprintOf, type PinStorage } from '../../web/console/keys/pinned-keys.js';

await ready();
const memory = (): PinStorage & { map: Map<string, string> } => {
  const map = new Map<string, string>();
  return { map, getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v) };
};
const keyId = () => keyIdOf(generateKeyPair().publicKey);

t.test('the fingerprint is the one the API prints for the keyId', async (t) => {
  for (let i = 0; i < 20; i++) {
    const id = keyId();
    t.equal(fingerprintOf(id), apiFingerprint(id));
    t.match(fingerprintOf(id), /^[0-9A-F]{4}( [0-9A-F]{4}){7}$/);
  }
});

t.test('first seen, then the same, then changed until the new key is pinned', async (t) => {
  const store = memory();
  const pins = createPins(store);
  const [a, b] = [keyId(), keyId()];
  t.same(pins.check('u1', 'org:x', a), { state: 'new' });
  pins.pin('u1', 'org:x', a);
  t.same(pins.check('u1', 'org:x', a), { state: 'same' });
  t.same(pins.check('u1', 'org:x', b), { state: 'changed', pinnedKeyId: a });
  t.same(pins.check('u1', 'user:y', b), { state: 'new' }, 'per subject');
  t.same(pins.check('u2', 'org:x', b), { state: 'new' }, 'per account of the console');
  pins.pin('u1', 'org:x', b);
  t.same(pins.check('u1', 'org:x', b), { state: 'same' });
  t.same(pins.check('u1', 'org:x', a), { state: 'changed', pinnedKeyId: b });
  t.same(createPins(store).check('u1', 'org:x', b), { state: 'same' }, 'kept in the storage');
  t.same([...store.map.keys()], ['egide.pinnedKeys.u1']);
});

t.test('unreadable storage counts as nothing pinned', async (t) => {
  const store = memory();
  store.map.set('egide.pinnedKeys.u1', '{not json');
  const pins = createPins(store);
  const a = keyId();
  t.same(pins.check('u1', 'org:x', a), { state: 'new' });
  pins.pin('u1', 'org:x', a);
  t.same(pins.check('u1', 'org:x', a), { state: 'same' });
});
