import { Type } from 'typebox';
import { Timestamp, responses } from '../lib/schemas.js';
import { operation } from './operation.js';

const PolicyFile = Type.Object({
  name: Type.String({ pattern: '^[a-z0-9-]{1,60}$', description: 'the file name without `.yaml`' }),
  file: Type.String({ maxLength: 80 }),
  data: Type.Unknown({ description: 'the document as parsed and validated at start (the same file the service runs on)' }),
  source: Type.String({ maxLength: 1_000_000, description: "the file's text, comments included" }),
});

export const getPolicies = operation('getPolicies', {
  tags: ['policies'],
  summary: 'Every file of policies/ as the service loaded it at start, read-only (deadlines, ladders, risk model, measures, calendar, access rules...); never the configuration',
  security: [{ bearer: [] }],
  response: responses({ 200: Type.Object({ loadedAt: Timestamp, files: Type.Array(PolicyFile, { maxItems: 100 }) }) }, [401, 403]),
});
