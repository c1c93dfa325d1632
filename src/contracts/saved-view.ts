import { Type, type Static } from 'typebox';
import { Timestamp, Uuid, responses } from '../lib/schemas.js';
import { ListFilters } from './case-list.js';
import { operation } from './operation.js';
import { markNotificationRead } from './notification.js';

/** What a saved view keeps of the case list's query: its filters and sort, never a page or a cursor. */
export const ViewQuery = Type.Object(ListFilters, { additionalProperties: false, description: 'the filters and sort of GET /v1/cases, as its query string takes them' });

const ViewName = Type.String({ minLength: 1, maxLength: 60, pattern: '\\S', description: 'a label the staff member chose (not case content)' });

export const SavedView = Type.Object({ id: Uuid, name: ViewName, query: ViewQuery, createdAt: Timestamp }, { additionalProperties: false });

export type SavedViewShape = Static<typeof SavedView>;

export const listSavedViews = operation('listSavedViews', {
  tags: ['cases'],
  summary: "The caller's own saved views of the case list, oldest first",
  security: [{ bearer: [] }],
  response: responses({ 200: Type.Object({ items: Type.Array(SavedView) }) }, [401, 403]),
});

export const createSavedView = operation('createSavedView', {
  tags: ['cases'],
  summary: 'Save a view of the case list (a name and its filters and sort), up to the number policies/limits.yaml allows',
  security: [{ bearer: [] }],
  body: Type.Object({ name: ViewName, query: ViewQuery }, { additionalProperties: false, examples: [{ name: 'Urgents de Mopti', query: { region: 'mopti', urgent: 'true', sort: 'due' } }] }),
  response: responses({ 201: SavedView }, [400, 401, 403, 409]),
});

export const deleteSavedView = operation('deleteSavedView', {
  tags: ['cases'],
  summary: 'Delete one of the caller’s own saved views',
  security: [{ bearer: [] }],
  // The very schema of the other route on one of one's own things (a notification): the typed client's
  // check of a call's input meets every operation's input shape at once, and one more shape was one too many.
  params: markNotificationRead.schema.params,
  response: responses({ 204: Type.Null() }, [401, 403, 404]),
});
