/**
 * Every malformed input is refused with a CryptoError whose code names the problem: a caller
 * (intake page, CLI, partner client) must be able to tell a typo from tampering from a server
 * that misbehaves, and no input may crash the SDK with a TypeError or a libsodium message.
 */
import t, { type Test } from 'tap';
import {
  ChainVerifier,
  CryptoError,
  GENESIS_HASH,
  KDF_PARAMS,
  assessmentFieldAd,
  associatedData,
  canonicalEvent,
  caseFieldAd,
  chainHash,
  checkPreloginParams,
  checkpointMessage,
  createRecoveryCode,
  createReferralPacket,
  decryptFile,
  deriveMaster,
  derivePasswordKeys,
  deriveReceiptKeys,
  encryptFile,
  fromB64u,
  fromHex,
  generateDek,
  generateKeyPair,
  isCryptoError,
  kdf,
  keyIdOf,
  login,
  messageBodyAd,
  normaliseReceipt,
  openEnvelope,
  openField,
  openKeyringEntry,
  pad,
  parseSealedField,
  pinnedPublicKey,
  publicKeyOf,
  randomBytes,
  ready,
  recoverKeyPair,
  recoveryKeyOf,
  referralFieldAd,
  rekey,
  sealEnvelope,
  sealField,
  sealKeyringEntry,
  signCheckpoint,
  toB64u,
  unwrapPrivateKey,
  verifierOf,
  verifyCheckpoint,
  wrapPrivateKey,
  type AuditEvent,
  type CryptoErrorCode,
  type JsonValue,
} from '../../src/sdk/index.js';
import sodium from 'libsodium-wrappers-sumo';

await ready();

const refusal = (code: CryptoErrorCode) => ({ name: 'CryptoError', code: new RegExp(`^${code}$`) });

/** Runs each case and expects exactly `code`; the label says which input was refused. */
function refuses(t: Test, code: CryptoErrorCode, cases: Record<string, () => unknown>): void {
  for (const [label, fn] of Object.entries(cases)) t.throws(fn, refusal(code), label);
}

const B64U_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The same bytes spelled with a non-zero unused trailing bit: lenient decoders accept it, so
 * without the canonical check one value would have two spellings (and two hashes, two ids).
 */
function nonCanonical(text: string): string {
  if (text.length % 4 < 2) throw new Error('no unused trailing bits in a text of this length');
  const last = B64U_ALPHABET.indexOf(text.at(-1)!);
  return text.slice(0, -1) + B64U_ALPHABET[last ^ 1];
}

const padded = (text: string) => text + '='.repeat((4 - (text.length % 4)) % 4);
const replaceAt = (text: string, i: number, c: string) => text.slice(0, i) + c + text.slice(i + 1);

const caseId = '0193a5c4-7e21-7c3e-9a51-6f0b2d1e4a77';
const dek = generateDek();
const ad = caseFieldAd(caseId, 'narrative');
// 12 bytes of JSON, padded to 64, + 16 of tag = 80 bytes: not a multiple of 3, so the text has unused bits.
const value: JsonValue = { text: 'x' };
const sealed = sealField(value, dek, ad);
const [, nonceText = '', ctText = ''] = sealed.split('.');
const reader = generateKeyPair();
const other = generateKeyPair();
const envelope = sealEnvelope(dek, reader.publicKey);
const envelopeBody = envelope.envelope.slice(3);
const wrapKey = randomBytes(32);
const wrapped = wrapPrivateKey(reader.privateKey, wrapKey);
const [, wrapNonceText = '', wrapCtText = ''] = wrapped.split('.');
const salt = toB64u(randomBytes(16));
const params = { salt, ...KDF_PARAMS };
const readerKeyId = keyIdOf(reader.publicKey);
const signer = sodium.crypto_sign_keypair();
const checkpoint = signCheckpoint(1, 'ab'.repeat(32), signer.privateKey);

t.test('the sealed field used below is well formed and opens', async (t) => {
  t.same(openField(sealed, dek, ad), value);
  t.match(sealed, /^v2\./, 'written in format 2');
  t.equal(ctText.length % 4, 3, 'ciphertext text has unused trailing bits');
});

t.test('unsupported_version: another or no version prefix', async (t) => {
  const body = sealed.slice(3);
  refuses(t, 'unsupported_version', {
    'sealed field v3.': () => openField(`v3.${body}`, dek, ad),
    'sealed field V2.': () => openField(`V2.${body}`, dek, ad),
    'sealed field V1.': () => openField(`V1.${body}`, dek, ad),
    'sealed field v02.': () => parseSealedField(`v02.${body}`),
    'sealed field v0.': () => parseSealedField(`v0.${body}`),
    'sealed field without prefix': () => openField(body, dek, ad),
    'empty string': () => openField('', dek, ad),
    'envelope v2.': () => openEnvelope(`v2.${envelopeBody}`, reader),
    'KeyEnvelope v2.': () => openEnvelope({ keyId: readerKeyId, envelope: `v2.${envelopeBody}` as `v1.${string}` }, reader),
    'wrapped private key v2.': () => unwrapPrivateKey(`v2.${wrapped.slice(3)}`, wrapKey),
    'keyring entry v2.': () => openKeyringEntry(`v2.${envelopeBody}`, reader),
    'recovery wrap without prefix': () => recoverKeyPair(createRecoveryCode(), wrapped.slice(3)),
  });
});

t.test('bad_format: wrong number of parts, not a string, not hex, incomplete events', async (t) => {
  const event: AuditEvent = { seq: 1, at: '2026-03-04T08:15:00.000Z', actor: 'u:a', role: 'officer', action: 'case.read', resource: 'case:x', caseId: null, outcome: 'allowed', reason: null, requestId: 'r' };
  const { requestId: _omitted, ...incomplete } = event;
  refuses(t, 'bad_format', {
    'sealed field with one part': () => openField(`v2.${nonceText}`, dek, ad),
    'sealed field with three parts': () => openField(`${sealed}.${ctText}`, dek, ad),
    'sealed field "v1"': () => openField('v1', dek, ad),
    'sealed field "v2"': () => openField('v2', dek, ad),
    'sealed field that is a number': () => openField(42 as unknown as string, dek, ad),
    'envelope with two parts': () => openEnvelope(`v1.${envelopeBody}.${envelopeBody}`, reader),
    'wrapped key with one part': () => unwrapPrivateKey(`v1.${wrapCtText}`, wrapKey),
    'upper-case hex': () => fromHex('AB'),
    'odd-length hex': () => fromHex('abc'),
    'upper-case previous hash': () => chainHash(GENESIS_HASH.replace(/0/g, 'A'), event),
    'event without requestId': () => canonicalEvent(incomplete as AuditEvent),
    'negative checkpoint seq': () => checkpointMessage(-1, GENESIS_HASH),
    'fractional checkpoint seq': () => checkpointMessage(1.5, GENESIS_HASH),
  });
});

t.test('bad_base64url: padding, standard alphabet, non-canonical bits, impossible lengths', async (t) => {
  // The non-canonical spelling really is an alias of the same bytes for a lenient decoder.
  const ctAlias = nonCanonical(ctText);
  t.not(ctAlias, ctText);
  t.same(new Uint8Array(Buffer.from(ctAlias, 'base64url')), fromB64u(ctText), 'lenient decoding maps both spellings to the same bytes');

  const pk = toB64u(reader.publicKey);
  refuses(t, 'bad_base64url', {
    'padded ciphertext': () => openField(`v2.${nonceText}.${padded(ctText)}`, dek, ad),
    'ciphertext with +': () => openField(`v2.${nonceText}.${replaceAt(ctText, 3, '+')}`, dek, ad),
    'ciphertext with /': () => openField(`v2.${nonceText}.${replaceAt(ctText, 3, '/')}`, dek, ad),
    'nonce with +': () => openField(`v2.${replaceAt(nonceText, 0, '+')}.${ctText}`, dek, ad),
    'nonce with /': () => openField(`v2.${replaceAt(nonceText, 0, '/')}.${ctText}`, dek, ad),
    'ciphertext with non-canonical trailing bits': () => openField(`v2.${nonceText}.${ctAlias}`, dek, ad),
    // 109 characters: a length of 4n+1 characters spells no whole byte string.
    'ciphertext of 4n+1 characters': () => openField(`v2.${nonceText}.${ctText}AA`, dek, ad),
    'ciphertext with a space': () => openField(`v2.${nonceText}.${replaceAt(ctText, 5, ' ')}`, dek, ad),
    'ciphertext with a newline': () => openField(`v2.${nonceText}.${ctText}\n`, dek, ad),
    'envelope padded': () => openEnvelope(`v1.${padded(envelopeBody)}`, reader),
    'envelope non-canonical': () => openEnvelope(`v1.${nonCanonical(envelopeBody)}`, reader),
    'wrapped key with "=" appended': () => unwrapPrivateKey(`v1.${wrapNonceText}.${wrapCtText}=`, wrapKey),
    'pinned public key padded': () => pinnedPublicKey(padded(pk), readerKeyId),
    'pinned public key non-canonical': () => pinnedPublicKey(nonCanonical(pk), readerKeyId),
    'pinned public key in standard base64': () => pinnedPublicKey(Buffer.from(reader.publicKey).toString('base64'), readerKeyId),
    'prelogin salt padded': () => checkPreloginParams({ ...params, salt: padded(salt) }),
    'prelogin salt non-canonical': () => checkPreloginParams({ ...params, salt: nonCanonical(salt) }),
    'receipt salt padded': () => deriveReceiptKeys('4821 0937 5562 1048', padded(salt)),
    'checkpoint signature padded': () => verifyCheckpoint({ ...checkpoint, signature: padded(checkpoint.signature) }, signer.publicKey),
    'fromB64u "AA=="': () => fromB64u('AA=='),
    'fromB64u "AB" (non-canonical "AA")': () => fromB64u('AB'),
    'fromB64u "A"': () => fromB64u('A'),
    'fromB64u "+/8"': () => fromB64u('+/8'),
    'fromB64u of a non-string': () => fromB64u(null as unknown as string),
  });
});

t.test('bad_length: nonce, ciphertext, envelope, salt, wrap, signature, hash', async (t) => {
  const b = (n: number) => toB64u(randomBytes(n));
  refuses(t, 'bad_length', {
    'nonce of 23 bytes': () => openField(`v2.${b(23)}.${ctText}`, dek, ad),
    'nonce of 25 bytes': () => openField(`v2.${b(25)}.${ctText}`, dek, ad),
    'nonce of 0 bytes': () => openField(`v2..${ctText}`, dek, ad),
    'ciphertext of 15 bytes (shorter than the tag)': () => openField(`v2.${nonceText}.${b(15)}`, dek, ad),
    'ciphertext of 0 bytes': () => openField(`v2.${nonceText}.`, dek, ad),
    'format-1 ciphertext of 15 bytes': () => openField(`v1.${nonceText}.${b(15)}`, dek, ad),
    // Format 2 ciphertexts are a padded length plus the tag: checked before any key is used.
    'format-2 ciphertext of 79 bytes (less than one block and the tag)': () => parseSealedField(`v2.${nonceText}.${b(79)}`),
    'format-2 ciphertext of 81 bytes (not a padded length)': () => openField(`v2.${nonceText}.${b(81)}`, dek, ad),
    'format-2 ciphertext of 33 bytes (unpadded)': () => openField(`v2.${nonceText}.${b(33)}`, dek, ad),
    'format-2 ciphertext of 3024 bytes (a multiple of 64 where the block is 128)': () => openField(`v2.${nonceText}.${b(3024)}`, dek, ad),
    'explicit seal nonce of 12 bytes': () => sealField(value, dek, ad, randomBytes(12)),
    'envelope of 79 bytes': () => openEnvelope(`v1.${b(79)}`, reader),
    'envelope of 81 bytes': () => openEnvelope(`v1.${b(81)}`, reader),
    'keyring entry of 48 bytes': () => openKeyringEntry(`v1.${b(48)}`, reader),
    'prelogin salt of 15 bytes': () => checkPreloginParams({ ...params, salt: b(15) }),
    'prelogin salt of 17 bytes': () => login('pw', { ...params, salt: b(17) }),
    'receipt salt of 32 bytes': () => deriveReceiptKeys('4821 0937 5562 1048', b(32)),
    'raw salt of 8 bytes': () => deriveMaster(randomBytes(4), randomBytes(8)),
    'wrap nonce of 23 bytes': () => unwrapPrivateKey(`v1.${b(23)}.${wrapCtText}`, wrapKey),
    'wrap ciphertext of 47 bytes': () => unwrapPrivateKey(`v1.${wrapNonceText}.${b(47)}`, wrapKey),
    'wrap ciphertext of 49 bytes': () => unwrapPrivateKey(`v1.${wrapNonceText}.${b(49)}`, wrapKey),
    'explicit wrap nonce of 12 bytes': () => wrapPrivateKey(reader.privateKey, wrapKey, randomBytes(12)),
    'checkpoint signature of 63 bytes': () => verifyCheckpoint({ ...checkpoint, signature: b(63) }, signer.publicKey),
    'checkpoint hash of 31 bytes': () => checkpointMessage(1, 'ab'.repeat(31)),
    'previous hash of 31 bytes': () => chainHash('00'.repeat(31), canonicalEventSample()),
    'verifier start of 33 bytes': () => new ChainVerifier({ seq: 0, hash: '00'.repeat(33) }),
  });
});

function canonicalEventSample(): AuditEvent {
  return { seq: 1, at: '2026-03-04T08:15:00.000Z', actor: 'u:a', role: 'officer', action: 'case.read', resource: 'case:x', caseId: null, outcome: 'allowed', reason: null, requestId: 'r' };
}

t.test('bad_key_size: DEK, public, private, wrapping, file, signing keys', async (t) => {
  const cases: Record<string, () => unknown> = {};
  for (const n of [0, 16, 31, 33, 64]) {
    cases[`seal with a ${n}-byte DEK`] = () => sealField(value, randomBytes(n), ad);
    cases[`open with a ${n}-byte DEK`] = () => openField(sealed, randomBytes(n), ad);
  }
  Object.assign(cases, {
    'DEK as a plain array': () => sealField(value, Array.from(dek) as unknown as Uint8Array, ad),
    'envelope of a 16-byte DEK': () => sealEnvelope(randomBytes(16), reader.publicKey),
    'envelope to a 31-byte public key': () => sealEnvelope(dek, randomBytes(31)),
    'envelope opened with a 33-byte public key': () => openEnvelope(envelope.envelope, { publicKey: randomBytes(33), privateKey: reader.privateKey }),
    'envelope opened with a 31-byte private key': () => openEnvelope(envelope, { publicKey: reader.publicKey, privateKey: randomBytes(31) }),
    'keyId of a 31-byte public key': () => keyIdOf(randomBytes(31)),
    'keyId of a 64-byte public key': () => keyIdOf(randomBytes(64)),
    'public key of a 31-byte private key': () => publicKeyOf(randomBytes(31)),
    'pinned public key of 31 bytes': () => pinnedPublicKey(toB64u(randomBytes(31)), readerKeyId),
    'pinned public key of 33 bytes': () => pinnedPublicKey(toB64u(randomBytes(33)), readerKeyId),
    'wrap a 31-byte private key': () => wrapPrivateKey(randomBytes(31), wrapKey),
    'wrap under a 16-byte wrapping key': () => wrapPrivateKey(reader.privateKey, randomBytes(16)),
    'unwrap with a 16-byte wrapping key': () => unwrapPrivateKey(wrapped, randomBytes(16)),
    'unwrap with a 33-byte wrapping key': () => unwrapPrivateKey(wrapped, randomBytes(33)),
    'keyring entry of a 31-byte org key': () => sealKeyringEntry(randomBytes(31), reader.publicKey),
    'referral packet to a 31-byte org key': () => createReferralPacket('ref-1', { a: 1 }, randomBytes(31)),
    'rekey from a 16-byte DEK': () => rekey(randomBytes(16), [{ id: 'narrative', ad, sealed }], [reader.publicKey]),
    'rekey to a 31-byte reader key': () => rekey(dek, [{ id: 'narrative', ad, sealed }], [randomBytes(31)]),
    'file encryption with a 16-byte key': () => encryptFile(randomBytes(16)),
    'file decryption with a 33-byte key': () => decryptFile(randomBytes(33)),
    'kdf from a 16-byte master': () => kdf(randomBytes(16), 1, 'egideaut'),
    'verifier of a 16-byte authKey': () => verifierOf(randomBytes(16)),
    'checkpoint signed with a 32-byte key': () => signCheckpoint(1, GENESIS_HASH, randomBytes(32)),
    'checkpoint verified with a 31-byte key': () => verifyCheckpoint(checkpoint, randomBytes(31)),
    'checkpoint verified with a 31-byte key as text': () => verifyCheckpoint(checkpoint, toB64u(randomBytes(31))),
  });
  refuses(t, 'bad_key_size', cases);
});

t.test('decrypt_failed: a ciphertext moved to another place, or the wrong key', async (t) => {
  const messageId = 'msg-0193a5c4';
  const body = sealField('rendez-vous à 18h', dek, messageBodyAd(messageId, 'u-defender'));
  t.equal(openField(body, dek, messageBodyAd(messageId, 'u-defender')), 'rendez-vous à 18h', 'the message opens in its place');
  const referral = sealField('x', dek, referralFieldAd('ref-1', 'narrative'));
  const otherSealed = sealField(value, dek, ad);
  refuses(t, 'decrypt_failed', {
    'case field under another case id': () => openField(sealed, dek, caseFieldAd('0193a5c4-7e21-7c3e-9a51-6f0b2d1e4a78', 'narrative')),
    'case field under another field': () => openField(sealed, dek, caseFieldAd(caseId, 'notes')),
    'case field under another resource type': () => openField(sealed, dek, assessmentFieldAd(caseId, 'narrative')),
    'message body under another sender': () => openField(body, dek, messageBodyAd(messageId, 'u-officer')),
    'message body under another message': () => openField(body, dek, messageBodyAd('msg-other', 'u-defender')),
    'referral field under another referral': () => openField(referral, dek, referralFieldAd('ref-2', 'narrative')),
    'sealed field with another DEK': () => openField(sealed, generateDek(), ad),
    'nonce of another sealed field': () => openField(`v2.${otherSealed.split('.')[1]}.${ctText}`, dek, ad),
    'envelope opened by another key pair': () => openEnvelope(envelope.envelope, other),
    'wrapped key with another wrapping key': () => unwrapPrivateKey(wrapped, randomBytes(32)),
    'keyring entry opened by a non-member': () => openKeyringEntry(sealKeyringEntry(generateKeyPair().privateKey, reader.publicKey).entry, other),
  });
});

t.test('key_id_mismatch: a key that is not the pinned one, an envelope for another key', async (t) => {
  t.same(pinnedPublicKey(toB64u(reader.publicKey), readerKeyId), reader.publicKey, 'the pinned key itself is accepted');
  refuses(t, 'key_id_mismatch', {
    'server swaps in its own intake key': () => pinnedPublicKey(toB64u(other.publicKey), readerKeyId),
    'envelope opened by another key pair': () => openEnvelope(envelope, other),
    'envelope relabelled with another keyId': () => openEnvelope({ ...envelope, keyId: keyIdOf(other.publicKey) }, reader),
  });
});

t.test('bad_receipt: not 16 digits once separators are removed', async (t) => {
  refuses(t, 'bad_receipt', {
    '15 digits': () => normaliseReceipt('4821 0937 5562 104'),
    '17 digits': () => normaliseReceipt('4821 0937 5562 10489'),
    'a letter O for 0': () => normaliseReceipt('4821 O937 5562 1048'),
    'a plus sign': () => normaliseReceipt('4821+0937+5562+1048'),
    'Arabic-Indic digits': () => normaliseReceipt('٤٨٢١ ٠٩٣٧ ٥٥٦٢ ١٠٤٨'),
    'empty': () => normaliseReceipt(''),
    'only separators': () => normaliseReceipt(' - - '),
    'not text': () => normaliseReceipt(4821093755621048 as unknown as string),
    'derive keys from a short receipt': () => deriveReceiptKeys('1234', salt),
  });
});

t.test('bad_recovery_code: wrong length, letters outside Crockford base32, non-zero padding', async (t) => {
  const code = createRecoveryCode();
  const compact = code.replace(/-/g, '');
  refuses(t, 'bad_recovery_code', {
    '51 characters': () => recoveryKeyOf(compact.slice(0, -1)),
    '53 characters': () => recoveryKeyOf(`${compact}0`),
    'a U': () => recoveryKeyOf(replaceAt(compact, 10, 'U')),
    'a punctuation mark': () => recoveryKeyOf(replaceAt(compact, 10, '!')),
    // 52 characters carry 260 bits for 256: the last character's low 4 bits must be zero.
    'non-zero padding bits': () => recoveryKeyOf(replaceAt(compact, 51, '1')),
    'empty': () => recoveryKeyOf(''),
    'not text': () => recoveryKeyOf(42 as unknown as string),
    'recover with a truncated code': () => recoverKeyPair(code.slice(0, -5), wrapped),
  });
});

t.test('bad_kdf_params: a server cannot weaken (or change) the password derivation', async (t) => {
  t.same(checkPreloginParams(params), fromB64u(salt), 'the scheme parameters are accepted');
  refuses(t, 'bad_kdf_params', {
    'opslimit 1': () => checkPreloginParams({ ...params, opslimit: 1 }),
    'opslimit 2': () => login('pw', { ...params, opslimit: 2 }),
    'memlimit 8 MiB': () => derivePasswordKeys('pw', { ...params, memlimit: 8 * 1024 * 1024 }),
    'memlimit 0': () => checkPreloginParams({ ...params, memlimit: 0 }),
    'argon2i': () => checkPreloginParams({ ...params, alg: 'argon2i13' }),
    'scrypt': () => checkPreloginParams({ ...params, alg: 'scrypt' }),
    'opslimit as text': () => checkPreloginParams({ ...params, opslimit: '3' as unknown as number }),
    // A stronger setting would derive other keys and could exhaust a phone's memory.
    'memlimit 1 GiB': () => checkPreloginParams({ ...params, memlimit: 1024 * 1024 * 1024 }),
  });
});

t.test('bad_associated_data: empty parts, separators, other characters', async (t) => {
  t.equal(associatedData('case', caseId, 'identity.fullName'), `egide/v1/case/${caseId}/identity.fullName`);
  t.equal(messageBodyAd('m1', 's1'), 'egide/v1/message/m1/s1/body');
  refuses(t, 'bad_associated_data', {
    'empty case id': () => caseFieldAd('', 'narrative'),
    'empty field': () => caseFieldAd(caseId, ''),
    'case id with /': () => caseFieldAd(`${caseId}/notes`, 'narrative'),
    'field with /': () => caseFieldAd(caseId, 'a/b'),
    'sender with /': () => messageBodyAd('m1', 'u/x'),
    'resource type with a space': () => associatedData('ca se', caseId, 'narrative'),
    'field with a letter outside ASCII': () => referralFieldAd('ref-1', 'résumé'),
    'field of 129 characters': () => assessmentFieldAd(caseId, 'a'.repeat(129)),
    'scope id not text': () => associatedData('message', 'm1', 'body', 7 as unknown as string),
    // "\uD800" and "\uDC00" both become U+FFFD in UTF-8: accepted, they would open each other's ciphertexts.
    'seal under AD with a lone surrogate': () => sealField(value, dek, `${ad}\ud800`),
    'open under AD with a lone surrogate': () => openField(sealField(value, dek, `${ad}\ufffd`), dek, `${ad}\udc00`),
    'AD that is not text': () => openField(sealed, dek, undefined as unknown as string),
  });
  t.same(openField(sealField(value, dek, `${ad}/\u{1f512}`), dek, `${ad}/\u{1f512}`), value, 'a surrogate pair (a whole character) is fine');
  t.equal(assessmentFieldAd(caseId, 'a'.repeat(128)), `egide/v1/assessment/${caseId}/${'a'.repeat(128)}`, '128 characters is the limit, not less');
});

/** A sealed field of any bytes (the SDK only seals JSON), in format 1 or, padded by the caller, format 2. */
function raw(bytes: Uint8Array, format: 1 | 2 = 1): string {
  const nonce = randomBytes(24);
  const ct = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(bytes, new TextEncoder().encode(ad), null, nonce, dek);
  return `v${format}.${toB64u(nonce)}.${toB64u(ct)}`;
}

t.test('bad_plaintext: values JSON cannot carry, plaintexts that are not UTF-8 JSON', async (t) => {
  refuses(t, 'bad_plaintext', {
    'undefined': () => sealField(undefined as unknown as JsonValue, dek, ad),
    'a function': () => sealField((() => 1) as unknown as JsonValue, dek, ad),
    'opens to text that is not JSON': () => openField(raw(new TextEncoder().encode('not json')), dek, ad),
    'opens to bytes that are not UTF-8': () => openField(raw(new Uint8Array([0x22, 0xff, 0xfe, 0x22])), dek, ad),
    'format 2: padded text that is not JSON': () => openField(raw(pad(new TextEncoder().encode('not json')), 2), dek, ad),
    // The padding is not JSON: a server cannot pass a format-2 value off as format 1 (nor the reverse, see bad_length).
    'format-2 value relabelled v1': () => openField(`v1.${sealed.slice(3)}`, dek, ad),
  });
});

t.test('bad_padding: a format-2 value that authenticates but is not padded as format 2 pads', async (t) => {
  const json = new TextEncoder().encode(JSON.stringify(value));
  const tail = (length: number, bytes: number[]) => {
    const out = new Uint8Array(length);
    out.set(json);
    out.set(bytes, json.length);
    return out;
  };
  t.same(openField(raw(pad(json), 2), dek, ad), value, 'the canonical padding opens');
  refuses(t, 'bad_padding', {
    'zeros only after the JSON (no 0x80)': () => openField(raw(tail(64, []), 2), dek, ad),
    '0x81 instead of 0x80': () => openField(raw(tail(64, [0x81]), 2), dek, ad),
    'a non-zero last byte': () => openField(raw(tail(64, [0x80, 0, 0, 1]), 2), dek, ad),
    'one block too many': () => openField(raw(sodium.pad(json, 128), 2), dek, ad),
    'sixteen blocks too many': () => openField(raw(sodium.pad(json, 1024), 2), dek, ad),
    '64 bytes of zeros': () => openField(raw(new Uint8Array(64), 2), dek, ad),
  });
});

t.test('CryptoError is typed and recognisable without parsing messages', async (t) => {
  let caught: unknown;
  try {
    openField(sealed, dek, caseFieldAd(caseId, 'notes'));
  } catch (err) {
    caught = err;
  }
  t.ok(caught instanceof CryptoError);
  t.ok(isCryptoError(caught));
  t.ok(isCryptoError(caught, 'decrypt_failed'));
  t.notOk(isCryptoError(caught, 'bad_length'));
  t.notOk(isCryptoError(new Error('decrypt_failed')));
  t.notMatch((caught as Error).message, ctText, 'the message does not echo the ciphertext');
});
