import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { PolicyError, loadPolicyFile } from '../access/policy.js';

const GiB = 1024 * 1024 * 1024;

const FilesFileSchema = Type.Object(
  {
    version: Type.Literal(1),
    // Below 1 KiB no real evidence fits; past 64 GiB a single upload outgrows any store's part limits.
    maxFileBytes: Type.Integer({ minimum: 1024, maximum: 64 * GiB }),
    maxFilesPerCase: Type.Integer({ minimum: 1, maximum: 10_000 }),
    maxBytesPerCase: Type.Integer({ minimum: 1024, maximum: 1024 * GiB }),
    maxBytesPerCasePerDay: Type.Integer({ minimum: 1024, maximum: 1024 * GiB }),
    staleUploadAfterSeconds: Type.Integer({ minimum: 60, maximum: 30 * 86_400 }),
    inMemoryDownloadMaxBytes: Type.Integer({ minimum: 1024 * 1024, maximum: 4 * GiB }),
    verifyBeforeDownloadBytes: Type.Integer({ minimum: 0, maximum: 64 * GiB }),
    // tus PATCH size: at least one secretstream chunk, at most what a phone buffers comfortably.
    uploadChunkBytes: Type.Integer({ minimum: 65_536, maximum: 64 * 1024 * 1024 }),
    stripLocationByDefault: Type.Object({ defender: Type.Boolean(), staff: Type.Boolean() }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);

/** policies/files.yaml: the limits on evidence files and the clients' settings for them. */
export type FilePolicy = Omit<Static<typeof FilesFileSchema>, 'version'>;

/** policies/files.yaml, validated: the service refuses to start on any problem. */
export function parseFilePolicy(raw: unknown, source = 'files policy'): FilePolicy {
  const errors = Value.Errors(FilesFileSchema, raw);
  if (errors.length > 0) throw new PolicyError(`${source} is invalid:\n${[...new Set(errors.map((e) => `  - ${e.instancePath || '/'}: ${e.message}`))].slice(0, 20).join('\n')}`);
  const { version: _version, ...policy } = raw as Static<typeof FilesFileSchema>;
  if (policy.maxFileBytes > policy.maxBytesPerCase) throw new PolicyError(`${source} is invalid:\n  - /maxFileBytes: is larger than maxBytesPerCase, so the largest file could never be kept`);
  return policy;
}

export function loadFilePolicy(policiesDir: string): FilePolicy {
  return loadPolicyFile(policiesDir, 'files.yaml', parseFilePolicy);
}
