/**
 * The catalogue of problem codes. Every error the API returns is RFC 9457 problem+json with one
 * of these stable `code`s; clients branch on the code, never on the text. Adding a code here is
 * the only way to add a kind of error.
 */
export const PROBLEMS = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  bad_json: { status: 400, title: 'The request body is not valid JSON' },
  unauthenticated: { status: 401, title: 'Authentication is required' },
  invalid_token: { status: 401, title: 'The access token is not valid' },
  invalid_credentials: { status: 401, title: 'The credentials are not valid' },
  invalid_refresh_token: { status: 401, title: 'The refresh token is not valid' },
  forbidden: { status: 403, title: 'This role may not do this' },
  break_glass_required: { status: 403, title: 'You are not part of this case: its sealed content needs a break-glass with a written reason' },
  not_found: { status: 404, title: 'Not found' },
  route_not_found: { status: 404, title: 'No such route' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'The request conflicts with the current state' },
  already_exists: { status: 409, title: 'It exists already' },
  invitation_invalid: { status: 409, title: 'The invitation cannot be used' },
  invitation_pending: { status: 409, title: 'An invitation for this username is still pending' },
  self_disable: { status: 409, title: 'Another admin must disable this account' },
  last_admin: { status: 409, title: 'This would leave the service without an active admin' },
  last_keyholder: { status: 409, title: 'This would leave a current organisation key, such as the mechanism key, without an active holder' },
  custody_proof_failed: { status: 403, title: 'The answer does not prove possession of the mechanism private key' },
  key_holder_required: { status: 409, title: 'Only a holder of this key can do this' },
  no_envelope: { status: 409, title: 'No envelope of this case opens with your keys yet' },
  search_key_changed: { status: 409, title: 'The search key was re-issued meanwhile: open the current one and compute the tokens again' },
  search_key_member_missing: { status: 409, title: 'A re-issued search key must be sealed to every active member of the staff keyring' },
  no_search_key: { status: 409, title: 'You hold no entry of the staff keyring: the search key has not been granted to you' },
  separation_of_duties: { status: 409, title: 'Another person must do this' },
  invalid_transition: { status: 409, title: 'The case is not in a state that allows this' },
  assessment_required: { status: 409, title: 'No risk assessment has been recorded for this step' },
  consent_required: { status: 409, title: "The defender's consent is not on record" },
  appeal_window_closed: { status: 409, title: 'The time to appeal this decision has passed' },
  recipient_not_eligible: { status: 409, title: 'This organisation cannot receive this referral' },
  rekey_incomplete: { status: 409, title: 'A re-key must re-seal every sealed item and re-issue every remaining envelope' },
  key_epoch_changed: { status: 409, title: 'The case was re-keyed meanwhile; fetch it again' },
  receipt_unchanged: { status: 409, title: 'A re-issued receipt must be a new receipt' },
  no_staff_key: { status: 409, title: 'This case has no staff key yet: a staff holder of the case creates it first' },
  retention_not_due: { status: 409, title: 'The retention period of this case has not ended' },
  case_purged: { status: 404, title: "The case's sealed content was purged at the end of its retention period" },
  intake_key_changed: { status: 409, title: 'The mechanism key has changed; the request was sealed to another one' },
  account_disabled: { status: 401, title: 'The account is disabled' },
  session_ended: { status: 401, title: 'The session has ended' },
  totp_required: { status: 401, title: 'A valid one-time code is required' },
  totp_invalid: { status: 400, title: 'The one-time code does not match the new TOTP secret' },
  totp_secret_weak: { status: 400, title: 'The TOTP secret is too predictable (repeated bytes or a short repeated pattern)' },
  totp_locked: { status: 429, title: 'The one-time code step of this account is locked for a while after repeated wrong codes' },
  recovery_locked: { status: 429, title: 'Recovery of this account is locked for a while after repeated failures' },
  recovery_wrap_unchanged: { status: 400, title: 'A recovery must replace the recovery wrap, so that the code just used stops working' },
  filing_quota_exceeded: { status: 429, title: 'This address has filed too much in the last hour; a short request is still accepted' },
  webhook_target_refused: { status: 400, title: 'The webhook URL must be https to a public address' },
  webhook_disabled: { status: 409, title: 'The webhook endpoint is disabled' },
  delivery_not_failed: { status: 409, title: 'Only a failed delivery can be sent again' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  file_too_large: { status: 413, title: 'The file is larger than one file may be (policies/files.yaml)' },
  file_count_exceeded: { status: 413, title: 'The case holds as many files as it may (policies/files.yaml)' },
  file_quota_exceeded: { status: 413, title: 'The case has received as many bytes as it may, in all or today (policies/files.yaml)' },
  upload_offset_mismatch: { status: 409, title: 'The upload is not at this offset: ask where it stands (HEAD) and resume from there' },
  upload_incomplete: { status: 409, title: 'The upload has not received all its bytes yet' },
  file_corrupted: { status: 500, title: 'The stored file no longer matches the hash taken when it was received' },
  unsupported_media_type: { status: 415, title: 'The content type is not supported' },
  audit_range_reversed: { status: 400, title: 'The range ends before it starts' },
  audit_range_unaligned: { status: 400, title: 'A range of the audit chain starts and ends at stored signed checkpoints (GET /v1/audit/checkpoints gives them)' },
  audit_period_empty: { status: 404, title: 'No audit event was recorded in this period' },
  stats_unknown_series: { status: 400, title: 'No such statistics series or crossing is kept (policies/statistics.yaml lists the crossings)' },
  stats_crossing_refused: { status: 400, title: 'This crossing could single out a person: it is refused, not published with suppression (policies/statistics.yaml)' },
  stats_range_invalid: { status: 400, title: 'The months must run forwards, over at most ten years' },
  stats_unprotectable: { status: 409, title: 'Some figures of this report cannot be published without letting a small count be worked out: read the internal variant, or merge codes in policies/' },
  stats_year_not_ended: { status: 409, title: 'A year is published once it has ended, so its figures no longer move' },
  stats_already_published: { status: 409, title: "This year's report is already published; what was published stays as it was" },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal error' },
  service_unavailable: { status: 503, title: 'A dependency of the service is unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof PROBLEMS;

export interface FieldError {
  /** JSON pointer of the field in the request, e.g. `/body/salt`. */
  field: string;
  message: string;
}

/** A typed error every layer may throw; the error handler turns it into a problem document. */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly status: number;
  constructor(
    readonly code: ProblemCode,
    readonly detail?: string,
    /** `auditReason`: why, for the audit log only (what the caller is not told, e.g. which check failed) */
    readonly extra: { errors?: FieldError[]; retryAfter?: number; auditReason?: string } = {},
  ) {
    super(detail ?? PROBLEMS[code].title);
    this.status = PROBLEMS[code].status;
  }
}

/** 400 `validation_failed` naming the fields at fault (at most 20, as the Problem schema allows). */
export function validationFailed(detail: string, errors: FieldError[]): AppError {
  return new AppError('validation_failed', detail, { errors: errors.slice(0, 20) });
}

/** 400 `validation_failed` naming one field (a JSON pointer into the request: /body/x, /querystring/y). */
export const fieldInvalid = (field: string, message: string, detail: string = message): AppError => validationFailed(detail, [{ field, message }]);

export const problemType = (code: ProblemCode | string): string => `urn:egide:problem:${code}`;

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
}

export function problemDocument(code: ProblemCode, detail: string | undefined, requestId: string, errors?: FieldError[]): ProblemDocument {
  const { status, title } = PROBLEMS[code];
  return {
    type: problemType(code),
    title,
    status,
    code,
    ...(detail ? { detail } : {}),
    instance: `urn:egide:request:${requestId}`,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}
