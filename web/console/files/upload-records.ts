/**
 * The staff member's own unfinished uploads, remembered in this browser (one resume record each,
 * web/common/files/resume-record.ts) so that one can go on after a reload with the same file.
 */
import { isResumeRecord, isSameFile, type ResumeRecord } from '../../common/files/resume-record.js';

const STORED = 'egide.console.uploads';

export type UploadRecord = ResumeRecord;

export function uploadRecords(): UploadRecord[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(STORED) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter(isResumeRecord) : [];
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
  return uploadRecords().find((r) => r.caseId === caseId && isSameFile(r, file, nameTag) && unfinished.has(r.fileId)) ?? null;
}
