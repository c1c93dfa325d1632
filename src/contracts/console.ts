import { Type } from 'typebox';
import { responses } from '../lib/schemas.js';
import { operation } from './operation.js';

export const getConsoleSettings = operation('getConsoleSettings', {
  security: [],
  tags: ['console'],
  summary: "What the staff console needs before anyone signs in: the mechanism's time zone and the idle lock (public, nothing about any case)",
  response: responses(
    {
      200: Type.Object(
        {
          timeZone: Type.String({ maxLength: 64, description: 'IANA time zone of policies/calendar.yaml: dates and times are shown in it' }),
          idleLockMinutes: Type.Integer({ minimum: 1, maximum: 120, description: 'policies/console.yaml: the console locks after this long without activity' }),
        },
        { additionalProperties: false },
      ),
    },
    [],
  ),
});
