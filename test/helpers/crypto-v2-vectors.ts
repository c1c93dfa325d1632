/**
 * Builds test/fixtures/crypto-v2.json: the vectors of sealed-field format 2 (padded), and one
 * worked example of every sealed field, envelope kind and challenge of scheme v1, which
 * docs/crypto-v1.md quotes (test/sdk/crypto-doc.test.ts checks that it quotes them exactly).
 *
 * Deterministic: every key, nonce and ephemeral key is BLAKE2b of a label, so running this again
 * gives the same file, and test/sdk/vectors-v2.test.ts checks that it does. It is written with
 * libsodium directly (its own `sodium_pad`, the sealed-box construction spelled out), never with
 * the SDK, so that the SDK is checked against a second implementation.
 *
 *   npx tsx test/helpers/crypto-v2-vectors.ts > test/fixtures/crypto-v2.json
 *   npx tsx test/helpers/crypto-v2-vectors.ts --doc     (the quoted blocks of docs/crypto-v1.md)
 */
import sodium from 'libsodium-wrappers-sumo';
import { pathToFileURL } from 'node:url';
import v1 from '../fixtures/crypto-v1.json' with { type: 'json' };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const b64u = (bytes: Uint8Array): string => sodium.to_base64(bytes, sodium.base64_variants.URLSAFE_NO_PADDING);
const unb64u = (text: string): Uint8Array => sodium.from_base64(text, sodium.base64_variants.URLSAFE_NO_PADDING);
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
/** BLAKE2b of a label: the source of every key and nonce here. */
const derived = (length: number, label: string): Uint8Array => sodium.crypto_generichash(length, utf8(`egide/vectors/v2/${label}`), null);

/** The block of the spec, written from its text (floating point is exact for these lengths). */
function block(length: number): number {
  return length < 1024 ? 64 : 2 ** (Math.floor(Math.log2(length)) - 4);
}

/** Encrypts raw bytes as a `v<format>.` sealed field (the bytes are padded already, or not). */
function encrypt(format: 1 | 2, plaintext: Uint8Array, ad: string, nonce: Uint8Array, dek: Uint8Array): string {
  return `v${format}.${b64u(nonce)}.${b64u(sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, utf8(ad), null, nonce, dek))}`;
}

/** crypto_box_seal with a chosen ephemeral key: epk || crypto_box_easy(m, BLAKE2b-192(epk || pk), pk, esk). */
function sealedBox(message: Uint8Array, recipientPublicKey: Uint8Array, label: string): Uint8Array {
  const eph = sodium.crypto_box_seed_keypair(derived(32, `ephemeral/${label}`));
  const nonce = sodium.crypto_generichash(24, new Uint8Array([...eph.publicKey, ...recipientPublicKey]), null);
  return new Uint8Array([...eph.publicKey, ...sodium.crypto_box_easy(message, nonce, recipientPublicKey, eph.privateKey)]);
}

const keyId = (publicKey: Uint8Array): string => b64u(sodium.crypto_generichash(16, publicKey, null));

export async function buildCryptoV2Vectors() {
  await sodium.ready;
  const caseId = '0193a5c4-7e21-7c3e-9a51-6f0b2d1e4a77';
  const id = (n: number) => `0193a5c4-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
  const ids = { message: id(1), staffUser: id(0xa1), assessment: id(2), measure: id(3), incident: id(4), checkin: id(5), alert: id(6), appeal: id(7), referral: id(8), report: id(9), messageFromDefender: id(10), note: id(11), file: id(12) };
  const caseDek = unb64u(v1.vectors.sealedField[0]!.dek);
  const referralDek = derived(32, 'referral-dek');
  const staffKey = derived(32, 'staff-key');

  let nonces = 0;
  const sealedFieldV2: Array<{ name: string; quoted: boolean; builder: string; args: string[]; ad: string; dek: string; nonce: string; value: Json; plaintextLength: number; paddedLength: number; sealed: string }> = [];
  /** The worked examples of each sealed field are quoted in docs/crypto-v1.md; the edge cases are not. */
  let quoted = true;
  const seal = (name: string, builder: string, args: string[], ad: string, dek: Uint8Array, value: Json) => {
    const nonce = derived(24, `nonce/${(nonces += 1)}`);
    const message = utf8(JSON.stringify(value));
    const padded = sodium.pad(message, block(message.length));
    sealedFieldV2.push({ name, quoted, builder, args, ad, dek: b64u(dek), nonce: b64u(nonce), value, plaintextLength: message.length, paddedLength: padded.length, sealed: encrypt(2, padded, ad, nonce, dek) });
  };
  const caseAd = (field: string) => `egide/v1/case/${caseId}/${field}`;

  // One of every sealed field a client writes, with the value shape the egide clients use.
  seal('case field identity', 'caseFieldAd', [caseId, 'identity'], caseAd('identity'), caseDek, { name: 'Aminata Traoré' });
  seal('case field contact', 'caseFieldAd', [caseId, 'contact'], caseAd('contact'), caseDek, { text: 'Signal +223 70 00 00 00, après 18 h' });
  seal('case field narrative', 'caseFieldAd', [caseId, 'narrative'], caseAd('narrative'), caseDek, { text: 'Menaces reçues par SMS le 3 mars.' });
  seal('case field location', 'caseFieldAd', [caseId, 'location'], caseAd('location'), caseDek, { text: 'Mopti, quartier Sévaré' });
  seal('case field relatives', 'caseFieldAd', [caseId, 'relatives'], caseAd('relatives'), caseDek, [{ name: 'Fatou' }]);
  seal('message body from staff', 'messageBodyAd', [ids.message, `u:${ids.staffUser}`], `egide/v1/message/${ids.message}/u:${ids.staffUser}/body`, caseDek, { text: 'Rendez-vous demain à 10 h.' });
  seal('message body from the defender', 'messageBodyAd', [ids.messageFromDefender, `d:${caseId}`], `egide/v1/message/${ids.messageFromDefender}/d:${caseId}/body`, caseDek, { text: 'Merci, je serai là.' });
  seal('assessment field', 'assessmentFieldAd', [ids.assessment, 'threats.0.facts'], `egide/v1/assessment/${ids.assessment}/threats.0.facts`, caseDek, 'Filature en voiture, deux fois.');
  seal('measure details', 'measureDetailsAd', [ids.measure], `egide/v1/measure/${ids.measure}/details`, caseDek, { text: 'Serrures changées par un artisan de confiance.' });
  seal('incident note', 'caseReportNoteAd', ['incident', ids.incident], `egide/v1/incident/${ids.incident}/note`, caseDek, { text: 'Une moto m’a suivie.' });
  seal('check-in note', 'caseReportNoteAd', ['checkin', ids.checkin], `egide/v1/checkin/${ids.checkin}/note`, caseDek, { text: 'Tout va bien.' });
  seal('alert note', 'caseReportNoteAd', ['alert', ids.alert], `egide/v1/alert/${ids.alert}/note`, caseDek, { text: 'Une voiture tourne devant la maison.' });
  seal('appeal grounds', 'appealGroundsAd', [ids.appeal], `egide/v1/appeal/${ids.appeal}/grounds`, caseDek, { text: 'Les menaces continuent.' });
  seal('referral field', 'referralFieldAd', [ids.referral, 'identity'], `egide/v1/referral/${ids.referral}/identity`, referralDek, { name: 'Aminata Traoré' });
  seal('referral report', 'referralReportAd', [ids.referral, ids.report], `egide/v1/referral/${ids.referral}/${ids.report}/report`, referralDek, { text: 'Avocate désignée.' });
  seal('internal note (under the staff key)', 'noteBodyAd', [caseId, ids.note, `u:${ids.staffUser}`], `egide/v1/note/${caseId}/${ids.note}/u:${ids.staffUser}/body`, staffKey, { text: 'Appelée ce matin : préfère être jointe le soir.' });
  // Lengths around the block edges: the empty string, the last length of a block and the first
  // of the next, and each block size above 1 KiB.
  quoted = false;
  seal('empty string', 'caseFieldAd', [caseId, 'notes'], caseAd('notes'), caseDek, '');
  seal('62 bytes of JSON (pads to 64)', 'caseFieldAd', [caseId, 'narrative'], caseAd('narrative'), caseDek, 'a'.repeat(60));
  seal('63 bytes of JSON (pads to 64, the 0x80 last)', 'caseFieldAd', [caseId, 'narrative'], caseAd('narrative'), caseDek, 'a'.repeat(60) + 'b');
  seal('64 bytes of JSON (pads to 128)', 'caseFieldAd', [caseId, 'narrative'], caseAd('narrative'), caseDek, 'a'.repeat(62));
  seal('1023 bytes of JSON (pads to 1024)', 'caseFieldAd', [caseId, 'narrative'], caseAd('narrative'), caseDek, 'é'.repeat(510) + 'a');
  seal('1024 bytes of JSON (block 64, pads to 1088)', 'caseFieldAd', [caseId, 'narrative'], caseAd('narrative'), caseDek, 'é'.repeat(511));
  seal('2100 bytes of JSON (block 128, pads to 2176)', 'caseFieldAd', [caseId, 'narrative'], caseAd('narrative'), caseDek, 'x'.repeat(2098));
  // An evidence file's name (docs/crypto-v1.md §10: name, type, caption and sha256 are sealed the same way).
  seal('evidence file name', 'fileFieldAd', [ids.file, 'name'], `egide/v1/file/${ids.file}/name`, caseDek, { text: 'plainte-commissariat.pdf' });

  // What a reader must refuse. Each is sealed correctly (it authenticates) unless it says otherwise.
  const mustFail: Array<{ name: string; dek: string; ad: string; sealed: string; code: string }> = [];
  const fail = (name: string, code: string, sealed: string, ad = caseAd('identity'), dek = caseDek) => mustFail.push({ name, dek: b64u(dek), ad, sealed, code });
  const identity = utf8(JSON.stringify({ name: 'Aminata Traoré' }));
  const withTail = (message: Uint8Array, length: number, tail: number[]) => {
    const out = new Uint8Array(length);
    out.set(message);
    out.set(tail, message.length);
    return out;
  };
  const good = sealedFieldV2[0]!;
  const goodBytes = unb64u(good.sealed.split('.')[2]!);
  goodBytes[5]! ^= 0x01;
  fail('ciphertext altered (the tag does not verify)', 'decrypt_failed', `v2.${good.nonce}.${b64u(goodBytes)}`);
  fail('associated data of another field', 'decrypt_failed', good.sealed, caseAd('contact'));
  fail('no 0x80 marker: the JSON followed by zeros only', 'bad_padding', encrypt(2, withTail(identity, 64, []), caseAd('identity'), derived(24, 'fail/1'), caseDek));
  fail('a byte other than 0x80 before the zeros', 'bad_padding', encrypt(2, withTail(identity, 64, [0x81]), caseAd('identity'), derived(24, 'fail/2'), caseDek));
  fail('zeros after the marker end in a non-zero byte', 'bad_padding', encrypt(2, withTail(identity, 64, [0x80, ...new Array<number>(64 - identity.length - 2).fill(0), 0x01]), caseAd('identity'), derived(24, 'fail/3'), caseDek));
  fail(`non-canonical: an extra block of padding (128 bytes for ${identity.length})`, 'bad_padding', encrypt(2, sodium.pad(identity, 128), caseAd('identity'), derived(24, 'fail/4'), caseDek));
  fail('non-canonical: 2100 bytes padded to 2304 (block 128, one block too many)', 'bad_padding', encrypt(2, sodium.pad(utf8(JSON.stringify('x'.repeat(2098))), 2304), caseAd('narrative'), derived(24, 'fail/5'), caseDek), caseAd('narrative'));
  fail('a padded length no plaintext has (3000 bytes padded to 3008, a multiple of 64 but not of 128)', 'bad_length', encrypt(2, sodium.pad(utf8(JSON.stringify('x'.repeat(2998))), 64), caseAd('narrative'), derived(24, 'fail/6'), caseDek), caseAd('narrative'));
  fail('an unpadded (format 1) ciphertext labelled v2', 'bad_length', `v2.${v1.vectors.sealedField[0]!.sealed.slice(3)}`, v1.vectors.sealedField[0]!.ad);
  fail('a padded (format 2) ciphertext labelled v1: the padding is not JSON', 'bad_plaintext', `v1.${good.sealed.slice(3)}`);
  fail('an unknown format', 'unsupported_version', `v3.${good.sealed.slice(3)}`);

  const paddedLengths = [0, 1, 63, 64, 127, 128, 1023, 1024, 1087, 1088, 2047, 2048, 4095, 4096, 65535, 65536, 73728].map((length) => ({ length, block: block(length), padded: sodium.pad(new Uint8Array(length), block(length)).length }));

  // Envelopes: every kind of secret sealed to a public key, each opened by the vector's key pair.
  const org = v1.vectors.orgKeyring[0]!;
  const user = v1.vectors.password[0]!;
  const receipt = v1.vectors.receipt[0]!;
  const receiptMaster = sodium.crypto_pwhash(32, utf8(receipt.digits), unb64u(receipt.receiptSalt), 3, 67108864, sodium.crypto_pwhash_ALG_ARGON2ID13);
  const defender = sodium.crypto_box_seed_keypair(sodium.crypto_kdf_derive_from_key(32, 3, 'egidedfn', receiptMaster));
  const envelope = (name: string, secret: Uint8Array, recipient: { publicKey: Uint8Array; privateKey: Uint8Array }, recipientType: string) => ({
    name,
    recipientType,
    recipientPrivateKey: b64u(recipient.privateKey),
    recipientPublicKey: b64u(recipient.publicKey),
    keyId: keyId(recipient.publicKey),
    secret: b64u(secret),
    envelope: `v1.${b64u(sealedBox(secret, recipient.publicKey, name))}`,
  });
  const orgPair = { publicKey: unb64u(org.orgPublicKey), privateKey: unb64u(org.orgPrivateKey) };
  const userPair = { publicKey: unb64u(user.publicKey), privateKey: unb64u(user.privateKey) };
  const envelopes = [
    envelope('case DEK to the mechanism (intake) key', caseDek, orgPair, 'org'),
    envelope("case DEK to the defender's receipt key", caseDek, defender, 'defender'),
    envelope('case DEK to a staff member', caseDek, userPair, 'user'),
    envelope('referral DEK to the partner organisation', referralDek, orgPair, 'org'),
    envelope('organisation private key to a member (keyring entry)', unb64u(org.orgPrivateKey), userPair, 'member'),
  ];

  const challengeSecret = derived(32, 'recovery-challenge');
  const recoveryChallenge = {
    username: 'officier.awa',
    recipientPrivateKey: user.privateKey,
    recipientPublicKey: user.publicKey,
    keyId: keyId(userPair.publicKey),
    challenge: `v1.${b64u(sealedBox(challengeSecret, userPair.publicKey, 'recovery-challenge'))}`,
    answer: b64u(challengeSecret),
  };

  return {
    scheme: 'egide crypto v1',
    about:
      'Sealed-field format 2 (v2., padded) and one example of every sealed field, envelope kind and challenge, quoted by docs/crypto-v1.md. Keys, nonces and ephemeral keys are BLAKE2b of labels (test/helpers/crypto-v2-vectors.ts makes this file).',
    vectors: { paddedLength: paddedLengths, sealedFieldV2, sealedFieldV2MustFail: mustFail, envelopes, recoveryChallenge },
  };
}

export type CryptoV2Vectors = Awaited<ReturnType<typeof buildCryptoV2Vectors>>;

/** The file's exact text: two-space JSON and a final newline. */
export async function cryptoV2FixtureText(): Promise<string> {
  return `${JSON.stringify(await buildCryptoV2Vectors(), null, 2)}\n`;
}

// --- the blocks of docs/crypto-v1.md that quote the vectors --------------------------------------

const json = (value: unknown) => JSON.stringify(value);
const fence = (lines: string[]) => ['```', ...lines, '```'].join('\n');

/**
 * Each block of the document that quotes this file, by name, rendered from the vectors: the
 * document holds them between `<!-- vectors:<name> -->` and `<!-- /vectors -->`, and
 * test/sdk/crypto-doc.test.ts checks that what it holds is exactly this.
 */
export function docBlocks(v: CryptoV2Vectors['vectors']): Record<string, string> {
  const quoted = v.sealedFieldV2.filter((x) => x.quoted);
  const deks = [...new Set(quoted.map((x) => x.dek))];
  return {
    'padded-lengths': ['| L (bytes of JSON) | block | padded length | ciphertext |', '|---|---|---|---|', ...v.paddedLength.map((x) => `| ${x.length} | ${x.block} | ${x.padded} | ${x.padded + 16} |`)].join('\n'),
    'sealed-fields': fence(
      quoted.flatMap((x) => [
        `${x.name} (${x.builder}${x.args.length ? `, ${x.args.map((a) => json(a)).join(', ')}` : ''})`,
        `  dek     ${x.dek}${deks.length > 1 ? (x.dek === deks[0] ? '  (case DEK)' : '  (referral DEK)') : ''}`,
        `  ad      ${x.ad}`,
        `  value   ${json(x.value)}  (${x.plaintextLength} bytes of JSON, padded to ${x.paddedLength})`,
        `  nonce   ${x.nonce}`,
        `  sealed  ${x.sealed}`,
        '',
      ]).slice(0, -1),
    ),
    'must-fail': ['| vector | a reader refuses it with |', '|---|---|', ...v.sealedFieldV2MustFail.map((x) => `| ${x.name} | \`${x.code}\` |`)].join('\n'),
    envelopes: fence(
      v.envelopes.flatMap((e) => [
        `${e.name} (recipientType ${e.recipientType})`,
        `  recipient private key  ${e.recipientPrivateKey}`,
        `  recipient public key   ${e.recipientPublicKey}  (keyId ${e.keyId})`,
        `  envelope               ${e.envelope}`,
        `  opens to               ${e.secret}`,
        '',
      ]).slice(0, -1),
    ),
    'recovery-challenge': fence([
      `account private key  ${v.recoveryChallenge.recipientPrivateKey}`,
      `account public key   ${v.recoveryChallenge.recipientPublicKey}  (keyId ${v.recoveryChallenge.keyId})`,
      `challenge            ${v.recoveryChallenge.challenge}`,
      `answer               ${v.recoveryChallenge.answer}`,
    ]),
  };
}

/** A quoted block: its start marker line, then anything up to the first end marker (lazy, so one block never runs into the next). */
const BLOCK = /<!-- vectors:([a-z-]+) -->\n([\s\S]*?)<!-- \/vectors -->/g;

/** The blocks the document holds now, by name. */
export function docBlocksIn(doc: string): Record<string, string> {
  return Object.fromEntries([...doc.matchAll(BLOCK)].map((m) => [m[1]!, m[2]!.replace(/\n$/, '')]));
}

/** The document with each block replaced by its rendering (blocks it does not hold are left out). */
export function withDocBlocks(doc: string, blocks: Record<string, string>): string {
  return doc.replace(BLOCK, (whole, name: string) => (blocks[name] === undefined ? whole : `<!-- vectors:${name} -->\n${blocks[name]}\n<!-- /vectors -->`));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv[2] === '--doc') {
    // Rewrites the quoted blocks of docs/crypto-v1.md from freshly built vectors.
    const { readFile, writeFile } = await import('node:fs/promises');
    const docPath = new URL('../../docs/crypto-v1.md', import.meta.url);
    await writeFile(docPath, withDocBlocks(await readFile(docPath, 'utf8'), docBlocks((await buildCryptoV2Vectors()).vectors)));
  } else {
    process.stdout.write(await cryptoV2FixtureText());
  }
}
