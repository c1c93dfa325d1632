import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { projectRoot } from '../../src/lib/paths.js';
import type { Teardown } from './app.js';

/**
 * A copy of the project's policies/ with some files edited (e.g. short limits), for POLICIES_DIR;
 * removed at teardown. Each edit receives the parsed YAML document and changes it in place.
 */
export function policiesWith(t: Teardown, edits: Record<string, (doc: any) => void>): string {
  const dir = mkdtempSync(join(tmpdir(), 'egide-policies-'));
  cpSync(join(projectRoot(), 'policies'), dir, { recursive: true });
  for (const [file, edit] of Object.entries(edits)) {
    const doc = parse(readFileSync(join(dir, file), 'utf8'));
    edit(doc);
    writeFileSync(join(dir, file), stringify(doc));
  }
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
