import Fastify, { type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { randomUUID } from 'node:crypto';
import type { DestinationStream } from 'pino';
import type { Config } from './config/config.js';
import app, { type AppOptions } from './app.js';
import { frameworkErrorHandler } from './plugins/errors.js';
import { CENSOR, REDACT_PATHS, serializeRequest } from './lib/log-redaction.js';
import { parseTrustProxy, trustProxyOption, type TrustProxy } from './config/trust-proxy.js';

export function loggerOptions(config: Config, stream?: DestinationStream) {
  return {
    level: config.LOG_LEVEL,
    redact: { paths: REDACT_PATHS, censor: CENSOR },
    // Every request logs its URL: the query's sensitive values are replaced first.
    serializers: { req: serializeRequest },
    ...(stream ? { stream } : {}),
  };
}

/** Builds the Fastify instance with the app registered; does not listen. */
export async function buildServer(opts: AppOptions & { logStream?: DestinationStream }): Promise<FastifyInstance> {
  const { config } = opts;
  const fastify = Fastify({
    logger: loggerOptions(config, opts.logStream),
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    // Validated by loadConfig: a bad value never gets this far.
    trustProxy: trustProxyOption(parseTrustProxy(config.TRUST_PROXY) as TrustProxy),
    bodyLimit: config.BODY_LIMIT,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    frameworkErrors: frameworkErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>();
  await fastify.register(app, opts);
  return fastify;
}
