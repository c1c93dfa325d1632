import { Type } from 'typebox';
import { ex } from '../lib/openapi-examples.js';
import { KeyId, Timestamp, Uuid, Versioned, responses } from '../lib/schemas.js';
import { CaseSummarySchema } from './case-list.js';
import { PublicKeyFields } from './shared.js';
import { operation } from './operation.js';

/** `v1.<b64u(crypto_box_seal(searchKey, memberPublicKey))>`: the 32-byte search key sealed to one member. */
export const SearchKeyEntry = Versioned(120, 'v1.<b64u(crypto_box_seal(searchKey, memberPublicKey))>, 80 bytes');

/** One blind-index token: base64url of 16 bytes (docs/crypto-v1.md §16). */
const SearchToken = Type.String({ pattern: '^[A-Za-z0-9_-]{22}$', description: 'b64u(crypto_generichash(16, "egide/v1/search/<kind>/<norm(value)>", searchKey)), or random padding' });

const exampleTokens = ['2x0Yc8HcKq3v9TfR1mWZpA', 'A4kq0b2VtLw7Yx1eR9sDgQ', 'Jm3pZr8QwE2tYu5iO0aSdF'];

export const createSearchKeyring = operation('createSearchKeyring', {
  tags: ['search'],
  summary: 'Create the staff keyring: a search key made on the client of a holder of the mechanism key, sealed to its first members (once)',
  description:
    'Only when no entry exists yet (409 already_exists after). The caller must be a supervisor who holds the current mechanism key, and must be among the members; every member is an active officer or supervisor, each entry sealed to their registered key.',
  security: [{ bearer: [] }],
  body: Type.Object(
    { entries: Type.Array(Type.Object({ userId: Uuid, memberKeyId: KeyId, entry: SearchKeyEntry }, { additionalProperties: false }), { minItems: 1, maxItems: 200 }) },
    { additionalProperties: false, examples: [{ entries: [{ userId: ex.userId, memberKeyId: ex.memberKeyId, entry: ex.keyringEntry }] }] },
  ),
  response: responses({ 201: Type.Object({ entries: Type.Integer() }) }, [400, 401, 403, 409]),
});

export const getOwnSearchKey = operation('getOwnSearchKey', {
  tags: ['search'],
  summary: "The caller's own staff keyring entry (opens to the search key with their private key), and the deployment's token count per case (audited)",
  security: [{ bearer: [] }],
  response: responses(
    {
      200: Type.Object({
        memberKeyId: KeyId,
        entry: SearchKeyEntry,
        stale: Type.Boolean({ description: 'sealed to a key the caller no longer has: ask a holder for a new entry' }),
        grantedBy: Uuid,
        grantedAt: Timestamp,
        tokensPerCase: Type.Integer({ description: 'exactly how many tokens PUT /v1/cases/:caseId/search-tokens takes (policies/search.yaml)' }),
      }),
    },
    [401, 403, 409],
  ),
});

export const listSearchKeyring = operation('listSearchKeyring', {
  tags: ['search'],
  summary: 'Who holds the search key: each member, the key their entry is sealed to, who granted it and when (no entry content)',
  security: [{ bearer: [] }],
  response: responses(
    {
      200: Type.Object({
        items: Type.Array(
          Type.Object({
            userId: Uuid,
            username: Type.String(),
            role: Type.String(),
            status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]),
            keyId: Type.String({ description: 'keyId of the member key the entry is sealed to' }),
            fingerprint: PublicKeyFields.fingerprint,
            stale: Type.Boolean({ description: 'the member has changed key pair since; they need a new entry' }),
            grantedBy: Uuid,
            grantedAt: Timestamp,
          }),
        ),
      }),
    },
    [401, 403],
  ),
});

export const grantSearchKey = operation('grantSearchKey', {
  tags: ['search'],
  summary: 'A holder of the search key seals it to another officer or supervisor (their registered key, from GET /v1/users/:userId/public-key)',
  security: [{ bearer: [] }],
  body: Type.Object({ userId: Uuid, entry: SearchKeyEntry }, { additionalProperties: false, examples: [{ userId: ex.userId, entry: ex.keyringEntry }] }),
  response: responses({ 201: Type.Object({ userId: Uuid, memberKeyId: KeyId }) }, [400, 401, 403, 404, 409]),
});

export const removeSearchKeyEntry = operation('removeSearchKeyEntry', {
  tags: ['search'],
  summary: "Remove a member's staff keyring entry (a member who leaves); the key they knew should then be re-issued",
  security: [{ bearer: [] }],
  params: Type.Object({ userId: Uuid }),
  querystring: Type.Object({ reason: Type.Optional(Type.String({ minLength: 3, maxLength: 500 })) }, { additionalProperties: false }),
  response: responses({ 200: Type.Object({ userId: Uuid, removed: Type.Boolean() }) }, [401, 403, 404, 409]),
});

export const putCaseSearchTokens = operation('putCaseSearchTokens', {
  tags: ['search'],
  summary: "Replace a case's blind-index tokens with a new set of exactly the policy's count, real and random padding alike (staff who may read the case's sealed fields)",
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }),
  body: Type.Object({ tokens: Type.Array(SearchToken, { minItems: 1, maxItems: 64, uniqueItems: true }) }, { additionalProperties: false, examples: [{ tokens: exampleTokens }] }),
  response: responses({ 200: Type.Object({ caseId: Uuid, tokens: Type.Integer() }) }, [400, 401, 403, 404, 409]),
});

export const searchCases = operation('searchCases', {
  tags: ['search'],
  summary: 'The cases within the caller\'s scope that hold one of the tokens sent, most tokens matched first (tokens in the body, never in a URL)',
  description:
    'Cases outside the caller\'s scope (case.list: an officer\'s pool and own cases, every case for a supervisor) are neither returned nor counted. `excludeCaseId` leaves one case out: with the tokens of an open case, the answer is the other cases that share a token with it (a possible duplicate).',
  security: [{ bearer: [] }],
  body: Type.Object(
    {
      tokens: Type.Array(SearchToken, { minItems: 1, maxItems: 64, uniqueItems: true }),
      excludeCaseId: Type.Optional(Uuid),
    },
    { additionalProperties: false, examples: [{ tokens: exampleTokens.slice(0, 2) }] },
  ),
  response: responses({ 200: Type.Object({ items: Type.Array(Type.Object({ case: CaseSummarySchema, matched: Type.Integer({ minimum: 1, description: 'how many of the tokens sent the case holds' }) })) }) }, [400, 401, 403, 409, 429]),
});
