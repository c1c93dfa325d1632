import { DiskEvidenceStore } from './disk-evidence-store.js';
import { S3EvidenceStore } from './s3-evidence-store.js';
import type { EvidenceStore, EvidenceStoreConfig, EvidenceStoreLog } from './evidence-store.js';

/** The store a configuration names: a directory on disk, or an S3-compatible bucket. */
export function createEvidenceStore(config: EvidenceStoreConfig, log?: EvidenceStoreLog): EvidenceStore {
  return config.kind === 'disk' ? new DiskEvidenceStore(config.directory, log) : new S3EvidenceStore(config, log);
}
