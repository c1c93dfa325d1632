import { Type } from 'typebox';
import { Timestamp, Uuid, responses } from '../lib/schemas.js';
import { operation } from './operation.js';

export const Reason = Type.String({
  minLength: 1,
  maxLength: 1000,
  // Not only spaces: an auditor must be able to read why.
  pattern: '\\S',
  description:
    'Why you must read this case now, for the auditors and the other supervisors (e.g. "alert raised at night, the assigned officer cannot be reached"). Stored in clear and shown on the case timeline: do not write the names of persons, places or anything from the sealed content.',
});

export const openBreakGlass = operation('openBreakGlass', {
  tags: ['cases'],
  summary: 'Open the sealed content of a case you are not part of (supervisor), with a written reason, for the window of policies/break-glass.yaml',
  description:
    'Until expiresAt, the sealed reads of the case (its sealed fields and the mechanism envelope, messages, the re-key bundle, the sealed values of its assessments, measures, reports and appeals) are served to you and each one is audited as break_glass.read with this id. Every other active supervisor is notified in-app; the case timeline shows the opening and its reason to staff. Without one, a supervisor who is not part of the case gets 403 break_glass_required there (docs/break-glass.md says who is part of a case).',
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }),
  body: Type.Object({ reason: Reason }, { additionalProperties: false, examples: [{ reason: "Alerte levée à 2 h du matin, l'agent en charge est injoignable : lecture du dossier pour décider d'une mesure urgente." }] }),
  response: responses({ 201: Type.Object({ id: Uuid, caseId: Uuid, supervisorId: Uuid, openedAt: Timestamp, expiresAt: Timestamp }) }, [401, 403, 404]),
});
