/**
 * Evidence files, the parts that run INSIDE a crypto worker (the defender's page and the staff
 * console): upload with metadata stripping, download with both hashes checked, and the sealed
 * descriptions opened. Framework-free; the page side only moves Files, handles and results.
 */
export { uploadEvidence, DEFAULT_STRIP_MAX_BYTES, type UploadEvidenceOptions, type UploadEvidenceResult } from './upload-evidence.js';
export { downloadEvidence, DownloadFailure, FileCheckError, type DownloadEvidenceOptions, type DownloadEvidenceResult, type DownloadSink } from './download-evidence.js';
export { describeEvidence, type OpenedEvidence } from './describe-evidence.js';
export { stripImageMetadata, imageContainer, isStrippableType, type RemovedMetadata, type StripOutcome, type StripResult } from './image-metadata.js';
