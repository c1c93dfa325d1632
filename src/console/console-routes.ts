import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/console.js';

export interface ConsoleRoutesOptions {
  settings: { timeZone: string; idleLockMinutes: number };
}

/** What the console reads before anyone signs in. */
const consoleRoutes: FastifyPluginAsyncTypebox<ConsoleRoutesOptions> = async (fastify, opts) => {
  fastify.route({
    ...routeOf(api.getConsoleSettings),
    config: { action: 'console.read' },
    handler: async () => opts.settings,
  });
};

export default consoleRoutes;
