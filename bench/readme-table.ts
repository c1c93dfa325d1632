/**
 * `npm run bench:readme` writes the table of bench/results/latest.json into README.md, between
 * the `<!-- bench:table -->` markers: the README always shows a whole run, as it came out.
 * Only figures with a target or a baseline are shown; the JSON has every row and note.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatNumber, type ResultsFile, type Row } from './lib/report.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const START = '<!-- bench:table -->';
const END = '<!-- /bench:table -->';

const cell = (s: string) => s.replace(/\|/g, '\\|');

/**
 * The scale rows run every API and worker process on the machine that also runs PostgreSQL, Redis
 * and the load generator: their ratio says how those processes contend for its cores, and a
 * reader must not take it for what a second machine adds.
 */
function scaleCaveat(cores: number): string {
  return `The scale rows (2 API + 2 worker processes against 1 + 1) ran on ${cores} cores shared with PostgreSQL, Redis and the load generator: the ratio shows contention for those cores, not capacity. Past one machine each process brings its own cores and the shared PostgreSQL becomes the limit.`;
}

export function markdownTable(results: ResultsFile): string {
  const rows = results.rows.filter((r: Row) => r.target !== null || r.baseline !== null);
  const lines = [
    `Run of ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC, commit ${results.git.commit?.slice(0, 7) ?? 'unknown'}${results.git.dirty ? ' (with uncommitted changes)' : ''}: ${results.machine.cpuModel}, ${results.machine.cores} cores, Node ${results.machine.node}; load average ${results.machine.loadAverage.map((l) => l.toFixed(2)).join(' ')} at start. Benchmarks: ${results.selected.join(', ')}.`,
    '',
    '| bench | figure | value | baseline (same run) | ratio | target | pass |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) =>
      [
        r.bench,
        cell(r.figure),
        `${formatNumber(r.value)} ${r.unit}`,
        r.baseline === null ? '-' : `${formatNumber(r.baseline)} ${r.unit}`,
        r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`,
        r.target === null ? '-' : cell(r.target),
        r.pass === null ? '-' : r.pass ? 'yes' : '**no**',
      ].join(' | '),
    ).map((l) => `| ${l} |`),
    '',
    'Baselines, measured beside each figure:',
    ...[...new Map(rows.filter((r) => r.baselineLabel).map((r) => [`${r.bench}: ${r.baselineLabel}`, r])).keys()].map((label) => `- ${cell(label)}`),
    ...(rows.some((r) => r.bench === 'scale') ? ['', scaleCaveat(results.machine.cores)] : []),
  ];
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const results = JSON.parse(readFileSync(path.join(root, 'bench', 'results', 'latest.json'), 'utf8')) as ResultsFile;
  const readmePath = path.join(root, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md has no ${START} ... ${END} block`);
  writeFileSync(readmePath, `${readme.slice(0, a + START.length)}\n${markdownTable(results)}\n${readme.slice(b)}`);
  console.log(`README.md: ${results.rows.length} figures of ${results.startedAt}`);
}
