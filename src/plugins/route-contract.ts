import fp from 'fastify-plugin';
import type { RouteOptions } from 'fastify';
import type { AccessPolicy } from '../access/policy.js';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Every route with the action it declares (what the access-matrix tests walk), and for the
     * OpenAPI document whether it is hidden from it and the operationId its schema declares.
     */
    routeTable(): Array<{ method: string; url: string; action: string; hidden: boolean; operationId: string | undefined }>;
  }
  interface FastifyContextConfig {
    /** The access-policy action this route needs; every route must declare one. */
    action?: string;
  }
}

/**
 * Deny by default, enforced at start: every route (ours and plugins', registered after this
 * one) must declare `config.action` naming an action of the access policy, or the app refuses
 * to start. Registered first so that no route escapes it.
 */
export default fp<{ policy: AccessPolicy }>(
  async function routeContractPlugin(fastify, { policy }) {
    const routes: RouteOptions[] = [];
    fastify.addHook('onRoute', (route) => {
      routes.push(route);
    });
    const methodsOf = (r: RouteOptions) => (Array.isArray(r.method) ? r.method : [r.method]).map(String);
    // Fastify adds a HEAD route beside each GET (and plugins add their own): only a HEAD
    // operation of the API's contracts (the tus offset), with its operationId, is a route here.
    const autoHead = (m: string, r: RouteOptions) => m === 'HEAD' && (!(r.schema as { operationId?: string } | undefined)?.operationId || routes.some((o) => o.url === r.url && methodsOf(o).includes('GET')));
    fastify.decorate('routeTable', () =>
      routes.flatMap((r) => {
        const schema = r.schema as { hide?: boolean; operationId?: string } | undefined;
        return methodsOf(r)
          .filter((m) => !autoHead(m, r))
          .map((m) => ({ method: String(m), url: r.url, action: String(r.config?.action), hidden: schema?.hide === true, operationId: schema?.operationId }));
      }),
    );
    fastify.addHook('onReady', async () => {
      const bad = routes
        .filter((r) => !methodsOf(r).every((m) => autoHead(m, r)))
        .filter((r) => !r.config?.action || !policy.has(r.config.action))
        .map((r) => `${String(r.method)} ${r.url} (${r.config?.action ? `unknown action ${r.config.action}` : 'no action declared'})`);
      if (bad.length > 0) throw new Error(`routes without a valid access action:\n  ${bad.join('\n  ')}`);
    });
  },
  { name: 'route-contract' },
);
