import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Problem } from '../lib/schemas.js';

/**
 * The policy of every /docs response. Swagger UI's page is three scripts and two stylesheets of
 * its own (no inline script or style), favicons and inline SVG icons as data: images; it fetches
 * /docs/json and, with "Try it out", the API on the same origin. Nothing else: no other host, no
 * inline or injected script, no eval, no plugins, no <base>, and no page may frame it. The page
 * is laid out without Swagger UI's top bar: its logo is the one thing that needs an inline style,
 * and its box loads documents from anywhere.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

/** OpenAPI 3.1 generated from the route schemas, served at /docs (UI) and /docs/json. */
export default fp(
  async function openapiPlugin(fastify) {
    fastify.addSchema(Problem);
    await fastify.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: 'egide API', version: '1', description: 'Confidential case handling for the protection of human rights defenders. Sensitive fields are sealed by the client (docs/crypto-v1.md); the API never sees their plaintext.' },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (EdDSA)' } } },
      },
      refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    });
    // The UI's own routes (static files) are documentation: they take the public health action.
    await fastify.register(async (docs) => {
      docs.addHook('onRoute', (route) => {
        route.config = { ...(route.config ?? {}), action: 'health.read' };
        route.schema = { ...(route.schema ?? {}), hide: true };
      });
      await docs.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: false, layout: 'BaseLayout' }, staticCSP: DOCS_CSP });
    });
  },
  { name: 'openapi' },
);
