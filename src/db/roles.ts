import type postgres from 'postgres';

/**
 * The two PostgreSQL roles of a deployment (README, "Database roles"):
 *  - the owner role (DATABASE_OWNER_URL) owns the database, its schema and every object in it; the
 *    migrations run as it. Only whoever migrates holds its credentials.
 *  - the application role (DATABASE_URL), which the API and the workers connect as: not a
 *    superuser, no BYPASSRLS, no CREATEROLE, owns nothing, and may only append to and read the
 *    audit tables. So a compromised process cannot rewrite the audit log: it cannot UPDATE,
 *    DELETE or TRUNCATE it, disable its triggers (only an owner may) or set
 *    session_replication_role (only a superuser may). It appends to the chain through
 *    audit_chain_pending(), a SECURITY DEFINER function of the owner's.
 * Role names are cluster-wide and privileges are per database: every function here is idempotent
 * and safe when several processes (or test files) run it at once.
 */

export interface RoleLogin {
  name: string;
  /** Set when the role is created; absent for servers that trust local connections. */
  password?: string;
}

/** What the application role may do on each audit table: append and read, nothing else. */
export const AUDIT_TABLE_PRIVILEGES: Readonly<Record<string, string>> = {
  audit_events: 'SELECT, INSERT',
  // Events are queued for the chainer in the statement that records them (audit-repository.ts).
  audit_pending: 'SELECT, INSERT',
  audit_checkpoints: 'SELECT, INSERT',
  audit_chain: 'SELECT',
  audit_head: 'SELECT',
  audit_log: 'SELECT',
};

/** Privileges that would let a holder change or hide history; the application role has none of them on an audit table. */
const FORBIDDEN_ON_AUDIT = ['UPDATE', 'DELETE', 'TRUNCATE', 'TRIGGER', 'REFERENCES'] as const;

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A role name as SQL, after checking it is a plain lower-case name (no quoting surprises). */
export function roleIdent(name: string): string {
  if (!ROLE_NAME.test(name)) throw new Error(`${JSON.stringify(name)} is not a plain PostgreSQL role name (lower-case letters, digits and _, at most 63)`);
  return `"${name}"`;
}

export function databaseIdent(name: string): string {
  if (name.length === 0 || name.length > 63 || name.includes('\0')) throw new Error(`${JSON.stringify(name)} is not a database name`);
  return `"${name.replaceAll('"', '""')}"`;
}

/** A string literal for statements that take no parameters (CREATE ROLE ... PASSWORD). */
function literal(value: string): string {
  if (value.includes('\0')) throw new Error('a NUL character cannot be sent to PostgreSQL');
  return `'${value.replaceAll("'", "''")}'`;
}

/** The attributes both roles get: nothing beyond logging in. */
const PLAIN_LOGIN = 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS';

function createRoleStatement(role: RoleLogin, opts: { maskPassword?: boolean } = {}): string {
  const password = role.password === undefined ? '' : ` PASSWORD ${opts.maskPassword ? "'****'" : literal(role.password)}`;
  return `CREATE ROLE ${roleIdent(role.name)} ${PLAIN_LOGIN}${password}`;
}

/**
 * What an operator runs as a PostgreSQL superuser when the service cannot (two lines: the roles,
 * then the database owned by the owner role). Passwords are masked: they are those of the URLs.
 */
export function setupStatements(roles: { owner: RoleLogin; app: RoleLogin }, database: string): [string, string] {
  return [
    `${createRoleStatement(roles.owner, { maskPassword: true })}; ${createRoleStatement(roles.app, { maskPassword: true })};`,
    `CREATE DATABASE ${databaseIdent(database)} OWNER ${roleIdent(roles.owner.name)};`,
  ];
}

const alreadyExists = (err: unknown): boolean => {
  const code = (err as { code?: string } | null)?.code;
  // duplicate_object, duplicate_database; or unique_violation when two sessions create the same name at once.
  return code === '42710' || code === '42P04' || code === '23505';
};

/**
 * Creates each role unless it exists (as a superuser). An existing role is left as it is, its
 * password included: the start checks the application role's powers itself.
 */
export async function ensureRoles(admin: postgres.Sql, roles: RoleLogin[]): Promise<string[]> {
  const created: string[] = [];
  for (const role of roles) {
    const [exists] = await admin`select 1 from pg_roles where rolname = ${role.name}`;
    if (exists) continue;
    try {
      await admin.unsafe(createRoleStatement(role));
      created.push(role.name);
    } catch (err) {
      if (!alreadyExists(err)) throw err;
    }
  }
  return created;
}

/**
 * Makes `database` exist and belong to the owner role (as a superuser connected to another
 * database of the server). An existing database of another owner (an installation from before the
 * roles were split) is handed over with everything in it, by `adoptObjects`.
 */
export async function ensureDatabase(admin: postgres.Sql, database: string, owner: string): Promise<'created' | 'handed-over' | 'unchanged'> {
  const [row] = await admin<Array<{ owner: string }>>`select pg_get_userbyid(datdba) as owner from pg_database where datname = ${database}`;
  if (!row) {
    try {
      await admin.unsafe(`CREATE DATABASE ${databaseIdent(database)} OWNER ${roleIdent(owner)}`);
      return 'created';
    } catch (err) {
      if (!alreadyExists(err)) throw err;
      return 'unchanged';
    }
  }
  if (row.owner === owner) return 'unchanged';
  await admin.unsafe(`ALTER DATABASE ${databaseIdent(database)} OWNER TO ${roleIdent(owner)}`);
  return 'handed-over';
}

/**
 * Gives the owner role everything in the public and drizzle schemas that another role owns (as
 * a superuser connected to the database). REASSIGN OWNED cannot do it when the previous owner is
 * the bootstrap superuser, which owns system objects too. Sequences that belong to a column follow
 * their table.
 */
export async function adoptObjects(admin: postgres.Sql, owner: string): Promise<void> {
  roleIdent(owner);
  await admin.unsafe(`
    DO $adopt$
    DECLARE
      r record;
      target text := '${owner}';
    BEGIN
      FOR r IN SELECT n.nspname FROM pg_namespace n WHERE n.nspname IN ('public', 'drizzle') AND pg_get_userbyid(n.nspowner) NOT IN (target, 'pg_database_owner') LOOP
        EXECUTE format('ALTER SCHEMA %I OWNER TO %I', r.nspname, target);
      END LOOP;
      FOR r IN SELECT c.oid::regclass AS rel, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('public', 'drizzle') AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND pg_get_userbyid(c.relowner) <> target LOOP
        EXECUTE format('ALTER %s %s OWNER TO %I', CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, r.rel, target);
      END LOOP;
      FOR r IN SELECT c.oid::regclass AS rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('public', 'drizzle') AND c.relkind = 'S' AND pg_get_userbyid(c.relowner) <> target
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')) LOOP
        EXECUTE format('ALTER SEQUENCE %s OWNER TO %I', r.rel, target);
      END LOOP;
      FOR r IN SELECT p.oid::regprocedure AS fn FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname IN ('public', 'drizzle') AND pg_get_userbyid(p.proowner) <> target LOOP
        EXECUTE format('ALTER ROUTINE %s OWNER TO %I', r.fn, target);
      END LOOP;
    END
    $adopt$`);
}

/**
 * The application role's privileges in this database (run as the owner role after every
 * migration, so a table a migration adds is covered at once): everything it needs on the
 * working tables, append and read on the audit tables, nothing that could change them. In one
 * transaction, so no statement ever runs with half of them.
 */
export async function grantApplicationRole(owner: postgres.Sql, app: string): Promise<void> {
  const role = roleIdent(app);
  const audit = Object.keys(AUDIT_TABLE_PRIVILEGES).map((t) => `public.${t}`).join(', ');
  await owner.begin(async (tx) => {
    // Nobody but the owner creates objects here (PostgreSQL 15 already says so for public).
    await tx.unsafe('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
    await tx.unsafe(`GRANT USAGE ON SCHEMA public TO ${role}`);
    await tx.unsafe(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`);
    await tx.unsafe(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
    await tx.unsafe(`REVOKE ALL ON ${audit} FROM ${role}`);
    for (const [table, privileges] of Object.entries(AUDIT_TABLE_PRIVILEGES)) await tx.unsafe(`GRANT ${privileges} ON public.${table} TO ${role}`);
    // The events' identity needs no privilege of the caller; without one, nobody but the owner can move it.
    const [seq] = await tx<Array<{ seq: string | null }>>`select pg_get_serial_sequence('public.audit_events', 'id') as seq`;
    if (seq?.seq) await tx.unsafe(`REVOKE ALL ON SEQUENCE ${seq.seq} FROM ${role}`);
    // Functions run only for the roles named: the chainer (SECURITY DEFINER) above all.
    await tx.unsafe('REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC');
    await tx.unsafe(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ${role}`);
    // So the application can tell whether the schema is current before it serves.
    await tx.unsafe(`GRANT USAGE ON SCHEMA drizzle TO ${role}`);
    await tx.unsafe(`GRANT SELECT ON drizzle.__drizzle_migrations TO ${role}`);
  });
}

/**
 * What is wrong with the role `sql` is connected as, for the application role: each reason it
 * could rewrite the audit log. Empty when it holds. The start refuses to serve otherwise.
 */
export async function applicationRoleProblems(sql: postgres.Sql): Promise<string[]> {
  const problems: string[] = [];
  const [me] = await sql<Array<{ name: string; rolsuper: boolean; rolbypassrls: boolean; rolcreaterole: boolean }>>`
    select current_user as name, rolsuper, rolbypassrls, rolcreaterole from pg_roles where rolname = current_user`;
  if (!me) return ['the current role is not in pg_roles'];
  const who = `the application role ${me.name}`;
  if (me.rolsuper) problems.push(`${who} is a superuser`);
  if (me.rolbypassrls) problems.push(`${who} has BYPASSRLS`);
  if (me.rolcreaterole) problems.push(`${who} has CREATEROLE (it could make itself a member of the owner role)`);
  const owned = await sql<Array<{ object: string }>>`
    select c.oid::regclass::text as object from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f') and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and n.nspname not like 'pg_temp%' and n.nspname not like 'pg_toast_temp%'
        and pg_has_role(current_user, c.relowner, 'MEMBER')
    union all
    select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname not in ('pg_catalog', 'information_schema') and pg_has_role(current_user, p.proowner, 'MEMBER')
    union all
    select 'schema ' || n.nspname from pg_namespace n
      where n.nspname not like 'pg_%' and n.nspname <> 'information_schema' and pg_has_role(current_user, n.nspowner, 'MEMBER')
    union all
    select 'database ' || d.datname from pg_database d where d.datname = current_database() and pg_has_role(current_user, d.datdba, 'MEMBER')
    order by 1 limit 5`;
  if (owned.length > 0) problems.push(`${who} owns (or may act as the owner of) ${owned.map((o) => o.object).join(', ')}`);
  const tables = Object.keys(AUDIT_TABLE_PRIVILEGES).filter((t) => t !== 'audit_log');
  const [rights] = await sql<Array<{ forbidden: string[] | null; create: boolean }>>`
    select array(
      select t || ' ' || p from unnest(${tables}::text[]) t cross join unnest(${[...FORBIDDEN_ON_AUDIT]}::text[]) p
        where to_regclass('public.' || t) is not null and has_table_privilege(current_user, ('public.' || t)::regclass, p)
      union all
      select t || ' INSERT' from unnest(array['audit_chain', 'audit_head']) t
        where to_regclass('public.' || t) is not null and has_table_privilege(current_user, ('public.' || t)::regclass, 'INSERT')
    ) as forbidden,
    has_schema_privilege(current_user, 'public', 'CREATE') or has_database_privilege(current_user, current_database(), 'CREATE') as create`;
  if (rights?.forbidden && rights.forbidden.length > 0) problems.push(`${who} may change the audit log (${rights.forbidden.join(', ')})`);
  if (rights?.create) problems.push(`${who} may create objects (CREATE on the database or the public schema)`);
  return problems;
}
