import { Type } from 'typebox';
import { KeyId, Username, Uuid, responses } from '../lib/schemas.js';
import { PublicKeyFields } from './shared.js';
import { operation } from './operation.js';

const StaffMember = Type.Object({
  userId: Uuid,
  username: Username,
  role: Type.Union([Type.Literal('officer'), Type.Literal('supervisor')]),
  keyId: KeyId,
  fingerprint: PublicKeyFields.fingerprint,
});

export const listStaffDirectory = operation('listStaffDirectory', {
  tags: ['users'],
  summary: "The mechanism's active officers and supervisors (id, username, role, key fingerprint), to pick a colleague by name (audited)",
  description: 'Never a secret: no wrapped key, no recovery wrap, no TOTP. Read the public key itself with getUserPublicKey before sealing to it.',
  security: [{ bearer: [] }],
  response: responses({ 200: Type.Object({ items: Type.Array(StaffMember) }) }, [401, 403]),
});
