import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { projectRoot } from '../lib/paths.js';
import { ConfigError } from './config.js';

export interface EnvFileResult {
  /** The file read, or null when there was none to read. */
  path: string | null;
  /** What the operator should fix but that does not stop anything (a file others can read). */
  warnings: string[];
}

/**
 * Reads the operator's environment file into `env`, the one way every entry point does it (the
 * API and workers at start, the `egide` CLI): `.env` in the project root when there is one, or
 * the file EGIDE_ENV_FILE names (`none`: no file). Variables already in `env` win over the file,
 * as with Node's own `--env-file`; the file is parsed by Node (`util.parseEnv`), so its syntax is
 * Node's. Throws a ConfigError when EGIDE_ENV_FILE names a file that does not exist.
 */
export function loadEnvFile(env: Record<string, string | undefined> = process.env): EnvFileResult {
  const setting = env.EGIDE_ENV_FILE;
  if (setting === 'none') return { path: null, warnings: [] };
  const path = setting ? resolve(setting) : join(projectRoot(), '.env');
  if (!existsSync(path)) {
    if (setting) throw new ConfigError([`EGIDE_ENV_FILE is ${setting}, but ${path} does not exist`]);
    return { path: null, warnings: [] };
  }
  for (const [key, value] of Object.entries(parseEnv(readFileSync(path, 'utf8')))) {
    if (env[key] === undefined && value !== undefined) env[key] = value;
  }
  const warnings = (statSync(path).mode & 0o077) !== 0 ? [`${path} holds secrets but others can read it: chmod 600 ${path}`] : [];
  return { path, warnings };
}
