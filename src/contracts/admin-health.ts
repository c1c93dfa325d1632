import { Type } from 'typebox';
import { responses } from '../lib/schemas.js';
import { operation } from './operation.js';
import { KeyholderWarning } from './custody.js';
import { Nullable } from '../lib/schemas.js';

export const Check = Type.Union([Type.Literal('up'), Type.Literal('down')]);

const Count = Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'null while PostgreSQL does not answer' });

export const getAdminHealth = operation('getAdminHealth', {
  tags: ['health'],
  summary: 'Service health for admins: dependencies, holders of the mechanism key, active admins, and what to fix',
  security: [{ bearer: [] }],
  response: responses(
    {
      200: Type.Object({
        status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
        checks: Type.Object({ database: Check, redis: Check }),
        mechanismKeyHolders: Count,
        activeAdmins: Count,
        warnings: Type.Array(Type.String({ maxLength: 500 }), { maxItems: 20 }),
        keyholderWarning: Nullable(KeyholderWarning),
        queues: Type.Array(
          Type.Object({ name: Type.String({ maxLength: 60 }), waiting: Count, active: Count, delayed: Count, failed: Count }, { description: 'counts are null while Redis does not answer' }),
          { maxItems: 50 },
        ),
        auditCheckpointAgeSeconds: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'seconds since the last signed checkpoint of the audit chain; null when none yet' }),
        auditCheckpointStale: Type.Boolean(),
        redisPersistence: Type.Object(
          {
            appendonly: Type.Union([Type.Literal('yes'), Type.Literal('no'), Type.Literal('unknown')]),
            maxmemoryPolicy: Type.String({ maxLength: 40 }),
            status: Type.Union([Type.Literal('ok'), Type.Literal('warning'), Type.Literal('unknown')]),
          },
          { description: 'whether Redis keeps the queued jobs (appendonly yes, maxmemory-policy noeviction); unknown when Redis does not answer or refuses CONFIG and INFO' },
        ),
        version: Type.String({ maxLength: 40 }),
        webBuild: Type.Union([Type.String({ pattern: '^[0-9a-f]{64}$' }), Type.Null()], { description: 'SHA-256 of the deployment manifest (/.well-known/egide/manifest.json: every served file of both web applications with its SHA-256, the commit and the build inputs); null when the web applications are not built' }),
      }),
    },
    [401, 403],
  ),
});
