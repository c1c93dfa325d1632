import type { BaseLogger } from 'pino';

/**
 * What background code (workers, the start-up sequence) logs with: a pino logger of its own, or
 * the API's Fastify logger when the API and the workers share a process.
 */
export type Logger = Pick<BaseLogger, 'debug' | 'info' | 'warn' | 'error'>;
