/**
 * The console benchmark's baseline, bundled for the browser by bench/console.bench.ts (never part
 * of the console): a Web Worker that opens the same sealed values as the console's crypto worker
 * with bare libsodium calls (crypto_box_seal_open for a key envelope, XChaCha20-Poly1305 for each
 * value, the padding stripped, the JSON parsed), without the SDK's checks or the console's layers.
 */
import sodium from 'libsodium-wrappers-sumo';

export interface BareBatch {
  /** which key the items are sealed under */
  key: 'case' | 'staff';
  /** when given, the key is opened first from its envelope (`v1.<b64u>`) with the reader's key pair (b64u), as the console does on each visit */
  envelope?: { envelope: string; publicKey: string; privateKey: string };
  items: Array<{ sealed: string; ad: string }>;
  /** notes are sealed as `{ text }`, the rest as a string */
  json: 'string' | 'text';
}

interface WorkerScope {
  onmessage: ((event: { data: BareBatch | 'ready' }) => void) | null;
  postMessage(message: unknown): void;
}

const scope = globalThis as unknown as WorkerScope;
const b64u = sodium.base64_variants.URLSAFE_NO_PADDING;
const utf8 = new TextDecoder();
const keys = new Map<string, Uint8Array>();

function keyOf(batch: BareBatch): Uint8Array {
  const e = batch.envelope;
  if (e) keys.set(batch.key, sodium.crypto_box_seal_open(sodium.from_base64(e.envelope.slice(3), b64u), sodium.from_base64(e.publicKey, b64u), sodium.from_base64(e.privateKey, b64u)));
  const key = keys.get(batch.key);
  if (!key) throw new Error(`the ${batch.key} key is not open`);
  return key;
}

function open(sealed: string, ad: string, key: Uint8Array): unknown {
  const [, nonce = '', ciphertext = ''] = sealed.split('.');
  const padded = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, sodium.from_base64(ciphertext, b64u), ad, sodium.from_base64(nonce, b64u), key);
  const end = padded.lastIndexOf(0x80);
  return JSON.parse(utf8.decode(padded.subarray(0, end)));
}

scope.onmessage = (event) => {
  void sodium.ready.then(() => {
    const batch = event.data;
    if (batch === 'ready') return scope.postMessage('ready');
    const key = keyOf(batch);
    scope.postMessage(batch.items.map(({ sealed, ad }) => {
      const value = open(sealed, ad, key);
      return batch.json === 'text' ? (value as { text: string }).text : (value as string);
    }));
  });
};
