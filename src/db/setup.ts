import { readdirSync } from 'node:fs';
import postgres from 'postgres';
import { urlUser, type Config } from '../config/config.js';
import { migrationStatus, runMigrations } from './migrate.js';
import { adoptObjects, applicationRoleProblems, ensureDatabase, ensureRoles, setupStatements, type RoleLogin } from './roles.js';

/**
 * What a process does with PostgreSQL before it serves (src/main.ts steps 3 and 4, and the CLI):
 *  - with DATABASE_OWNER_URL (the process that migrates): makes the two roles and the database
 *    exist, as a superuser, when they do not (or says which two SQL lines to run), applies the
 *    migrations as the owner role and grants the application role its privileges;
 *  - always: checks, connected as the application role (DATABASE_URL), that it cannot rewrite the
 *    audit log and that the schema is current. It refuses to serve otherwise.
 */

export interface DatabaseCheck {
  problems: string[];
  /** What was done on the way (roles or database created). */
  info: string[];
  warnings: string[];
}

type DatabaseConfig = Pick<Config, 'DATABASE_URL' | 'DATABASE_OWNER_URL' | 'DATABASE_ADMIN_URL'>;

/** A URL fit for messages and logs: the password masked. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '****';
    return url.toString();
  } catch {
    return '<not a URL>';
  }
}

export const errorText = (err: unknown): string => {
  const e = err as { code?: string; message?: string } | null;
  const message = e?.message || e?.code || String(err);
  return e?.code && !message.includes(e.code) ? `${e.code}: ${message}` : message;
};

function postgresHowToStart(variable: string): string {
  let versions: string[] = [];
  try {
    versions = readdirSync('/etc/postgresql');
  } catch {
    versions = [];
  }
  const local = versions.length > 0 ? `\`sudo pg_ctlcluster ${versions.sort().at(-1)} main start\`` : '`sudo systemctl start postgresql` (or `brew services start postgresql`)';
  return `start it (${local}, or \`docker compose up -d db\`), or point ${variable} at a running server`;
}

const connect = (url: string) => postgres(url, { max: 1, connect_timeout: 5, idle_timeout: 1, onnotice: () => undefined });

/** Runs `fn` on a short-lived connection, always closed. */
async function withConnection<T>(url: string, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = connect(url);
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 1 }).catch(() => undefined);
  }
}

type Probe = { ok: true; ownsEverything: boolean } | { ok: false; code: string | undefined; err: unknown };

/** Logs in; and tells whether the role owns the database and every object of the schema (what migrating needs). */
async function probe(url: string): Promise<Probe> {
  try {
    return await withConnection(url, async (sql) => {
      const [row] = await sql<Array<{ owns: boolean }>>`
        select pg_has_role(current_user, d.datdba, 'USAGE')
          and not exists (select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
                          where n.nspname in ('public', 'drizzle') and not pg_has_role(current_user, c.relowner, 'USAGE'))
          and not exists (select 1 from pg_namespace n where n.nspname = 'drizzle' and not pg_has_role(current_user, n.nspowner, 'USAGE')) as owns
        from pg_database d where d.datname = current_database()`;
      return { ok: true as const, ownsEverything: row?.owns ?? false };
    });
  } catch (err) {
    return { ok: false, code: (err as { code?: string }).code, err };
  }
}

/** invalid_authorization_specification (no such role), invalid_password, invalid_catalog_name (no such database). */
const fixableBySetup = (p: Probe): boolean => !p.ok && (p.code === '28000' || p.code === '28P01' || p.code === '3D000');

function loginProblem(url: string, variable: string, p: Probe & { ok: false }): string {
  const shown = redactUrl(url);
  if (p.code === '28000' || p.code === '28P01') return `PostgreSQL at ${shown} refused the login (${errorText(p.err)}): fix the user or password in ${variable}`;
  if (p.code === '3D000') return `PostgreSQL at ${shown} runs but the database does not exist (${errorText(p.err)})`;
  return `PostgreSQL is unreachable at ${shown} (${errorText(p.err)}): ${postgresHowToStart(variable)}`;
}

function parts(url: string): { role: RoleLogin; database: string } {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  return { role: { name: urlUser(url), ...(password ? { password } : {}) }, database: decodeURIComponent(u.pathname.slice(1)) || urlUser(url) };
}

/** The superuser connection tried when roles or the database are missing: DATABASE_ADMIN_URL, or postgres@ the owner's server. */
function adminUrl(config: DatabaseConfig): string | null {
  if (config.DATABASE_ADMIN_URL === 'none') return null;
  if (config.DATABASE_ADMIN_URL) return config.DATABASE_ADMIN_URL;
  const u = new URL(config.DATABASE_OWNER_URL);
  u.username = 'postgres';
  u.password = '';
  u.pathname = '/postgres';
  return u.toString();
}

/** As a superuser: the roles, the database owned by the owner role, and what an older installation's owner had. */
async function setUpAsSuperuser(url: string, owner: RoleLogin, app: RoleLogin, database: string): Promise<string[]> {
  const info: string[] = [];
  const shown = redactUrl(url);
  await withConnection(url, async (admin) => {
    const [me] = await admin<Array<{ rolsuper: boolean; name: string }>>`select rolsuper, current_user as name from pg_roles where rolname = current_user`;
    if (!me?.rolsuper) throw new Error(`${me?.name ?? 'the role'} is not a superuser`);
    const created = await ensureRoles(admin, [owner, app]);
    if (created.length > 0) info.push(`created role${created.length > 1 ? 's' : ''} ${created.join(' and ')} on ${shown}`);
    const db = await ensureDatabase(admin, database, owner.name);
    if (db === 'created') info.push(`created database ${database} (owner ${owner.name}) on ${shown}`);
    if (db === 'handed-over') info.push(`handed database ${database} over to ${owner.name}`);
  });
  // An installation from before the split: its objects belong to whoever migrated them.
  const inDatabase = new URL(url);
  inDatabase.pathname = `/${encodeURIComponent(database)}`;
  await withConnection(inDatabase.toString(), (admin) => adoptObjects(admin, owner.name));
  return info;
}

/**
 * Step 3 for PostgreSQL: the roles and the database exist and both roles can log in. When
 * this process migrates and something is missing, it sets them up as a superuser if it can, or
 * says what to run.
 */
export async function preparePostgres(config: DatabaseConfig): Promise<DatabaseCheck> {
  const info: string[] = [];
  if (!config.DATABASE_OWNER_URL) {
    const app = await probe(config.DATABASE_URL);
    if (app.ok) return { problems: [], info, warnings: [] };
    const how = fixableBySetup(app) ? '; or set DATABASE_OWNER_URL (the role the migrations run as) so that the start creates the roles and the database, as `npm run egide -- env init` writes it' : '';
    return { problems: [loginProblem(config.DATABASE_URL, 'DATABASE_URL', app) + how], info, warnings: [] };
  }

  const owner = parts(config.DATABASE_OWNER_URL);
  const app = parts(config.DATABASE_URL);
  let [o, a] = await Promise.all([probe(config.DATABASE_OWNER_URL), probe(config.DATABASE_URL)]);
  if (!o.ok && !fixableBySetup(o)) return { problems: [loginProblem(config.DATABASE_OWNER_URL, 'DATABASE_OWNER_URL', o)], info, warnings: [] };
  const missing = fixableBySetup(o) || fixableBySetup(a) || (o.ok && !o.ownsEverything);
  if (missing) {
    const superuser = adminUrl(config);
    let failure = 'DATABASE_ADMIN_URL is none';
    if (superuser) {
      try {
        info.push(...(await setUpAsSuperuser(superuser, owner.role, app.role, owner.database)));
        failure = '';
      } catch (err) {
        failure = `${redactUrl(superuser)}: ${errorText(err)}`;
      }
    }
    if (failure) {
      const lines = setupStatements({ owner: owner.role, app: app.role }, owner.database);
      const passwords = owner.role.password || app.role.password ? ` (with the passwords of DATABASE_OWNER_URL and DATABASE_URL in place of '****')` : '';
      return {
        problems: [
          `the roles ${owner.role.name} (DATABASE_OWNER_URL) and ${app.role.name} (DATABASE_URL) or the database ${owner.database} are missing, or the database belongs to another role, and the start could not set them up as a superuser (${failure}). As a PostgreSQL superuser (e.g. \`sudo -u postgres psql\`) run${passwords}:\n      ${lines.join('\n      ')}`,
        ],
        info,
        warnings: [],
      };
    }
    [o, a] = await Promise.all([probe(config.DATABASE_OWNER_URL), probe(config.DATABASE_URL)]);
  }
  const problems: string[] = [];
  if (!o.ok) problems.push(loginProblem(config.DATABASE_OWNER_URL, 'DATABASE_OWNER_URL', o));
  else if (!o.ownsEverything) problems.push(`${owner.role.name} (DATABASE_OWNER_URL) does not own the database ${owner.database} and everything in it: start once with a superuser reachable (DATABASE_ADMIN_URL), which hands them over`);
  if (!a.ok) problems.push(loginProblem(config.DATABASE_URL, 'DATABASE_URL', a));
  return { problems, info, warnings: [] };
}

/**
 * Step 4: the migrations as the owner role (when this process migrates) and the application
 * role's grants; then, as the application role, that it cannot rewrite the audit log and that
 * the schema is the one this code expects.
 */
export async function migrateDatabase(config: DatabaseConfig): Promise<DatabaseCheck> {
  if (config.DATABASE_OWNER_URL) {
    try {
      await runMigrations(config.DATABASE_OWNER_URL, { appRole: urlUser(config.DATABASE_URL) });
    } catch (err) {
      return { problems: [`the migrations in drizzle/ could not be applied to ${redactUrl(config.DATABASE_OWNER_URL)}: ${errorText(err)}`], info: [], warnings: [] };
    }
  }
  return withConnection(config.DATABASE_URL, async (sql) => {
    const problems: string[] = [];
    const role = await applicationRoleProblems(sql);
    if (role.length > 0) {
      problems.push(
        `DATABASE_URL (${redactUrl(config.DATABASE_URL)}) must connect as the application role, which cannot rewrite the audit log, and ${role.join('; ')}. Connect as a role of its own (README, "Database roles"); the owner role goes in DATABASE_OWNER_URL`,
      );
    }
    try {
      const status = await migrationStatus(sql);
      if (!status.current) problems.push(`the database at ${redactUrl(config.DATABASE_URL)} has ${status.applied} of the ${status.expected} migrations in drizzle/: apply them as the owner role (\`npm run egide -- db migrate\`, or start this process with DATABASE_OWNER_URL)`);
    } catch (err) {
      problems.push(`cannot tell whether the database at ${redactUrl(config.DATABASE_URL)} is migrated (${errorText(err)}): apply the migrations as the owner role (\`npm run egide -- db migrate\`), which also grants the application role what it needs`);
    }
    return { problems, info: [], warnings: [] };
  });
}

/** Both steps, for commands that need the database ready (the CLI). */
export async function setUpDatabase(config: DatabaseConfig): Promise<DatabaseCheck> {
  const prepared = await preparePostgres(config);
  if (prepared.problems.length > 0) return prepared;
  const migrated = await migrateDatabase(config);
  return { problems: migrated.problems, info: [...prepared.info, ...migrated.info], warnings: [...prepared.warnings, ...migrated.warnings] };
}
