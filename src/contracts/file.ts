import { Type, type Static } from 'typebox';
import { Nullable, SealedValue, Timestamp, Uuid, responses } from '../lib/schemas.js';
import { ex } from '../lib/openapi-examples.js';
import { KeyEpoch } from './shared.js';
import { operation } from './operation.js';

/**
 * Evidence files. The bytes travel with the tus 1.0 resumable-upload protocol (core, creation
 * and termination: https://tus.io/protocols/resumable-upload): POST creates an upload bound to a
 * case and its uploader, PATCH appends from an offset, HEAD tells where to resume. They are a
 * secretstream ciphertext (files format 2, docs/crypto-v1.md); the file key and the description
 * are sealed fields of the case (AD egide/v1/file/<fileId>/<field>).
 */

/** A sealed field of a file, bounded: a key record, a name, a media type, a caption or a hash are short. */
const FileSealed = (description: string) => SealedValue(4 * 1024, description);

const TusResumable = Type.Literal('1.0.0', { description: 'the tus protocol version' });
const SHA256_HEX = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256, lower-case hex' });

const tusHeaders = { 'tus-resumable': TusResumable };

export const createUpload = operation('createUpload', {
  tags: ['files'],
  summary: 'Start a resumable upload of an evidence file to a case (tus creation)',
  description:
    'Upload-Metadata (tus: comma-separated `key base64(value)` pairs) carries `caseId`, `fileId` (a UUID the client chose: it is in the ADs), `key` (the sealed file key record, AD egide/v1/file/<fileId>/key) and optionally `keyEpoch`. Upload-Length is the ciphertext length, which must be that of a format-2 (padded) file. Answered 201 with Location, the URL to PATCH to; refused 413 (`file_too_large`, `file_count_exceeded`, `file_quota_exceeded`) before any byte is kept.',
  security: [{ bearer: [] }],
  headers: Type.Object({
    ...tusHeaders,
    // Canonical digits only (no leading zero): what tus itself accepts, checked before the upload is bound.
    'upload-length': Type.String({ pattern: '^(0|[1-9][0-9]{0,14})$', description: 'ciphertext bytes' }),
    'upload-metadata': Type.String({ maxLength: 8192, description: 'caseId, fileId, key, keyEpoch (tus metadata encoding)' }),
  }),
  response: responses(
    {
      201: {
        description: 'Created: PATCH the bytes to Location',
        content: { 'text/plain': { schema: Type.String({ maxLength: 0 }) } },
        headers: { Location: { type: 'string', description: 'the upload URL (/v1/uploads/<fileId>)' }, 'Tus-Resumable': { type: 'string' } },
      },
    },
    [400, 401, 403, 404, 409, 413, 429],
  ),
});

const UploadParams = Type.Object({ fileId: Uuid });

export const getUploadOffset = operation('getUploadOffset', {
  tags: ['files'],
  summary: 'Where an upload stands: the bytes stored so far (tus HEAD), to resume from',
  security: [{ bearer: [] }],
  params: UploadParams,
  headers: Type.Object(tusHeaders),
  response: responses(
    {
      200: {
        description: 'Upload-Offset: the bytes stored; Upload-Length: the whole',
        content: { 'text/plain': { schema: Type.String({ maxLength: 0 }) } },
        headers: { 'Upload-Offset': { type: 'integer', minimum: 0 }, 'Upload-Length': { type: 'integer', minimum: 0 }, 'Cache-Control': { type: 'string' } },
      },
    },
    [401, 403, 404],
  ),
});

export const appendUpload = operation('appendUpload', {
  tags: ['files'],
  summary: 'Append ciphertext to an upload from Upload-Offset (tus PATCH, Content-Type application/offset+octet-stream)',
  security: [{ bearer: [] }],
  params: UploadParams,
  headers: Type.Object({ ...tusHeaders, 'upload-offset': Type.String({ pattern: '^[0-9]{1,15}$' }), 'content-type': Type.Literal('application/offset+octet-stream') }),
  response: responses(
    {
      204: Type.Null({ description: 'Stored: Upload-Offset is the new offset', headers: { 'Upload-Offset': { type: 'integer', minimum: 0 } } }),
    },
    [400, 401, 403, 404, 409, 413, 415],
  ),
});

export const abandonUpload = operation('abandonUpload', {
  tags: ['files'],
  summary: 'Abandon an unfinished upload (tus termination): its bytes and row are removed',
  security: [{ bearer: [] }],
  params: UploadParams,
  headers: Type.Object(tusHeaders),
  response: responses({ 204: Type.Null({ description: 'Removed' }) }, [401, 403, 404, 409]),
});

/** An evidence file as the API shows it: metadata in the clear, the rest sealed. */
export const CaseFile = Type.Object({
  id: Uuid,
  caseId: Uuid,
  state: Type.Union([Type.Literal('uploading'), Type.Literal('received'), Type.Literal('available')]),
  uploader: Type.String({ maxLength: 80 }),
  uploaderRole: Type.String({ maxLength: 20 }),
  /** ciphertext bytes */
  size: Type.Integer({ minimum: 0 }),
  chunks: Type.Integer({ minimum: 1 }),
  ciphertextSha256: Nullable(SHA256_HEX),
  /** key, and once attached name, type, caption, sha256: each sealed under the case DEK */
  sealed: Type.Record(Type.String({ pattern: '^(key|name|type|caption|sha256)$' }), Type.String({ maxLength: 8000 })),
  timestampedAt: Nullable(Timestamp),
  createdAt: Timestamp,
  attachedAt: Nullable(Timestamp),
});
export type CaseFileView = Static<typeof CaseFile>;

export const attachCaseFile = operation('attachCaseFile', {
  tags: ['files'],
  summary: 'Attach a fully uploaded file to its case with its sealed description: "a file was added"',
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid, fileId: Uuid }),
  body: Type.Object(
    {
      name: FileSealed('the file name, AD egide/v1/file/<fileId>/name'),
      type: FileSealed('the media type, AD egide/v1/file/<fileId>/type'),
      caption: Type.Optional(FileSealed('a caption, AD egide/v1/file/<fileId>/caption')),
      sha256: FileSealed('hex SHA-256 of the plaintext, AD egide/v1/file/<fileId>/sha256'),
      keyEpoch: Type.Optional(KeyEpoch),
    },
    { additionalProperties: false, examples: [{ name: ex.sealed, type: ex.sealed2, sha256: ex.sealed3, keyEpoch: 1 }] },
  ),
  response: responses({ 200: CaseFile }, [400, 401, 403, 404, 409]),
});

export const listCaseFiles = operation('listCaseFiles', {
  tags: ['files'],
  summary: "A case's evidence files (the attached ones, and the caller's own uploads in progress), oldest first",
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }),
  response: responses({ 200: Type.Object({ keyEpoch: Type.Integer({ minimum: 1 }), items: Type.Array(CaseFile, { maxItems: 10_000 }) }) }, [401, 403, 404]),
});

export const getCaseFileContent = operation('getCaseFileContent', {
  tags: ['files'],
  summary: "A file's ciphertext, streamed; the server re-checks its SHA-256 as it sends and cuts the answer short on a mismatch",
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid, fileId: Uuid }),
  produces: ['application/octet-stream'],
  response: responses(
    {
      200: {
        description: 'The ciphertext (files format 1 or 2)',
        content: { 'application/octet-stream': { schema: Type.String({ description: 'bytes' }) } },
        headers: { 'Repr-Digest': { type: 'string', description: 'RFC 9530: sha-256=:<base64>: of the ciphertext as received' }, 'Content-Length': { type: 'integer' } },
      },
    },
    [401, 403, 404, 409],
  ),
});

export const getCaseFileTimestamp = operation('getCaseFileTimestamp', {
  tags: ['files'],
  summary: "The RFC 3161 time-stamp token of a file's ciphertext hash (DER), to prove when it existed (`openssl ts -verify -token_in`)",
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid, fileId: Uuid }),
  produces: ['application/timestamp-reply'],
  response: responses(
    { 200: { description: 'The TimeStampToken (DER)', content: { 'application/timestamp-reply': { schema: Type.String({ description: 'DER bytes' }) } } } },
    [401, 403, 404],
  ),
});

export const getFileSettings = operation('getFileSettings', {
  security: [],
  tags: ['files'],
  summary: "What the clients need to upload and download evidence files (policies/files.yaml): the tus chunk size, the in-memory download bound, the size limit and whether \"remove location\" starts ticked (public: policy, nothing about any case)",
  response: responses(
    {
      200: Type.Object(
        {
          uploadChunkBytes: Type.Integer({ minimum: 1, description: 'bytes per tus PATCH' }),
          maxFileBytes: Type.Integer({ minimum: 1, description: 'the largest file, in ciphertext bytes' }),
          inMemoryDownloadMaxBytes: Type.Integer({ minimum: 1, description: 'where a download cannot stream to disk, the most a client assembles in memory' }),
          stripLocationByDefault: Type.Object({ defender: Type.Boolean(), staff: Type.Boolean() }, { additionalProperties: false, description: 'whether image metadata removal starts ticked, per kind of uploader' }),
        },
        { additionalProperties: false },
      ),
    },
    [],
  ),
});

/** Sealed fields a file holds once attached, and the one it holds from its creation. */
export const FILE_SEALED_FIELDS = ['key', 'name', 'type', 'caption', 'sha256'] as const;
export type FileSealedField = (typeof FILE_SEALED_FIELDS)[number];
export { SHA256_HEX };
