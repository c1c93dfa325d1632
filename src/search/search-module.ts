import { defineModule, route } from '../module.js';

/** The blind index: finding a case by who it is about without the server reading names (docs/crypto-v1.md §16). */
export default defineModule({
  name: 'search',
  permissions: ['search_key.create', 'search_key.read', 'search_key.list', 'search_key.grant', 'search_key.remove', 'search_key.reissue', 'search_key.reindex', 'case.search_tokens', 'case.search'],
  routes: [route(() => import('./search-routes.js'), (c) => ({ searchKey: c.services.searchKey, searchTokens: c.services.searchTokens, reindex: c.services.searchReindex }))],
});
