import type { ReadReplica } from '../db/read-replica.js';
import type { AuditRepository } from './audit-repository.js';
import type { AuditPageReader } from './audit-service.js';

export type AuditExportReads = ReturnType<typeof createAuditExportReads>;

/**
 * The audit exports' reads, on the replica (DATABASE_REPLICA_URL): long scans of the whole chain
 * kept off the primary. An export is an exact prefix of the chain up to the head it was asked at
 * (its own audit event included), so its pages are read on the replica only once the replica has
 * replayed the primary's WAL up to where it stood then; behind or down, the primary reads them.
 */
export function createAuditExportReads(deps: { repo: Pick<AuditRepository, 'list'>; replica: ReadReplica }) {
  const { repo, replica } = deps;
  return {
    /** Where the primary stands now: taken once the export's events are chained and its head read. */
    position: (): Promise<string | null> => replica.primaryPosition(),
    /** Pages of the chain that see every commit made before `position`. */
    pages(position: string | null): AuditPageReader {
      return (filters, page) => replica.read((q) => repo.list(filters, page, q), { caughtUpTo: position });
    },
  };
}
