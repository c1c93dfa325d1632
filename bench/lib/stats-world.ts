/**
 * A mechanism's database after years of work, for the statistics and queue benchmarks: cases
 * filed over `years` up to `now` (more each year), with what happened to each as the workflow
 * would have recorded it (timeline, deadlines met or missed and their escalations, assessments,
 * measures, referrals), and an audit log of `auditEvents` staff and defenders' reads and actions
 * over the same years. Deterministic (one seed), written with COPY.
 *
 * The distributions follow a working Malian mechanism: Bamako files most requests and the
 * north few; activists and journalists are the most common defenders; most cases name one
 * threat; about a third of requests are declined, with a reason code; a fifth of cases get
 * measures, one in twenty is referred to a partner; acknowledgements take hours (minutes when
 * urgent) and some miss their deadline. Codes come from the policies (intake, risk, measures,
 * workflow), weighted here where a code is known to be common or rare; the rest share the rest.
 *
 * Loaded as the server's superuser with `session_replication_role = replica`: no trigger runs
 * (neither the statistics roll-up's nor the foreign keys'), so the rows must be, and are,
 * consistent by construction; what the triggers maintain is rebuilt afterwards by the caller
 * (`cases.next_due_at` is written here directly, from the open deadlines). The audit events are
 * chained with placeholder hashes, as the audit benchmark does: the chain is not verifiable, only
 * its tables have their real size and indexes.
 */
import postgres from 'postgres';
import type { Policies } from '../../src/policies.js';
import { CopySink, copyArray, copyInto, copyTime, copyValue as v, withoutSecondaryIndexes } from './copy-load.js';
import { Prng } from './prng.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const YEAR = 365.25 * DAY;

export interface StatsWorldInput {
  /** the server's superuser URL for this database (replication role, index drops) */
  adminUrl: string;
  cases: number;
  auditEvents: number;
  /** the end of the period, epoch ms; cases start `years` before */
  now: number;
  years: number;
  seed?: number;
  /** officers' user ids (the first ones take more cases), a supervisor's and an admin's */
  officers: readonly string[];
  supervisorId: string;
  adminId: string;
  /** partner organisations' ids, for referrals and partner-implemented measures */
  orgIds: readonly string[];
  mechanismKeyId: string;
  policies: Pick<Policies, 'intake' | 'risk' | 'measures' | 'workflow'>;
  log?: (message: string) => void;
}

export interface StatsWorldCounts {
  cases: number;
  caseTimeline: number;
  assessments: number;
  measures: number;
  referrals: number;
  deadlines: number;
  deadlineSteps: number;
  auditEvents: number;
  /** milliseconds: generating and copying, building the indexes again */
  copyMs: number;
  indexMs: number;
}

/** Items with weights; a code without a weight of its own gets `rest`. */
class Weighted<T> {
  private readonly items: T[];
  private readonly cumulative: Float64Array;

  constructor(entries: ReadonlyArray<readonly [T, number]>) {
    this.items = entries.map(([item]) => item);
    this.cumulative = new Float64Array(entries.length);
    let sum = 0;
    entries.forEach(([, w], i) => (this.cumulative[i] = sum += w));
    for (let i = 0; i < this.cumulative.length; i++) this.cumulative[i]! /= sum;
  }

  static of(codes: readonly string[], weights: Record<string, number>, rest = 1): Weighted<string> {
    return new Weighted(codes.map((c) => [c, weights[c] ?? rest] as const));
  }

  pick(r: Prng): T {
    const x = r.next();
    let i = 0;
    while (i < this.cumulative.length - 1 && this.cumulative[i]! <= x) i++;
    return this.items[i]!;
  }

  /** `k` distinct items. */
  distinct(r: Prng, k: number): T[] {
    const out: T[] = [];
    for (let tries = 0; out.length < k && tries < 50; tries++) {
      const x = this.pick(r);
      if (!out.includes(x)) out.push(x);
    }
    return out;
  }
}

const codesOf = (list: ReadonlyArray<{ code: string }>) => list.map((c) => c.code);

/** A log-normal duration: `median` ms, spread `sigma` (0.5 narrow, 1 wide). */
function lognormal(r: Prng, median: number, sigma: number): number {
  const u = Math.max(r.next(), 1e-12);
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.next());
  return median * Math.exp(sigma * z);
}

// Mali: the capital files most, the centre and south follow, the north (Kidal, Taoudénit, Ménaka) little.
const REGION_WEIGHTS = { bamako: 36, koulikoro: 10, segou: 9, sikasso: 9, mopti: 10, kayes: 6, tombouctou: 4, gao: 4.5, kidal: 1.2, taoudenit: 0.3, menaka: 1, abroad: 4, undisclosed: 5 };
const NORTH = new Set(['mopti', 'tombouctou', 'gao', 'kidal', 'taoudenit', 'menaka']);
const CATEGORY_WEIGHTS = { human_rights_activist: 26, journalist: 18, lawyer: 7, trade_unionist: 7, womens_rights_defender: 11, land_environment_defender: 8, community_leader: 12, blogger: 7, other: 4 };
const GENDER_WEIGHTS = { male: 57, female: 38, other: 1, undisclosed: 4 };
const DISABILITY_WEIGHTS = { none: 92, yes: 4, undisclosed: 4 };
const THREAT_WEIGHTS = {
  death_threat: 18, harassment: 15, judicial_harassment: 8, physical_attack: 9, arbitrary_arrest: 9, surveillance: 8, defamation: 7, threats_to_family: 6, digital_attack: 6,
  abduction: 3, property_damage: 4, sexual_violence: 2, killing_of_relative_or_colleague: 1.5, enforced_disappearance: 1.5, torture_or_ill_treatment: 2, other: 2,
};
const LANGUAGE_WEIGHTS = { fr: 48, bm: 30, ff: 6, son: 5, tmh: 4, ar: 2, en: 5 };
const CHANNEL_WEIGHTS = { phone_call: 30, whatsapp: 25, signal: 12, sms: 8, email: 8, in_person: 8, through_trusted_person: 5, egide_only: 4 };
const FILED_FOR_WEIGHTS = { self: 76, representative: 5, relative: 8, colleague: 6, ngo: 5 };
const SOURCE_WEIGHTS = { online: 58, oral_statement: 20, written_statement: 8, third_party: 9, own_initiative: 5 };
const SOURCE_SOUTH = { state_actor: 24, armed_group: 6, criminal_group: 8, community: 14, traditional_or_religious_authority: 8, employer: 7, company: 8, family: 6, unknown: 15, other: 4 };
const SOURCE_NORTH = { state_actor: 18, armed_group: 38, criminal_group: 10, community: 8, traditional_or_religious_authority: 5, employer: 2, company: 3, family: 3, unknown: 11, other: 2 };
const DECLINE_WEIGHTS = { outside_mandate: 30, not_a_defender: 22, unrelated_to_defence_work: 20, other_body_competent: 14, duplicate_request: 9, other: 5 };
const MEASURE_WEIGHTS = {
  legal_assistance: 16, medical_psychosocial_support: 12, digital_security_support: 10, self_protection_plan: 10, security_training: 8, communication_equipment: 7, temporary_relocation: 6,
  emergency_relocation: 3, safe_shelter: 3, emergency_communication_device: 4, urgent_police_protection: 2, urgent_medical_care: 3, securing_premises: 4, secure_transport: 3,
  observer_accompaniment: 3, police_patrols: 2, family_support: 4, public_statement: 3, prosecutor_liaison: 3, trial_monitoring: 4,
};
// A fake sealed value of the length sealed narratives have (the server stores them, never reads them).
const SEALED = `v2.${'Qk3kL9x2Tq0Vb8Zr4Wm1Nc7Yp5Hs6Jd'.repeat(6)}`;

interface Deadline {
  id: string;
  rule: string;
  subject: string | null;
  start: number;
  due: number;
  /** when it ended (settled, or cancelled when `cancelled`), null while open at `now` */
  end: number | null;
  cancelled: boolean;
  /** paused at `now` (triage while the defender is asked for information) */
  pausedAt: number | null;
  /** the ladder's reminder: fraction of the window before due, capped; null: no reminder */
  reminder: { fraction: number; maxLead: number } | null;
}

/** The workflow's deadline windows (policies/deadlines.yaml), working days taken as 1.4 days. */
const WINDOW = {
  acknowledge: { ordinary: 48 * HOUR, urgent: HOUR },
  triage: { ordinary: 7 * DAY, urgent: 3 * HOUR },
  info_reply: { ordinary: 14 * DAY, urgent: 14 * DAY },
  assessment: { ordinary: 10 * DAY, urgent: 72 * HOUR },
  decision: { ordinary: 4.2 * DAY, urgent: 3 * HOUR },
  consent: { ordinary: 7 * DAY, urgent: 3 * HOUR },
  approval: { ordinary: 4.2 * DAY, urgent: 3 * HOUR },
  implementation: { ordinary: 30 * DAY, urgent: 24 * HOUR },
  referral_response: { ordinary: 7 * DAY, urgent: 24 * HOUR },
  retention: { ordinary: 10 * YEAR, urgent: 10 * YEAR },
} as const;

/**
 * Fills the database and returns what it wrote. Cases are written in the order they arrived, so
 * the audit log (written after) can name cases that existed and were active at each event.
 */
export async function seedStatsWorld(input: StatsWorldInput): Promise<StatsWorldCounts> {
  const log = input.log ?? (() => undefined);
  const { intake, risk, measures: catalogue, workflow } = input.policies;
  const r = new Prng(input.seed ?? 0x57a75);
  const lists = intake.lists;
  const regions = Weighted.of(codesOf(lists.region), REGION_WEIGHTS);
  const categories = Weighted.of(codesOf(lists.defenderCategory), CATEGORY_WEIGHTS);
  const genders = Weighted.of(codesOf(lists.gender), GENDER_WEIGHTS);
  const disabilities = Weighted.of(codesOf(lists.disability), DISABILITY_WEIGHTS);
  const threats = Weighted.of(codesOf(lists.threatType), THREAT_WEIGHTS);
  const languages = Weighted.of(codesOf(lists.language), LANGUAGE_WEIGHTS);
  const channels = Weighted.of(codesOf(lists.contactChannel), CHANNEL_WEIGHTS);
  const filedFor = Weighted.of(codesOf(lists.filedFor), FILED_FOR_WEIGHTS);
  const sources = Weighted.of(codesOf(lists.source), SOURCE_WEIGHTS);
  const sourcesSouth = Weighted.of(codesOf(risk.threatSources), SOURCE_SOUTH);
  const sourcesNorth = Weighted.of(codesOf(risk.threatSources), SOURCE_NORTH);
  const declineReasons = Weighted.of(codesOf(workflow.declineReasons), DECLINE_WEIGHTS);
  const vulnerability = codesOf(risk.vulnerabilityFactors);
  const capacity = codesOf(risk.capacityFactors);
  const allMeasures = catalogue.measures;
  const measureCodes = Weighted.of(allMeasures.filter((m) => m.category !== 'urgent').map((m) => m.code), MEASURE_WEIGHTS);
  const urgentCodes = Weighted.of(allMeasures.filter((m) => m.category === 'urgent').map((m) => m.code), MEASURE_WEIGHTS);
  const levelFrom = (['extreme', 'high', 'medium', 'low'] as const).map((l) => [l, risk.levels[l].from] as const);
  // A few officers carry more of the load than the others (seniority, regions).
  const officers = new Weighted(input.officers.map((id, i) => [id, 1 / (1 + i * 0.15)] as const));
  const orgs = new Weighted(input.orgIds.map((id, i) => [id, 1 / (1 + i)] as const));
  const supervisor = input.supervisorId;

  const start = input.now - input.years * YEAR;
  // Requests grow from 1 to 2.5 a day-unit over the period (the mechanism becomes known):
  // the arrival times are the inverse of that density's distribution, a day apart on average.
  const growth = 1.5;
  const arrival = (y: number) => start + ((-1 + Math.sqrt(1 + 2 * growth * y * (1 + growth / 2))) / growth) * (input.now - start);
  // Filings come in office hours mostly: the hour of the day is drawn apart, the day from `arrival`.
  const hours = new Weighted(Array.from({ length: 24 }, (_, h) => [h, h >= 8 && h < 18 ? 6 : h >= 6 && h < 22 ? 2 : 0.4] as const));
  // Verification and the decline reason codes came in the second year: older cases say `not_stated`.
  const codesSince = start + YEAR;

  const sql = postgres(input.adminUrl, { max: 10, onnotice: () => undefined, connection: { session_replication_role: 'replica' } });
  const counts: StatsWorldCounts = { cases: 0, caseTimeline: 0, assessments: 0, measures: 0, referrals: 0, deadlines: 0, deadlineSteps: 0, auditEvents: 0, copyMs: 0, indexMs: 0 };
  const caseIds: string[] = new Array<string>(input.cases);
  const caseTimes = new Float64Array(input.cases);
  try {
    const t0 = performance.now();
    const tables = ['cases', 'case_timeline', 'assessments', 'measures', 'referrals', 'deadlines', 'deadline_steps', 'audit_events', 'audit_chain'];
    counts.indexMs = await withoutSecondaryIndexes(sql, tables, async () => {
      const sink = {
        cases: copyInto(sql, 'cases', ['id', 'reference', 'state', 'urgent', 'urgent_claimed', 'consent', 'source', 'filed_for', 'filed_by', 'region', 'defender_category', 'gender', 'disability', 'threat_types', 'preferred_language', 'contact_channel', 'receipt_verifier', 'mechanism_key_id', 'risk_level', 'assignee_id', 'created_at', 'updated_at', 'closed_at', 'close_reason', 'decline_reason', 'verification', 'next_due_at', 'next_due_rule']),
        timeline: copyInto(sql, 'case_timeline', ['case_id', 'at', 'actor', 'action', 'from_state', 'to_state', 'reason']),
        assessments: copyInto(sql, 'assessments', ['id', 'case_id', 'version', 'threats', 'vulnerability_factors', 'vulnerability_rating', 'capacity_factors', 'capacity_rating', 'score', 'level', 'override', 'sealed', 'created_by', 'created_at']),
        measures: copyInto(sql, 'measures', ['id', 'case_id', 'code', 'category', 'implementer', 'implementer_org_id', 'urgent', 'status', 'details', 'duration_days', 'proposed_by', 'proposed_at', 'consent_by', 'consent_at', 'decided_by', 'decided_at', 'starts_at', 'ends_at', 'ended_at', 'ended_by', 'end_reason', 'updated_at']),
        referrals: copyInto(sql, 'referrals', ['id', 'case_id', 'org_id', 'fields', 'purpose', 'state', 'consent_basis', 'consent_by', 'consent_at', 'created_by', 'created_at', 'sent_at', 'responded_by', 'responded_at', 'response_reason', 'ended_at', 'end_reason', 'updated_at']),
        deadlines: copyInto(sql, 'deadlines', ['id', 'case_id', 'rule', 'subject_id', 'urgent', 'started_at', 'due_at', 'state', 'level_reached', 'paused_at', 'remaining_ms', 'settled_at']),
        steps: copyInto(sql, 'deadline_steps', ['deadline_id', 'step', 'due_at', 'fired_at', 'recipients']),
      };
      const all: CopySink[] = Object.values(sink);
      const now = input.now;
      const perYear = new Map<number, number>();

      for (let i = 0; i < input.cases; i++) {
        const day = arrival((i + r.next()) / input.cases);
        const dayStart = day - (day % DAY);
        const created = Math.min(now - MINUTE, dayStart + hours.pick(r) * HOUR + r.next() * HOUR);
        const id = r.uuidV7(created);
        caseIds[i] = id;
        caseTimes[i] = created;
        const year = new Date(created).getUTCFullYear();
        const serial = (perYear.get(year) ?? 0) + 1;
        perYear.set(year, serial);

        const urgent = r.next() < 0.05;
        const region = regions.pick(r);
        const threatTypes = threats.distinct(r, r.weighted([[1, 55], [2, 30], [3, 15]] as const));
        const source = sources.pick(r);
        const withCodes = created >= codesSince;
        const defender = `d:${id}`;
        let state = 'received';
        let assignee: string | null = null;
        let updated = created;
        let closedAt: number | null = null;
        let closeReason: string | null = null;
        let declineReason: string | null = null;
        let verification = withCodes ? 'alleged' : 'not_stated';
        let riskLevel: string | null = null;
        const deadlines: Deadline[] = [];
        const timeline = (at: number, actor: string, action: string, to: string, reason: string | null = null) => {
          sink.timeline.add([id, copyTime(at), actor, action, state, to, v(reason)]);
          state = to;
          updated = Math.max(updated, at);
        };
        const deadline = (rule: keyof typeof WINDOW | 'review' | 'checkin', startAt: number, window: number, end: number | null, opts: { subject?: string; cancelled?: boolean; reminder?: Deadline['reminder'] } = {}): Deadline => {
          const d: Deadline = {
            id: r.uuidV7(startAt),
            rule,
            subject: opts.subject ?? null,
            start: startAt,
            due: startAt + window,
            end: end !== null && end <= now ? end : null,
            cancelled: opts.cancelled ?? false,
            pausedAt: null,
            reminder: opts.reminder === undefined ? { fraction: 0.5, maxLead: DAY } : opts.reminder,
          };
          deadlines.push(d);
          return d;
        };
        const windowOf = (rule: keyof typeof WINDOW) => WINDOW[rule][urgent ? 'urgent' : 'ordinary'];
        const close = (at: number, reason: string) => {
          closedAt = at;
          closeReason = reason;
          for (const d of deadlines) if (d.end === null) ((d.end = at), (d.cancelled = true));
          deadline('retention', at, WINDOW.retention.ordinary, null);
        };

        // The case's life, step by step, until `now` cuts it.
        (() => {
          const ackDue = windowOf('acknowledge');
          if (r.next() < 0.01) {
            const at = created + lognormal(r, 8 * HOUR, 1);
            if (at > now) return void deadline('acknowledge', created, ackDue, null);
            deadline('acknowledge', created, ackDue, at, { cancelled: true });
            timeline(at, defender, 'withdraw', 'closed');
            return close(at, 'consent_withdrawn');
          }
          const ackAt = created + (urgent ? lognormal(r, 35 * MINUTE, 0.8) : lognormal(r, 14 * HOUR, 1));
          deadline('acknowledge', created, ackDue, ackAt);
          if (ackAt > now) return;
          assignee = officers.pick(r);
          const officer = `u:${assignee}`;
          timeline(ackAt, officer, 'acknowledge', 'triage');

          // Triage, sometimes paused while the defender is asked for more.
          const triage = deadline('triage', ackAt, windowOf('triage'), null);
          let resumed = ackAt;
          if (!urgent && r.next() < 0.12) {
            const askAt = ackAt + lognormal(r, DAY, 0.8);
            if (askAt > now) return;
            timeline(askAt, officer, 'request_info', 'info_requested', 'Précisions demandées');
            const answers = r.next() < 0.8;
            const answerAt = askAt + (answers ? lognormal(r, 3 * DAY, 0.8) : WINDOW.info_reply.ordinary + lognormal(r, 2 * DAY, 0.5));
            deadline('info_reply', askAt, WINDOW.info_reply.ordinary, answerAt, { reminder: { fraction: 0.5, maxLead: 7 * DAY } });
            if (answerAt > now) {
              triage.pausedAt = askAt;
              return;
            }
            if (!answers) {
              timeline(answerAt, officer, 'close_unreachable', 'closed', 'Injoignable');
              return close(answerAt, 'unreachable');
            }
            timeline(answerAt, defender, 'provide_info', 'triage');
            triage.due += answerAt - askAt;
            resumed = answerAt;
          }
          const decideAt = resumed + (urgent ? lognormal(r, 2 * HOUR, 0.8) : lognormal(r, 2.5 * DAY, 0.8));
          triage.end = decideAt <= now ? decideAt : null;
          if (decideAt > now) return;
          if (r.next() < 0.32) {
            declineReason = withCodes ? declineReasons.pick(r) : 'not_stated';
            timeline(decideAt, officer, 'decline', 'closed', 'Motif expliqué à la personne');
            return close(decideAt, 'declined');
          }
          timeline(decideAt, officer, 'admit', 'assessment');

          // The assessment: threats, their sources (armed groups in the north), the level.
          let version = 0;
          const assess = (at: number) => {
            version++;
            const north = NORTH.has(region);
            const n = r.next() < 0.04 ? 0 : r.weighted([[1, 50], [2, 35], [3, 15]] as const);
            const list = Array.from({ length: n }, () => ({
              kind: r.next() < 0.7 ? 'declared' : 'possible',
              source: (north ? sourcesNorth : sourcesSouth).pick(r),
              canBeCarriedOut: r.weighted([['yes', 45], ['no', 20], ['unknown', 35]] as const),
              imminent: r.next() < (urgent ? 0.5 : 0.12),
              rating: r.int(urgent ? 3 : 1, 5),
            }));
            const vr = r.int(1, 5);
            const cr = r.int(1, 5);
            const worst = Math.max(0, ...list.map((x) => x.rating));
            const score = n === 0 ? null : (worst * vr) / cr;
            const override = list.some((x) => x.kind === 'declared' && x.canBeCarriedOut === 'yes' && x.imminent);
            const level = override ? 'extreme' : score === null ? 'low' : (levelFrom.find(([, from]) => score >= from)?.[0] ?? 'low');
            riskLevel = level;
            const aid = r.uuidV7(at);
            const factors = (codes: string[]) => copyArray(codes.filter(() => r.next() < 0.25).slice(0, 4));
            sink.assessments.add([aid, id, String(version), JSON.stringify(list), factors(vulnerability), String(vr), factors(capacity), String(cr), v(score), level, v(override), JSON.stringify({ 'reasoning.vulnerability': SEALED, 'reasoning.capacity': SEALED }), assignee!, copyTime(at)]);
          };
          const assessAt = decideAt + (urgent ? lognormal(r, DAY, 0.6) : lognormal(r, 6 * DAY, 0.6));
          deadline('assessment', decideAt, windowOf('assessment'), assessAt);
          if (assessAt > now) return;
          assess(assessAt);
          if (withCodes) verification = r.weighted([['verified', 35], ['not_verified', 10], ['alleged', 55]] as const);
          const completeAt = assessAt + lognormal(r, 2 * HOUR, 0.8);
          if (completeAt > now) return;
          timeline(completeAt, officer, 'complete_assessment', 'decision');
          if (r.next() < 0.03) {
            const at = completeAt + lognormal(r, 5 * DAY, 0.8);
            if (at > now) return;
            timeline(at, officer, 'close', 'closed', 'Risque écarté');
            return close(at, 'risk_ceased');
          }

          // The decision: measures for a third of the admitted (a fifth of all cases), none otherwise.
          const decisionAt = completeAt + (urgent ? lognormal(r, 2 * HOUR, 0.7) : lognormal(r, 1.5 * DAY, 0.8));
          const decision = deadline('decision', completeAt, windowOf('decision'), null);
          if (decisionAt > now) return;
          if (r.next() < 0.07) referral(decisionAt);
          if (r.next() >= 0.31) {
            decision.end = decisionAt;
            timeline(decisionAt, supervisor === assignee ? officer : `u:${supervisor}`, 'decide_no_measures', 'closed', 'Pas de mesure nécessaire');
            return close(decisionAt, 'no_measures');
          }
          const k = r.weighted([[1, 60], [2, 30], [3, 10]] as const);
          let protectionUntil = 0;
          let protectedFrom = Number.POSITIVE_INFINITY;
          for (let m = 0; m < k; m++) {
            const proposed = decisionAt + m * lognormal(r, HOUR, 0.5);
            const until = measure(proposed, urgent && m === 0);
            if (until !== null) {
              protectionUntil = Math.max(protectionUntil, until.end);
              protectedFrom = Math.min(protectedFrom, until.approved);
            }
          }
          if (protectedFrom === Number.POSITIVE_INFINITY) {
            // Every measure refused or rejected: no measure after all.
            const at = decisionAt + lognormal(r, 6 * DAY, 0.5);
            decision.end = at <= now ? at : null;
            if (at > now) return;
            timeline(at, `u:${supervisor}`, 'decide_no_measures', 'closed', 'Mesures refusées');
            return close(at, 'no_measures');
          }
          decision.end = protectedFrom <= now ? protectedFrom : null;
          if (protectedFrom > now) return;
          state = 'protection';
          updated = Math.max(updated, protectedFrom);
          // High and extreme risk cases check in (the last few check-ins are kept here).
          if (riskLevel === 'high' || riskLevel === 'extreme') {
            const every = riskLevel === 'extreme' ? 12 * HOUR : 24 * HOUR;
            const last = Math.min(now, protectionUntil);
            for (let c = 3; c >= 1; c--) {
              const s = last - c * every;
              if (s < protectedFrom) continue;
              const miss = r.next() < 0.1;
              deadline('checkin', s, every + 2 * HOUR, miss ? s + every + 2 * HOUR + lognormal(r, 6 * HOUR, 0.5) : s + r.next() * every, { reminder: null });
            }
            if (last === now) deadline('checkin', now - r.next() * every, every + 2 * HOUR, null, { reminder: null });
          }
          // A reassessment for some, three months in.
          const reassessAt = protectedFrom + 90 * DAY + lognormal(r, 5 * DAY, 0.5);
          if (r.next() < 0.25 && reassessAt < Math.min(now, protectionUntil)) {
            timeline(reassessAt, officer, 'reassess', 'assessment', 'Nouvel incident signalé');
            const doneAt = reassessAt + lognormal(r, 4 * DAY, 0.6);
            deadline('assessment', reassessAt, windowOf('assessment'), doneAt);
            if (doneAt > now) return;
            assess(doneAt);
            timeline(doneAt, officer, 'complete_assessment', 'decision');
            const contAt = doneAt + lognormal(r, DAY, 0.6);
            deadline('decision', doneAt, windowOf('decision'), contAt);
            if (contAt > now) return;
            timeline(contAt, `u:${supervisor}`, 'continue_protection', 'protection', 'Mesures maintenues');
          }
          const closeAt = protectionUntil + lognormal(r, 5 * DAY, 0.8);
          if (closeAt > now) return;
          timeline(closeAt, officer, 'close', 'closed', 'Fin de la protection');
          close(closeAt, 'risk_ceased');
        })();

        // A measure: proposed, consented (or refused), approved (or rejected), implemented,
        // active until its end date (or lifted before). Returns when protection starts and ends.
        function measure(proposed: number, urgentTrack: boolean): { approved: number; end: number } | null {
          const def = urgentTrack ? catalogue.measureByCode(urgentCodes.pick(r))! : catalogue.measureByCode(measureCodes.pick(r))!;
          const implementer = r.pick(def.implementers);
          const mid = r.uuidV7(proposed);
          const fast = urgent || urgentTrack;
          const consentAt = proposed + (fast ? lognormal(r, HOUR, 0.6) : lognormal(r, DAY, 0.8));
          const refused = r.next() < 0.06;
          const approvedAt = consentAt + (fast ? lognormal(r, HOUR, 0.6) : lognormal(r, 1.5 * DAY, 0.7));
          const rejected = r.next() < 0.05;
          const activeAt = approvedAt + (fast ? lognormal(r, 10 * HOUR, 0.6) : lognormal(r, 6 * DAY, 0.7));
          const endsAt = activeAt + def.durationDays * DAY;
          const lifted = r.next() < 0.35;
          const endedAt = lifted ? activeAt + r.next() * def.durationDays * DAY : endsAt;
          deadline('consent', proposed, windowOf('consent'), consentAt, { subject: mid });
          let status = 'proposed';
          let last = proposed;
          if (consentAt <= now) {
            status = refused ? 'refused' : 'consented';
            last = consentAt;
            if (!refused) {
              deadline('approval', consentAt, windowOf('approval'), approvedAt, { subject: mid });
              if (approvedAt <= now) {
                status = rejected ? 'rejected' : now < approvedAt + 12 * HOUR ? 'approved' : 'implementing';
                last = rejected || status === 'approved' ? approvedAt : approvedAt + 12 * HOUR;
                if (!rejected) {
                  deadline('implementation', approvedAt, windowOf('implementation'), activeAt, { subject: mid });
                  if (activeAt <= now) {
                    status = 'active';
                    last = activeAt;
                    deadline('review', activeAt, endsAt - activeAt, endedAt, { subject: mid, reminder: { fraction: 1, maxLead: 30 * DAY } });
                    if (endedAt <= now) {
                      status = lifted ? 'lifted' : 'expired';
                      last = endedAt;
                    }
                  }
                }
              }
            }
          }
          sink.measures.add([
            mid, id, def.code, def.category, implementer === 'state_authority' ? 'state' : implementer, implementer === 'partner' && input.orgIds.length > 0 ? orgs.pick(r) : '\\N',
            v(urgentTrack), status, SEALED, String(def.durationDays), assignee!, copyTime(proposed),
            consentAt <= now ? defender : '\\N', copyTime(consentAt <= now ? consentAt : null),
            approvedAt <= now && !refused ? supervisor : '\\N', copyTime(approvedAt <= now && !refused ? approvedAt : null),
            copyTime(activeAt <= now && !refused && !rejected ? activeAt : null), copyTime(activeAt <= now && !refused && !rejected ? endsAt : null),
            copyTime(status === 'lifted' || status === 'expired' ? endedAt : null), status === 'lifted' ? assignee! : '\\N', v(status === 'lifted' ? 'Risque réduit' : status === 'expired' ? 'Échéance' : null),
            copyTime(last),
          ]);
          return refused || rejected ? null : { approved: approvedAt, end: lifted ? endedAt : endsAt };
        }

        // A referral to a partner: consent, sent, answered (accepted or declined) or not yet.
        function referral(at: number): void {
          if (input.orgIds.length === 0) return;
          const created = at + lognormal(r, 2 * DAY, 0.8);
          if (created > now) return;
          const rid = r.uuidV7(created);
          const consentAt = created + lognormal(r, DAY, 0.8);
          const refused = r.next() < 0.05;
          const sentAt = consentAt + lognormal(r, 4 * HOUR, 0.8);
          const answers = r.next() < 0.9;
          const answeredAt = sentAt + (urgent ? lognormal(r, 12 * HOUR, 0.7) : lognormal(r, 3 * DAY, 0.9));
          const accepted = r.next() < 0.8;
          const closedAt = answeredAt + lognormal(r, 60 * DAY, 0.5);
          let st = 'awaiting_consent';
          let last = created;
          if (consentAt <= now) ((st = refused ? 'refused' : 'consented'), (last = consentAt));
          if (!refused && sentAt <= now) {
            st = 'sent';
            last = sentAt;
            deadline('referral_response', sentAt, windowOf('referral_response'), answers ? answeredAt : null);
            if (answers && answeredAt <= now) ((st = accepted ? 'accepted' : 'declined'), (last = answeredAt));
            if (answers && accepted && closedAt <= now) ((st = 'closed'), (last = closedAt));
          }
          sink.referrals.add([
            rid, id, orgs.pick(r), copyArray(['narrative', 'contact']), 'Accompagnement juridique', st, consentAt <= now ? 'defender' : '\\N', consentAt <= now ? defender : '\\N', copyTime(consentAt <= now ? consentAt : null),
            assignee!, copyTime(created), copyTime(!refused && sentAt <= now ? sentAt : null), '\\N', copyTime(st === 'accepted' || st === 'declined' || st === 'closed' ? answeredAt : null),
            v(st === 'declined' ? 'Hors de notre zone' : null), copyTime(st === 'closed' ? closedAt : null), v(st === 'closed' ? 'Suivi terminé' : null), copyTime(last),
          ]);
        }

        // Deadlines and the escalation steps each reached before it ended (or before now).
        let nextDue: Deadline | null = null;
        for (const d of deadlines) {
          const open = d.end === null;
          const endOrNow = d.end ?? now;
          const state = open ? (d.pausedAt !== null ? 'paused' : 'open') : d.cancelled ? 'cancelled' : 'settled';
          const window = d.due - d.start;
          const steps: Array<[string, number]> = [];
          if (d.reminder) steps.push(['reminder', d.due - Math.min(window * d.reminder.fraction, d.reminder.maxLead)]);
          steps.push(['level1', d.due], ['level2', d.due + Math.min(window * 0.5, urgent ? HOUR : DAY)]);
          let level = 0;
          for (const [step, at] of steps) {
            if (at >= endOrNow || (d.pausedAt !== null && at >= d.pausedAt)) continue;
            const fired = at + lognormal(r, 3 * 1000, 0.8);
            sink.steps.add([d.id, step, copyTime(at), copyTime(fired), step === 'reminder' ? `["${assignee ?? supervisor}"]` : `["${supervisor}"]`]);
            if (step === 'level1') level = 1;
            if (step === 'level2') level = 2;
          }
          if (state === 'open' && (nextDue === null || d.due < nextDue.due)) nextDue = d;
          sink.deadlines.add([
            d.id, id, d.rule, v(d.subject), v(urgent), copyTime(d.start), copyTime(d.due), state, String(level),
            copyTime(state === 'paused' ? d.pausedAt : null), state === 'paused' ? String(Math.max(0, Math.round(d.due - d.pausedAt!))) : '\\N', copyTime(open ? null : d.end),
          ]);
        }
        const next = nextDue as Deadline | null;
        sink.cases.add([
          id, `${year}-${String(serial).padStart(6, '0')}`, state, v(urgent), v(urgent || r.next() < 0.03), 'given', source, filedFor.pick(r), source === 'online' ? '\\N' : supervisor,
          region, categories.pick(r), genders.pick(r), disabilities.pick(r), copyArray(threatTypes), languages.pick(r), channels.pick(r),
          source === 'online' ? r.hex(43) : '\\N', input.mechanismKeyId, v(riskLevel), v(assignee), copyTime(created), copyTime(updated), copyTime(closedAt), v(closeReason),
          v(declineReason), verification, copyTime(next?.due ?? null), v(next?.rule ?? null),
        ]);
        for (const s of all) if (s.full) await s.flushed();
        if ((i + 1) % 100_000 === 0) log(`${i + 1} cases`);
      }
      for (const s of all) await s.end();
      counts.cases = sink.cases.rows;
      counts.caseTimeline = sink.timeline.rows;
      counts.assessments = sink.assessments.rows;
      counts.measures = sink.measures.rows;
      counts.referrals = sink.referrals.rows;
      counts.deadlines = sink.deadlines.rows;
      counts.deadlineSteps = sink.steps.rows;
      log(`cases and their records copied in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${JSON.stringify(counts)}`);

      counts.auditEvents = await copyAudit(sql, { ...input, caseIds, caseTimes, start, r });
      counts.copyMs = performance.now() - t0;
      log(`audit events copied: ${counts.auditEvents} in ${((performance.now() - t0) / 1000).toFixed(1)} s since the start`);
    });
    log(`indexes built again in ${(counts.indexMs / 1000).toFixed(1)} s`);
  } finally {
    await sql.end();
  }
  return counts;
}

// What staff do in the log: mostly reading cases and lists; defenders read and write messages.
const STAFF_ACTIONS = new Weighted([
  ['case.list', 22], ['case.read', 20], ['case.read_sealed', 10], ['case.timeline', 7], ['message.read', 8], ['message.create', 3], ['note.read', 3], ['note.create', 1],
  ['assessment.read', 2], ['measure.read', 2], ['referral.read', 1], ['file.read', 2], ['notification.read', 5], ['auth.refresh', 7], ['auth.login', 2], ['account.read', 3],
  ['deadline.list', 1], ['staff.directory', 1], ['stats.read', 0.2], ['audit.read', 0.1],
] as const);
const DEFENDER_ACTIONS = new Weighted([['message.read', 40], ['message.create', 20], ['case.read', 25], ['checkin.create', 10], ['file.upload', 5]] as const);
const CASE_ACTIONS = new Set(['case.read', 'case.read_sealed', 'case.timeline', 'message.read', 'message.create', 'note.read', 'note.create', 'assessment.read', 'measure.read', 'referral.read', 'file.read', 'checkin.create', 'file.upload']);

/**
 * The audit log over the same years, in time order (as it is written), with the chain beside it:
 * ids and positions follow what is already there, hashes are placeholders. A case-scoped event
 * names a case filed shortly before it (cases are active for weeks, not years).
 */
async function copyAudit(
  sql: postgres.Sql,
  w: StatsWorldInput & { caseIds: string[]; caseTimes: Float64Array; start: number; r: Prng },
): Promise<number> {
  const n = w.auditEvents;
  if (n === 0) return 0;
  const r = w.r;
  const [head] = await sql<Array<{ id: string; seq: string }>>`select (select coalesce(max(id), 0) from audit_events)::text as id, (select seq from audit_head where id = 1)::text as seq`;
  const firstId = Number(head!.id) + 1;
  const firstSeq = Number(head!.seq) + 1;
  const events = copyInto(sql, 'audit_events', ['id', 'at', 'actor', 'role', 'action', 'resource', 'case_id', 'outcome', 'reason', 'request_id']);
  const chain = copyInto(sql, 'audit_chain', ['seq', 'event_id', 'hash', 'actor', 'case_id', 'action']);
  const span = w.now - w.start;
  // Same growth as the cases: more staff and more cases, more events.
  const growth = 1.5;
  const timeAt = (y: number) => w.start + ((-1 + Math.sqrt(1 + 2 * growth * y * (1 + growth / 2))) / growth) * span;
  const casesPerDay = w.caseIds.length / (span / DAY);
  const activeCases = Math.max(1, 30 * casesPerDay);
  const staff = new Weighted<{ id: string; role: string }>([
    ...w.officers.map((id, i) => [{ id, role: 'officer' }, 7 / (1 + i * 0.15)] as const),
    [{ id: w.supervisorId, role: 'supervisor' }, 6],
    [{ id: w.adminId, role: 'admin' }, 1],
  ]);
  let filed = 0;
  const hashTail = '0'.repeat(48);
  for (let k = 0; k < n; k++) {
    const at = timeAt((k + r.next()) / n);
    while (filed < w.caseIds.length && w.caseTimes[filed]! <= at) filed++;
    const isDefender = filed > 0 && r.next() < 0.12;
    let actor: string;
    let role: string;
    let action: string;
    let caseIndex = -1;
    if (isDefender) {
      caseIndex = Math.max(0, filed - 1 - Math.floor(-Math.log(Math.max(r.next(), 1e-12)) * activeCases));
      actor = `d:${w.caseIds[caseIndex]}`;
      role = 'defender';
      action = DEFENDER_ACTIONS.pick(r);
    } else {
      const who = staff.pick(r);
      actor = `u:${who.id}`;
      role = who.role;
      action = STAFF_ACTIONS.pick(r);
      if (CASE_ACTIONS.has(action) && filed > 0) caseIndex = Math.max(0, filed - 1 - Math.floor(-Math.log(Math.max(r.next(), 1e-12)) * activeCases));
    }
    const caseId = caseIndex >= 0 ? w.caseIds[caseIndex]! : null;
    const denied = r.next() < 0.008;
    const id = firstId + k;
    const resource = caseId ? `case:${caseId}` : action.startsWith('auth.') || action === 'account.read' ? `user:${actor.slice(2)}` : action.split('.')[0]!;
    const flushE = events.add([String(id), copyTime(at), actor, role, action, resource, caseId ?? '\\N', denied ? 'denied' : 'allowed', denied ? 'not_assigned' : '\\N', r.uuidV7(at)]);
    const flushC = chain.add([String(firstSeq + k), String(id), `${(id >>> 0).toString(16).padStart(16, '0')}${hashTail}`, actor, caseId ?? '\\N', action]);
    if (flushE) await events.flushed();
    if (flushC) await chain.flushed();
    if ((k + 1) % 1_000_000 === 0) w.log?.(`${k + 1} audit events`);
  }
  await events.end();
  await chain.end();
  const last = firstSeq + n - 1;
  await sql`update audit_head set seq = ${last}, hash = ${`${(last >>> 0).toString(16).padStart(16, '0')}${hashTail}`} where id = 1`;
  await sql`select setval(pg_get_serial_sequence('audit_events', 'id'), ${firstId + n - 1})`;
  return n;
}
