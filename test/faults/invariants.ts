/**
 * What must hold in the database after a run, whatever happened during it: every command the
 * client saw succeed is there in full (state, timeline, audit event, deadlines and their outbox
 * rows), every command refused or answered 503 left nothing, every deadline step that fell due
 * fired exactly once (one row, one timeline entry, one audit event, one notification each), and
 * the audit chain has no gap, no fork and verifies. Shared by the faults run and the scale-out test.
 */
import type postgres from 'postgres';
import type { DeadlinePolicy, DeadlineRule } from '../../src/deadlines/deadline-policy.js';
import type { WorkflowPolicy } from '../../src/cases/workflow-policy.js';
import { stepTimes } from '../../src/escalation/step-times.js';
import type { Command } from './load.js';
import type { JournalEntry } from './http-client.js';

export interface Violation {
  check: string;
  detail: string;
}

export class Findings {
  readonly violations: Violation[] = [];
  readonly passed = new Map<string, number>();
  /** Records one case of `check`: a pass, or a violation with what was seen. */
  expect(check: string, ok: boolean, detail: () => string): void {
    if (ok) this.passed.set(check, (this.passed.get(check) ?? 0) + 1);
    else this.violations.push({ check, detail: detail() });
  }
  summary(): Record<string, { passed: number; violations: number }> {
    const out: Record<string, { passed: number; violations: number }> = {};
    for (const [check, n] of this.passed) out[check] = { passed: n, violations: 0 };
    for (const v of this.violations) out[v.check] = { passed: out[v.check]?.passed ?? 0, violations: (out[v.check]?.violations ?? 0) + 1 };
    return out;
  }
}

/** Events a command records (workflow.yaml), which start, settle and pause deadlines (deadlines.yaml). */
function eventsOf(workflow: WorkflowPolicy, kind: Command['kind']): string[] {
  if (kind === 'file') return ['case.received'];
  const rule = workflow.transitions.get(kind)!;
  return [rule.event, rule.to === 'closed' ? 'case.closed' : undefined].filter((e): e is string => e !== undefined);
}

/** The deadlines (rule and state) a case must have after these events, by the policy. */
function expectedDeadlines(policy: DeadlinePolicy, events: string[]): string[] {
  const live: Array<{ rule: string; state: string }> = [];
  const rules = [...policy.rules.values()];
  for (const event of events) {
    if (event === 'case.closed') {
      for (const d of live) if (d.state === 'open' || d.state === 'paused') d.state = 'cancelled';
    } else {
      for (const d of live) {
        const rule = policy.rules.get(d.rule as DeadlineRule['name'])!;
        if ((d.state === 'open' || d.state === 'paused') && rule.ends.includes(event)) d.state = 'settled';
        else if (d.state === 'open' && rule.pause?.on === event) d.state = 'paused';
        else if (d.state === 'paused' && rule.pause?.resume === event) d.state = 'open';
      }
    }
    for (const r of rules.filter((r) => r.starts.includes(event))) live.push({ rule: r.name, state: 'open' });
  }
  return live.map((d) => `${d.rule}:${d.state}`).sort();
}

export interface StepWindow {
  /** a step due in [from, to] may fire late by up to `grace` ms after `to` */
  from: number;
  to: number;
  graceMs: number;
  label: string;
}

export interface CheckInput {
  sql: postgres.Sql;
  policy: DeadlinePolicy;
  workflow: WorkflowPolicy;
  commands: Command[];
  journal: JournalEntry[];
  /** how late a step may fire outside the fault windows (ms) */
  lateness: number;
  /** fault windows, during and after which steps may fire later */
  windows: StepWindow[];
  /** when the checks look (epoch ms): open deadlines' steps due before this must have fired */
  asOf: number;
}

export interface StepStats {
  deadlines: number;
  stepsFired: number;
  byStep: Record<string, number>;
  maxLatenessMs: number;
  /** lateness of steps due outside every fault window */
  maxLatenessOutsideFaultsMs: number;
  p99LatenessOutsideFaultsMs: number;
}

/** Commands: all or nothing, and as the client saw them. */
export async function checkCommands(f: Findings, input: CheckInput): Promise<{ cases: number }> {
  const { sql, workflow, policy, commands } = input;
  const caseIds = [...new Set(commands.map((c) => c.caseId))];
  const rows = await sql`select id, state from cases where id = any(${caseIds}::uuid[])`;
  const caseState = new Map(rows.map((r) => [r.id as string, r.state as string]));
  const timeline = await sql`select case_id, action, from_state, to_state, at from case_timeline where case_id = any(${caseIds}::uuid[]) order by id`;
  const audits = await sql`select case_id, action, outcome, resource, actor from audit_events where case_id = any(${caseIds}::uuid[])`;
  const deadlines = await sql`select d.id, d.case_id, d.rule, d.state, exists (select 1 from outbox o where o.topic = 'deadline.opened' and o.payload->>'deadlineId' = d.id::text) as relayed from deadlines d where d.case_id = any(${caseIds}::uuid[])`;
  const fields = await sql`select case_id, count(*)::int as n from case_fields where case_id = any(${caseIds}::uuid[]) group by 1`;
  const envelopes = await sql`select case_id, count(*)::int as n from case_envelopes where case_id = any(${caseIds}::uuid[]) group by 1`;
  const by = <T extends { case_id: string }>(xs: readonly T[]) => {
    const m = new Map<string, T[]>();
    for (const x of xs) m.set(x.case_id, [...(m.get(x.case_id) ?? []), x]);
    return m;
  };
  const tlOf = by(timeline as unknown as Array<{ case_id: string; action: string; from_state: string | null; to_state: string | null }>);
  const auditOf = by(audits as unknown as Array<{ case_id: string; action: string; outcome: string; resource: string; actor: string }>);
  const dlOf = by(deadlines as unknown as Array<{ case_id: string; rule: string; state: string; relayed: boolean }>);
  const nFields = new Map(fields.map((r) => [r.case_id as string, r.n as number]));
  const nEnvelopes = new Map(envelopes.map((r) => [r.case_id as string, r.n as number]));

  for (const caseId of caseIds) {
    const cmds = commands.filter((c) => c.caseId === caseId).sort((a, b) => a.firstAt - b.firstAt);
    const tl = tlOf.get(caseId) ?? [];
    const au = auditOf.get(caseId) ?? [];
    const filing = cmds.find((c) => c.kind === 'file')!;
    const exists = caseState.has(caseId);
    const filedParts = [exists, tl.some((e) => e.action === 'filed'), au.some((e) => e.action === 'request.create' && e.outcome === 'allowed'), nFields.get(caseId) === 3, nEnvelopes.get(caseId) === 2, (dlOf.get(caseId) ?? []).some((d) => d.rule === 'acknowledge')];
    // The filing: every part present or none, and as the client knows it.
    f.expect('filing all-or-nothing', filedParts.every((p) => p === filedParts[0]), () => `case ${caseId}: case/timeline/audit/fields/envelopes/deadline = ${filedParts.join('/')}`);
    if (filing.outcome === 'applied' || filing.outcome === 'applied_earlier') f.expect('acknowledged filing is stored', exists, () => `case ${caseId}: filing answered ${filing.statuses.join(',')}, no case row`);
    if (filing.outcome === 'not_applied') f.expect('refused filing left nothing', !exists && tl.length === 0 && au.length === 0, () => `case ${caseId}: filing answered ${filing.statuses.join(',')} but ${tl.length} timeline entries, ${au.length} audit events`);
    if (!exists) continue;

    // Each transition the client ran: its timeline entry and audit event once if it applied, never if refused.
    for (const c of cmds.filter((c) => c.kind !== 'file')) {
      const entries = tl.filter((e) => e.action === c.kind).length;
      const range = c.outcome === 'applied' || c.outcome === 'applied_earlier' ? [1, 1] : c.outcome === 'not_applied' ? [0, 0] : [0, 1];
      f.expect(`${c.outcome} transition recorded accordingly`, entries >= range[0]! && entries <= range[1]!, () => `case ${caseId}: ${c.kind} ${c.outcome} (answers ${c.statuses.join(',')}) but ${entries} timeline entries`);
      f.expect('no unexpected refusal', !(c.outcome === 'not_applied' && c.statuses.some((s) => s !== null && s >= 400 && s < 500)), () => `case ${caseId}: ${c.kind} refused ${c.statuses.join(',')}`);
    }
    // Every transition on the timeline has its allowed audit event (several transitions share an action).
    const perAction = new Map<string, number>();
    for (const e of tl) {
      const rule = workflow.transitions.get(e.action);
      if (rule) perAction.set(rule.action, (perAction.get(rule.action) ?? 0) + 1);
    }
    for (const [action, entries] of perAction) {
      const allowed = au.filter((e) => e.action === action && e.outcome === 'allowed' && e.resource === `case:${caseId}`).length;
      f.expect('transition and its audit event together', allowed === entries, () => `case ${caseId}: ${entries} timeline entries of ${action} but ${allowed} allowed audit events`);
    }

    // The states on the timeline follow each other and end where the case is.
    const states = tl.filter((e) => e.to_state !== null);
    let chain = true;
    for (let i = 1; i < states.length; i++) if (states[i]!.from_state !== states[i - 1]!.to_state) chain = false;
    f.expect('timeline states chain to the case state', chain && states[0]?.action === 'filed' && states.at(-1)?.to_state === caseState.get(caseId), () => `case ${caseId} in ${caseState.get(caseId)}: ${states.map((s) => `${s.action}(${s.from_state}->${s.to_state})`).join(' ')}`);

    // Deadlines as the policy says for the events that happened, each with its outbox row.
    const events = states.flatMap((s) => eventsOf(workflow, s.action === 'filed' ? 'file' : (s.action as Command['kind'])));
    const want = expectedDeadlines(policy, events);
    const dls = dlOf.get(caseId) ?? [];
    const have = dls.map((d) => `${d.rule}:${d.state}`).sort();
    f.expect('deadlines match the events', JSON.stringify(want) === JSON.stringify(have), () => `case ${caseId}: want ${want.join(',')}, have ${have.join(',')}`);
    f.expect('every deadline has its deadline.opened outbox row', dls.every((d) => d.relayed), () => `case ${caseId}: ${dls.filter((d) => !d.relayed).map((d) => d.rule).join(',')} without outbox row`);
  }

  // Reads: none served without its audit event on disk.
  const reads = input.journal.filter((e) => e.kind === 'read' && e.status === 200);
  const readAudits = await sql`select case_id, count(*)::int as n from audit_events where action = 'case.read' and outcome = 'allowed' and case_id = any(${caseIds}::uuid[]) group by 1`;
  const readCount = new Map(readAudits.map((r) => [`${r.case_id}`, r.n as number]));
  const served = new Map<string, number>();
  for (const r of reads) served.set(r.caseId!, (served.get(r.caseId!) ?? 0) + 1);
  for (const [caseId, n] of served) f.expect('every served read is audited', (readCount.get(caseId) ?? 0) >= n, () => `case ${caseId}: ${n} reads served, ${readCount.get(caseId) ?? 0} read audit events`);
  return { cases: caseState.size };
}

/** Timestamps as Dates: drizzle sets the shared postgres.js client to hand them over as strings. */
const dateOf = (x: unknown): Date => (x instanceof Date ? x : new Date(String(x)));

/** Deadline steps: due ones fired, once each, never early nor after the deadline ended; one of everything per step. */
export async function checkSteps(f: Findings, input: CheckInput): Promise<StepStats> {
  const { sql, policy } = input;
  const deadlines = await sql`select id, case_id, rule, urgent, started_at, due_at, state, settled_at, paused_at from deadlines where rule <> 'retention'`;
  const steps = await sql`select deadline_id, step, due_at, fired_at from deadline_steps`;
  const firedOf = new Map<string, Array<{ step: string; due_at: Date; fired_at: Date }>>();
  for (const s of steps) firedOf.set(s.deadline_id, [...(firedOf.get(s.deadline_id) ?? []), { step: s.step, due_at: dateOf(s.due_at), fired_at: dateOf(s.fired_at) }]);
  const latenessAll: number[] = [];
  const latenessQuiet: number[] = [];
  const byStep: Record<string, number> = {};
  for (const d of deadlines) {
    const rule = policy.rules.get(d.rule as DeadlineRule['name']);
    if (!rule) continue;
    const times = stepTimes(rule, { startedAt: dateOf(d.started_at), dueAt: dateOf(d.due_at), urgent: d.urgent });
    const end = d.state === 'open' ? input.asOf : dateOf(d.state === 'paused' ? d.paused_at : d.settled_at).getTime();
    const fired = firedOf.get(d.id) ?? [];
    for (const t of times) {
      const at = t.at.getTime();
      const row = fired.find((s) => s.step === t.step);
      const window = input.windows.find((w) => at >= w.from && at <= w.to);
      const mustBy = window ? Math.max(at, window.to) + window.graceMs : at + input.lateness;
      if (row) {
        byStep[t.step] = (byStep[t.step] ?? 0) + 1;
        const late = row.fired_at.getTime() - at;
        latenessAll.push(late);
        if (!window) latenessQuiet.push(late);
        f.expect('no step fired early', late >= 0, () => `deadline ${d.id} ${t.step}: fired ${row.fired_at.toISOString()}, due ${t.at.toISOString()}`);
        f.expect('no step fired after its deadline ended', row.fired_at.getTime() <= end, () => `deadline ${d.id} (${d.rule}, ${d.state}) ${t.step}: fired ${row.fired_at.toISOString()} after it ended`);
        f.expect('step fired within its bound', row.fired_at.getTime() <= mustBy, () => `deadline ${d.id} ${t.step}: due ${t.at.toISOString()}, fired ${late} ms late${window ? ` (${window.label})` : ''}`);
      } else {
        // Lost: due (with the allowed lateness) while the deadline was still open, and never fired.
        f.expect('no due step lost', mustBy >= end, () => `deadline ${d.id} (${d.rule}, ${d.state}) ${t.step}: due ${t.at.toISOString()}${window ? ` (${window.label})` : ''}, still unfired ${Math.round((end - at) / 1000)} s later`);
      }
    }
    f.expect('fired steps are steps of the ladder', fired.every((s) => times.some((t) => t.step === s.step)), () => `deadline ${d.id}: ${fired.map((s) => s.step).join(',')}`);
  }
  // Exactly once, counted in every place a step leaves a trace.
  const dupSteps = await sql`select count(*)::int as n from (select deadline_id, step from deadline_steps group by 1, 2 having count(*) > 1) x`;
  f.expect('one deadline_steps row per step', dupSteps[0]!.n === 0, () => `${dupSteps[0]!.n} duplicated`);
  const [tl] = await sql`
    select (select count(*)::int from case_timeline where action in ('deadline.reminder', 'deadline.escalated')) as timeline,
           (select count(*)::int from deadline_steps) as steps,
           (select count(*)::int from audit_events where resource like 'deadline:%' and action in ('deadline.reminder', 'deadline.escalated')) as audits,
           (select count(distinct (resource, reason))::int from audit_events where resource like 'deadline:%' and action in ('deadline.reminder', 'deadline.escalated')) as distinct_audits,
           (select count(*)::int from outbox where topic = 'deadline.step') as outbox,
           (select count(distinct (payload->>'deadlineId', payload->>'step'))::int from outbox where topic = 'deadline.step') as distinct_outbox`;
  f.expect('one timeline entry per step', tl!.timeline === tl!.steps, () => `${tl!.timeline} timeline entries for ${tl!.steps} steps`);
  f.expect('one audit event per step', tl!.audits === tl!.steps && tl!.distinct_audits === tl!.steps, () => `${tl!.audits} audit events (${tl!.distinct_audits} distinct) for ${tl!.steps} steps`);
  f.expect('one notification (outbox row) per step', tl!.outbox === tl!.steps && tl!.distinct_outbox === tl!.steps, () => `${tl!.outbox} deadline.step outbox rows (${tl!.distinct_outbox} distinct) for ${tl!.steps} steps`);
  const [inbox] = await sql`
    select count(*)::int as dup from (
      select payload->>'deadlineId', payload->>'step', recipient_user_id from notifications where topic = 'deadline.step' group by 1, 2, 3 having count(*) > 1) x`;
  f.expect('no inbox row twice for a step and person', inbox!.dup === 0, () => `${inbox!.dup} duplicated inbox rows`);
  // Delivered to an inbox, or still waiting in the outbox (the relay stopped with the workers): never lost.
  const [undelivered] = await sql`
    select count(*)::int as n from deadline_steps s
    where not exists (select 1 from notifications n where n.topic = 'deadline.step' and n.payload->>'deadlineId' = s.deadline_id::text and n.payload->>'step' = s.step)
      and not exists (select 1 from outbox o where o.topic = 'deadline.step' and o.dispatched_at is null and o.payload->>'deadlineId' = s.deadline_id::text and o.payload->>'step' = s.step)`;
  f.expect('every step reached an inbox or waits in the outbox', undelivered!.n === 0, () => `${undelivered!.n} steps neither in an inbox nor pending`);

  const p99 = (xs: number[]) => (xs.length === 0 ? 0 : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))]!);
  return {
    deadlines: deadlines.length,
    stepsFired: steps.length,
    byStep,
    maxLatenessMs: Math.max(0, ...latenessAll),
    maxLatenessOutsideFaultsMs: Math.max(0, ...latenessQuiet),
    p99LatenessOutsideFaultsMs: p99(latenessQuiet),
  };
}

/** The audit chain: every event chained once, seq gapless, no fork. (The hashes are verified by the audit service.) */
export async function checkChainShape(f: Findings, sql: postgres.Sql): Promise<{ events: number; chained: number; headSeq: number }> {
  const [r] = await sql`
    select (select count(*)::int from audit_events) as events,
           (select count(*)::int from audit_chain) as chained,
           (select count(distinct seq)::int from audit_chain) as seqs,
           (select count(distinct event_id)::int from audit_chain) as chained_events,
           (select count(distinct hash)::int from audit_chain) as hashes,
           (select coalesce(max(seq), 0)::int from audit_chain) as max_seq,
           (select seq::int from audit_head where id = 1) as head_seq`;
  f.expect('every audit event chained', r!.events === r!.chained, () => `${r!.events} events, ${r!.chained} chained`);
  // Each seq once, each event once, each hash once (so each is the previous hash of one event only), head at the end.
  f.expect('chain has no gap, no fork', r!.seqs === r!.chained && r!.chained_events === r!.chained && r!.hashes === r!.chained && r!.max_seq === r!.chained && r!.head_seq === r!.max_seq, () => JSON.stringify(r));
  return { events: r!.events, chained: r!.chained, headSeq: r!.head_seq };
}

/**
 * The statistics roll-up equals a recount from scratch (stats_expected(), the same definitions
 * applied to every row, the open load per officer and state included): no change was lost,
 * counted twice or left half-applied by the faults, before the folder's pending changes are
 * folded and after.
 */
export async function checkStatsRollup(f: Findings, sql: postgres.Sql): Promise<{ counters: number; pending: number }> {
  const drift = async () => sql`
    select coalesce(c.series, e.series) as series, coalesce(c.month, e.month)::text as month, coalesce(c.a, e.a) as a, coalesce(c.b, e.b) as b, c.n as rolled, e.n as recounted
    from stats_current c full join stats_expected() e on (c.series, c.month, c.a, c.b) = (e.series, e.month, e.a, e.b)
    where c.n is distinct from e.n limit 20`;
  const [p] = await sql`select count(*)::int as n from stats_deltas`;
  const before = await drift();
  f.expect('statistics roll-up equals a recount (pending changes included)', before.length === 0, () => JSON.stringify(before));
  await sql`select stats_fold(1000000)`;
  const after = await drift();
  f.expect('statistics roll-up equals a recount after folding', after.length === 0, () => JSON.stringify(after));
  const [c] = await sql`select count(*)::int as n from stats_counts where n <> 0`;
  return { counters: c!.n as number, pending: p!.n as number };
}

/** Nothing left to relay or chain: every deadline job handed to Redis and every audit event chained. */
export async function drained(sql: postgres.Sql): Promise<{ outbox: number; unchained: number }> {
  const [r] = await sql`select (select count(*)::int from outbox where dispatched_at is null and topic in ('deadline.opened', 'deadline.step')) as outbox, (select count(*)::int from audit_events e where not exists (select 1 from audit_chain c where c.event_id = e.id)) as unchained`;
  return { outbox: r!.outbox as number, unchained: r!.unchained as number };
}
