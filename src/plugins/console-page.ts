import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../lib/problem.js';
import { problemResponse } from '../lib/schemas.js';
import { CONTENT_TYPES, sendEncoded, type Encoded } from './static-files.js';

/**
 * The staff console, served from the service itself (same origin) at /console. Unlike the
 * defender's page nothing is written into its files at serve time: every deployment serves the
 * build's bytes as they are (manifest.json lists their SHA-256), and the console asks the API for
 * what it needs to know.
 */

/**
 * Our own scripts, styles, API and worker; WebAssembly for libsodium in the worker (the only
 * `'wasm-unsafe-eval'`); images from data: (the TOTP QR code, drawn locally). Nothing else runs,
 * loads or submits. A worker obeys the CSP its own script was served with: the same one.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

interface Manifest {
  version: 1;
  html: string;
  assets: Record<string, { sha256: string; bytes: number }>;
}

interface Build {
  html: Encoded;
  assets: Map<string, Encoded & { contentType: string }>;
}

function loadBuild(dir: string): Build | { missing: string } {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) return { missing: `${manifestPath} does not exist` };
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  const read = (file: string): Encoded => ({ raw: readFileSync(join(dir, file)), gzip: readFileSync(join(dir, `${file}.gz`)), br: readFileSync(join(dir, `${file}.br`)) });
  const assets = new Map<string, Encoded & { contentType: string }>();
  for (const file of Object.keys(manifest.assets)) {
    if (!file.startsWith('assets/')) continue;
    const name = file.slice('assets/'.length);
    assets.set(name, { ...read(file), contentType: CONTENT_TYPES[name.split('.').pop() ?? ''] ?? 'application/octet-stream' });
  }
  return { html: read(manifest.html), assets };
}

export interface ConsolePageOptions {
  /** The build's output for the console (WEB_DIR/console). */
  dir: string;
}

const HTML_RESPONSE = {
  200: { description: 'the console', content: { 'text/html': { schema: Type.String() } } },
  400: problemResponse('a query string holding a NUL character or a lone surrogate (validation_failed)'),
  503: { description: 'the console has not been built', content: { 'text/plain': { schema: Type.String() } } },
};

export default fp<ConsolePageOptions>(
  async function consolePagePlugin(fastify: FastifyInstance, opts) {
    let build: ReturnType<typeof loadBuild>;
    try {
      build = loadBuild(opts.dir);
    } catch (err) {
      build = { missing: `${opts.dir} could not be read: ${err instanceof Error ? err.message : String(err)}` };
    }
    if ('missing' in build) fastify.log.warn(`the staff console is not built (${build.missing}); run \`npm run build:web\``);

    // Refusals too (an unknown asset, a malformed address) carry the console's CSP: every answer
    // under /console is one the console's own rules govern.
    fastify.addHook('onSend', async (request, reply) => {
      if ((request.url === '/console' || request.url.startsWith('/console/')) && !reply.hasHeader('content-security-policy')) reply.header('content-security-policy', CONSOLE_CSP);
    });

    // Every route of the console answers with the same HTML: the console routes in the browser.
    const page = async (request: FastifyRequest, reply: FastifyReply) => {
      if ('missing' in build) return reply.code(503).header('retry-after', '60').type('text/plain; charset=utf-8').send('The console is not available yet. / La console n’est pas encore disponible.');
      // Never cached: a new release must reach every desk at the next load.
      return sendEncoded(request, reply, build.html, { contentType: CONTENT_TYPES.html ?? 'text/html', cacheControl: 'no-store', csp: CONSOLE_CSP });
    };
    fastify.get('/console', { config: { action: 'console.read' }, schema: { operationId: 'getConsole', security: [], tags: ['console'], summary: 'The staff console', response: HTML_RESPONSE } }, page);
    // Each screen of the console has its own address (/console/cases/<id>...), which a reload or a
    // bookmark asks the server for: the same HTML, the console routes in the browser. Left out of
    // the API document like the documentation's own files.
    fastify.get('/console/*', { config: { action: 'console.read' }, schema: { hide: true, params: Type.Object({ '*': Type.String({ pattern: '^(?!assets/)[A-Za-z0-9/_-]{0,200}$' }) }) } }, page);
    fastify.get(
      '/console/assets/:name',
      {
        config: { action: 'console.read' },
        schema: {
          operationId: 'getConsoleAsset',
          security: [],
          tags: ['console'],
          summary: "A script, stylesheet or language catalogue of the console (content-hashed name, immutable; brotli or gzip as accepted)",
          params: Type.Object({ name: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}\\.(?:js|css|json)$' }) }),
          response: {
            200: { description: 'the file', content: { 'text/javascript': { schema: Type.String() }, 'text/css': { schema: Type.String() }, 'application/json': { schema: Type.Object({}, { additionalProperties: Type.String() }) } } },
            400: problemResponse('not the name of a script, stylesheet or catalogue (validation_failed)'),
            404: problemResponse('no such asset in this build (not_found)'),
          },
        },
      },
      async (request, reply) => {
        const asset = 'missing' in build ? undefined : build.assets.get((request.params as { name: string }).name);
        if (!asset) throw new AppError('not_found', 'no such asset');
        return sendEncoded(request, reply, asset, { contentType: asset.contentType, cacheControl: 'public, max-age=31536000, immutable', csp: CONSOLE_CSP });
      },
    );
  },
  { name: 'console-page' },
);
