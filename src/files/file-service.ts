import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CryptoError, isEncryptedFileSize, parseSealedField } from '../sdk/index.js';
import { AppError, fieldInvalid } from '../lib/problem.js';
import type { Db, Tx } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { actorOf, roleOf, systemContext, type RequestContext } from '../access/principal.js';
import type { AccessService, ScopeFacts } from '../access/access-service.js';
import type { AuditService } from '../audit/audit-service.js';
import { createCommandRunner } from '../audit/audited-command.js';
import type { CaseService } from '../cases/case-service.js';
import type { CaseRepository } from '../cases/case-repository.js';
import { assertKeyEpoch } from '../cases/key-epoch.js';
import type { Outbox } from '../outbox/outbox.js';
import type { FilingAdmission } from '../limits/filing-ceiling.js';
import type { CaseFileView } from '../contracts/file.js';
import type { FilePolicy } from './file-policy.js';
import type { CaseFileRow, FileRepository } from './file-repository.js';
import type { EvidenceStore } from './stores/evidence-store.js';
import type { UploadHashes } from './upload-hashes.js';
import { chunksOfCiphertext } from './file-size.js';
import type { TimestampClient } from './timestamp-authority.js';

export type FileService = ReturnType<typeof createFileService>;

/** What a new upload declares (the tus creation request, its metadata decoded). */
export interface UploadRequest {
  caseId: string;
  fileId: string;
  /** ciphertext bytes */
  size: number;
  /** the sealed file key record, AD egide/v1/file/<fileId>/key */
  key: string;
  keyEpoch?: number;
  /** the client's address: a defender's bytes count in the filing ceiling of that address */
  ip: string;
}

/** Why a case takes no new file now, or null. */
export function fileRefusal(c: { state: string; purgedAt: Date | null }): AppError | null {
  if (c.purgedAt) return new AppError('case_purged', 'the sealed content of this case was purged');
  if (c.state === 'closed') return new AppError('invalid_transition', 'a closed case takes no new files');
  return null;
}

const DAY_MS = 86_400_000;
/** Stale uploads removed per transaction: a backlog is worked through batch by batch, each committed. */
const SWEEP_BATCH = 200;

/** Why a file's bytes are erased: its case was purged, or its upload was left unfinished. */
export type EraseReason = 'purge' | 'stale';

/** What a time-stamp job found: stamped now, stamped before, or nothing to stamp (gone, not received). */
export type StampOutcome = 'stamped' | 'already' | 'gone';

function view(row: CaseFileRow): CaseFileView {
  return {
    id: row.id,
    caseId: row.caseId,
    state: row.state,
    uploader: row.uploader,
    uploaderRole: row.uploaderRole,
    size: row.size,
    chunks: row.chunks,
    ciphertextSha256: row.ciphertextSha256,
    sealed: row.sealed,
    timestampedAt: row.timestampedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    attachedAt: row.attachedAt?.toISOString() ?? null,
  };
}

function checkSealed(field: string, value: string): void {
  try {
    parseSealedField(value);
  } catch (err) {
    throw fieldInvalid(field, err instanceof CryptoError ? `${err.code}: ${err.message}` : 'is invalid', 'a sealed field is expected');
  }
}

/**
 * Evidence files of a case (policies/files.yaml, access.yaml file.*). The bytes are ciphertext
 * the client made (files format 2); they arrive through the tus server (upload-server.ts) once
 * `beginUpload` has bound the upload to its case and uploader, and leave through `open`, which
 * re-checks the SHA-256 taken when they arrived. Keys and descriptions are sealed fields of the
 * case, so a re-key re-seals them and a purge erases them with the rest of the case.
 */
export function createFileService(deps: {
  db: Db;
  cases: Pick<CaseService, 'sealedFacts'>;
  caseRepo: Pick<CaseRepository, 'keyEpochForShare' | 'addTimeline' | 'byId'>;
  files: FileRepository;
  store: Pick<EvidenceStore, 'complete' | 'open' | 'size' | 'remove'>;
  hashes: Pick<UploadHashes, 'take' | 'forget'>;
  /** A defender's upload counts in the anonymous filing ceiling of their address (policies/limits.yaml). */
  filingCeiling: { admitUpload(ip: string, bytes: number): Promise<FilingAdmission> };
  outbox: Outbox;
  access: Pick<AccessService, 'authorize'>;
  audit: Pick<AuditService, 'record'>;
  clock: Clock;
  policy: FilePolicy;
  log: Pick<Logger, 'warn' | 'error'>;
}) {
  const { db, cases, caseRepo, files, store, hashes, outbox, access, audit, clock, policy, log } = deps;
  const command = createCommandRunner({ db, audit });

  /** Scope facts for a file read: a partner's organisation only through a live referral carrying the file. */
  async function readFacts(ctx: RequestContext, caseId: string, fileId: string | null) {
    const { c, facts } = await cases.sealedFacts(ctx, caseId);
    if (ctx.principal.kind === 'user' && ctx.principal.role === 'partner' && fileId) {
      const orgs = await files.liveReferralOrgs(caseId, fileId);
      const orgId = orgs.includes(ctx.principal.orgId) ? ctx.principal.orgId : null;
      return { c, facts: { ...facts, orgId } satisfies ScopeFacts };
    }
    return { c, facts: ctx.principal.kind === 'user' && ctx.principal.role === 'partner' ? { ...facts, orgId: null } : facts };
  }

  /** Marks an upload whose bytes are all stored as received: its hash kept, its time-stamp asked for. */
  async function finalize(row: CaseFileRow, ctx: RequestContext): Promise<CaseFileRow> {
    await store.complete(row.id);
    const sha = hashes.take(row.id, row.size)?.toString('hex') ?? (await hashStored(row.id)).sha;
    return db.transaction(async (tx) => {
      const locked = await files.byIdForUpdate(row.id, tx);
      if (!locked) throw new AppError('not_found');
      if (locked.state !== 'uploading') return locked;
      const now = clock.now();
      await files.update(row.id, { state: 'received', ciphertextSha256: sha, receivedAt: now, updatedAt: now }, tx);
      await audit.record(ctx, { action: 'file.upload', resource: `file:${row.id}`, caseId: row.caseId, outcome: 'allowed', reason: `all ${row.size} bytes received, ciphertext sha256 ${sha}` }, tx);
      await outbox.add(tx, 'file.received', { caseId: row.caseId, fileId: row.id }, now);
      return { ...locked, state: 'received', ciphertextSha256: sha, receivedAt: now, updatedAt: now };
    });
  }

  /** The SHA-256 (hex) and length of what the store holds for a complete file, read through once. */
  async function hashStored(id: string): Promise<{ sha: string; bytes: number }> {
    const hash = createHash('sha256');
    let bytes = 0;
    await pipeline(await store.open(id), async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        hash.update(chunk);
        bytes += chunk.length;
      }
    });
    return { sha: hash.digest('hex'), bytes };
  }

  /** The caller's own unfinished upload, authorised for `file.upload` on its case (404 for anyone else's). */
  async function ownUpload(ctx: RequestContext, fileId: string, opts: { read: boolean; tx?: Tx }) {
    const row = await files.byId(fileId, opts.tx);
    const { c, facts } = row ? await cases.sealedFacts(ctx, row.caseId) : { c: undefined, facts: {} };
    const mine = row !== undefined && row.uploader === actorOf(ctx.principal);
    const refusal = c ? fileRefusal(c) : null;
    await access.authorize(ctx, 'file.upload', { resource: `file:${fileId}`, caseId: c ? c.id : null, found: mine && c !== undefined, facts, refusal }, opts.tx, opts.read ? { read: true } : {});
    return row!;
  }

  return {
    /**
     * Binds a new upload to its case and uploader before any byte is stored: the caller may add
     * files to the case, the size is that of a padded file within the limits, the key is sealed.
     */
    async beginUpload(ctx: RequestContext, input: UploadRequest): Promise<void> {
      const { c, facts } = await cases.sealedFacts(ctx, input.caseId);
      const resource = `file:${input.fileId}`;
      const caseId = c ? input.caseId : null;
      // Only what could be accepted is counted: the defender's own case, a size within the limit.
      if (ctx.principal.kind === 'defender' && ctx.principal.caseId === input.caseId && c && input.size <= policy.maxFileBytes) {
        // Counted before the transaction: the ceiling is per address and fails open (Redis down).
        const admission = await deps.filingCeiling.admitUpload(input.ip, input.size).catch((err: unknown) => {
          log.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, 'filing ceiling not enforced on an upload: Redis did not answer');
          return { admitted: true, pastCeiling: false } as const;
        });
        if (!admission.admitted) {
          await command(ctx, { action: 'file.upload', resource, caseId }, async () => {
            throw new AppError('filing_quota_exceeded', 'this address has sent too much in the last hour', { retryAfter: admission.retryAfter });
          });
        }
      }
      await command(ctx, { action: 'file.upload', resource, caseId }, async (tx) => {
        await access.authorize(ctx, 'file.upload', { resource, caseId, found: c !== undefined, facts, refusal: c ? fileRefusal(c) : null }, tx, { reason: `${input.size} bytes` });
        if (!c) throw new AppError('not_found');
        if (!isEncryptedFileSize(input.size)) throw fieldInvalid('/headers/upload-length', 'is not the size of a padded (format 2) encrypted file', 'files are uploaded in format 2 (padded)');
        if (input.size > policy.maxFileBytes) throw new AppError('file_too_large', `a file may be at most ${policy.maxFileBytes} bytes encrypted`);
        checkSealed('/headers/upload-metadata/key', input.key);
        const row = await caseRepo.keyEpochForShare(input.caseId, tx);
        if (row) assertKeyEpoch(row, input.keyEpoch);
        const now = clock.now();
        const usage = await files.usage(input.caseId, new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS), tx);
        if (usage.count >= policy.maxFilesPerCase) throw new AppError('file_count_exceeded', `a case holds at most ${policy.maxFilesPerCase} files`);
        if (usage.bytes + input.size > policy.maxBytesPerCase) throw new AppError('file_quota_exceeded', `a case holds at most ${policy.maxBytesPerCase} bytes of files`);
        if (usage.bytesSince + input.size > policy.maxBytesPerCasePerDay) throw new AppError('file_quota_exceeded', `a case receives at most ${policy.maxBytesPerCasePerDay} bytes of files a day`);
        const inserted = await files.insert(
          { id: input.fileId, caseId: input.caseId, uploader: actorOf(ctx.principal), uploaderRole: roleOf(ctx.principal), state: 'uploading', size: input.size, chunks: chunksOfCiphertext(input.size), sealed: { key: input.key }, createdAt: now, updatedAt: now },
          tx,
        );
        if (!inserted) throw new AppError('already_exists', 'a file with this id exists; the client must choose a new id');
      });
    },

    /** Before a tus HEAD (read) or PATCH: the caller's own upload, still open to bytes. */
    async checkUpload(ctx: RequestContext, fileId: string, op: 'offset' | 'append'): Promise<void> {
      const row = await ownUpload(ctx, fileId, { read: op === 'offset' });
      if (op === 'append' && row.state === 'available') throw new AppError('conflict', 'the file is complete and attached');
    },

    /** The tus server stored the last byte of an upload (the request is the uploader's PATCH). */
    async uploadFinished(fileId: string, ctx: RequestContext): Promise<void> {
      const row = await files.byId(fileId);
      if (row && row.state === 'uploading') await finalize(row, ctx);
    },

    /** tus termination: the uploader abandons an unfinished upload; its row goes, then its bytes. */
    async abandon(ctx: RequestContext, fileId: string): Promise<void> {
      let caseId: string | null = null;
      await command(ctx, { action: 'file.upload', resource: `file:${fileId}`, caseId: () => caseId }, async (tx) => {
        const row = await ownUpload(ctx, fileId, { read: false, tx });
        caseId = row.caseId;
        if (row.state === 'available') throw new AppError('conflict', 'an attached file is not abandoned: it follows its case');
        await files.remove([fileId], tx);
        await audit.record(ctx, { action: 'file.upload', resource: `file:${fileId}`, caseId: row.caseId, outcome: 'allowed', reason: 'upload abandoned by its uploader' }, tx);
      });
      hashes.forget(fileId);
      await store.remove(fileId);
    },

    /** Attaches a complete upload with its sealed description: the case's timeline says a file was added. */
    async attach(ctx: RequestContext, caseId: string, fileId: string, input: { name: string; type: string; caption?: string; sha256: string; keyEpoch?: number }): Promise<CaseFileView> {
      let row = await files.byId(fileId);
      if (row && row.caseId === caseId && row.uploader === actorOf(ctx.principal) && row.state === 'uploading' && (await store.size(fileId)) === row.size) {
        // The last PATCH stored every byte but its answer was lost before the upload was marked.
        row = await finalize(row, ctx);
      }
      return command(ctx, { action: 'file.upload', resource: `file:${fileId}`, caseId }, async (tx) => {
        const { c, facts } = await cases.sealedFacts(ctx, caseId);
        const locked = await files.byIdForUpdate(fileId, tx);
        const mine = locked !== undefined && locked.caseId === caseId && locked.uploader === actorOf(ctx.principal);
        await access.authorize(ctx, 'file.upload', { resource: `file:${fileId}`, caseId: c ? caseId : null, found: c !== undefined && mine, facts, refusal: c ? fileRefusal(c) : null }, tx, { reason: 'attached' });
        if (!c || !locked) throw new AppError('not_found');
        if (locked.state === 'uploading') throw new AppError('upload_incomplete', 'the upload has not received all its bytes');
        if (locked.state === 'available') throw new AppError('already_exists', 'this file is attached already');
        for (const [field, value] of Object.entries({ name: input.name, type: input.type, sha256: input.sha256, ...(input.caption !== undefined ? { caption: input.caption } : {}) })) checkSealed(`/body/${field}`, value);
        const epoch = await caseRepo.keyEpochForShare(caseId, tx);
        if (epoch) assertKeyEpoch(epoch, input.keyEpoch);
        const now = clock.now();
        const sealed = { key: locked.sealed.key!, name: input.name, type: input.type, sha256: input.sha256, ...(input.caption !== undefined ? { caption: input.caption } : {}) };
        await files.update(fileId, { state: 'available', sealed, attachedAt: now, updatedAt: now }, tx);
        await caseRepo.addTimeline({ caseId, at: now, actor: actorOf(ctx.principal), action: 'file.added', fromState: c.state, toState: c.state, reason: null }, tx);
        await outbox.add(tx, 'file.added', { caseId, fileId, senderRole: roleOf(ctx.principal) }, now);
        return view({ ...locked, state: 'available', sealed, attachedAt: now, updatedAt: now });
      });
    },

    /** The attached files of a case, and the caller's own uploads in progress (to resume them). */
    async list(ctx: RequestContext, caseId: string): Promise<{ keyEpoch: number; items: CaseFileView[] }> {
      const { c, facts } = await readFacts(ctx, caseId, null);
      const refusal = c?.purgedAt ? new AppError('case_purged', 'the sealed content of this case was purged') : null;
      // A partner sees only the files its referrals carry, listed with the referral's packet.
      const partner = ctx.principal.kind === 'user' && ctx.principal.role === 'partner';
      await access.authorize(ctx, 'file.read', { resource: `case:${caseId}/files`, caseId: c ? caseId : null, found: c !== undefined && !partner, facts, refusal }, undefined, { read: true });
      const rows = await files.ofCase(caseId, actorOf(ctx.principal));
      return { keyEpoch: c!.keyEpoch, items: rows.map(view) };
    },

    /**
     * A file's ciphertext for download, audited. The stream re-hashes the bytes as they leave
     * and errors at the end if they differ from the hash taken on arrival: the answer is then
     * cut short (the client sees a failed download, never a "complete" altered file), the
     * mismatch is logged and audited.
     */
    async open(ctx: RequestContext, caseId: string, fileId: string): Promise<{ size: number; sha256: string; stream: Readable }> {
      const { c, facts } = await readFacts(ctx, caseId, fileId);
      const row = await files.byId(fileId);
      const found = c !== undefined && row !== undefined && row.caseId === caseId && row.state === 'available';
      const refusal = c?.purgedAt ? new AppError('case_purged', 'the sealed content of this case was purged') : null;
      await access.authorize(ctx, 'file.read', { resource: `file:${fileId}`, caseId: c ? caseId : null, found, facts, refusal }, undefined, { read: true });
      const expected = row!.ciphertextSha256!;
      /** Logs and audits an altered file; settles once the audit event is written. */
      const altered = async (got: string, bytes: number): Promise<AppError> => {
        log.error({ fileId, caseId, bytes }, 'a stored file no longer matches the hash taken when it was received');
        await audit.record(ctx, { action: 'file.read', resource: `file:${fileId}`, caseId, outcome: 'denied', reason: `stored ciphertext altered: sha256 ${got}, ${bytes} bytes; expected ${expected}, ${row!.size} bytes` }).catch(() => undefined);
        return new AppError('file_corrupted');
      };
      // A file up to policies/files.yaml verifyBeforeDownloadBytes (a photo, a letter) is checked
      // whole before anything is sent, so the client is told plainly (500 file_corrupted); a
      // larger one is checked as it streams.
      if (row!.size <= policy.verifyBeforeDownloadBytes) {
        const { sha, bytes } = await hashStored(fileId);
        if (sha !== expected || bytes !== row!.size) throw await altered(sha, bytes);
      }
      const source = await store.open(fileId);
      const hash = createHash('sha256');
      let bytes = 0;
      // The last chunk read is held back until the whole file is hashed: an altered file never
      // reaches the client complete (its Content-Length is never met), whatever the client checks.
      let held: Buffer | null = null;
      const checked = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          bytes += chunk.length;
          const previous = held;
          held = chunk;
          done(null, previous ?? undefined);
        },
        flush: (done) => {
          const got = hash.digest('hex');
          if (got === expected && bytes === row!.size) return done(null, held ?? undefined);
          void altered(got, bytes).then((err) => done(err));
        },
      });
      source.once('error', (err) => checked.destroy(err));
      return { size: row!.size, sha256: expected, stream: source.pipe(checked) };
    },

    /** The RFC 3161 token over a file's ciphertext hash (404 while there is none). */
    async timestamp(ctx: RequestContext, caseId: string, fileId: string): Promise<Uint8Array> {
      const { c, facts } = await readFacts(ctx, caseId, fileId);
      const row = await files.byId(fileId);
      const found = c !== undefined && row !== undefined && row.caseId === caseId && row.state === 'available' && row.timestampToken !== null;
      await access.authorize(ctx, 'file.read', { resource: `file:${fileId}/timestamp`, caseId: c ? caseId : null, found, facts }, undefined, { read: true });
      return row!.timestampToken!;
    },

    /**
     * Time-stamps a received file's ciphertext hash (RFC 3161) and keeps the token, audited by
     * the system. The authority is asked outside any transaction; the token is stored only if the
     * file is still there and has none (a job run twice stamps once). TimestampError propagates:
     * the caller decides what is worth retrying (`tsa_unreachable`) and what is not.
     */
    async stampReceived(fileId: string, client: TimestampClient): Promise<StampOutcome> {
      const row = await files.byId(fileId);
      if (!row || row.state === 'uploading' || row.ciphertextSha256 === null) return 'gone';
      if (row.timestampToken !== null) return 'already';
      const sha = row.ciphertextSha256;
      const stamped = await client.stamp(Buffer.from(sha, 'hex'));
      return db.transaction(async (tx) => {
        const locked = await files.byIdForUpdate(fileId, tx);
        if (!locked || locked.ciphertextSha256 !== sha) return 'gone';
        if (locked.timestampToken !== null) return 'already';
        await files.update(fileId, { timestampToken: stamped.token, timestampedAt: stamped.genTime, updatedAt: clock.now() }, tx);
        await audit.record(
          systemContext(`file-timestamp-${fileId}`),
          { action: 'file.timestamp', resource: `file:${fileId}`, caseId: locked.caseId, outcome: 'allowed', reason: `ciphertext sha256 ${sha} time-stamped at ${stamped.genTime.toISOString()} (serial ${stamped.serialNumber}, policy ${stamped.policy})` },
          tx,
        );
        return 'stamped';
      });
    },

    /**
     * Removes uploads left unfinished (uploading or received, never attached) for longer than
     * the policy's staleUploadAfterSeconds as of `now`: in one transaction per batch, the rows go,
     * each is audited, and one outbox 'file.erase' per case has the workers remove the bytes.
     * Rows are locked and skipped by a concurrent sweep (SKIP LOCKED). Returns the removed ids.
     */
    async sweepStale(now: Date): Promise<string[]> {
      const before = new Date(now.getTime() - policy.staleUploadAfterSeconds * 1000);
      const removed: string[] = [];
      for (;;) {
        const batch = await db.transaction(async (tx) => {
          const rows = await files.staleForUpdate(before, SWEEP_BATCH, tx);
          if (rows.length === 0) return rows;
          await files.remove(rows.map((r) => r.id), tx);
          const byCase = new Map<string, string[]>();
          for (const r of rows) {
            byCase.set(r.caseId, [...(byCase.get(r.caseId) ?? []), r.id]);
            await audit.record(
              systemContext(`file-sweep-${r.id}`),
              { action: 'file.expire', resource: `file:${r.id}`, caseId: r.caseId, outcome: 'allowed', reason: `upload left ${r.state} since ${r.createdAt.toISOString()}, past ${policy.staleUploadAfterSeconds} s: removed` },
              tx,
            );
          }
          for (const [caseId, fileIds] of byCase) await outbox.add(tx, 'file.erase', { caseId, fileIds, why: 'stale' }, now);
          return rows;
        });
        for (const r of batch) {
          hashes.forget(r.id);
          removed.push(r.id);
        }
        if (batch.length < SWEEP_BATCH) return removed;
      }
    },

    /**
     * Removes the stored bytes of files whose rows are gone (a purged case, a swept upload),
     * each audited by the system in `tx` (the outbox claim: the audit commits with the row's
     * "dispatched" mark). Removal is idempotent, so a claim handed again removes nothing twice.
     */
    async erase(caseId: string, fileIds: readonly string[], why: EraseReason, tx: Tx): Promise<void> {
      for (const id of fileIds) {
        await store.remove(id);
        hashes.forget(id);
      }
      for (const id of fileIds) {
        await audit.record(systemContext(`file-erase-${id}`), { action: 'file.erase', resource: `file:${id}`, caseId, outcome: 'allowed', reason: why === 'purge' ? 'purge: the bytes went with the purged case' : 'stale: the bytes of an upload left unfinished' }, tx);
      }
    },

    /** The request context of a tus request, kept while the tus server serves it. */
    contexts: new WeakMap<IncomingMessage, RequestContext>(),
  };
}
