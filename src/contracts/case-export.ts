import { Type, type Static } from 'typebox';
import { Timestamp, Uuid, responses } from '../lib/schemas.js';
import { operation } from './operation.js';

/** The parts of a case a printed dossier may hold: codes only, never what they say. */
const Section = Type.Union([Type.Literal('meta'), Type.Literal('facts'), Type.Literal('timeline'), Type.Literal('assessments'), Type.Literal('measures'), Type.Literal('referrals'), Type.Literal('files')], { description: 'a part of the dossier: meta, facts, timeline, assessments, measures, referrals, files' });

export type ExportSection = Static<typeof Section>;

const RecordCaseExportBody = Type.Object(
  {
    sections: Type.Array(Section, { minItems: 1, maxItems: 7, uniqueItems: true, description: 'what the printed dossier holds (codes only: the content never leaves the reader\'s client)' }),
  },
  { additionalProperties: false, examples: [{ sections: ['meta', 'facts', 'timeline', 'assessments', 'measures', 'referrals', 'files'] }] },
);

export const recordCaseExport = operation('recordCaseExport', {
  tags: ['cases'],
  summary: 'Record that a reader of the case prints or exports its dossier (audited as case.export) before the client prints it',
  description:
    'The client prints nothing until this answers: the audit event names the reader, the time and the sections, never their content. The assigned officer, or a supervisor part of the case or with an open break-glass.',
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }),
  body: RecordCaseExportBody,
  response: responses(
    {
      201: Type.Object({
        caseId: Uuid,
        exportId: Type.String({ maxLength: 80, description: 'the request id of the audit event that records the export (the audit log\'s requestId)' }),
        at: Timestamp,
        sections: RecordCaseExportBody.properties.sections,
      }),
    },
    [401, 403, 404, 409],
  ),
});
