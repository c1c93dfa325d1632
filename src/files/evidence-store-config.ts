import type { Config } from '../config/config.js';
import { fileStorePath } from '../lib/paths.js';
import type { EvidenceStoreConfig } from './stores/evidence-store.js';

/** The evidence store the configuration selects (FILE_STORE and its variables, .env.example). */
export function evidenceStoreConfig(config: Config): EvidenceStoreConfig {
  if (config.FILE_STORE === 'disk') return { kind: 'disk', directory: fileStorePath(config) };
  return {
    kind: 's3',
    ...(config.S3_ENDPOINT ? { endpoint: config.S3_ENDPOINT } : {}),
    region: config.S3_REGION,
    bucket: config.S3_BUCKET,
    ...(config.S3_PREFIX ? { prefix: config.S3_PREFIX } : {}),
    accessKeyId: config.S3_ACCESS_KEY_ID,
    secretAccessKey: config.S3_SECRET_ACCESS_KEY,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
  };
}
