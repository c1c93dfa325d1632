// The import rules of the code base, checked by test/architecture/dependencies.test.ts (and by
// `npx depcruise src workers web` for a report). Layers are matched by path, so a new file falls
// into its layer by where it lives and what it is called, without an edit here:
//
//   kernel        src/lib, src/config, src/sdk, src/contracts: imported by every layer, imports
//                 nothing but the kernel
//   data          src/db, src/queues, src/outbox, *-repository.ts, *-queries.ts
//   services      every other file under src/ (*-service.ts, policies, domain rules)
//   routes        *-routes.ts; plugins: src/plugins
//   composition   src/app.ts, src/services.ts, src/container.ts, src/modules.ts (or src/modules/),
//                 a domain's module.ts or *-module.ts, src/server.ts, src/main.ts, src/api-main.ts,
//                 src/cli
//   workers/      may import src/; of src/, only the composition imports workers/ (a module
//                 starts its queues and processors, main.ts starts the workers)
//   web/, sdk     browser code: only the SDK and the API contracts
//
// Imports point down that list, never up, and never in a cycle.

const KERNEL = '^src/(lib|config|sdk|contracts)/';
const DATA = ['^src/(db|queues|outbox)/', '^src/.+-(repository|queries)[.]ts$'];
const PLUGINS = '^src/plugins/';
const ROUTES = ['^src/.+-routes[.]ts$', '^src/.+/routes/'];
const COMPOSITION = ['^src/(app|services|container|module|modules|worker-api|server|main|api-main)[.]ts$', '^src/modules/', '^src/.+(-module|/module)[.]ts$', '^src/cli/'];
const SERVICES_BY_NAME = ['^src/.+-(service|command|commands)[.]ts$', '^src/.+/(services|commands)/'];
/** Browser code may import these, and nothing else outside its own folder. */
const BROWSER_SAFE = '^src/(sdk/(?!node/)|contracts/)';
const OWN_CODE = '^(src|workers|web)/';

/**
 * KNOWN BREACHES, each with its reason: ignored by the rules until fixed. The test fails when one
 * no longer occurs, so its entry goes with the fix. (`npx depcruise` calls them stale all along:
 * it also compares the kind of import; the test matches on from, to and rule.)
 */
const known = [
];

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-cycle',
      comment: 'A cycle ties modules so that none can be read, tested or loaded on its own; move the shared part (often a type) to its own file. A cycle through a dynamic import() is not one: the console loads a role\'s screens as a chunk that imports the main bundle back (web/console/lazy-screens.ts).',
      severity: 'error',
      from: { path: OWN_CODE },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['dynamic-import'] } },
    },
    {
      name: 'kernel-imports-only-kernel',
      comment: 'The kernel (src/lib, src/config, src/sdk, src/contracts) is imported by every layer, so it imports none of them.',
      severity: 'error',
      from: { path: KERNEL },
      to: { path: OWN_CODE, pathNot: KERNEL },
    },
    {
      name: 'sdk-imports-no-server-code',
      comment: 'The SDK runs in the browser: it imports only itself and the API contracts (src/sdk/node is the Node-only part).',
      severity: 'error',
      from: { path: '^src/sdk/(?!node/)' },
      to: { path: OWN_CODE, pathNot: BROWSER_SAFE },
    },
    {
      name: 'web-imports-no-server-code',
      comment: 'The web pages are bundled for the browser: they import only the SDK and the API contracts.',
      severity: 'error',
      from: { path: '^web/' },
      to: { path: '^(src|workers)/', pathNot: BROWSER_SAFE },
    },
    {
      name: 'src-imports-no-workers',
      comment: 'Workers run the services of src/ in the background; src/ does not know them, except the composition (the entry points and the modules that start their worker part).',
      severity: 'error',
      from: { path: '^src/', pathNot: COMPOSITION },
      to: { path: '^workers/' },
    },
    {
      name: 'repository-imports-no-service',
      comment: 'Repositories read and write rows for the services above them; they import no service, route, plugin or composition module.',
      severity: 'error',
      from: { path: DATA },
      to: { path: [...SERVICES_BY_NAME, ...ROUTES, PLUGINS, ...COMPOSITION] },
    },
    {
      name: 'repository-returns-no-problem',
      comment: 'Repositories return data or null; whether that is a refusal (an AppError, a problem code) is for the service to say.',
      severity: 'error',
      from: { path: DATA },
      to: { path: '^src/lib/problem[.]ts$' },
    },
    {
      name: 'service-imports-no-plugin',
      comment: 'Services do not depend on the HTTP framework: a type they share with a plugin lives in the service layer or the kernel.',
      severity: 'error',
      from: { path: '^src/', pathNot: [KERNEL, PLUGINS, ...ROUTES, ...COMPOSITION] },
      to: { path: PLUGINS },
    },
    {
      name: 'service-imports-no-route',
      comment: 'Services are called by routes and by the composition root, never the other way round.',
      severity: 'error',
      from: { path: '^src/', pathNot: [KERNEL, PLUGINS, ...ROUTES, ...COMPOSITION] },
      to: { path: [...ROUTES, ...COMPOSITION] },
    },
    {
      name: 'plugin-imports-no-route',
      comment: 'Plugins serve every route; they import no route and no composition module.',
      severity: 'error',
      from: { path: PLUGINS, pathNot: COMPOSITION },
      to: { path: [...ROUTES, ...COMPOSITION] },
    },
    {
      name: 'route-imports-no-composition',
      comment: 'Routes get their services from the composition root; they do not import it.',
      severity: 'error',
      from: { path: ROUTES },
      to: { path: COMPOSITION },
    },
    {
      name: 'import-resolves',
      comment: 'Every import is found (a missed one would hide its module from every rule here).',
      severity: 'error',
      from: { path: OWN_CODE },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // TypeScript 7 has no compiler API for dependency-cruiser; swc parses TypeScript, type-only
    // imports included (a cycle through types is still a cycle).
    parser: 'swc',
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/|^dist/' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'types', 'default'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    knownViolations: known.map(({ from, to, rule }) => ({ type: 'dependency', from, to, rule: { name: rule, severity: 'error' } })),
  },
};
