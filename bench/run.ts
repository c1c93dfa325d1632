/**
 * `npm run bench` runs every registered benchmark; `npm run bench -- <name> [<name>...]` only the
 * named ones; `npm run bench -- --list` lists them. Prints a table of figures to stdout (progress
 * goes to stderr) and writes bench/results/latest.json (and bench/results/<name>.json for each). With `--strict` the exit code is 1 when a
 * figure misses its target (always 1 when a benchmark crashes).
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { registry } from './registry.js';
import {
  type BenchContext,
  type BenchRecord,
  type ResultsFile,
  type Row,
  gitInfo,
  machineInfo,
  renderRows,
  round,
  writeResults,
} from './lib/report.js';
import { nowMs } from './lib/stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const resultsFile = path.join(here, 'results', 'latest.json');

function usage(): string {
  return `usage: npm run bench [-- [--strict] [<name>...]]\n       npm run bench -- --list\nbenchmarks: ${Object.keys(registry).join(', ')}`;
}

/** `--expose-gc` cannot be passed through `tsx` from package.json; the flag can be set at run time. */
function exposeGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as unknown;
  return typeof gc === 'function' ? () => void (gc as () => unknown)() : () => undefined;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(usage());
    return 0;
  }
  if (args.includes('--list')) {
    for (const name of Object.keys(registry)) console.log(name);
    return 0;
  }
  const strict = args.includes('--strict');
  const names = args.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !(n in registry));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}\n${usage()}`);
    return 2;
  }
  const selected = names.length > 0 ? Object.keys(registry).filter((n) => names.includes(n)) : Object.keys(registry);

  const gc = exposeGc();
  const startedAt = new Date().toISOString();
  const machine = machineInfo(v8.getHeapStatistics().heap_size_limit);
  const git = gitInfo(path.join(here, '..'));
  console.error(`bench: ${selected.join(', ')} on ${machine.cpuModel} (${machine.cores} cores), node ${machine.node}`);

  const rows: Row[] = [];
  const records: BenchRecord[] = [];
  for (const name of selected) {
    const load = registry[name]!;
    const t0 = nowMs();
    const ctx: BenchContext = {
      log: (message) => console.error(`[${name}] ${message}`),
      gc,
    };
    let record: BenchRecord;
    try {
      const benchmark = (await load()).default;
      console.error(`[${name}] ${benchmark.title}`);
      gc();
      const out = await benchmark.run(ctx);
      rows.push(...out.rows.map((r) => ({ bench: name, ...r })));
      record = { name, title: benchmark.title, durationSeconds: 0, error: null, notes: out.notes ?? [], details: out.details ?? {} };
    } catch (err) {
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      console.error(`[${name}] failed: ${message}`);
      record = { name, title: name, durationSeconds: 0, error: message, notes: [], details: {} };
    }
    record.durationSeconds = round((nowMs() - t0) / 1000, 1);
    console.error(`[${name}] done in ${record.durationSeconds} s`);
    records.push(record);
    gc();
  }

  const loadAverageAtEnd = os.loadavg().map((l) => round(l, 2));
  const results: ResultsFile = { schema: 1, startedAt, finishedAt: new Date().toISOString(), selected, machine, loadAverageAtEnd, git, rows, benchmarks: records };
  writeResults(resultsFile, results);
  // Each benchmark's latest figures also in a file of its own, so that running one does not hide
  // the others' (the README's table is made from these).
  for (const record of records) {
    writeResults(path.join(here, 'results', `${record.name}.json`), { ...results, selected: [record.name], rows: rows.filter((r) => r.bench === record.name), benchmarks: [record] });
  }

  console.log(`\negide benchmarks: ${machine.cpuModel}, ${machine.cores} cores, ${machine.totalMemoryGiB} GiB, node ${machine.node} (${machine.platform} ${machine.arch})`);
  console.log(`commit ${git.commit ?? 'unknown'}${git.dirty ? ' (dirty)' : ''}, ${startedAt}, load average ${machine.loadAverage[0] ?? '?'} at start, ${loadAverageAtEnd[0] ?? '?'} at end\n`);
  console.log(renderRows(rows));
  const baselines = new Map<string, string[]>();
  for (const r of rows) if (r.baselineLabel !== null) baselines.set(r.baselineLabel, [...(baselines.get(r.baselineLabel) ?? []), r.figure]);
  if (baselines.size > 0) {
    console.log('\nbaselines (measured in this run, beside the figures):');
    for (const [label, figures] of baselines) console.log(`  ${label}\n    for ${figures.join('; ')}`);
  }
  for (const rec of records) {
    if (rec.notes.length === 0 && rec.error === null) continue;
    console.log(`\n${rec.name}:`);
    if (rec.error !== null) console.log(`  ERROR ${rec.error.split('\n')[0] ?? ''}`);
    for (const note of rec.notes) console.log(note.replace(/^/gm, '  '));
  }
  const failed = rows.filter((r) => r.pass === false);
  const crashed = records.filter((r) => r.error !== null);
  console.log(`\n${rows.length} figure(s), ${rows.filter((r) => r.pass === true).length} pass, ${failed.length} fail, ${crashed.length} benchmark(s) crashed; written to ${path.relative(process.cwd(), resultsFile)}`);
  if (crashed.length > 0) return 1;
  return strict && failed.length > 0 ? 1 : 0;
}

process.exitCode = await main();
