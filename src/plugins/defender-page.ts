import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Config } from '../config/config.js';
import type { IntakePolicy } from '../intake/intake-policy.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/page.js';
import { AppError } from '../lib/problem.js';
import { problemResponse } from '../lib/schemas.js';
import { CONTENT_TYPES, encode, sendEncoded, type Encoded } from './static-files.js';

/**
 * The defender's page, served from the service itself (same origin): `/` files a request,
 * `/suivi` follows one with the receipt. The build (tools/build-web.mjs) writes dist/web; this
 * plugin reads it once at start and serves its bytes as they are, the same to everyone, so that
 * anyone can compare them with the published manifest and with a build of their own. What only
 * the deployment knows (the configured intake keyId, the quick-exit URL, the intake codes of
 * policies/intake.yaml) the page reads from GET /v1/page/settings.
 */

/**
 * The console's policy: our own scripts (each also pinned by its SRI hash, the worker by its
 * content-hashed name), styles, API and worker; WebAssembly compilation for libsodium in the
 * worker. Images also from blob: (an evidence photo shown after it was decrypted in the worker:
 * the bytes never leave the phone). No inline script or style, no frames, no form submission
 * (the forms are sent by the script). A worker obeys the CSP its own script was served with: the same one.
 */
export const DEFENDER_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** The lists of policies/intake.yaml the page's form uses (codes with French and English labels). */
const PAGE_LISTS = ['filedFor', 'defenderCategory', 'gender', 'disability', 'threatType', 'region', 'contactChannel', 'language'] as const;

interface Asset extends Encoded {
  contentType: string;
}

interface Manifest {
  version: 1;
  html: string;
  entries: Record<string, string>;
  assets: Record<string, { integrity: string; bytes: number; gzip: number; br: number }>;
}

export interface DefenderPageOptions {
  config: Pick<Config, 'INTAKE_KEY_ID' | 'QUICK_EXIT_URL'>;
  intakePolicy: IntakePolicy;
  /** The build's output (WEB_DIR, resolved by webPath). */
  dir: string;
}

/** The build read from disk, or null (with the reason) when there is none. */
function loadBuild(dir: string): { html: Encoded; assets: Map<string, Asset> } | { missing: string } {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) return { missing: `${manifestPath} does not exist` };
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  const read = (file: string): Encoded => ({ raw: readFileSync(join(dir, file)), gzip: readFileSync(join(dir, `${file}.gz`)), br: readFileSync(join(dir, `${file}.br`)) });
  const assets = new Map<string, Asset>();
  for (const file of Object.keys(manifest.assets)) {
    const name = file.replace(/^assets\//, '');
    assets.set(name, { ...read(file), contentType: CONTENT_TYPES[name.split('.').pop() ?? ''] ?? 'application/octet-stream' });
  }
  return { html: read(manifest.html), assets };
}

function send(request: FastifyRequest, reply: FastifyReply, body: Encoded, contentType: string, cacheControl: string): FastifyReply {
  return sendEncoded(request, reply, body, { contentType, cacheControl, csp: DEFENDER_PAGE_CSP });
}

// Media types per status: the page is HTML, its "not built" answer plain text, a refused query a problem document.
const PAGE_RESPONSE = {
  200: { description: 'the page', content: { 'text/html': { schema: Type.String() } } },
  400: problemResponse('a query string holding a NUL character or a lone surrogate (validation_failed)'),
  503: { description: 'the page has not been built', content: { 'text/plain': { schema: Type.String() } } },
};

export default fp<DefenderPageOptions>(
  async function defenderPagePlugin(fastify: FastifyInstance, opts) {
    const dir = opts.dir;
    let build: ReturnType<typeof loadBuild>;
    try {
      build = loadBuild(dir);
    } catch (err) {
      // A half-present build (a file removed, a rebuild racing the start) is a missing page, not a dead API.
      build = { missing: `${dir} could not be read: ${err instanceof Error ? err.message : String(err)}` };
    }
    if ('missing' in build) fastify.log.warn(`the defender page is not built (${build.missing}); run \`npm run build:web\``);
    else if (!opts.config.INTAKE_KEY_ID) fastify.log.warn('INTAKE_KEY_ID is not set: the defender page will say online filing is not open yet');

    const page = async (request: FastifyRequest, reply: FastifyReply) => {
      if ('missing' in build) return reply.code(503).header('retry-after', '60').type('text/plain; charset=utf-8').send('This page is not available yet. / Cette page n’est pas encore disponible.');
      // Never cached: a new release (or a new pinned key) must reach every phone at the next load.
      return send(request, reply, build.html, 'text/html; charset=utf-8', 'no-store');
    };
    for (const [url, operationId, summary] of [
      ['/', 'getFilingPage', "The defender's page: file a protection request (French, English with ?lang=en)"],
      ['/suivi', 'getFollowUpPage', "The defender's page: follow a request with the receipt"],
    ] as const) {
      fastify.get(url, { config: { action: 'page.read' }, schema: { operationId, security: [], tags: ['page'], summary, response: PAGE_RESPONSE } }, page);
    }

    // Made once, compressed once: the lists and addresses change with a restart, like the rest of
    // the configuration, and the lists are most of what a phone fetches before the form shows.
    const settings = encode(
      Buffer.from(
        JSON.stringify({
          intakeKeyId: opts.config.INTAKE_KEY_ID,
          exitUrl: opts.config.QUICK_EXIT_URL,
          lists: Object.fromEntries(PAGE_LISTS.map((l) => [l, opts.intakePolicy.lists[l]])),
        }),
      ),
    );
    fastify.route({
      ...routeOf(api.getPageSettings),
      config: { action: 'page.read' },
      // Nothing in it is secret, and a stale copy must not outlive a changed key: no-store.
      handler: async (request, reply) => send(request, reply, settings, CONTENT_TYPES.json ?? 'application/json', 'no-store'),
    });

    fastify.get(
      '/assets/:name',
      {
        config: { action: 'page.read' },
        schema: {
          operationId: 'getPageAsset',
          security: [],
          tags: ['page'],
          summary: "A script or stylesheet of the defender's page (content-hashed name, immutable; brotli or gzip as accepted)",
          params: Type.Object({ name: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}\\.(?:js|css)$' }) }),
          response: {
            200: { description: 'the file', content: { 'text/javascript': { schema: Type.String() }, 'text/css': { schema: Type.String() } } },
            400: problemResponse('not the name of a script or stylesheet (validation_failed)'),
            404: problemResponse('no such asset in this build (not_found)'),
          },
        },
      },
      async (request, reply) => {
        const asset = 'missing' in build ? undefined : build.assets.get((request.params as { name: string }).name);
        if (!asset) throw new AppError('not_found', 'no such asset');
        // Names change with their content: a year of caching is safe and spares slow connections.
        return send(request, reply, asset, asset.contentType, 'public, max-age=31536000, immutable');
      },
    );
  },
  { name: 'defender-page' },
);
