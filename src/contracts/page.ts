import { Type } from 'typebox';
import { responses } from '../lib/schemas.js';
import { operation } from './operation.js';

const Labelled = Type.Object({ code: Type.String({ maxLength: 64 }), fr: Type.String({ maxLength: 200 }), en: Type.String({ maxLength: 200 }) }, { additionalProperties: false });

export const getPageSettings = operation('getPageSettings', {
  security: [],
  tags: ['page'],
  summary: "What the defender's page needs from the deployment: the configured intake keyId, the quick-exit address and the form's code lists (public, nothing about any case)",
  description:
    'The page itself is the same bytes on every deployment built with the same inputs (see /.well-known/egide/manifest.json); what differs between deployments comes from here. A page built with a pinned intake key refuses a keyId here, or an intake key, that is not the pinned one.',
  response: responses(
    {
      200: Type.Object(
        {
          intakeKeyId: Type.String({ pattern: '^(?:[A-Za-z0-9_-]{22})?$', description: "INTAKE_KEY_ID: the keyId the page encrypts for when the build pinned none; empty while online filing is not open" }),
          exitUrl: Type.String({ maxLength: 2048, description: 'QUICK_EXIT_URL: where quick exit leaves to' }),
          lists: Type.Record(Type.String({ maxLength: 40 }), Type.Array(Labelled, { maxItems: 500 }), { description: 'the code lists of policies/intake.yaml the form uses, with their French and English labels' }),
        },
        { additionalProperties: false },
      ),
    },
    [],
  ),
});
