import { Type, type Static } from 'typebox';
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

const Labelled = Type.Object({ code: Type.String({ maxLength: 64 }), fr: Type.String({ maxLength: 200 }), en: Type.String({ maxLength: 200 }) }, { additionalProperties: false });
const Labels = Type.Object({ fr: Type.String({ maxLength: 200 }), en: Type.String({ maxLength: 200 }) }, { additionalProperties: false });
const CodedLabel = Type.Object({ code: Type.String({ maxLength: 64 }), label: Labels }, { additionalProperties: false });

const ConsoleCatalogues = Type.Object(
  {
    intake: Type.Record(Type.String({ maxLength: 40 }), Type.Array(Labelled), { description: 'the code lists of policies/intake.yaml, with their French and English labels' }),
    risk: Type.Object(
      {
        rating: Type.Object({ min: Type.Integer(), max: Type.Integer() }, { additionalProperties: false }),
        levels: Type.Record(Type.String({ maxLength: 16 }), Type.Object({ label: Labels, from: Type.Number(), urgentTrack: Type.Boolean(), checkInHours: Type.Union([Type.Integer(), Type.Null()]), reviewDays: Type.Integer() }, { additionalProperties: false })),
        thresholdsHundredths: Type.Record(Type.String({ maxLength: 16 }), Type.Integer(), { description: "each level's lower bound in hundredths: the console computes the level as the server does" }),
        override: Type.Object({ kind: Type.String(), feasible: Type.String(), imminent: Type.Boolean(), level: Type.String(), urgent: Type.Boolean() }, { additionalProperties: false }),
        threatSources: Type.Array(CodedLabel),
        vulnerabilityFactors: Type.Array(CodedLabel),
        capacityFactors: Type.Array(CodedLabel),
      },
      { additionalProperties: false, description: 'policies/risk.yaml' },
    ),
    workflow: Type.Object(
      {
        closeReasons: Type.Array(Type.String({ maxLength: 64 })),
        declineReasons: Type.Array(Labelled, { description: 'why a request was declined, as codes the statistics count' }),
        transitions: Type.Array(
          Type.Object(
            {
              name: Type.String({ maxLength: 64 }),
              description: Type.String({ maxLength: 500 }),
              from: Type.Array(Type.String({ maxLength: 32 })),
              to: Type.Union([Type.String({ maxLength: 32 }), Type.Null()], { description: 'the state it leads to; null when the case stays in its state (a reassignment)' }),
              requires: Type.Array(Type.String({ maxLength: 16 })),
              closeReason: Type.Optional(Type.String({ maxLength: 64 })),
            },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false, description: 'policies/workflow.yaml: what each transition asks for (which of them a user may take on a case is decided per case by the API)' },
    ),
    files: Type.Object(
      {
        maxFileBytes: Type.Integer({ minimum: 0, description: 'the largest ciphertext one file may be: the console refuses a bigger file before encrypting anything' }),
        uploadChunkBytes: Type.Integer({ minimum: 1, description: 'bytes per tus PATCH' }),
        inMemoryDownloadMaxBytes: Type.Integer({ minimum: 0, description: 'the largest file a browser without the File System Access API assembles in memory' }),
        stripLocationByDefault: Type.Boolean({ description: 'whether "remove location" starts ticked for staff' }),
      },
      { additionalProperties: false, description: 'policies/files.yaml: what the console needs to upload and download evidence files' },
    ),
  },
  { additionalProperties: false },
);

/** What getConsoleCatalogues answers. */
export type ConsoleCatalogues = Static<typeof ConsoleCatalogues>;

export const getConsoleCatalogues = operation('getConsoleCatalogues', {
  security: [{ bearer: [] }],
  tags: ['console'],
  summary: "The policy catalogues the console's forms and labels use (intake lists, risk model, workflow) and its evidence-file settings, for staff",
  response: responses({ 200: ConsoleCatalogues }, [401, 403]),
});
