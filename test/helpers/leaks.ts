/**
 * Leak search: looks for plaintext secrets (markers planted in sealed values, receipts, keys)
 * everywhere the service writes: every text, json, bytea and array column of every table of
 * schema `public`, the app's logs, and every Redis key and value under the test's prefix. A
 * test passes its secrets under labels and gets back where each was found, by label only, so a
 * failing assertion does not print the secret itself.
 */
import type { TestApp } from './app.js';

export interface LeakHit {
  /** `db:<table>.<column>` (rows found), `logs` or `redis:<key>` */
  where: string;
  /** the label the secret was given */
  secret: string;
}

/** Column types whose text form may hold a secret (enums, numbers, dates, uuids cannot). */
const TEXTUAL = new Set(['text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY', 'bytea']);

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function searchDatabase(T: TestApp, labels: string[], values: string[]): Promise<LeakHit[]> {
  const sql = T.database.sql;
  const columns = await sql<Array<{ table_name: string; column_name: string; data_type: string }>>`
    select c.table_name, c.column_name, c.data_type
    from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = 'public' and t.table_type = 'BASE TABLE'
    order by c.table_name, c.ordinal_position`;
  const byTable = new Map<string, Array<{ column: string; type: string }>>();
  for (const c of columns) {
    if (!TEXTUAL.has(c.data_type)) continue;
    byTable.set(c.table_name, [...(byTable.get(c.table_name) ?? []), { column: c.column_name, type: c.data_type }]);
  }
  const hits: LeakHit[] = [];
  // One scan per table: a count per (column, secret). bytea is searched for the secret's UTF-8
  // bytes; everything else in its text form (jsonb and arrays cast to text).
  for (const [table, cols] of byTable) {
    const aggregates: string[] = [];
    const names: Array<{ column: string; secret: string }> = [];
    for (const { column, type } of cols) {
      values.forEach((_, i) => {
        const p = `$${i + 1}`;
        const test = type === 'bytea' ? `position(convert_to(${p}::text, 'UTF8') in ${quote(column)}) > 0` : `strpos(${quote(column)}::text, ${p}::text) > 0`;
        aggregates.push(`count(*) filter (where ${test})::int as "h${names.length}"`);
        names.push({ column, secret: labels[i]! });
      });
    }
    const [row] = await sql.unsafe<Array<Record<string, number>>>(`select ${aggregates.join(', ')} from ${quote(table)}`, values);
    names.forEach((n, i) => {
      if ((row?.[`h${i}`] ?? 0) > 0) hits.push({ where: `db:${table}.${n.column}`, secret: n.secret });
    });
  }
  return hits;
}

/** Every key under the test's prefix, read by type, as text. */
async function redisDump(T: TestApp): Promise<Array<{ key: string; text: string }>> {
  const r = T.redis;
  const out: Array<{ key: string; text: string }> = [];
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${T.config.REDIS_PREFIX}:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const type = await r.type(key);
      let parts: Array<string | Buffer> = [];
      if (type === 'string') parts = [(await r.getBuffer(key)) ?? ''];
      else if (type === 'hash') parts = Object.entries(await r.hgetallBuffer(key)).flat();
      else if (type === 'list') parts = await r.lrangeBuffer(key, 0, -1);
      else if (type === 'set') parts = await r.smembersBuffer(key);
      else if (type === 'zset') parts = await r.zrangeBuffer(key, '0', '-1');
      else if (type === 'stream') parts = (await r.xrange(key, '-', '+')).flatMap(([id, fields]) => [id, ...fields]);
      out.push({ key, text: [key, ...parts.map((p) => (Buffer.isBuffer(p) ? p.toString('utf8') : p))].join('\u0000') });
    }
  } while (cursor !== '0');
  return out;
}

/**
 * Where any of `secrets` (label -> plaintext) appears in the test database, the logs or Redis,
 * and in `elsewhere`: what left the service in other ways that a test captured (the bodies and
 * headers a webhook receiver got, e-mails...), each under a name of its own. The notification
 * log (tables `notifications`, `outbox`, `webhook_deliveries`, bodies and errors included) is
 * part of the database search. An empty array means nothing leaked. Secrets shorter than 8
 * characters are refused: they would match by chance.
 */
export async function findLeaks(T: TestApp, secrets: Record<string, string>, elsewhere: Record<string, string> = {}): Promise<LeakHit[]> {
  const labels = Object.keys(secrets);
  const values = Object.values(secrets);
  for (const [label, value] of Object.entries(secrets)) {
    if (value.length < 8) throw new Error(`secret ${label} is too short to search for`);
  }
  const hits = await searchDatabase(T, labels, values);
  const logs = T.logs.join('\n');
  labels.forEach((label, i) => {
    if (logs.includes(values[i]!)) hits.push({ where: 'logs', secret: label });
  });
  for (const { key, text } of await redisDump(T)) {
    labels.forEach((label, i) => {
      if (text.includes(values[i]!)) hits.push({ where: `redis:${key}`, secret: label });
    });
  }
  for (const [where, text] of Object.entries(elsewhere)) {
    labels.forEach((label, i) => {
      if (text.includes(values[i]!)) hits.push({ where, secret: label });
    });
  }
  return hits;
}

/** What a staff member's client holds that must never be stored or logged by the service. */
export interface CredentialHolder {
  username: string;
  password: string;
  totpSecret: string;
  recoveryCode: string;
  accessToken: string;
  refreshToken: string;
}

/**
 * The credentials of `people` as leak-search markers: passwords, TOTP secrets, recovery codes,
 * access tokens (whole and their signature: a logged header would carry it) and refresh tokens,
 * and the authKey each password derives (`authKeyOf`, given by the caller: one Argon2id each).
 */
export function credentialMarkers(people: CredentialHolder[], authKeyOf?: (p: CredentialHolder) => string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of people) {
    out[`${p.username}.password`] = p.password;
    out[`${p.username}.totpSecret`] = p.totpSecret;
    out[`${p.username}.recoveryCode`] = p.recoveryCode;
    out[`${p.username}.accessToken`] = p.accessToken;
    out[`${p.username}.accessTokenSignature`] = p.accessToken.split('.')[2] ?? p.accessToken;
    out[`${p.username}.refreshToken`] = p.refreshToken;
    if (authKeyOf) out[`${p.username}.authKey`] = authKeyOf(p);
  }
  return out;
}

/**
 * Proof that the search looks where it says: the number of textual columns it scans and the
 * number of Redis keys it reads, for a test to assert that it searched something at all.
 */
export async function leakSearchScope(T: TestApp): Promise<{ columns: number; tables: number; redisKeys: number; logLines: number }> {
  const cols = await T.database.sql<Array<{ table_name: string; data_type: string }>>`
    select c.table_name, c.data_type from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = 'public' and t.table_type = 'BASE TABLE'`;
  const textual = cols.filter((c) => TEXTUAL.has(c.data_type));
  return { columns: textual.length, tables: new Set(textual.map((c) => c.table_name)).size, redisKeys: (await redisDump(T)).length, logLines: T.logs.length };
}
