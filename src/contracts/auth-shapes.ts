import { Type } from 'typebox';
import { B64u, KeyId, PublicKey, Username, Versioned } from '../lib/schemas.js';
import { ex } from '../lib/openapi-examples.js';

const AuthKey = Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: 'b64u(kdf(master, 1, "egideaut")), 32 bytes' });
const Totp = Type.String({ pattern: '^[0-9]{6}$', description: 'RFC 6238 code' });
const Wrap = Versioned(120, 'v1.<nonce>.<secretbox(privateKey)>');

export const PreloginBody = Type.Object({ username: Username }, { additionalProperties: false, examples: [{ username: ex.username }] });

export const PreloginReply = Type.Object({
  salt: B64u(22, '16-byte salt'),
  opslimit: Type.Integer(),
  memlimit: Type.Integer(),
  alg: Type.Literal('argon2id13'),
});

export const LoginBody = Type.Object({ username: Username, authKey: AuthKey, totp: Totp }, { additionalProperties: false, examples: [{ username: ex.username, authKey: ex.b64u32, totp: ex.totp }] });

export const TokenReply = Type.Object({
  accessToken: Type.String({ maxLength: 2000 }),
  refreshToken: Type.String({ maxLength: 100 }),
  expiresIn: Type.Integer({ description: 'seconds' }),
  tokenType: Type.Literal('Bearer'),
});

export const RefreshBody = Type.Object({ refreshToken: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }) }, { additionalProperties: false, examples: [{ refreshToken: ex.b64u32 }] });

const PasswordMaterialSchema = {
  salt: B64u(22, '16-byte salt'),
  verifier: B64u(43, 'b64u(SHA-256(authKey))'),
  wrappedPrivateKey: Wrap,
};

export const ChangePasswordBody = Type.Object(
  { currentAuthKey: AuthKey, totp: Totp, ...PasswordMaterialSchema, recoveryWrap: Type.Optional(Wrap) },
  { additionalProperties: false, examples: [{ currentAuthKey: ex.b64u32, totp: ex.totp, salt: ex.salt, verifier: ex.b64u32b, wrappedPrivateKey: ex.wrap }] },
);

export const AccountReply = Type.Object({
  id: Type.String(),
  username: Type.String(),
  role: Type.String(),
  orgId: Type.String(),
  publicKey: PublicKey,
  keyId: KeyId,
  wrappedPrivateKey: Type.String(),
  recoveryWrap: Type.String(),
  keyring: Type.Array(
    Type.Object({ orgId: Type.String(), orgKeyId: Type.String(), orgPublicKey: Type.String(), current: Type.Boolean(), memberKeyId: Type.String(), entry: Type.String() }),
  ),
});

export const RecoveryStartBody = Type.Object({ username: Username }, { additionalProperties: false, examples: [{ username: ex.username }] });

export const RecoveryStartReply = Type.Object({ challengeId: Type.String({ format: 'uuid' }), challenge: Type.String(), recoveryWrap: Type.String() });

export const RecoveryFinishBody = Type.Object(
  {
    username: Username,
    challengeId: Type.String({ format: 'uuid' }),
    answer: B64u(43, 'the opened challenge, 32 bytes'),
    totp: Totp,
    publicKey: PublicKey,
    ...PasswordMaterialSchema,
    recoveryWrap: Versioned(120, 'v1.<nonce>.<secretbox(privateKey)> under a NEW recovery code (docs/crypto-v1.md §6.3): the code just used stops working'),
  },
  {
    additionalProperties: false,
    examples: [{ username: ex.username, challengeId: ex.userId, answer: ex.b64u32, totp: ex.totp, publicKey: ex.publicKey, salt: ex.salt, verifier: ex.b64u32b, wrappedPrivateKey: ex.wrap, recoveryWrap: ex.wrap }],
  },
);

export const TotpResetStartBody = Type.Object({ reason: Type.String({ minLength: 3, maxLength: 500 }) }, { additionalProperties: false, examples: [{ reason: 'Téléphone perdu, identité vérifiée en personne' }] });

export const TotpResetStartReply = Type.Object({
  userId: Type.String({ format: 'uuid' }),
  token: Type.String({ description: 'one-time, handed to the user out of band' }),
  expiresAt: Type.String({ format: 'date-time' }),
});

export const TotpResetFinishBody = Type.Object(
  {
    username: Username,
    token: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: 'the token the admin handed over' }),
    authKey: AuthKey,
    totpSecret: Type.String({ pattern: '^[A-Z2-7]{32,64}$', description: 'base32 TOTP secret the client generated and showed the user (random: a predictable one is refused)' }),
    totpCode: Totp,
  },
  { additionalProperties: false, examples: [{ username: ex.username, token: ex.b64u32, authKey: ex.b64u32b, totpSecret: ex.totpSecret, totpCode: ex.totp }] },
);
