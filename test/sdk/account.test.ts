/**
 * Staff accounts: enrolment, login, recovery code, password change. Argon2id costs about 0.2 s
 * and 64 MiB per call, so each derivation is done once at the top and shared by the tests.
 */
import t from 'tap';
import {
  KDF_PARAMS,
  SALT_BYTES,
  changePassword,
  createRecoveryCode,
  enrol,
  fromB64u,
  generateKeyPair,
  keyIdOf,
  login,
  openAccount,
  publicKeyOf,
  ready,
  recoverKeyPair,
  recoveryKeyOf,
  toB64u,
  verifierOf,
  wrapPrivateKey,
  type CryptoErrorCode,
} from '../../src/sdk/index.js';

await ready();

const refusal = (code: CryptoErrorCode) => ({ name: 'CryptoError', code: new RegExp(`^${code}$`) });
const CROCKFORD = '[0-9A-HJKMNP-TV-Z]';
const RECOVERY_SHAPE = new RegExp(`^${CROCKFORD}{4}(?:-${CROCKFORD}{4}){12}$`);

// Non-ASCII on purpose: typed on another keyboard it may arrive decomposed (NFD).
const password = 'Tombouctou, été 2026';
const newPassword = 'une autre phrase de passe, plus longue';

const enrolled = enrol(password);
const loggedIn = login(password.normalize('NFD'), { salt: enrolled.upload.salt, ...KDF_PARAMS });
const wrongLogin = login(`${password}!`, { salt: enrolled.upload.salt, ...KDF_PARAMS });
const changed = changePassword(enrolled.keyPair, newPassword);
const newLogin = login(newPassword, { salt: changed.salt, ...KDF_PARAMS });
const oldAtNewSalt = login(password, { salt: changed.salt, ...KDF_PARAMS });

t.test('enrol: what is uploaded, kept and shown', async (t) => {
  const { upload, keyPair, authKey, recoveryCode } = enrolled;
  t.equal(fromB64u(upload.salt).length, SALT_BYTES, 'a 16-byte salt');
  t.equal(upload.verifier, verifierOf(authKey), 'the verifier is SHA-256 of the authKey');
  t.equal(upload.publicKey, toB64u(keyPair.publicKey));
  t.equal(upload.keyId, keyIdOf(keyPair.publicKey));
  t.same(publicKeyOf(keyPair.privateKey), keyPair.publicKey, 'a consistent key pair');
  t.match(recoveryCode, RECOVERY_SHAPE, '13 groups of 4 Crockford characters');
  t.match(upload.wrappedPrivateKey, /^v1\.[A-Za-z0-9_-]{32}\.[A-Za-z0-9_-]{64}$/);
  t.match(upload.recoveryWrap, /^v1\.[A-Za-z0-9_-]{32}\.[A-Za-z0-9_-]{64}$/);
  t.notOk(JSON.stringify(upload).includes(toB64u(keyPair.privateKey)), 'the private key is not uploaded in the clear');
  t.notOk(JSON.stringify(upload).includes(recoveryCode), 'the recovery code is not uploaded');
  t.notOk(JSON.stringify(upload).includes(toB64u(authKey)), 'the authKey is not uploaded, only its verifier');
});

t.test('login: the password (normalised) gives the same authKey and opens the private key', async (t) => {
  t.equal(verifierOf(loggedIn.authKey), enrolled.upload.verifier);
  const kp = openAccount(loggedIn, enrolled.upload.wrappedPrivateKey);
  t.same(kp.privateKey, enrolled.keyPair.privateKey);
  t.same(kp.publicKey, enrolled.keyPair.publicKey);
  t.notSame(loggedIn.wrapKey, loggedIn.authKey, 'the key sent to the server is not the key that unwraps');
});

t.test('login with a wrong password: another verifier, and the wrap does not open', async (t) => {
  t.not(verifierOf(wrongLogin.authKey), enrolled.upload.verifier);
  t.throws(() => openAccount(wrongLogin, enrolled.upload.wrappedPrivateKey), refusal('decrypt_failed'));
});

t.test('createRecoveryCode: shape, and 32 bytes of key behind it', async (t) => {
  const codes = new Set<string>();
  for (let i = 0; i < 100; i++) {
    const code = createRecoveryCode();
    t.match(code, RECOVERY_SHAPE);
    t.equal(recoveryKeyOf(code).length, 32);
    codes.add(code);
  }
  t.equal(codes.size, 100, 'no repeats');
});

t.test('recovery: the code opens the same key pair, however it is typed', async (t) => {
  const { recoveryCode, upload, keyPair } = enrolled;
  const spellings = {
    'as shown': recoveryCode,
    'lower case': recoveryCode.toLowerCase(),
    'spaces for dashes': recoveryCode.replace(/-/g, ' '),
    'no separators': recoveryCode.replace(/-/g, ''),
    'lower case, irregular spaces': ` ${recoveryCode.toLowerCase().replace(/-/g, '').replace(/(.{3})/g, '$1 ')} `,
  };
  for (const [label, typed] of Object.entries(spellings)) {
    const kp = recoverKeyPair(typed, upload.recoveryWrap);
    t.same(kp.privateKey, keyPair.privateKey, label);
    t.same(kp.publicKey, keyPair.publicKey, `${label}: public key`);
  }
});

t.test('recovery: O, I and L are read as 0, 1 and 1', async (t) => {
  // A code is random, so pick one that has both a 0 and a 1 to substitute.
  let code = createRecoveryCode();
  for (let i = 0; i < 1000 && !(/0/.test(code.slice(0, -1)) && /1/.test(code)); i++) code = createRecoveryCode();
  t.match(code.slice(0, -1), /0/, 'the code has a 0');
  t.match(code, /1/, 'the code has a 1');
  const kp = generateKeyPair();
  const wrap = wrapPrivateKey(kp.privateKey, recoveryKeyOf(code));
  const spellings = {
    'O for 0': code.replace(/0/g, 'O'),
    'o for 0': code.replace(/0/g, 'o'),
    'I for 1': code.replace(/1/g, 'I'),
    'l for 1': code.replace(/1/g, 'l'),
  };
  for (const [label, typed] of Object.entries(spellings)) {
    t.not(typed, code);
    t.same(recoverKeyPair(typed, wrap).privateKey, kp.privateKey, label);
  }
});

t.test('recovery with another code fails with decrypt_failed', async (t) => {
  t.throws(() => recoverKeyPair(createRecoveryCode(), enrolled.upload.recoveryWrap), refusal('decrypt_failed'));
  // The recovery wrap is not the password wrap: the password keys do not open it.
  t.throws(() => openAccount(loggedIn, enrolled.upload.recoveryWrap), refusal('decrypt_failed'));
});

t.test('changePassword: the new password opens the same private key, the old one does not', async (t) => {
  t.not(changed.salt, enrolled.upload.salt, 'a new salt');
  t.not(changed.verifier, enrolled.upload.verifier, 'a new verifier');
  t.not(changed.wrappedPrivateKey, enrolled.upload.wrappedPrivateKey, 'a new wrap');
  t.equal(changed.verifier, verifierOf(changed.authKey));
  t.equal(verifierOf(newLogin.authKey), changed.verifier, 'the new password logs in');
  t.same(openAccount(newLogin, changed.wrappedPrivateKey), enrolled.keyPair, 'and opens the same key pair');
  t.not(verifierOf(oldAtNewSalt.authKey), changed.verifier, 'the old password does not log in');
  t.throws(() => openAccount(oldAtNewSalt, changed.wrappedPrivateKey), refusal('decrypt_failed'), 'nor open the new wrap');
  t.same(recoverKeyPair(enrolled.recoveryCode, enrolled.upload.recoveryWrap).privateKey, enrolled.keyPair.privateKey, 'the recovery code still works');
});

