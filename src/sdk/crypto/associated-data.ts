import { CryptoError } from './errors.js';

/**
 * The associated data binds a ciphertext to its place:
 * `egide/v1/<resourceType>/<resourceId>[/<more ids>]/<field>`. A server that moves a ciphertext
 * to another case, field or sender breaks decryption. Parts may not contain "/" (that would let
 * two different places spell the same AD).
 */
export type ResourceType = 'case' | 'message' | 'assessment' | 'referral' | 'measure' | 'incident' | 'checkin' | 'alert' | 'appeal' | 'file' | (string & {});

const PART = /^[A-Za-z0-9_.:-]{1,128}$/;

function part(value: string, what: string): string {
  if (typeof value !== 'string' || !PART.test(value)) {
    throw new CryptoError('bad_associated_data', `${what} must be 1-128 characters of [A-Za-z0-9_.:-]`);
  }
  return value;
}

/** `egide/v1/<resourceType>/<resourceId>/<field>`; `scope` inserts extra ids (e.g. a sender). */
export function associatedData(resourceType: ResourceType, resourceId: string, field: string, ...scope: string[]): string {
  const parts = [part(resourceType, 'resource type'), part(resourceId, 'resource id'), ...scope.map((s) => part(s, 'scope id')), part(field, 'field')];
  return `egide/v1/${parts.join('/')}`;
}

/** AD of a case field, e.g. `egide/v1/case/<caseId>/narrative`. */
export const caseFieldAd = (caseId: string, field: string): string => associatedData('case', caseId, field);

/** AD of a message body, bound to its sender: `egide/v1/message/<messageId>/<senderId>/body`. */
export const messageBodyAd = (messageId: string, senderId: string): string => associatedData('message', messageId, 'body', senderId);

/** AD of a referral packet field: `egide/v1/referral/<referralId>/<field>`. */
export const referralFieldAd = (referralId: string, field: string): string => associatedData('referral', referralId, field);

/** AD of an assessment field, e.g. `egide/v1/assessment/<id>/threats.0.facts`. */
export const assessmentFieldAd = (assessmentId: string, field: string): string => associatedData('assessment', assessmentId, field);

/** AD of a measure's sealed details: `egide/v1/measure/<measureId>/details`. */
export const measureDetailsAd = (measureId: string): string => associatedData('measure', measureId, 'details');

/** AD of the note of an incident, check-in or alert: `egide/v1/<kind>/<id>/note`. */
export const caseReportNoteAd = (kind: 'incident' | 'checkin' | 'alert', reportId: string): string => associatedData(kind, reportId, 'note');

/** AD of an appeal's grounds: `egide/v1/appeal/<appealId>/grounds`. */
export const appealGroundsAd = (appealId: string): string => associatedData('appeal', appealId, 'grounds');

/** AD of a partner's progress note on a referral: `egide/v1/referral/<referralId>/<reportId>/report`. */
export const referralReportAd = (referralId: string, reportId: string): string => associatedData('referral', referralId, 'report', reportId);

/**
 * AD of an internal note of the staff, sealed under the case's staff key (never the case DEK):
 * `egide/v1/note/<caseId>/<noteId>/<author>/body`, the author `u:<userId>`, so a server can
 * neither move a note to another case nor pass it off as another colleague's.
 */
export const noteBodyAd = (caseId: string, noteId: string, author: string): string => associatedData('note', caseId, 'body', noteId, author);

/**
 * AD of a field of an attached file, sealed under the case DEK: `egide/v1/file/<fileId>/<field>`,
 * `<field>` one of `key` (the file key record, file-key.ts), `name`, `type` (the media type),
 * `caption` and `sha256` (hex of the plaintext's SHA-256). A server can move none of them to
 * another file.
 */
export const fileFieldAd = (fileId: string, field: FileField): string => associatedData('file', fileId, field);

/** The sealed fields of an attached file. */
export type FileField = 'key' | 'name' | 'type' | 'caption' | 'sha256';
