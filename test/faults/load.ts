/**
 * The load generator: defenders file cases (sealed on the client with the SDK, under ids the
 * client chooses) and officers move them through the workflow (acknowledge, then admit, request
 * information or decline), reading them on the way, while the faults happen. A command that gets
 * no answer or a 503 is retried as a client would; every attempt goes into the journal, and each
 * command ends with what the client knows of it.
 */
import { randomUUID } from 'node:crypto';
import { prepareFiling } from '../../src/sdk/index.js';
import { call, type Deployment, type Journal, type Person } from './http-client.js';
import { baseMetadata } from '../helpers/world.js';

/** What the client knows of a command once it gave up retrying. */
export type CommandOutcome =
  /** a 2xx answer */
  | 'applied'
  /** no answer to an attempt, then a retry refused as already done (409): the lost attempt applied */
  | 'applied_earlier'
  /** no answer to the last attempts, and no way to know */
  | 'unknown'
  /** only definite refusals or 503s: must have left nothing */
  | 'not_applied';

export interface Command {
  kind: 'file' | 'acknowledge' | 'admit' | 'request_info' | 'decline';
  caseId: string;
  actor: string;
  outcome: CommandOutcome;
  attempts: number;
  /** statuses of the attempts (null: no response) */
  statuses: Array<number | null>;
  firstAt: number;
  lastAt: number;
}

export const TRANSITIONS = ['admit', 'request_info', 'decline'] as const;

export interface CaseScript {
  caseId: string;
  /** the plaintext sealed in this case: must never appear in a log */
  marker: string;
  body: ReturnType<typeof prepareFiling>['body'];
  fileAt: number;
  officer: number;
  /** seconds after filing, if ever */
  ackAfter: number | null;
  next: { transition: (typeof TRANSITIONS)[number]; after: number } | null;
  readAfter: number | null;
}


/** A seeded generator, so that a failing run can be replayed with the same plan (FAULTS_SEED). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/**
 * The cases and what happens to each. A first group is filed at once (its reminders fall due
 * together: the burst during which a worker is killed); the rest are spread over `fileWindow`
 * seconds. Prepared up front: Argon2id runs once per filing, on the client, and would otherwise
 * slow the load itself.
 */
export function planCases(
  dep: Deployment,
  opts: { count: number; burst: number; burstAt: number; fileWindow: [number, number]; random: () => number; ackAfter?: [number, number]; nextAfter?: [number, number]; readAfter?: [number, number] },
): CaseScript[] {
  const { random } = opts;
  const between = (a: number, b: number) => a + (b - a) * random();
  const scripts: CaseScript[] = [];
  for (let i = 0; i < opts.count; i++) {
    const caseId = randomUUID();
    const marker = `FAULTS-MARKER-${randomUUID()}`;
    const filing = prepareFiling({ intakeKey: dep.intakeKey, pinnedKeyId: dep.intakeKey.keyId, caseId, metadata: baseMetadata, secrets: { identity: marker, contact: `+223 ${marker}`, narrative: `Menaces ${marker}` } });
    const acked = random() < 0.8;
    const r = random();
    const transition = r < 0.35 ? 'admit' : r < 0.55 ? 'request_info' : r < 0.7 ? 'decline' : null;
    scripts.push({
      caseId,
      marker,
      body: filing.body,
      fileAt: i < opts.burst ? opts.burstAt : between(...opts.fileWindow),
      officer: i % dep.officers.length,
      ackAfter: acked ? between(...(opts.ackAfter ?? [3, 45])) : null,
      next: acked && transition ? { transition, after: between(...(opts.nextAfter ?? [2, 20])) } : null,
      readAfter: acked ? between(...(opts.readAfter ?? [0, 5])) : null,
    });
  }
  return scripts;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export interface LoadOptions {
  /** API base URLs; each case uses one, in turn */
  apis: Array<{ name: string; base: string }>;
  dep: Deployment;
  journal: Journal;
  /** t = 0 of the plan (epoch ms) */
  t0: number;
  /** nothing new is started after this (epoch ms); retries stop too */
  stopAt: number;
}

/** Runs every case's script concurrently; resolves with the commands once all have ended. */
export async function runLoad(scripts: CaseScript[], opts: LoadOptions): Promise<Command[]> {
  const commands: Command[] = [];
  const at = (seconds: number) => opts.t0 + seconds * 1000;

  async function command(api: { name: string; base: string }, kind: Command['kind'], caseId: string, who: Person | null, path: string, body: unknown): Promise<CommandOutcome> {
    const statuses: Array<number | null> = [];
    let uncertain = false;
    const firstAt = Date.now();
    let outcome: CommandOutcome | null = null;
    for (let attempt = 1; outcome === null; attempt++) {
      const startedAt = Date.now();
      const o = await call(api.base, 'POST', path, { ...(who ? { headers: who.auth() } : {}), body });
      opts.journal.add({ ...o, api: api.name, kind, caseId, actor: who?.username ?? 'defender', attempt, startedAt, endedAt: Date.now() });
      statuses.push(o.status);
      if (o.status !== null && o.status >= 200 && o.status < 300) outcome = 'applied';
      else if (o.status === 409 && uncertain && (o.code === 'already_exists' || o.code === 'invalid_transition')) outcome = 'applied_earlier';
      else if (o.status !== null && o.status !== 503 && o.status < 500) outcome = 'not_applied';
      else {
        // No answer: the command may have committed before the connection went. A 503 (or any 5xx)
        // is a definite answer that nothing was done, but must be retried.
        if (o.status === null) uncertain = true;
        if (Date.now() > opts.stopAt) outcome = uncertain ? 'unknown' : 'not_applied';
        else await sleep(500);
      }
    }
    commands.push({ kind, caseId, actor: who?.username ?? 'defender', outcome, attempts: statuses.length, statuses, firstAt, lastAt: Date.now() });
    return outcome;
  }

  async function read(api: { name: string; base: string }, caseId: string, who: Person): Promise<void> {
    const startedAt = Date.now();
    const o = await call(api.base, 'GET', `/v1/cases/${caseId}`, { headers: who.auth() });
    opts.journal.add({ ...o, api: api.name, kind: 'read', caseId, actor: who.username, attempt: 1, startedAt, endedAt: Date.now() });
  }

  async function runCase(s: CaseScript, index: number): Promise<void> {
    const api = opts.apis[index % opts.apis.length]!;
    const officer = opts.dep.officers[s.officer]!;
    await sleep(at(s.fileAt) - Date.now());
    if (Date.now() > opts.stopAt) return;
    const filed = await command(api, 'file', s.caseId, null, '/v1/cases', s.body);
    if (filed !== 'applied' && filed !== 'applied_earlier') return;
    const filedAt = Date.now();
    if (s.ackAfter === null) return;
    await sleep(filedAt + s.ackAfter * 1000 - Date.now());
    if (Date.now() > opts.stopAt) return;
    const acked = await command(api, 'acknowledge', s.caseId, officer, `/v1/cases/${s.caseId}/acknowledge`, {});
    if (acked !== 'applied' && acked !== 'applied_earlier') return;
    const ackedAt = Date.now();
    const steps: Array<Promise<void>> = [];
    if (s.readAfter !== null) {
      const readAfter = s.readAfter;
      steps.push(
        (async () => {
          await sleep(ackedAt + readAfter * 1000 - Date.now());
          if (Date.now() <= opts.stopAt) await read(api, s.caseId, officer);
        })(),
      );
    }
    if (s.next) {
      const next = s.next;
      steps.push(
        (async () => {
          await sleep(ackedAt + next.after * 1000 - Date.now());
          if (Date.now() > opts.stopAt) return;
          const body = next.transition === 'admit' ? {} : { reason: `faults run: ${next.transition}`, ...(next.transition === 'decline' ? { declineReason: 'outside_mandate' } : {}) };
          await command(api, next.transition, s.caseId, officer, `/v1/cases/${s.caseId}/${next.transition.replace(/_/g, '-')}`, body);
        })(),
      );
    }
    await Promise.all(steps);
  }

  await Promise.all(scripts.map((s, i) => runCase(s, i)));
  return commands;
}

/** Polls /readyz of an API every `everyMs` until `stopAt`, journaling each answer. */
export async function monitorReadiness(api: { name: string; base: string }, journal: Journal, stopAt: () => number, everyMs = 250): Promise<void> {
  while (Date.now() < stopAt()) {
    const startedAt = Date.now();
    const o = await call(api.base, 'GET', '/readyz', { timeoutMs: 10_000 });
    journal.add({ ...o, api: api.name, kind: 'readyz', caseId: null, actor: 'probe', attempt: 1, startedAt, endedAt: Date.now() });
    await sleep(startedAt + everyMs - Date.now());
  }
}
