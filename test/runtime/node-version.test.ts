/**
 * egide runs on a Node.js release that still gets security fixes: package.json's `engines`, the
 * types the code is checked against, the Docker image and the version CI fetches
 * (tools/use-node.sh) agree, and the suite itself runs on a supported release.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/lib/paths.js';

/** The oldest Node.js line still supported (24 is in maintenance, 26 the active LTS). */
const OLDEST_SUPPORTED = 24;

const root = projectRoot();
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string }; devDependencies: Record<string, string> };
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; engines?: { node?: string } }> };
const major = (version: string) => Number(/^v?(\d+)\./.exec(version)?.[1] ?? Number.NaN);

t.test('the suite runs on a supported Node.js', async (t) => {
  t.ok(major(process.version) >= OLDEST_SUPPORTED, `running on ${process.version}; put the pinned one first on PATH: export PATH="$(tools/use-node.sh):$PATH"`);
});

t.test('engines asks for a supported release, in package.json and its lock', async (t) => {
  t.equal(pkg.engines.node, `>=${OLDEST_SUPPORTED}`);
  t.equal(lock.packages['']?.engines?.node, pkg.engines.node, 'package-lock.json is up to date');
});

t.test('the code is type-checked against the oldest supported release, so it uses nothing newer', async (t) => {
  t.equal(major(pkg.devDependencies['@types/node']!.replace(/^[\^~]/, '')), OLDEST_SUPPORTED);
  t.equal(major(lock.packages['node_modules/@types/node']!.version!), OLDEST_SUPPORTED, 'the locked version too');
});

t.test('the Docker image is on the version CI fetches, which is supported', async (t) => {
  const pinned = execFileSync(join(root, 'tools', 'use-node.sh'), ['--version'], { encoding: 'utf8' }).trim();
  t.match(pinned, /^\d+\.\d+\.\d+$/);
  t.ok(major(pinned) >= OLDEST_SUPPORTED);
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const image = /^ARG NODE_IMAGE=node:(\S+)$/m.exec(dockerfile)?.[1];
  t.ok(image, 'the Dockerfile names its Node.js image in ARG NODE_IMAGE');
  t.equal(/^(\d+\.\d+\.\d+)-/.exec(image ?? '')?.[1], pinned, 'the image tag names the exact version tools/use-node.sh pins');
  const stages = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
  t.ok(stages.length >= 2);
  t.same(new Set(stages), new Set(['${NODE_IMAGE}']), 'every stage is built on that image');
});
