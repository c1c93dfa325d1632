import type { FastifyInstance, FastifyPluginCallback } from 'fastify';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { AccessService } from '../access/access-service.js';
import { queueNames } from '../queues/registry.js';
import type { QueueReaders } from '../queues/queue-readers.js';
import { ctxOf } from './context.js';
import { AppError, problemDocument } from '../lib/problem.js';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/**
 * The bull-board queue dashboard at /admin/queues, for the admin role only (`queues.dashboard`).
 * Every route of it (the page, its static files, its JSON API) takes that action, as the OpenAPI
 * plugin does for the swagger-ui routes, so the auth hook refuses a request without a bearer
 * token (401) or from another role (403) before bull-board sees it; each page and API call
 * allowed is audited (static files are not: they are bull-board's own code).
 *
 * Read-only: jobs hold ids only (deadline, delivery), and PostgreSQL is the truth (the reconciler
 * and the delivery sweep re-create lost jobs), so the dashboard is for looking, never for retrying
 * or deleting jobs behind the audit log's back.
 *
 * Opening it in a browser: the dashboard sends no token of its own, so every request (page,
 * static files, its API calls) must carry `Authorization: Bearer <admin access token>`: log in
 * as an admin (the SDK or `POST /v1/auth/login`), then set that header for this origin with a
 * header-injecting browser extension or a local reverse proxy, and open /admin/queues/. The
 * access token lasts ACCESS_TOKEN_TTL_SECONDS (15 min at most); refresh and set it again.
 */
export async function registerQueueDashboard(fastify: FastifyInstance, deps: { queues: Pick<QueueReaders, 'handle'>; access: Pick<AccessService, 'authorize'> }): Promise<void> {
  // The composition root's handles, on the API's own connection (fail fast): a Redis outage makes the dashboard's API fail, not hang.
  const queues = queueNames.map((name) => deps.queues.handle(name));
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode: true })), serverAdapter, options: { uiConfig: { boardTitle: 'egide queues' } } });

  await fastify.register(async (board) => {
    board.addHook('onRoute', (route) => {
      route.config = { ...(route.config ?? {}), action: 'queues.dashboard' };
      route.schema = { ...(route.schema ?? {}), hide: true };
    });
    board.addHook('preHandler', async (request) => {
      if (request.url.startsWith(`${QUEUE_DASHBOARD_PATH}/static/`)) return;
      // Read-only is enforced here, not left to bull-board: its readOnlyMode still answers 200 to
      // pause-all/resume-all and runs its own validators on the other writes (found by the access
      // matrix). A write is refused before bull-board sees it.
      if (request.method !== 'GET') throw new AppError('method_not_allowed', 'the queue dashboard is read-only');
      const { audited } = await deps.access.authorize(ctxOf(request), 'queues.dashboard', { resource: `queues:${request.routeOptions.url ?? QUEUE_DASHBOARD_PATH}` }, undefined, { read: true, deferAudit: true });
      await audited;
    });
    // bull-board answers its own refusals (an unknown queue or job, a bad parameter) with JSON of
    // its own; the API's contract is problem+json for every 4xx (found by test/security/fuzz).
    board.addHook('onSend', async (request, reply, payload) => {
      const status = reply.statusCode;
      if (status < 400 || String(reply.getHeader('content-type') ?? '').startsWith('application/problem+json')) return payload;
      const code = status === 404 ? 'not_found' : status === 405 ? 'method_not_allowed' : status >= 500 ? 'internal' : 'validation_failed';
      void reply.type('application/problem+json; charset=utf-8');
      return JSON.stringify(problemDocument(code, undefined, request.id));
    });
    // bull-board sets an error handler of its own on its routes; ours must answer their refusals
    // (401/403 problems from the auth hook), so its call is ignored in its scope.
    const bullBoard = serverAdapter.registerPlugin();
    const withOurErrors: FastifyPluginCallback = (instance, opts, done) => {
      Object.defineProperty(instance, 'setErrorHandler', { value: () => instance, configurable: true });
      bullBoard(instance, opts, done);
    };
    await board.register(withOurErrors, { prefix: QUEUE_DASHBOARD_PATH });
  });
}
