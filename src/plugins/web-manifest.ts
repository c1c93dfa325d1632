import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../lib/problem.js';
import { problemResponse } from '../lib/schemas.js';

/**
 * The deployment manifest (tools/build-web.mjs writes it beside the assets as
 * egide-manifest.json): every file the defender's page and the console serve, by URL path, with
 * its SHA-256, the commit and the build's inputs. Published at a fixed address so that anyone —
 * a defenders' organisation, a journalist — can compare what this server serves with a build of
 * their own (`npm run egide -- web verify <url>`). Its detached Ed25519 signature, when the
 * operator made one offline (`egide web sign`), is served beside it.
 */
const MANIFEST_PATH = '/.well-known/egide/manifest.json';
const MANIFEST_FILE = 'egide-manifest.json';
const SIGNATURE_SUFFIX = '.sig';

export interface WebManifestOptions {
  /** The build's output (WEB_DIR, resolved by webPath). */
  dir: string;
}

const HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'access-control-allow-origin': '*' } as const;

export default fp<WebManifestOptions>(
  async function webManifestPlugin(fastify: FastifyInstance, opts) {
    const file = join(opts.dir, MANIFEST_FILE);
    // Read with the build at start: the manifest describes the files this process serves, which it also read at start.
    const manifest = existsSync(file) ? readFileSync(file) : null;
    fastify.get(
      MANIFEST_PATH,
      {
        config: { action: 'page.read' },
        schema: {
          operationId: 'getWebManifest',
          security: [],
          tags: ['page'],
          summary: 'The deployment manifest: the SHA-256 of every file the web applications serve, the commit and the build inputs (served as built, byte for byte)',
          response: {
            200: { description: 'the manifest, as the build wrote it', content: { 'application/json': { schema: Type.Object({}, { additionalProperties: true }) } } },
            404: problemResponse('the web applications are not built (not_found)'),
          },
        },
      },
      async (_request, reply) => {
        if (!manifest) throw new AppError('not_found', 'the web applications are not built');
        // The bytes as built, not re-serialized: its hash and signature are over them.
        return reply.headers(HEADERS).type('application/json; charset=utf-8').send(manifest);
      },
    );
    fastify.get(
      `${MANIFEST_PATH}${SIGNATURE_SUFFIX}`,
      {
        config: { action: 'page.read' },
        schema: {
          operationId: 'getWebManifestSignature',
          security: [],
          tags: ['page'],
          summary: "The operator's detached Ed25519 signature over the deployment manifest's bytes (base64), when there is one",
          response: {
            200: { description: 'the signature', content: { 'text/plain': { schema: Type.String({ maxLength: 200 }) } } },
            404: problemResponse('the manifest is not signed (not_found)'),
          },
        },
      },
      async (_request, reply) => {
        // Read on each request: signing a deployment (offline, then copied in) needs no restart.
        const signature = manifest ? await readFile(`${file}${SIGNATURE_SUFFIX}`, 'utf8').catch(() => null) : null;
        if (signature === null) throw new AppError('not_found', 'the manifest is not signed');
        return reply.headers(HEADERS).type('text/plain; charset=utf-8').send(signature);
      },
    );
  },
  { name: 'web-manifest' },
);
