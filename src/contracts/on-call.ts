import { Type, type Static } from 'typebox';
import { Nullable, Timestamp, Uuid, responses } from '../lib/schemas.js';
import { operation } from './operation.js';
import { markNotificationRead } from './notification.js';

const Language = Type.Union([Type.Literal('fr'), Type.Literal('en')], { description: 'the language of the notice' });
const Email = Type.String({ format: 'email', maxLength: 254, description: 'the on-call e-mail address (staff personal data: never logged)' });
const Phone = Type.String({ pattern: '^\\+[0-9]{6,15}$', maxLength: 16, description: 'the on-call phone number, international form (+223...)' });

/** One slot of the roster as a supervisor writes it. */
const RosterEntryInput = Type.Object(
  {
    userId: Uuid,
    position: Type.Integer({ minimum: 1, maximum: 20, description: '1 is paged first, then 2 if 1 does not acknowledge in time...' }),
    startsAt: Timestamp,
    endsAt: Timestamp,
    email: Nullable(Email),
    phone: Nullable(Phone),
    language: Language,
  },
  { additionalProperties: false },
);

/** A slot of the roster; the contact points only for those who may edit the roster. */
export const RosterEntry = Type.Object(
  {
    id: Uuid,
    userId: Uuid,
    username: Type.String({ maxLength: 64 }),
    role: Type.String({ maxLength: 20 }),
    position: Type.Integer(),
    startsAt: Timestamp,
    endsAt: Timestamp,
    email: Nullable(Type.String({ maxLength: 254 })),
    phone: Nullable(Type.String({ maxLength: 16 })),
    language: Language,
  },
  { additionalProperties: false },
);
export type RosterEntryShape = Static<typeof RosterEntry>;

const NoticeStatus = Type.Union([Type.Literal('none'), Type.Literal('pending'), Type.Literal('retrying'), Type.Literal('sent'), Type.Literal('failed')], { description: 'none: no such contact point on the roster' });

/** A page put to the caller: which case needs them (the notice itself said nothing of it). */
export const Page = Type.Object(
  {
    id: Uuid,
    caseId: Nullable(Uuid),
    reference: Nullable(Type.String({ maxLength: 64 })),
    topic: Type.String({ maxLength: 100 }),
    rank: Type.Integer({ description: '1: the caller was paged first; 2 and more: after others did not acknowledge' }),
    createdAt: Timestamp,
    acknowledgedAt: Nullable(Timestamp),
    email: NoticeStatus,
    sms: NoticeStatus,
  },
  { additionalProperties: false },
);
export type PageShape = Static<typeof Page>;

const Roster = Type.Object({ items: Type.Array(RosterEntry) }, { additionalProperties: false });

export const getOnCallRoster = operation('getOnCallRoster', {
  tags: ['on-call'],
  summary: 'The on-call roster: who answers out of office hours, when, in which order (contact points for supervisors only)',
  security: [{ bearer: [] }],
  response: responses({ 200: Roster }, [401, 403]),
});

export const replaceOnCallRoster = operation('replaceOnCallRoster', {
  tags: ['on-call'],
  summary: 'Replace the on-call roster (supervisors): slots of officers and supervisors, each with its order and contact points',
  security: [{ bearer: [] }],
  body: Type.Object(
    { entries: Type.Array(RosterEntryInput, { maxItems: 200 }) },
    { additionalProperties: false, examples: [{ entries: [{ userId: '0b4c2a4e-5f43-4d3e-9a51-1f7f2f1e8b10', position: 1, startsAt: '2026-12-04T17:00:00Z', endsAt: '2026-12-05T08:00:00Z', email: 'astreinte@example.org', phone: null, language: 'fr' }] }] },
  ),
  response: responses({ 200: Roster }, [400, 401, 403]),
});

export const listMyPages = operation('listMyPages', {
  tags: ['on-call'],
  summary: 'The pages put to me, newest first (the last 50)',
  security: [{ bearer: [] }],
  response: responses({ 200: Type.Object({ items: Type.Array(Page) }, { additionalProperties: false }) }, [401, 403]),
});

export const acknowledgePage = operation('acknowledgePage', {
  tags: ['on-call'],
  summary: 'Acknowledge a page put to me: nobody else is paged for it (another person’s page is not found)',
  security: [{ bearer: [] }],
  params: markNotificationRead.schema.params,
  response: responses({ 200: Page }, [401, 403, 404]),
});
