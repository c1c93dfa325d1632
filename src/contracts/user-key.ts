import { Type } from 'typebox';
import { Uuid, responses } from '../lib/schemas.js';
import { PublicKeyFields } from './shared.js';
import { operation } from './operation.js';

export const getUserPublicKey = operation('getUserPublicKey', {
  tags: ['users'],
  summary: "A colleague's public key, keyId and fingerprint, to seal a case envelope or a keyring entry to them (audited)",
  description:
    "Officers and supervisors read the keys of the mechanism's active officers and supervisors; a partner member those of its own organisation's active members. Anyone else (another organisation's member, an admin, a disabled account) answers 404. Recompute the keyId from publicKey before sealing to it; compare the fingerprint with the person out of band.",
  security: [{ bearer: [] }],
  params: Type.Object({ userId: Uuid }),
  response: responses({ 200: Type.Object({ userId: Uuid, ...PublicKeyFields }) }, [401, 403, 404]),
});
