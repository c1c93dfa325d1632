/**
 * Client-side sealing of a case, the intake page's hot path: a fresh DEK, ten realistic fields
 * sealed with XChaCha20-Poly1305 under their case-field AD, and the DEK sealed to two readers
 * (the mechanism and the defender). Quality bar: under 5 ms per case, Argon2id aside.
 *
 * Baseline, in the same run and interleaved with it: the same libsodium primitives called
 * directly on libsodium-wrappers-sumo with the plaintext and AD bytes already encoded (keygen,
 * 10 x randombytes nonce + AEAD encrypt, 2 x crypto_box_seal, base64url of every output, the
 * same `v1.` strings). The ratio SDK/raw is what the SDK adds: JSON serialisation and UTF-8
 * encoding of each value, AD construction and validation, key-size checks, a BLAKE2b keyId per
 * envelope and wiping the plaintext copies.
 *
 * Argon2id (derivePasswordKeys, deriveReceiptKeys) is reported apart, beside a raw crypto_pwhash
 * with the scheme's parameters.
 */
import sodium from 'libsodium-wrappers-sumo';
import {
  type JsonValue,
  type KeyEnvelope,
  type SealedField,
  KDF_PARAMS,
  caseFieldAd,
  derivePasswordKeys,
  deriveReceiptKeys,
  generateDek,
  generateKeyPair,
  generateReceipt,
  generateSalt,
  openEnvelope,
  openField,
  ready,
  sealEnvelope,
  sealField,
  wipe,
} from '../src/sdk/index.js';
import { paddedLength } from '../src/sdk/crypto/padding.js';
import { Prng } from './lib/prng.js';
import { defineBenchmark, row } from './lib/report.js';
import { interleave, roundSummary, summarize } from './lib/stats.js';

const CASES = 64;
const WARMUP_ROUNDS = 300;
const ROUNDS = 4000;
const ARGON_ROUNDS = 5;

type CaseFields = Array<[name: string, value: JsonValue]>;

interface CaseInput {
  id: string;
  fields: CaseFields;
}

interface RawCase {
  fields: Array<{ name: string; plaintext: Uint8Array; ad: Uint8Array }>;
}

const FIRST = ['Aminata', 'Joseph', 'Clarisse', 'Éric', 'Fatoumata', 'Hervé', 'Mireille', 'Ousmane', 'Bénédicte', 'Théodore', 'Nadège', 'Cédric'];
const LAST = ['Ngo Mbock', 'Tchakounté', 'Diallo', 'Mbarga', 'Kamga', 'Essomba', 'Nkoulou', 'Fotso', 'Abena', 'Moukouri'];
const CITIES: Array<[city: string, region: string, lat: number, lon: number]> = [
  ['Bamenda', 'Nord-Ouest', 5.9597, 10.1459],
  ['Buea', 'Sud-Ouest', 4.1527, 9.241],
  ['Maroua', 'Extrême-Nord', 10.591, 14.3159],
  ['Douala', 'Littoral', 4.0511, 9.7679],
  ['Bertoua', 'Est', 4.5772, 13.6846],
  ['Ngaoundéré', 'Adamaoua', 7.3167, 13.5833],
];
const PROFESSIONS = ['journaliste', 'avocate', 'défenseur des droits fonciers', 'syndicaliste', 'militante LGBTI+', 'enseignant', 'infirmière', 'blogueur'];
const ORGS = ['Réseau des défenseurs du Nord-Ouest', 'Collectif Femmes et Terre', 'Association pour la liberté de la presse', 'Syndicat national des enseignants', 'Clinique juridique de Buea'];

/** About 2 KiB of UTF-8 once the names are filled in: the free-text account a defender gives. */
function narrative(name: string, city: string, profession: string, org: string, other: string): string {
  return [
    `Je m'appelle ${name} et je travaille comme ${profession} à ${city} depuis 2017, avec le soutien de l'organisation « ${org} ».`,
    `Depuis le mois de janvier, je reçois des appels anonymes presque chaque nuit. Les personnes qui appellent connaissent mon adresse, l'école de mes enfants et les horaires de mon épouse.`,
    `Le 14 février, deux hommes en civil se sont présentés à notre bureau et ont demandé la liste des victimes que nous accompagnons devant le tribunal de grande instance. Mon collègue ${other} a refusé ; ils sont revenus le lendemain avec un véhicule sans plaque et ont photographié tous ceux qui entraient.`,
    `Le 3 mars, en rentrant d'une audience, j'ai été suivi sur plusieurs kilomètres par une moto. À un carrefour, le passager m'a dit que « les gens qui parlent trop finissent dans le fleuve ». J'ai déposé plainte au commissariat du 2e arrondissement, mais l'officier a refusé d'enregistrer le nom du chef de quartier que j'ai reconnu.`,
    `Depuis, nos ordinateurs ont été saisis lors d'une perquisition sans mandat. Les dossiers de quatorze familles expulsées de leurs terres s'y trouvaient, avec leurs numéros de téléphone. Deux de ces familles ont déjà reçu des menaces et l'une d'elles a quitté la région.`,
    `Le 18 mars, un message vocal envoyé au numéro de l'association citait le nom de mon fils et l'adresse de sa grand-mère à Yaoundé. Nous avons changé les serrures du bureau, mais le propriétaire nous demande désormais de quitter les lieux avant la fin du mois, « pour éviter les problèmes ».`,
    `Je crains pour ma sécurité et celle de ma famille. Je souhaite que le mécanisme m'aide à trouver un hébergement temporaire hors de ${city}, à remplacer le matériel saisi et à obtenir l'assistance d'un avocat pour contester la perquisition. Je peux être joint de préférence le matin, uniquement par Signal, et je demande que mon nom ne soit communiqué à aucune autorité sans mon accord écrit.`,
  ].join('\n\n');
}

function makeCase(prng: Prng, index: number): CaseInput {
  const created = Date.UTC(2026, 2, 4, 8, 0, 0) + index * 3_600_000;
  const id = prng.uuidV7(created);
  const first = prng.pick(FIRST);
  const last = prng.pick(LAST);
  const name = `${first} ${last}`;
  const [city, region, lat, lon] = prng.pick(CITIES);
  const profession = prng.pick(PROFESSIONS);
  const org = prng.pick(ORGS);
  const other = `${prng.pick(FIRST)} ${prng.pick(LAST)}`;
  const phone = (): string => `+237 6${prng.int(50, 99)} ${prng.int(10, 99)} ${prng.int(10, 99)} ${prng.int(10, 99)}`;
  const fields: CaseFields = [
    ['identity', { fullName: name, otherNames: [first.toLowerCase()], dateOfBirth: `19${prng.int(60, 99)}-0${prng.int(1, 9)}-1${prng.int(0, 9)}`, gender: prng.pick(['f', 'm', 'x']), nationality: 'CM', profession, organisation: org, documentNumber: `CM${prng.int(10_000_000, 99_999_999)}` }],
    ['contact', { phones: [phone(), phone()], email: `${first.toLowerCase().normalize('NFKD').replace(/[^a-z]/g, '')}.${index}@proton.me`, signal: phone(), preferredChannel: 'signal', safeHours: 'lun-ven 7h-9h', codeword: 'mangue verte', mayLeaveMessage: false }],
    ['location', { country: 'CM', region, city, district: `quartier ${prng.pick(['Nkwen', 'Molyko', 'Domayo', 'Akwa', 'Bonabéri'])}`, lat: lat + prng.next() / 100, lon: lon + prng.next() / 100, relocated: prng.next() < 0.3, safeHouse: null }],
    ['narrative', narrative(name, city, profession, org, other)],
    ['relatives', [
      { name: `${prng.pick(FIRST)} ${last}`, relation: 'épouse', age: prng.int(25, 55), atRisk: true, location: city },
      { name: `${prng.pick(FIRST)} ${last}`, relation: 'fils', age: prng.int(4, 17), atRisk: true, location: city },
      { name: `${prng.pick(FIRST)} ${last}`, relation: 'mère', age: prng.int(55, 85), atRisk: false, location: 'Yaoundé' },
    ]],
    ['incidents', [
      { date: '2026-02-14', kind: 'intimidation', place: `bureau, ${city}`, description: 'Deux hommes en civil exigent la liste des victimes accompagnées.' },
      { date: '2026-03-03', kind: 'filature', place: `route de ${city}`, description: 'Suivi par une moto, menace de mort verbale au carrefour.' },
      { date: '2026-03-10', kind: 'perquisition', place: `bureau, ${city}`, description: 'Saisie de trois ordinateurs sans mandat, dossiers de 14 familles.' },
    ]],
    ['perpetrators', [
      { description: 'deux hommes en civil, véhicule sans plaque', affiliation: 'présumés agents de renseignement', identified: false },
      { description: `chef de quartier, reconnu le ${'3 mars'}`, affiliation: 'autorité traditionnelle', identified: true },
    ]],
    ['needs', { protection: ['hébergement temporaire', 'évaluation des risques numériques'], legal: true, medical: false, psychosocial: true, relocation: prng.next() < 0.5, equipment: ['ordinateur portable', 'téléphone'], estimatedCostXaf: prng.int(200, 900) * 1000 }],
    ['consent', { shareWithPartners: true, partners: ['ONG partenaire juridique', 'fonds d’urgence'], shareWithAuthorities: false, contactByPhone: false, recordedBy: 'intake-form', recordedAt: new Date(created).toISOString(), language: 'fr' }],
    ['intake', { channel: prng.pick(['web', 'hotline', 'partner']), intermediary: org, trustLevel: prng.pick(['confirmed', 'plausible']), urgency: prng.pick(['high', 'critical']), notes: `Signalé par ${other}, qui confirme la perquisition du 10 mars.` }],
  ];
  return { id, fields };
}

export default defineBenchmark({
  title: 'client side: seal a 10-field case with 2 envelopes (SDK vs raw libsodium), and Argon2id',
  async run(ctx) {
    await ready();
    await sodium.ready;
    const s = sodium;
    const B64U = s.base64_variants.URLSAFE_NO_PADDING;
    const encoder = new TextEncoder();

    const prng = new Prng(0x5ea1);
    const cases = Array.from({ length: CASES }, (_, i) => makeCase(prng, i));
    const raws: RawCase[] = cases.map((c) => ({
      fields: c.fields.map(([name, value]) => ({ name, plaintext: encoder.encode(JSON.stringify(value)), ad: encoder.encode(caseFieldAd(c.id, name)) })),
    }));
    const plaintextBytes = raws.map((r) => r.fields.reduce((a, f) => a + f.plaintext.length, 0));
    const narrativeBytes = raws.map((r) => r.fields.find((f) => f.name === 'narrative')?.plaintext.length ?? 0);
    const mechanism = generateKeyPair();
    const defender = generateKeyPair();

    const sealCaseSdk = (c: CaseInput): { fields: Record<string, SealedField>; envelopes: KeyEnvelope[] } => {
      const dek = generateDek();
      const fields: Record<string, SealedField> = {};
      for (const [name, value] of c.fields) fields[name] = sealField(value, dek, caseFieldAd(c.id, name));
      const envelopes = [sealEnvelope(dek, mechanism.publicKey), sealEnvelope(dek, defender.publicKey)];
      wipe(dek);
      return { fields, envelopes };
    };

    /** Format 2's padding as the SDK does it (src/sdk/crypto/padding.ts): the baseline seals the same bytes. */
    const padded = (plaintext: Uint8Array): Uint8Array => {
      const out = new Uint8Array(paddedLength(plaintext.length));
      out.set(plaintext);
      out[plaintext.length] = 0x80;
      return out;
    };

    const sealCaseRaw = (c: RawCase): { fields: Record<string, string>; envelopes: string[] } => {
      const dek = s.crypto_aead_xchacha20poly1305_ietf_keygen();
      const fields: Record<string, string> = {};
      for (const f of c.fields) {
        const nonce = s.randombytes_buf(s.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
        const plaintext = padded(f.plaintext);
        const ct = s.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, f.ad, null, nonce, dek);
        s.memzero(plaintext);
        fields[f.name] = `v2.${s.to_base64(nonce, B64U)}.${s.to_base64(ct, B64U)}`;
      }
      const envelopes = [`v1.${s.to_base64(s.crypto_box_seal(dek, mechanism.publicKey), B64U)}`, `v1.${s.to_base64(s.crypto_box_seal(dek, defender.publicKey), B64U)}`];
      s.memzero(dek);
      return { fields, envelopes };
    };

    /**
     * Not a baseline: the raw path again with the DEK and nonces drawn from WebCrypto
     * (`crypto.getRandomValues`, in Node.js and browsers alike) instead of libsodium's
     * randombytes_buf, to show what the randomness costs (crypto_box_seal's ephemeral key still
     * comes from libsodium).
     */
    const webRandom = (n: number): Uint8Array => globalThis.crypto.getRandomValues(new Uint8Array(n));
    const sealCaseRawWebRandom = (c: RawCase): { fields: Record<string, string>; envelopes: string[] } => {
      const dek = webRandom(s.crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
      const fields: Record<string, string> = {};
      for (const f of c.fields) {
        const nonce = webRandom(s.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
        const plaintext = padded(f.plaintext);
        const ct = s.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, f.ad, null, nonce, dek);
        s.memzero(plaintext);
        fields[f.name] = `v2.${s.to_base64(nonce, B64U)}.${s.to_base64(ct, B64U)}`;
      }
      const envelopes = [`v1.${s.to_base64(s.crypto_box_seal(dek, mechanism.publicKey), B64U)}`, `v1.${s.to_base64(s.crypto_box_seal(dek, defender.publicKey), B64U)}`];
      s.memzero(dek);
      return { fields, envelopes };
    };

    // Every path must produce what the SDK opens, or the baseline is not the same work.
    for (const [label, sealed] of [['sdk', sealCaseSdk(cases[0]!)], ['raw', sealCaseRaw(raws[0]!)], ['raw-webcrypto', sealCaseRawWebRandom(raws[0]!)]] as const) {
      const envelope = sealed.envelopes[1]!;
      const dek = openEnvelope(typeof envelope === 'string' ? envelope : envelope.envelope, defender);
      const c = cases[0]!;
      for (const [name, value] of c.fields) {
        const sealedField = sealed.fields[name];
        if (sealedField === undefined || JSON.stringify(openField(sealedField, dek, caseFieldAd(c.id, name))) !== JSON.stringify(value)) {
          throw new Error(`${label} sealing of field ${name} does not open to its value`);
        }
      }
    }

    ctx.log(`sealing: ${WARMUP_ROUNDS} warm-up + ${ROUNDS} interleaved rounds over ${CASES} cases (~${Math.round(plaintextBytes[0]! / 102.4) / 10} KiB plaintext each)`);
    let i = 0;
    let j = 0;
    let k = 0;
    let sdkBytes = 0;
    let rawBytes = 0;
    const [sdkSamples, rawSamples, webSamples] = interleave(
      [
        () => {
          const out = sealCaseSdk(cases[i++ % CASES]!);
          sdkBytes += out.fields.narrative?.length ?? 0;
          return out;
        },
        () => {
          const out = sealCaseRaw(raws[j++ % CASES]!);
          rawBytes += out.fields.narrative?.length ?? 0;
          return out;
        },
        () => sealCaseRawWebRandom(raws[k++ % CASES]!),
      ],
      ROUNDS,
      WARMUP_ROUNDS,
    ) as [number[], number[], number[]];
    if (sdkBytes !== rawBytes) throw new Error('SDK and raw sealed different amounts of data');
    const sdk = summarize(sdkSamples);
    const raw = summarize(rawSamples);
    const web = summarize(webSamples);

    // What one random byte costs from each source (a case draws 32 + 10 x 24 + 2 x 32 = 336).
    const RANDOM_CALLS = 2000;
    const [sodiumRandom, webCryptoRandom] = interleave([() => s.randombytes_buf(24), () => webRandom(24)], RANDOM_CALLS, 200) as [number[], number[]];
    const sodium24 = summarize(sodiumRandom);
    const web24 = summarize(webCryptoRandom);
    const randomBytesPerCase = s.crypto_aead_xchacha20poly1305_ietf_KEYBYTES + 10 * s.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + 2 * s.crypto_box_PUBLICKEYBYTES;
    const randomMsPerCase = (sodium24.mean / 24) * randomBytesPerCase;

    ctx.log(`Argon2id: ${ARGON_ROUNDS} interleaved rounds of derivePasswordKeys, deriveReceiptKeys and raw crypto_pwhash (opslimit ${KDF_PARAMS.opslimit}, memlimit ${KDF_PARAMS.memlimit / 2 ** 20} MiB)`);
    const params = { salt: generateSalt(), opslimit: KDF_PARAMS.opslimit, memlimit: KDF_PARAMS.memlimit, alg: KDF_PARAMS.alg };
    const receiptSalt = generateSalt();
    const receipt = generateReceipt();
    const rawSalt = s.randombytes_buf(s.crypto_pwhash_SALTBYTES);
    const rawPassword = encoder.encode('correct horse battery staple, encore');
    const [pwSamples, receiptSamples, pwhashSamples] = interleave(
      [
        () => {
          const keys = derivePasswordKeys('correct horse battery staple, encore', params);
          wipe(keys.master, keys.authKey, keys.wrapKey);
          return keys;
        },
        () => {
          const keys = deriveReceiptKeys(receipt, receiptSalt);
          wipe(keys.authKey, keys.keyPair.privateKey);
          return keys;
        },
        () => s.crypto_pwhash(32, rawPassword, rawSalt, KDF_PARAMS.opslimit, KDF_PARAMS.memlimit, s.crypto_pwhash_ALG_ARGON2ID13),
      ],
      ARGON_ROUNDS,
      1,
    ) as [number[], number[], number[]];
    const pw = summarize(pwSamples);
    const rc = summarize(receiptSamples);
    const pwhash = summarize(pwhashSamples);

    const rawLabel = 'raw libsodium: keygen, 10 x (randombytes nonce + xchacha20poly1305 encrypt of pre-encoded bytes), 2 x crypto_box_seal, base64url';
    const pwhashLabel = `raw crypto_pwhash argon2id13, opslimit ${KDF_PARAMS.opslimit}, memlimit ${KDF_PARAMS.memlimit / 2 ** 20} MiB`;
    const avgPlain = plaintextBytes.reduce((a, b) => a + b, 0) / CASES;
    const avgNarrative = narrativeBytes.reduce((a, b) => a + b, 0) / CASES;
    return {
      rows: [
        row({ figure: 'seal case: 10 fields + 2 envelopes, mean', value: sdk.mean, unit: 'ms', baseline: { value: raw.mean, label: rawLabel }, target: { on: 'value', op: '<', limit: 5 } }),
        row({ figure: 'seal case: 10 fields + 2 envelopes, p99', value: sdk.p99, unit: 'ms', baseline: { value: raw.p99, label: rawLabel } }),
        row({ figure: 'Argon2id derivePasswordKeys, mean', value: pw.mean, unit: 'ms', baseline: { value: pwhash.mean, label: pwhashLabel } }),
        row({ figure: 'Argon2id deriveReceiptKeys, mean', value: rc.mean, unit: 'ms', baseline: { value: pwhash.mean, label: pwhashLabel } }),
      ],
      notes: [
        `per case: ${Math.round(avgPlain)} B of JSON plaintext on average (narrative ${Math.round(avgNarrative)} B), ${ROUNDS} samples each, interleaved with the raw baseline`,
        `SDK  mean ${sdk.mean.toFixed(3)} ms, p50 ${sdk.p50.toFixed(3)}, p99 ${sdk.p99.toFixed(3)}, max ${sdk.max.toFixed(3)}`,
        `raw  mean ${raw.mean.toFixed(3)} ms, p50 ${raw.p50.toFixed(3)}, p99 ${raw.p99.toFixed(3)}, max ${raw.max.toFixed(3)}`,
        `SDK extra per case: ${((sdk.mean - raw.mean) * 1000).toFixed(0)} us (JSON.stringify + UTF-8 of 10 values, 10 AD strings built and checked, 2 BLAKE2b keyIds, key-size checks, plaintext wipes)`,
        `raw with WebCrypto DEK and nonces (informative): mean ${web.mean.toFixed(3)} ms, p99 ${web.p99.toFixed(3)}`,
        `randomness: libsodium-wrappers draws randombytes_buf one byte per globalThis.crypto.getRandomValues(new Uint32Array(1)) call: ` +
          `randombytes_buf(24) ${(sodium24.mean * 1000).toFixed(1)} us vs getRandomValues(24 B) ${(web24.mean * 1000).toFixed(1)} us; ` +
          `a case draws ${randomBytesPerCase} random bytes (DEK, 10 nonces, 2 ephemeral keys), about ${randomMsPerCase.toFixed(2)} ms of the ${raw.mean.toFixed(2)} ms raw mean`,
        `Argon2id (${ARGON_ROUNDS} samples each): derivePasswordKeys ${pw.mean.toFixed(0)} ms, deriveReceiptKeys ${rc.mean.toFixed(0)} ms, raw crypto_pwhash ${pwhash.mean.toFixed(0)} ms`,
      ],
      details: {
        libsodium: s.sodium_version_string(),
        cases: CASES,
        rounds: ROUNDS,
        warmupRounds: WARMUP_ROUNDS,
        averagePlaintextBytes: Math.round(avgPlain),
        averageNarrativeBytes: Math.round(avgNarrative),
        sealMs: { sdk: roundSummary(sdk), raw: roundSummary(raw), rawWithWebCryptoRandom: roundSummary(web) },
        random24BytesMs: { libsodiumRandombytesBuf: roundSummary(sodium24, 5), webCryptoGetRandomValues: roundSummary(web24, 5) },
        randomBytesPerCase,
        estimatedRandomnessMsPerCase: Math.round(randomMsPerCase * 1000) / 1000,
        argon2idMs: { derivePasswordKeys: roundSummary(pw, 1), deriveReceiptKeys: roundSummary(rc, 1), rawPwhash: roundSummary(pwhash, 1), params: KDF_PARAMS },
      },
    };
  },
});
