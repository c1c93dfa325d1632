/**
 * How long a note may be: the createNote contract takes a sealed body of at most
 * SEALED_JSON_BYTES.text (48 KiB) of JSON, here `{"text": ...}`. Kept as a number so that the
 * console's bundle does not carry the schemas; the browser test checks it against the contract.
 */
export const NOTE_JSON_BYTES = 48 * 1024;

const encoder = new TextEncoder();

/** How many more bytes of text the note may take (negative: too long). Most letters are one. */
export function noteRoomLeft(text: string): number {
  return NOTE_JSON_BYTES - encoder.encode(JSON.stringify({ text })).length;
}
