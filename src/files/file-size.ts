/**
 * Sizes of secretstream files as the server sees them (docs/crypto-v1.md, "Files"): a 24-byte
 * header, then chunks of at most 64 KiB of plaintext plus 17 bytes each (an empty file is one
 * empty final chunk).
 */
const HEADER_BYTES = 24;
const CHUNK_BYTES = 64 * 1024;
const CHUNK_OVERHEAD = 17;

/** How many secretstream chunks a ciphertext of `size` bytes holds. */
export function chunksOfCiphertext(size: number): number {
  return Math.max(1, Math.ceil((size - HEADER_BYTES) / (CHUNK_BYTES + CHUNK_OVERHEAD)));
}
