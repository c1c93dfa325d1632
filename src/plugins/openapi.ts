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
        info: {
          title: 'egide API',
          version: '1',
          description: 'Confidential case handling for the protection of human rights defenders. Sensitive fields are sealed by the client (docs/crypto-v1.md); the API never sees their plaintext.',
          license: { name: 'AGPL-3.0-or-later', identifier: 'AGPL-3.0-or-later' },
        },
        // Relative: the API answers on the origin that serves this document, whatever the deployment's host.
        servers: [{ url: '/', description: 'this deployment' }],
        // Every tag a route uses is declared here (redocly.yaml: operation-tag-defined), in the order the UI shows them.
        tags: [
          { name: 'auth', description: "Log in (password-derived authKey and TOTP, or a defender's receipt), sessions, recovery, own account" },
          { name: 'cases', description: 'File a protection request, read a case and its sealed content, grant and re-key readers' },
          { name: 'workflow', description: 'The transitions of a case (policies/workflow.yaml), its urgency and whether its alleged violation was verified' },
          { name: 'assessments', description: 'Risk assessment versions; the level is computed by the server from policies/risk.yaml' },
          { name: 'measures', description: 'Protective measures: proposal, consent, four-eyes approval, implementation, review, lifting' },
          { name: 'referrals', description: "Referrals of part of a case to a partner organisation, with the defender's consent" },
          { name: 'reports', description: 'Incidents, check-ins and alerts of a case' },
          { name: 'messages', description: 'Sealed messages between the defender and staff' },
          { name: 'files', description: 'Evidence files: encrypted on the client, uploaded with the tus resumable protocol, their names and keys sealed' },
          { name: 'appeals', description: 'Appeals against a decision, ruled on by another supervisor' },
          { name: 'deadlines', description: 'Deadlines of policies/deadlines.yaml, across cases and per case' },
          { name: 'notifications', description: "Staff inbox, the defender's notices, partner webhooks" },
          { name: 'staff', description: "Supervisors' oversight of the staff: cases per officer, and what a leaving staff member holds" },
          { name: 'custody', description: 'Custody of the mechanism key: its holders, the offline split backup, a holder re-created from its shares' },
          { name: 'on-call', description: 'Out of office hours: the on-call roster, and the pages put to the person on call' },
          { name: 'retention', description: 'Closed cases past their retention period, and their purge' },
          { name: 'users', description: 'Invitations, enrolment and accounts (admin)' },
          { name: 'orgs', description: 'The mechanism and partner organisations, their public keys and keyrings' },
          { name: 'keys', description: 'The intake key defenders encrypt their requests to' },
          { name: 'search', description: 'The blind index: the staff keyring of the search key, the tokens of each case, and search by who a case is about' },
          { name: 'audit', description: 'The hash-chained audit log: query, export, signed head, verification' },
          { name: 'health', description: 'Liveness, readiness and Prometheus metrics' },
          { name: 'policies', description: 'The policies as the service loaded them, read-only' },
          { name: 'statistics', description: 'Figures from codes and dates only, exact for supervisors, with disclosure control for what is published' },
          { name: 'page', description: "The defenders' own web page (HTML and its assets)" },
          { name: 'console', description: 'The staff console (/console/): its static files and the settings it starts with' },
        ],
        components: {
          securitySchemes: {
            bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (EdDSA)', description: 'an access token from login, refresh or the receipt login' },
            metricsToken: { type: 'http', scheme: 'bearer', description: 'the METRICS_TOKEN of the deployment, for the Prometheus scraper only' },
          },
        },
      },
      refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    });
    // The UI's own routes (static files) are documentation: they take the public health action.
    await fastify.register(async (docs) => {
      docs.addHook('onRoute', (route) => {
        route.config = { ...(route.config ?? {}), action: 'health.read' };
        route.schema = { ...(route.schema ?? {}), hide: true };
      });
      // Tags folded: Swagger UI stops rendering past about 128 unfolded operations (the API has more).
      await docs.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: false, layout: 'BaseLayout', docExpansion: 'none' }, staticCSP: DOCS_CSP });
    });
  },
  { name: 'openapi' },
);
