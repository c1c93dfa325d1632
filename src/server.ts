import Fastify, { type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { randomUUID } from 'node:crypto';
import type { DestinationStream } from 'pino';
import type { Config } from './config/config.js';
import app, { type AppOptions } from './app.js';
import { frameworkErrorHandler } from './plugins/errors.js';
import { parseTrustProxy, trustProxyOption, type TrustProxy } from './config/trust-proxy.js';

/**
 * Log redaction: secrets and sealed content must never reach the logs. Fastify logs no bodies
 * by default; these paths cover headers and anything a handler might log by mistake.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-receipt"]',
  'res.headers["set-cookie"]',
  '*.authKey',
  '*.accessToken',
  '*.refreshToken',
  '*.password',
  '*.receipt',
  '*.token',
  '*.totp',
  '*.totpSecret',
  '*.verifier',
  '*.wrappedPrivateKey',
  '*.recoveryWrap',
  '*.envelope',
  '*.sealed',
  'body',
  'req.body',
];

export function loggerOptions(config: Config, stream?: DestinationStream) {
  return {
    level: config.LOG_LEVEL,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
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
