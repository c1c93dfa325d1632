import { Type, type Static } from 'typebox';
import { Timestamp, Uuid, responses } from '../lib/schemas.js';
import { operation } from './operation.js';

export const Payload = Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), { description: 'ids and codes only: caseId, deadlineId, rule, step, dueAt, action, code...' });

const Notification = Type.Object({
  id: Uuid,
  caseId: Type.Union([Uuid, Type.Null()]),
  reference: Type.Union([Type.String(), Type.Null()]),
  topic: Type.String(),
  payload: Payload,
  createdAt: Timestamp,
  readAt: Type.Union([Timestamp, Type.Null()]),
});

/** One notification as the inbox shows it. */
export type NotificationView = Static<typeof Notification>;

export const Limit = Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|100)$' });

export const listNotifications = operation('listNotifications', {
  tags: ['notifications'],
  summary: "The caller's notifications, newest first (keyset pages: pass the last item's createdAt and id)",
  security: [{ bearer: [] }],
  querystring: Type.Object(
    { unread: Type.Optional(Type.String({ pattern: '^(?:true|false)$' })), limit: Type.Optional(Limit), afterAt: Type.Optional(Timestamp), afterId: Type.Optional(Uuid) },
    { additionalProperties: false },
  ),
  response: responses({ 200: Type.Object({ items: Type.Array(Notification) }) }, [401, 403]),
});

export const markNotificationRead = operation('markNotificationRead', {
  tags: ['notifications'],
  summary: 'Mark one of my notifications read (another user’s is not found)',
  security: [{ bearer: [] }],
  params: Type.Object({ id: Uuid }, { additionalProperties: false }),
  response: responses({ 200: Notification }, [401, 403, 404]),
});

export const markAllNotificationsRead = operation('markAllNotificationsRead', {
  tags: ['notifications'],
  summary: 'Mark all my notifications read',
  security: [{ bearer: [] }],
  response: responses({ 200: Type.Object({ marked: Type.Integer() }) }, [401, 403]),
});

export const listCaseNotices = operation('listCaseNotices', {
  tags: ['notifications'],
  summary: 'What the defender has been told on their case, newest first; `pending` says whether the deadline a reminder is about is still open',
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }, { additionalProperties: false }),
  querystring: Type.Object({ limit: Type.Optional(Limit) }, { additionalProperties: false }),
  response: responses({ 200: Type.Object({ items: Type.Array(Type.Object({ ...Notification.properties, pending: Type.Union([Type.Boolean(), Type.Null()]) })) }) }, [401, 403, 404]),
});
