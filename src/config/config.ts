import { Type, type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { parseTrustProxy } from './trust-proxy.js';

/**
 * Every setting of the service comes from the environment, is validated once at start with a
 * message per bad or missing variable, and is frozen. `.env.example` lists and explains them.
 */
const B64U32 = { pattern: '^[A-Za-z0-9_-]{43}$' };

const EnvSchema = Type.Object({
  // The application role the API and the workers connect as (src/db/roles.ts): append-only on the audit log.
  DATABASE_URL: Type.String({ minLength: 1, default: 'postgres://egide_app@127.0.0.1:5432/egide' }),
  // The owner role the migrations run as. Set only for the process that migrates (`npm start`, or
  // `egide db migrate`); empty: this process does not migrate and refuses an out-of-date schema.
  DATABASE_OWNER_URL: Type.String({ pattern: '^(?:postgres(?:ql)?://.+)?$', default: '', description: 'a postgres:// or postgresql:// URL, or empty' }),
  // The superuser connection the migrating process tries when the roles or the database are
  // missing; empty: user postgres without a password on the owner URL's server; none: never try.
  DATABASE_ADMIN_URL: Type.String({ pattern: '^(?:postgres(?:ql)?://.+|none)?$', default: '', description: 'a postgres:// or postgresql:// URL, none, or empty' }),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
  // A streaming replica of DATABASE_URL's server (same database, the application role): the
  // statistics and the audit exports read there, commands never (src/db/read-replica.ts). While
  // it does not answer they read the primary. Empty: everything on the primary.
  DATABASE_REPLICA_URL: Type.String({ pattern: '^(?:postgres(?:ql)?://.+)?$', default: '', description: 'a postgres:// or postgresql:// URL, or empty' }),
  REDIS_URL: Type.String({ minLength: 1, default: 'redis://127.0.0.1:6379' }),
  REDIS_PREFIX: Type.String({ pattern: '^[A-Za-z0-9:_-]{1,64}$', default: 'egide' }),
  // Refuse to start unless Redis keeps the queues across a restart and never evicts them
  // (appendonly yes, maxmemory-policy noeviction; src/lib/redis-persistence.ts). Off: a warning only.
  REDIS_REQUIRE_PERSISTENCE: Type.Boolean({ default: false }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  LOG_LEVEL: Type.Union([Type.Literal('fatal'), Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'), Type.Literal('debug'), Type.Literal('trace'), Type.Literal('silent')], { default: 'info' }),
  // The proxies in front of the service whose X-Forwarded-For entries are believed (src/config/trust-proxy.ts).
  TRUST_PROXY: Type.String({ maxLength: 2000, default: 'false', description: 'false, a number of proxies (1-10), or their addresses/CIDR ranges, comma-separated' }),
  BODY_LIMIT: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, default: 1024 * 1024 }),
  JWT_ISSUER: Type.String({ minLength: 1, default: 'egide' }),
  JWT_AUDIENCE: Type.String({ minLength: 1, default: 'egide-api' }),
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 30, maximum: 900, default: 900 }),
  REFRESH_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 300, maximum: 30 * 24 * 3600, default: 12 * 3600 }),
  JWT_SIGNING_KEY: Type.String({ ...B64U32, description: 'Ed25519 seed (32 bytes, base64url) that signs access tokens' }),
  AUDIT_SIGNING_KEY: Type.String({ ...B64U32, description: 'Ed25519 seed (32 bytes, base64url) that signs audit checkpoints' }),
  SERVER_SECRET: Type.String({ ...B64U32, description: '32 random bytes (base64url): fake prelogin salts and recovery wraps, throttling counter names; TOTP secrets, webhook secrets and webhook URLs at rest' }),
  POLICIES_DIR: Type.String({ minLength: 1, default: 'policies' }),
  // Where tools/build-web.mjs wrote the defender's page (relative to the project root unless absolute).
  WEB_DIR: Type.String({ minLength: 1, default: 'dist/web' }),
  LOGIN_RATE_LIMIT_PER_MINUTE: Type.Integer({ minimum: 1, maximum: 10_000, default: 10 }),
  // Per client address; an NGO office or a cybercafé may file for several people in a row.
  FILING_RATE_LIMIT_PER_MINUTE: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 20 }),
  AUDIT_CHECKPOINT_INTERVAL_SECONDS: Type.Integer({ minimum: 1, maximum: 86_400, default: 60 }),
  AUDIT_CHAIN_INTERVAL_MS: Type.Integer({ minimum: 10, maximum: 60_000, default: 250 }),
  // The worker's outbox relay: how often it looks for committed outbox rows (deadline jobs, notifications).
  OUTBOX_RELAY_INTERVAL_MS: Type.Integer({ minimum: 10, maximum: 60_000, default: 250 }),
  // How often the workers fold the statistics counters' pending changes into the roll-up (figures are exact either way).
  STATS_FOLD_INTERVAL_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 5_000 }),
  // How often the worker re-creates lost deadline jobs and fires overdue steps (also once at start).
  RECONCILER_INTERVAL_MS: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 60_000 }),
  // Development and tests only: let webhooks use http and reach private or loopback addresses
  // (a receiver on this machine). Off in production: webhooks are https to public hosts (SSRF).
  WEBHOOK_ALLOW_PRIVATE_TARGETS: Type.Boolean({ default: false }),
  // How long one webhook attempt may take in all (name check, connection, the partner's answer);
  // no database connection is held meanwhile. Past it the attempt fails and is retried.
  WEBHOOK_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 10_000 }),
  // What the Prometheus scraper presents (Authorization: Bearer ...): request counts by route and
  // status, problem codes and queue sizes say how busy the mechanism is. Empty: /metrics is off.
  METRICS_TOKEN: Type.String({ pattern: '^(?:[A-Za-z0-9_-]{32,128})?$', default: '', description: '32 to 128 base64url characters, or empty (no /metrics)' }),
  // The defender's page pins the mechanism's intake keyId (printed by `egide bootstrap`) and refuses to
  // send to any other key; empty: the page says online filing is not open yet.
  INTAKE_KEY_ID: Type.String({ pattern: '^(?:[A-Za-z0-9_-]{22})?$', default: '', description: 'the intake keyId printed by `egide bootstrap` (22 characters), or empty' }),
  // Where the page's quick-exit button sends the person (a harmless, ordinary site).
  QUICK_EXIT_URL: Type.String({ pattern: '^https://[^\\s"<>]{1,2000}$', default: 'https://www.google.com/search?q=meteo', description: 'an https:// URL' }),
  // Where evidence files (ciphertext only) are kept: `disk` (FILE_STORE_DIR, created at start;
  // one machine) or `s3` (an S3-compatible object store, for deployments past one machine).
  FILE_STORE: Type.Union([Type.Literal('disk'), Type.Literal('s3')], { default: 'disk' }),
  FILE_STORE_DIR: Type.String({ minLength: 1, maxLength: 1000, default: 'data/files', description: 'a directory (relative to the project root unless absolute)' }),
  // The object store when FILE_STORE=s3. Empty endpoint: AWS itself.
  S3_ENDPOINT: Type.String({ pattern: '^(?:https?://[^\\s"<>]{1,1000})?$', default: '', description: 'an http(s):// URL, or empty for AWS' }),
  S3_REGION: Type.String({ minLength: 1, maxLength: 64, default: 'us-east-1' }),
  S3_BUCKET: Type.String({ pattern: '^(?:[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])?$', default: '', description: 'a bucket name (required when FILE_STORE=s3)' }),
  S3_PREFIX: Type.String({ pattern: '^(?:[A-Za-z0-9/_.-]{1,200})?$', default: '', description: 'a key prefix, or empty' }),
  S3_ACCESS_KEY_ID: Type.String({ maxLength: 200, default: '' }),
  S3_SECRET_ACCESS_KEY: Type.String({ maxLength: 200, default: '' }),
  // Path-style URLs (http://host/bucket/key): what self-hosted object stores expect.
  S3_FORCE_PATH_STYLE: Type.Boolean({ default: true }),
  // An RFC 3161 time-stamp authority: when set, the workers time-stamp each received file's
  // ciphertext hash and keep the token, so the file's existence at that time can be proven.
  TIMESTAMP_AUTHORITY_URL: Type.String({ pattern: '^(?:https?://[^\\s"<>]{1,1000})?$', default: '', description: 'an http(s):// URL, or empty (no time-stamps)' }),
  // How often the workers look for uploads left unfinished past policies/files.yaml
  // staleUploadAfterSeconds and remove them (row and bytes).
  FILE_SWEEP_INTERVAL_SECONDS: Type.Integer({ minimum: 1, maximum: 86_400, default: 300 }),
  // The mail server the on-call notices go through (smtp:// or smtps://, credentials in the URL);
  // empty: no e-mail, a page reaches the in-app inbox only. The notice says nothing about any case.
  SMTP_URL: Type.String({ pattern: '^(?:smtps?://[^\\s"<>]{1,1000})?$', default: '', description: 'an smtp:// or smtps:// URL, or empty (no e-mail)' }),
  SMTP_FROM: Type.String({ pattern: '^[^\\r\\n]{3,200}$', default: 'egide <no-reply@localhost>', description: 'a From address, e.g. egide <alerte@cndh.ml>' }),
  // An SMS gateway's HTTP hook for the on-call notices: POST JSON {to, text}, signed like the
  // webhooks (X-Egide-Signature: sha256=HMAC(secret, timestamp.body)). Empty: no SMS.
  ONCALL_SMS_URL: Type.String({ pattern: '^(?:https?://[^\\s"<>]{1,1000})?$', default: '', description: 'an http(s):// URL, or empty (no SMS)' }),
  ONCALL_SMS_SECRET: Type.String({ pattern: '^(?:[A-Za-z0-9_-]{32,128})?$', default: '', description: '32 to 128 base64url characters (required with ONCALL_SMS_URL)' }),
  // Where a worker process writes its heartbeat (every few seconds, while it reaches PostgreSQL and
  // Redis), for `node dist/workers/healthcheck.js <file>`; empty: no heartbeat.
  WORKER_HEARTBEAT_FILE: Type.String({ pattern: '^(?:/[^\\0]{1,1000})?$', default: '', description: 'an absolute path, or empty' }),
});

export type Config = Readonly<Static<typeof EnvSchema>>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Environment strings converted to the schema's types; empty strings count as unset. */
function coerce(env: Record<string, string | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(EnvSchema.properties)) {
    const raw = env[key];
    if (raw === undefined || raw === '') continue;
    const type = (schema as { type?: string }).type;
    if (type === 'integer') out[key] = /^-?\d+$/.test(raw) ? Number(raw) : raw;
    else if (type === 'boolean') out[key] = raw === 'true' ? true : raw === 'false' ? false : raw;
    else out[key] = raw;
  }
  return out;
}

/** The user a PostgreSQL URL names ('' when none or not a URL). */
export function urlUser(url: string): string {
  try {
    return decodeURIComponent(new URL(url).username);
  } catch {
    return '';
  }
}

/** The two database roles must be two (README, "Database roles"), each named in its URL. */
function roleProblems(values: Record<string, unknown>): string[] {
  const owner = String(values.DATABASE_OWNER_URL ?? '');
  if (owner === '') return [];
  const appUser = urlUser(String(values.DATABASE_URL));
  const ownerUser = urlUser(owner);
  const problems: string[] = [];
  if (!ownerUser) problems.push('DATABASE_OWNER_URL is invalid (must name its user, the role that owns the tables)');
  if (!appUser) problems.push('DATABASE_URL is invalid (must name its user when DATABASE_OWNER_URL is set: the application role)');
  if (ownerUser && ownerUser === appUser) problems.push(`DATABASE_URL and DATABASE_OWNER_URL both connect as ${ownerUser}: the application must connect as a role of its own, which cannot rewrite the audit log`);
  return problems;
}

/** Reads and validates the configuration; throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const values = Value.Default(EnvSchema, coerce(env)) as Record<string, unknown>;
  // Each variable is checked on its own so that every bad one is reported, not just the first per kind.
  const problems: string[] = [];
  for (const [key, schema] of Object.entries(EnvSchema.properties) as Array<[string, TSchema & { description?: string; anyOf?: Array<{ const?: unknown }> }]>) {
    const hint = schema.description ? `: ${schema.description}` : '';
    if (values[key] === undefined) {
      problems.push(`${key} is required${hint}`);
      continue;
    }
    const first = Value.Errors(schema, values[key])[0];
    if (!first) {
      const trust = key === 'TRUST_PROXY' ? parseTrustProxy(String(values[key])) : null;
      if (typeof trust === 'string') problems.push(`${key} is invalid (${trust})${hint}`);
      continue;
    }
    const allowed = schema.anyOf?.every((a) => a.const !== undefined) ? `must be one of ${schema.anyOf.map((a) => String(a.const)).join(', ')}` : first.message;
    problems.push(`${key} is invalid (${allowed})${hint}`);
  }
  if (problems.length === 0) problems.push(...roleProblems(values));
  if (values.FILE_STORE === 's3' && !values.S3_BUCKET) problems.push('S3_BUCKET is required when FILE_STORE=s3');
  if (values.ONCALL_SMS_URL && !values.ONCALL_SMS_SECRET) problems.push('ONCALL_SMS_SECRET is required when ONCALL_SMS_URL is set');
  if (problems.length > 0) throw new ConfigError([...new Set(problems)]);
  return Object.freeze(values as Static<typeof EnvSchema>);
}

/** Names and descriptions of every variable, for `.env.example` and `egide env init`. */
export const configVariables = Object.keys(EnvSchema.properties);
