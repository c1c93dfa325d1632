import { Type } from 'typebox';
import { KeyId, Username, Uuid, responses } from '../lib/schemas.js';
import { PublicKeyFields } from './shared.js';
import { operation } from './operation.js';

const StaffMember = Type.Object({
  userId: Uuid,
  username: Username,
  role: Type.Union([Type.Literal('officer'), Type.Literal('supervisor'), Type.Literal('partner')]),
  keyId: KeyId,
  fingerprint: PublicKeyFields.fingerprint,
});

export const listStaffDirectory = operation('listStaffDirectory', {
  tags: ['users'],
  summary: "The active colleagues who may hold the caller's organisation's keys (id, username, role, key fingerprint), to pick one by name (audited): the mechanism's officers and supervisors for staff, its own organisation's members for a partner member",
  description: 'Never a secret: no wrapped key, no recovery wrap, no TOTP. Read the public key itself with getUserPublicKey before sealing to it.',
  security: [{ bearer: [] }],
  response: responses({ 200: Type.Object({ items: Type.Array(StaffMember) }) }, [401, 403]),
});
