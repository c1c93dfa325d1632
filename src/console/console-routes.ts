import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/console.js';
import { ctxOf } from '../plugins/context.js';
import type { ConsoleService } from './console-service.js';

export interface ConsoleRoutesOptions {
  settings: { timeZone: string; idleLockMinutes: number };
  console: ConsoleService;
}

/** What the console reads before anyone signs in, and the policy catalogues it reads after. */
const consoleRoutes: FastifyPluginAsyncTypebox<ConsoleRoutesOptions> = async (fastify, opts) => {
  fastify.route({
    ...routeOf(api.getConsoleSettings),
    config: { action: 'console.read' },
    handler: async () => opts.settings,
  });
  fastify.route({
    ...routeOf(api.getConsoleCatalogues),
    config: { action: 'console.catalogues' },
    handler: async (request) => opts.console.catalogues(ctxOf(request)),
  });
};

export default consoleRoutes;
