import { Type } from 'typebox';
import { B64u, KeyId, PublicKey, Uuid, responses } from '../lib/schemas.js';
import { operation } from './operation.js';

export const getIntakeKey = operation('getIntakeKey', {
  security: [],
  tags: ['keys'],
  summary: "The mechanism's intake key, its keyId and the receipt salt (public; clients pin the keyId and refuse another)",
  response: responses(
    {
      200: Type.Object({
        orgId: Uuid,
        publicKey: PublicKey,
        keyId: KeyId,
        receiptSalt: B64u(22, '16-byte salt for defenders’ receipts'),
        kdf: Type.Object({ alg: Type.Literal('argon2id13'), opslimit: Type.Integer(), memlimit: Type.Integer() }),
      }),
    },
    [404],
  ),
});
