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
      }),
    },
    [401, 403],
  ),
});
