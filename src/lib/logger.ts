import type { BaseLogger } from 'pino';

/**
 * What background code (workers, the start-up sequence) logs with: a pino logger of its own, or
 * the API's Fastify logger when the API and the workers share a process.
 */
export type Logger = Pick<BaseLogger, 'debug' | 'info' | 'warn' | 'error'>;

/** A logger that drops everything: for processes that were given none (the CLI). */
export const silentLogger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
