/**
 * Evidence files, the parts that run INSIDE a crypto worker (the defender's page and the staff
 * console): upload with metadata stripping, download with both hashes checked, and the sealed
 * descriptions opened. Framework-free; the page side only moves Files, handles and results.
 */
export { uploadEvidence } from './upload-evidence.js';
export { downloadEvidence, DownloadFailure, FileCheckError, type DownloadSink } from './download-evidence.js';
export { describeEvidence } from './describe-evidence.js';
