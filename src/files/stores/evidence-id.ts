import { ERRORS } from '@tus/server';

// egide names every upload with a UUID; refusing anything else keeps ids from ever becoming paths or keys outside the store.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isEvidenceId(id: string): boolean {
  return UUID.test(id);
}

/** For the store's own methods: a malformed id is a caller's bug. */
export function assertEvidenceId(id: string): void {
  if (!isEvidenceId(id)) throw new TypeError('evidence id must be a lowercase UUID');
}

/** For the tus datastore: a malformed id in a request URL is an unknown upload (404). */
export function tusEvidenceId(id: string): string {
  if (!isEvidenceId(id)) throw ERRORS.FILE_NOT_FOUND;
  return id;
}

/** Thrown by open() when no complete file exists for the id. */
export class EvidenceFileMissingError extends Error {
  constructor() {
    super('no complete evidence file for this id');
    this.name = 'EvidenceFileMissingError';
  }
}
