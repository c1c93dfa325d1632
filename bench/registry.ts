import type { Benchmark } from './lib/report.js';

/**
 * Every benchmark `npm run bench` knows, in the order they run. Adding one is one line: its
 * name (what `npm run bench -- <name>` selects) and a lazy import of its module, whose default
 * export comes from `defineBenchmark`. Modules load only when selected, so a benchmark's heavy
 * dependencies (autocannon, a database) cost nothing to the others.
 */
export const registry: Record<string, () => Promise<{ default: Benchmark }>> = {
  'sdk-seal': () => import('./sdk-seal.bench.js'),
  'audit-verify': () => import('./audit-verify.bench.js'),
  'audit-read': () => import('./audit-read.bench.js'),
  audit: () => import('./audit.bench.js'),
  'triage-queue': () => import('./triage-queue.bench.js'),
  filing: () => import('./filing.bench.js'),
  escalation: () => import('./escalation.bench.js'),
  console: () => import('./console.bench.js'),
  files: () => import('./files.bench.js'),
  stats: () => import('./stats.bench.js'),
  scale: () => import('./scale.bench.js'),
  backup: () => import('./backup.bench.js'),
  metrics: () => import('./metrics.bench.js'),
};
