/**
 * What a page remembers of an unfinished upload to go on after a reload: the case, the file id,
 * the upload URL, the picked file's size and date and a keyed tag of its name (made in the crypto
 * worker: the name itself is never kept), and whether its photo metadata was removed. Never a key:
 * the file key is sealed on the server and opened again in the worker. Both pages keep it (the
 * defender's tab in sessionStorage, the console in localStorage).
 */
export interface ResumeRecord {
  caseId: string;
  fileId: string;
  uploadUrl: string;
  /** the picked file's bytes and lastModified */
  size: number;
  lastModified: number;
  /** hex, the worker's keyed tag of the file name */
  nameTag: string;
  /** whether the photo's metadata was removed: a resume must encrypt the very same bytes */
  stripLocation: boolean;
}

export function isResumeRecord(v: unknown): v is ResumeRecord {
  const r = v as Partial<ResumeRecord> | null;
  return (
    typeof r === 'object' && r !== null && typeof r.caseId === 'string' && typeof r.fileId === 'string' && typeof r.uploadUrl === 'string' && typeof r.size === 'number' && typeof r.lastModified === 'number' && typeof r.nameTag === 'string' && typeof r.stripLocation === 'boolean'
  );
}

/**
 * Whether the person picked the same file again. Only then may its upload go on: another file
 * under the same key and stream header would reuse a nonce (docs/crypto-v1.md §10).
 */
export function isSameFile(r: ResumeRecord, file: { size: number; lastModified: number }, nameTag: string): boolean {
  return r.size === file.size && r.lastModified === file.lastModified && r.nameTag === nameTag;
}
