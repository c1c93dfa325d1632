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

/** Which search key: 1 for the first, one more at each re-issue (docs/crypto-v1.md §16.1). */
const Generation = Type.Integer({ minimum: 1, description: 'the generation of the search key: 1 for the first, one more at each re-issue' });

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
        generation: Generation,
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
  description: 'With `generation` (the one the granter opened), a grant sealing a key re-issued since is refused (409 search_key_changed).',
  body: Type.Object({ userId: Uuid, entry: SearchKeyEntry, generation: Type.Optional(Generation) }, { additionalProperties: false, examples: [{ userId: ex.userId, entry: ex.keyringEntry, generation: 1 }] }),
  response: responses({ 201: Type.Object({ userId: Uuid, memberKeyId: KeyId }) }, [400, 401, 403, 404, 409]),
});

const ReissueEntry = Type.Object({ userId: Uuid, memberKeyId: KeyId, entry: SearchKeyEntry }, { additionalProperties: false });

export const reissueSearchKey = operation('reissueSearchKey', {
  tags: ['search'],
  summary: 'Re-issue the search key (a member left): a new key made on the client of a holder, sealed to every active member; the previous key can no longer be fetched, and the cases are re-indexed with the new one',
  description:
    "The caller is a supervisor who holds the current search key and the mechanism key (they re-index every case after). `generation` is the one being replaced (409 search_key_changed if another re-issue came first). The entries are exactly the active members of the keyring, each sealed to their registered key: one missing is refused with 409 search_key_member_missing, one for a disabled user or someone holding no entry with 400. Every entry of the previous key is deleted in the same transaction. Until a case is re-indexed (GET /v1/search-key/reindex), no search finds it: a search matches the new key's tokens only.",
  security: [{ bearer: [] }],
  body: Type.Object(
    { generation: Generation, entries: Type.Array(ReissueEntry, { minItems: 1, maxItems: 200 }) },
    { additionalProperties: false, examples: [{ generation: 1, entries: [{ userId: ex.userId, memberKeyId: ex.memberKeyId, entry: ex.keyringEntry }] }] },
  ),
  response: responses({ 201: Type.Object({ generation: Generation, entries: Type.Integer(), casesToReindex: Type.Integer({ minimum: 0, description: 'cases whose tokens were computed with an older key: no search finds them until re-indexed' }) }) }, [400, 401, 403, 404, 409]),
});

export const getSearchReindex = operation('getSearchReindex', {
  tags: ['search'],
  summary: "After a re-issue: how many cases still hold tokens of an older search key, and the next ones with their sealed name and contact and mechanism envelopes, for a holder's client to re-index (audited)",
  description:
    'Recomputed from the database on every call, so a run that stopped half-way continues from what remains. Only a supervisor who holds the current search key and the mechanism key asks; only the sealed `identity` and `contact` fields are served (what a case is searchable by), and each case served is named in the audit.',
  security: [{ bearer: [] }],
  querystring: Type.Object({ limit: Type.Optional(Type.String({ pattern: '^(?:[1-9]|[1-4][0-9]|50)$', description: 'how many cases to serve, 1 to 50 (default 20)' })) }, { additionalProperties: false }),
  response: responses(
    {
      200: Type.Object({
        generation: Generation,
        tokensPerCase: Type.Integer({ description: 'exactly how many tokens each case takes (policies/search.yaml)' }),
        remaining: Type.Integer({ minimum: 0, description: 'cases (not purged) whose tokens were computed with an older key' }),
        cases: Type.Array(
          Type.Object({
            caseId: Uuid,
            reference: Type.String({ maxLength: 32 }),
            keyEpoch: Type.Integer({ minimum: 1 }),
            fields: Type.Record(Type.String(), Type.String(), { description: 'the sealed identity and contact, when the case has them' }),
            envelopes: Type.Array(Type.Object({ keyId: KeyId, envelope: Type.String() }), { description: "the case key sealed to the mechanism's keys" }),
          }),
          { maxItems: 50 },
        ),
      }),
    },
    [401, 403, 404],
  ),
});

export const reindexSearchCase = operation('reindexSearchCase', {
  tags: ['search'],
  summary: "Replace one case's tokens of an older search key with tokens computed with the current one (a holder's client re-indexing after a re-issue)",
  description:
    'Exactly the policy\'s count of tokens, computed with the key of `generation`, which must be the current one (409 search_key_changed). Idempotent: a case already re-indexed answers `reindexed: false` and keeps its tokens. When no case is left to re-index, every token of an older key still stored is deleted.',
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }, { additionalProperties: false }),
  body: Type.Object({ generation: Generation, tokens: Type.Array(SearchToken, { minItems: 1, maxItems: 64, uniqueItems: true }) }, { additionalProperties: false, examples: [{ generation: 2, tokens: exampleTokens }] }),
  response: responses({ 200: Type.Object({ caseId: Uuid, generation: Generation, reindexed: Type.Boolean(), remaining: Type.Integer({ minimum: 0 }) }) }, [400, 401, 403, 404, 409]),
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
  description: 'With `generation` (of the key the tokens were computed with), tokens of a key re-issued since are refused (409 search_key_changed).',
  body: Type.Object({ tokens: Type.Array(SearchToken, { minItems: 1, maxItems: 64, uniqueItems: true }), generation: Type.Optional(Generation) }, { additionalProperties: false, examples: [{ tokens: exampleTokens }] }),
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
