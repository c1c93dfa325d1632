import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { projectRoot, webPath } from './paths.js';

/** What release a deployment runs, as the admins' health page and a backup's manifest record it. */
export interface Release {
  version: string;
  /**
   * SHA-256 of the web build's deployment manifest (egide-manifest.json, served at
   * /.well-known/egide/manifest.json), which names every file of both web applications by its own
   * hash, the commit and the build's inputs; null without a build.
   */
  webBuild: string | null;
  /**
   * The commit the web build recorded: the build runs from a checkout or, in the image, is given the
   * commit (the image holds no .git), so it is the one place a running deployment knows its commit.
   */
  commit: string | null;
}

export function releaseOf(config: Pick<Config, 'WEB_DIR'>): Release {
  const { version } = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string };
  const file = join(webPath(config), 'egide-manifest.json');
  if (!existsSync(file)) return { version, webBuild: null, commit: null };
  const bytes = readFileSync(file);
  const { commit } = JSON.parse(bytes.toString('utf8')) as { commit?: unknown };
  return { version, webBuild: createHash('sha256').update(bytes).digest('hex'), commit: typeof commit === 'string' && /^[0-9a-f]{7,64}$/.test(commit) ? commit : null };
}
