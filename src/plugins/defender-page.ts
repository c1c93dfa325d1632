import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Config } from '../config/config.js';
import type { IntakePolicy } from '../intake/intake-policy.js';
import { AppError } from '../lib/problem.js';
import { problemResponse } from '../lib/schemas.js';
import { CONTENT_TYPES, encode, sendEncoded, type Encoded } from './static-files.js';

/**
 * The defender's page, served from the service itself (same origin): `/` files a request,
 * `/suivi` follows one with the receipt. The build (tools/build-web.mjs) writes dist/web; this
 * plugin reads it once at start, writes into the HTML what only the deployment knows (the pinned
 * intake keyId, the quick-exit URL, the intake codes of policies/intake.yaml, all as inert data,
 * never as inline script), and serves it under a strict Content-Security-Policy.
 */

/**
 * Nothing but our own scripts (each also pinned by its SRI hash), styles and API; WebAssembly
 * compilation for libsodium; the crypto worker starts from a blob: URL made from the script
 * fetched with its integrity hash. Images also from blob: (an evidence photo shown after it was
 * decrypted in the worker: the bytes never leave the phone). No inline script or style, no
 * frames, no forms elsewhere.
 */
export const DEFENDER_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data: blob:",
  'worker-src blob:',
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
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

const escapeAttribute = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** JSON inside <script type="application/json">: `<` escaped so no `</script>` can close it. */
const inertJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

/** The build read from disk, or null (with the reason) when there is none. */
function loadBuild(dir: string, opts: DefenderPageOptions): { html: Encoded; assets: Map<string, Asset> } | { missing: string } {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) return { missing: `${manifestPath} does not exist` };
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  const lists = Object.fromEntries(PAGE_LISTS.map((l) => [l, opts.intakePolicy.lists[l]]));
  const html = readFileSync(join(dir, manifest.html), 'utf8')
    .replaceAll('{{INTAKE_KEY_ID}}', escapeAttribute(opts.config.INTAKE_KEY_ID))
    .replaceAll('{{EXIT_URL}}', escapeAttribute(opts.config.QUICK_EXIT_URL))
    .replaceAll('{{LISTS}}', inertJson(lists));
  const assets = new Map<string, Asset>();
  for (const file of Object.keys(manifest.assets)) {
    const name = file.replace(/^assets\//, '');
    const read = (suffix: string) => readFileSync(join(dir, `${file}${suffix}`));
    assets.set(name, { raw: read(''), gzip: read('.gz'), br: read('.br'), contentType: CONTENT_TYPES[name.split('.').pop() ?? ''] ?? 'application/octet-stream' });
  }
  return { html: encode(Buffer.from(html, 'utf8')), assets };
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
      build = loadBuild(dir, opts);
    } catch (err) {
      // A half-present build (a file removed, a rebuild racing the start) is a missing page, not a dead API.
      build = { missing: `${dir} could not be read: ${err instanceof Error ? err.message : String(err)}` };
    }
    if ('missing' in build) fastify.log.warn(`the defender page is not built (${build.missing}); run \`npm run build:web\``);
    else if (!opts.config.INTAKE_KEY_ID) fastify.log.warn('INTAKE_KEY_ID is not set: the defender page will say online filing is not open yet');

    const page = async (request: FastifyRequest, reply: FastifyReply) => {
      if ('missing' in build) return reply.code(503).header('retry-after', '60').type('text/plain; charset=utf-8').send('This page is not available yet. / Cette page n’est pas encore disponible.');
      // The HTML carries the deployment's pinned key and is never cached: a stale copy could pin an old key.
      return send(request, reply, build.html, 'text/html; charset=utf-8', 'no-store');
    };
    for (const [url, operationId, summary] of [
      ['/', 'getFilingPage', "The defender's page: file a protection request (French, English with ?lang=en)"],
      ['/suivi', 'getFollowUpPage', "The defender's page: follow a request with the receipt"],
    ] as const) {
      fastify.get(url, { config: { action: 'page.read' }, schema: { operationId, security: [], tags: ['page'], summary, response: PAGE_RESPONSE } }, page);
    }

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
