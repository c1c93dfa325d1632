import type { BaseLogger } from 'pino';

/** What the workers log with: a pino logger, or the API's (Fastify) logger when in one process. */
export type WorkerLogger = Pick<BaseLogger, 'debug' | 'info' | 'warn' | 'error'>;
