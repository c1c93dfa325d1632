import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** One file of policies/ as the service read it at start: its parsed document and its text. */
export interface PolicyDocument {
  /** the file's name without `.yaml` (`deadlines`, `risk`...) */
  name: string;
  file: string;
  data: unknown;
  source: string;
}

/**
 * Every policy file of `dir`, read once when the services are built, right after loadPolicies
 * validated the same files (a file it refused would have stopped the start): what an admin or a
 * supervisor reads is what the service runs on, even if someone edits a file afterwards. The
 * configuration (secrets, URLs) lives in the environment, never here.
 */
export function readPolicyDocuments(dir: string): readonly PolicyDocument[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((file) => {
      const source = readFileSync(join(dir, file), 'utf8');
      return Object.freeze({ name: file.replace(/\.yaml$/, ''), file, data: parse(source) as unknown, source });
    });
}
