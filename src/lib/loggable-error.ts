/**
 * drizzle wraps every database failure in a DrizzleQueryError whose message carries the query's
 * parameters: sealed fields, verifiers, hashed tokens. The cause (the driver's error) is what
 * says what went wrong.
 */
export function rootCause(err: unknown): unknown {
  const e = err as { query?: unknown; params?: unknown; cause?: unknown } | null;
  return e && typeof e.query === 'string' && Array.isArray(e.params) && e.cause ? e.cause : err;
}

/**
 * What the log may hold of an error. Database errors are reduced to their SQLSTATE and the
 * objects they name, never their message or detail: PostgreSQL echoes values there ("invalid
 * input syntax ...: "<value>"", "Key (...)=(<value>) already exists").
 */
export function loggableError(err: unknown): Record<string, unknown> {
  const cause = rootCause(err) as { name?: string; code?: string; message?: string; stack?: string; severity?: string; routine?: string; table_name?: string; constraint_name?: string; column_name?: string } | null;
  const query = (err as { query?: unknown } | null)?.query;
  if (cause && (typeof query === 'string' || cause.severity !== undefined)) {
    return { type: 'DatabaseError', code: cause.code, severity: cause.severity, routine: cause.routine, table: cause.table_name, constraint: cause.constraint_name, column: cause.column_name, ...(typeof query === 'string' ? { query } : {}) };
  }
  return { type: cause?.name, code: cause?.code, message: cause?.message, stack: cause?.stack };
}
