/**
 * The staff member's own unfinished uploads, remembered in this browser so that one can go on
 * after a reload: the case, the file id, the upload URL, the picked file's size and date and a
 * keyed tag of its name (computed in the crypto worker; the name itself is never kept). Never a
 * key: the file key is sealed on the server and opened again in the worker. A record is used only
 * when the person picks a file with the same size, date and name tag, since another file under
 * the same key and stream header would reuse a nonce.
 */
const STORED = 'egide.console.uploads';

export interface UploadRecord {
  caseId: string;
  fileId: string;
  uploadUrl: string;
  /** the picked file's bytes and lastModified */
  size: number;
  lastModified: number;
  /** hex, fileNameTag of the worker */
  nameTag: string;
  /** whether the photo's metadata was removed: a resume must encrypt the very same bytes */
  stripLocation: boolean;
}

function isRecord(v: unknown): v is UploadRecord {
  const r = v as Partial<UploadRecord> | null;
  return (
    typeof r === 'object' && r !== null && typeof r.caseId === 'string' && typeof r.fileId === 'string' && typeof r.uploadUrl === 'string' && typeof r.size === 'number' && typeof r.lastModified === 'number' && typeof r.nameTag === 'string' && typeof r.stripLocation === 'boolean'
  );
}

export function uploadRecords(): UploadRecord[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(STORED) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter(isRecord) : [];
  } catch {
    return [];
  }
}

function store(records: UploadRecord[]): void {
  if (records.length === 0) localStorage.removeItem(STORED);
  else localStorage.setItem(STORED, JSON.stringify(records));
}

export function keepUploadRecord(record: UploadRecord): void {
  store([...uploadRecords().filter((r) => r.fileId !== record.fileId), record]);
}

export function forgetUploadRecord(fileId: string): void {
  store(uploadRecords().filter((r) => r.fileId !== fileId));
}

/** A case's records whose upload the server no longer lists as unfinished (attached, abandoned, removed when stale). */
export function pruneUploadRecords(caseId: string, unfinished: ReadonlySet<string>): void {
  store(uploadRecords().filter((r) => r.caseId !== caseId || unfinished.has(r.fileId)));
}

/** The record of the same file picked again, if its upload is still unfinished. */
export function findUploadRecord(caseId: string, file: { size: number; lastModified: number }, nameTag: string, unfinished: ReadonlySet<string>): UploadRecord | null {
  return uploadRecords().find((r) => r.caseId === caseId && r.size === file.size && r.lastModified === file.lastModified && r.nameTag === nameTag && unfinished.has(r.fileId)) ?? null;
}
