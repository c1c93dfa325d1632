import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Is the module at `moduleUrl` the script node was started with? (Entry points are also
 * imported by tests, which must not start them.) Symlinks (npm bins) are resolved.
 */
export function isEntryPoint(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}
