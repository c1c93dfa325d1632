/**
 * The benchmark harness's vocabulary: what a benchmark module exports, the rows it reports, and
 * how rows are printed and written to bench/results/latest.json.
 *
 * Every row compares a measured `value` with a `baseline` measured in the same run (never a
 * constant): the same work done the plainest way possible, so a slower or faster machine moves
 * both and the ratio stays meaningful.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type Comparator = '<' | '<=' | '>' | '>=';

/**
 * A quality bar: on the value itself (`value < 5 ms`), on the ratio to the baseline, or on how far
 * the value is above the baseline (`peak RSS < 100 MiB above idle`).
 */
export interface Target {
  on: 'value' | 'ratio' | 'above';
  op: Comparator;
  limit: number;
}

/** One reported figure. `ratio` is always value / baseline. */
export interface Row {
  /** registry name of the benchmark that reported it (filled in by the harness) */
  bench: string;
  figure: string;
  value: number;
  unit: string;
  baseline: number | null;
  /** what the baseline measured, in words */
  baselineLabel: string | null;
  ratio: number | null;
  /** the bar in words, e.g. "< 5 ms" or "ratio >= 0.7" */
  target: string | null;
  pass: boolean | null;
}

export type RowInput = {
  figure: string;
  value: number;
  unit: string;
  baseline?: { value: number; label: string };
  target?: Target;
  /** when false the target is shown but not judged (e.g. a reduced run) */
  judge?: boolean;
};

export function compare(a: number, op: Comparator, b: number): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

/** Builds a row: computes the ratio to the baseline and judges the target. */
export function row(input: RowInput): Omit<Row, 'bench'> {
  const baseline = input.baseline?.value ?? null;
  const ratio = baseline !== null && baseline !== 0 ? input.value / baseline : null;
  let target: string | null = null;
  let pass: boolean | null = null;
  if (input.target) {
    const t = input.target;
    target = t.on === 'value' ? `${t.op} ${t.limit} ${input.unit}` : t.on === 'ratio' ? `ratio ${t.op} ${t.limit}` : `${t.op} ${t.limit} ${input.unit} above baseline`;
    const subject = t.on === 'value' ? input.value : t.on === 'ratio' ? ratio : baseline === null ? null : input.value - baseline;
    if (input.judge !== false && subject !== null && Number.isFinite(subject)) pass = compare(subject, t.op, t.limit);
  }
  return { figure: input.figure, value: significant(input.value), unit: input.unit, baseline: baseline === null ? null : significant(baseline), baselineLabel: input.baseline?.label ?? null, ratio: ratio === null ? null : significant(ratio), target, pass };
}

/** Four significant digits: what a benchmark can claim, and a stable diff for latest.json. */
export function significant(x: number, digits = 4): number {
  return Number.isFinite(x) && x !== 0 ? Number(x.toPrecision(digits)) : x;
}

export interface BenchContext {
  /** progress line on stderr (the table on stdout stays clean) */
  log(message: string): void;
  /** a full garbage collection, so one phase's garbage is not collected in the next one's timing */
  gc(): void;
}

export interface BenchOutput {
  rows: Array<Omit<Row, 'bench'>>;
  /** printed under the table */
  notes?: string[];
  /** written to latest.json only (breakdowns, sample counts, versions) */
  details?: Record<string, unknown>;
}

export interface Benchmark {
  title: string;
  run(ctx: BenchContext): Promise<BenchOutput>;
}

/** What a `*.bench.ts` module default-exports. */
export function defineBenchmark(benchmark: Benchmark): Benchmark {
  return benchmark;
}

export interface MachineInfo {
  node: string;
  v8: string;
  platform: string;
  arch: string;
  cpuModel: string;
  cores: number;
  logicalCpus: number;
  totalMemoryGiB: number;
  heapLimitMiB: number;
  loadAverage: number[];
}

export function machineInfo(heapLimitBytes: number): MachineInfo {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    cpuModel: (cpus[0]?.model ?? 'unknown').trim(),
    cores: os.availableParallelism(),
    logicalCpus: cpus.length,
    totalMemoryGiB: round(os.totalmem() / 2 ** 30, 1),
    heapLimitMiB: Math.round(heapLimitBytes / 2 ** 20),
    loadAverage: os.loadavg().map((l) => round(l, 2)),
  };
}

export interface GitInfo {
  commit: string | null;
  dirty: boolean | null;
}

export function gitInfo(cwd: string): GitInfo {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const status = execFileSync('git', ['status', '--porcelain'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return { commit, dirty: status.trim().length > 0 };
  } catch {
    return { commit: null, dirty: null };
  }
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Three significant digits, no exponent, thousands separated for big numbers. */
export function formatNumber(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '-';
  const abs = Math.abs(x);
  if (abs >= 1000) return Math.round(x).toLocaleString('en-US');
  if (abs >= 100) return x.toFixed(0);
  if (abs >= 10) return x.toFixed(1);
  if (abs >= 1) return x.toFixed(2);
  if (abs === 0) return '0';
  return x.toPrecision(3);
}

/** A plain-text table, left-aligned text and right-aligned numbers. */
export function renderTable(header: string[], body: string[][], rightAligned: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => {
        const w = widths[i] ?? 0;
        return rightAligned[i] ? c.padStart(w) : c.padEnd(w);
      })
      .join(' | ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('-+-');
  return [line(header), rule, ...body.map(line)].join('\n');
}

export function renderRows(rows: Row[]): string {
  const header = ['bench', 'figure', 'value', 'unit', 'baseline', 'ratio', 'target', 'pass'];
  const body = rows.map((r) => [
    r.bench,
    r.figure,
    formatNumber(r.value),
    r.unit,
    formatNumber(r.baseline),
    r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`,
    r.target ?? '-',
    r.pass === null ? '-' : r.pass ? 'PASS' : 'FAIL',
  ]);
  return renderTable(header, body, [false, false, true, false, true, true, false, false]);
}

export interface BenchRecord {
  name: string;
  title: string;
  durationSeconds: number;
  error: string | null;
  notes: string[];
  details: Record<string, unknown>;
}

export interface ResultsFile {
  schema: 1;
  startedAt: string;
  finishedAt: string;
  selected: string[];
  machine: MachineInfo;
  /** 1/5/15-minute load averages when the run ended (machine.loadAverage is at the start) */
  loadAverageAtEnd: number[];
  git: GitInfo;
  rows: Row[];
  benchmarks: BenchRecord[];
}

/** Pretty JSON, written to a temporary file and renamed so a crash never leaves half a file. */
export function writeResults(file: string, results: ResultsFile): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(results, null, 2)}\n`);
  renameSync(tmp, file);
}
