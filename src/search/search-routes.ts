import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/search.js';
import type { SearchKeyService } from './search-key-service.js';
import type { SearchTokenService } from './search-token-service.js';
import type { SearchReindexService } from './search-reindex-service.js';

export interface SearchRoutesOptions {
  searchKey: SearchKeyService;
  searchTokens: SearchTokenService;
  reindex: SearchReindexService;
}

/** The blind index: the staff keyring of the search key (its re-issue), case tokens (re-indexed after it), and search. */
const searchRoutes: FastifyPluginAsyncTypebox<SearchRoutesOptions> = async (fastify, { searchKey, searchTokens, reindex }) => {
  fastify.route({
    ...routeOf(api.createSearchKeyring),
    config: { action: 'search_key.create' },
    handler: async (request, reply) => reply.code(201).send(await searchKey.create(ctxOf(request), request.body)),
  });

  fastify.route({
    ...routeOf(api.getOwnSearchKey),
    config: { action: 'search_key.read' },
    handler: async (request) => searchKey.own(ctxOf(request)),
  });

  fastify.route({
    ...routeOf(api.listSearchKeyring),
    config: { action: 'search_key.list' },
    handler: async (request) => searchKey.list(ctxOf(request)),
  });

  fastify.route({
    ...routeOf(api.grantSearchKey),
    config: { action: 'search_key.grant' },
    handler: async (request, reply) => reply.code(201).send(await searchKey.grant(ctxOf(request), request.body)),
  });

  fastify.route({
    ...routeOf(api.removeSearchKeyEntry),
    config: { action: 'search_key.remove' },
    handler: async (request) => searchKey.remove(ctxOf(request), request.params.userId, request.query.reason ?? null),
  });

  fastify.route({
    ...routeOf(api.reissueSearchKey),
    config: { action: 'search_key.reissue' },
    handler: async (request, reply) => reply.code(201).send(await searchKey.reissue(ctxOf(request), request.body)),
  });

  fastify.route({
    ...routeOf(api.getSearchReindex),
    config: { action: 'search_key.reindex' },
    handler: async (request) => reindex.remaining(ctxOf(request), Number(request.query.limit ?? 20)),
  });

  fastify.route({
    ...routeOf(api.reindexSearchCase),
    config: { action: 'search_key.reindex' },
    handler: async (request) => reindex.reindex(ctxOf(request), request.params.caseId, request.body),
  });

  fastify.route({
    ...routeOf(api.putCaseSearchTokens),
    config: { action: 'case.search_tokens' },
    handler: async (request) => searchTokens.replace(ctxOf(request), request.params.caseId, request.body.tokens, request.body.generation),
  });

  fastify.route({
    ...routeOf(api.searchCases),
    // A search is a guess tested against every case in scope: it shares the case list's per-user budget.
    config: { action: 'case.search', limit: 'caseList' },
    handler: async (request) => searchTokens.search(ctxOf(request), request.body),
  });
};

export default searchRoutes;
