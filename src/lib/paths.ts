import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (where package.json is), whether running from src/ with tsx or from dist/. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || dir.endsWith('dist')) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('project root not found');
    dir = parent;
  }
  return dir;
}

/** The policies directory (POLICIES_DIR), relative to the project root unless absolute: API, workers and CLI read the same files. */
export function policiesPath(config: { POLICIES_DIR: string }): string {
  return isAbsolute(config.POLICIES_DIR) ? config.POLICIES_DIR : join(projectRoot(), config.POLICIES_DIR);
}

/** The built defender's page (WEB_DIR), resolved like the policies. */
export function webPath(config: { WEB_DIR: string }): string {
  return isAbsolute(config.WEB_DIR) ? config.WEB_DIR : join(projectRoot(), config.WEB_DIR);
}

/** The disk store of evidence files (FILE_STORE_DIR), resolved like the policies. */
export function fileStorePath(config: { FILE_STORE_DIR: string }): string {
  return isAbsolute(config.FILE_STORE_DIR) ? config.FILE_STORE_DIR : join(projectRoot(), config.FILE_STORE_DIR);
}
