import { Type } from 'typebox';
import { B64u, KeyId, PublicKey, Username, Uuid, Versioned, responses } from '../lib/schemas.js';
import { ex } from '../lib/openapi-examples.js';
import { TotpResetStartBody, TotpResetStartReply } from './auth-shapes.js';
import { operation } from './operation.js';

const StaffRoleSchema = Type.Union([Type.Literal('officer'), Type.Literal('supervisor'), Type.Literal('partner'), Type.Literal('admin')]);

const User = Type.Object({
  id: Uuid,
  username: Type.String(),
  role: StaffRoleSchema,
  orgId: Uuid,
  status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]),
  keyId: KeyId,
  createdAt: Type.String(),
  disabledAt: Type.Union([Type.String(), Type.Null()]),
});

export const inviteUser = operation('inviteUser', {
  tags: ['users'],
  summary: 'Invite a person (admin); the token is handed over out of band',
  security: [{ bearer: [] }],
  body: Type.Object({ username: Username, role: StaffRoleSchema, orgId: Uuid }, { additionalProperties: false, examples: [{ username: ex.username, role: 'officer', orgId: ex.orgId }] }),
  response: responses({ 201: Type.Object({ invitationId: Uuid, token: Type.String(), username: Type.String(), role: StaffRoleSchema, orgId: Uuid, expiresAt: Type.String() }) }, [401, 403, 409]),
});

export const completeEnrolment = operation('completeEnrolment', {
  security: [],
  tags: ['users'],
  summary: 'Complete enrolment: keys made on the client, TOTP confirmed',
  body: Type.Object(
    {
      token: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }),
      publicKey: PublicKey,
      keyId: KeyId,
      salt: B64u(22, '16-byte salt'),
      verifier: B64u(43, 'b64u(SHA-256(authKey))'),
      wrappedPrivateKey: Versioned(120),
      recoveryWrap: Versioned(120),
      totpSecret: Type.String({ pattern: '^[A-Z2-7]{32,64}$', description: 'base32 TOTP secret the client generated and showed the user' }),
      totpCode: Type.String({ pattern: '^[0-9]{6}$' }),
    },
    {
      additionalProperties: false,
      examples: [{ token: ex.b64u32, publicKey: ex.publicKey, keyId: ex.keyId, salt: ex.salt, verifier: ex.b64u32b, wrappedPrivateKey: ex.wrap, recoveryWrap: ex.wrap, totpSecret: ex.totpSecret, totpCode: ex.totp }],
    },
  ),
  response: responses({ 201: User }, [409, 429]),
});

export const listUsers = operation('listUsers', {
  tags: ['users'],
  summary: 'List users (admin), by username',
  security: [{ bearer: [] }],
  // Query values stay strings (the validator does not coerce, so bodies stay strict).
  querystring: Type.Object({ after: Type.Optional(Username), limit: Type.Optional(Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|1[0-9][0-9]|200)$' })) }, { additionalProperties: false }),
  response: responses({ 200: Type.Object({ items: Type.Array(User) }) }, [401, 403]),
});

export const disableUser = operation('disableUser', {
  tags: ['users'],
  summary: 'Disable a user (admin); every session ends at once',
  security: [{ bearer: [] }],
  params: Type.Object({ userId: Uuid }),
  body: Type.Object({ reason: Type.String({ minLength: 3, maxLength: 500 }) }, { additionalProperties: false, examples: [{ reason: 'A quitté le mécanisme le 30 novembre' }] }),
  response: responses({ 200: Type.Object({ user: User, sessionsEnded: Type.Integer() }) }, [401, 403, 404, 409]),
});

export const enableUser = operation('enableUser', {
  tags: ['users'],
  summary: 'Enable a disabled user (admin): the same account, keys and envelopes come back; the ended sessions stay ended',
  security: [{ bearer: [] }],
  params: Type.Object({ userId: Uuid }),
  body: Type.Object({ reason: Type.String({ minLength: 3, maxLength: 500 }) }, { additionalProperties: false, examples: [{ reason: 'De retour de congé' }] }),
  response: responses({ 200: Type.Object({ user: User }) }, [401, 403, 404, 409]),
});

export const startTotpReset = operation('startTotpReset', {
  tags: ['users'],
  summary: 'Start a TOTP reset for a user who lost the second factor (admin): a one-time token to hand over out of band; the same account keeps its id, keys and envelopes',
  security: [{ bearer: [] }],
  params: Type.Object({ userId: Uuid }),
  body: TotpResetStartBody,
  response: responses({ 201: TotpResetStartReply }, [401, 403, 404, 409]),
});

const Invitation = Type.Object({
  id: Uuid,
  username: Type.String(),
  role: StaffRoleSchema,
  orgId: Uuid,
  createdBy: Type.Union([Uuid, Type.Null()]),
  createdAt: Type.String(),
  expiresAt: Type.String(),
});

const InvitationToken = Type.Object({ invitationId: Uuid, token: Type.String(), username: Type.String(), role: StaffRoleSchema, orgId: Uuid, expiresAt: Type.String() });

export const listInvitations = operation('listInvitations', {
  tags: ['users'],
  summary: 'The invitations still pending (admin): never a token, which only its holder has',
  security: [{ bearer: [] }],
  querystring: Type.Object({ limit: Type.Optional(Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|1[0-9][0-9]|200)$' })) }, { additionalProperties: false }),
  response: responses({ 200: Type.Object({ items: Type.Array(Invitation) }) }, [401, 403]),
});

export const resendInvitation = operation('resendInvitation', {
  tags: ['users'],
  summary: 'A new one-time token for a pending invitation (admin); the old token stops working at once; shown once',
  security: [{ bearer: [] }],
  params: Type.Object({ invitationId: Uuid }, { additionalProperties: false }),
  response: responses({ 200: InvitationToken }, [400, 401, 403, 404, 409]),
});

export const revokeInvitation = operation('revokeInvitation', {
  tags: ['users'],
  summary: 'Revoke a pending invitation (admin): its token no longer enrols',
  security: [{ bearer: [] }],
  params: Type.Object({ invitationId: Uuid }, { additionalProperties: false }),
  response: responses({ 200: Invitation }, [400, 401, 403, 404, 409]),
});
