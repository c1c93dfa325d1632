import { randomUUID } from 'node:crypto';
import { systemContext } from '../access/principal.js';
import type { AuditService } from '../audit/audit-service.js';
import type { Db, Tx } from '../db/client.js';
import type { NoticeStatus } from '../db/schema/index.js';
import type { Clock } from '../lib/clock.js';
import type { Outbox } from '../outbox/outbox.js';
import { ONCALL_PAGED } from '../outbox/topics.js';
import { inOfficeHours } from './office-hours.js';
import type { OnCallEvent, OnCallPolicy } from './on-call-policy.js';
import type { OnCallRepository, PageRow } from './on-call-repository.js';
import type { NoticeLanguage, SendResult } from './notice-sender.js';

/** An outbox row as the relay hands it to a tap. */
export interface PagerEvent {
  id: number;
  topic: string;
  /** checked against its topic's schema by the relay; read here by key */
  payload: unknown;
  createdAt: Date;
}

export type Channel = 'email' | 'sms';

/** A string field of an event's payload, or null. */
const str = (payload: unknown, key: string): string | null => {
  const v = typeof payload === 'object' && payload !== null && key in payload ? (payload as Record<string, unknown>)[key] : null;
  return typeof v === 'string' ? v : null;
};

function matches(e: OnCallEvent, event: PagerEvent, deadline: { rule: string; urgent: boolean } | undefined): boolean {
  if (e.topic !== event.topic) return false;
  if (e.steps && !e.steps.some((s) => s === str(event.payload, 'step'))) return false;
  if (e.rules && (!deadline || !e.rules.includes(deadline.rule))) return false;
  return !e.urgentOnly || deadline?.urgent === true;
}

/**
 * Pages the person on call for the events of policies/on-call.yaml that happen out of office
 * hours. Each event gets a chain of pages (src/db/schema/on-call.ts): rank 1 to the first person
 * on call, and, while nobody acknowledges within the policy's delay, the next rank to the next
 * person. Every step is decided by the rows (unique per event and rank, the page locked while its
 * turn ends), so a row handed twice, a job run twice or a sweep racing a job pages nobody twice.
 */
export function createPager(deps: {
  db: Db;
  repo: OnCallRepository;
  outbox: Outbox;
  audit: Pick<AuditService, 'record'>;
  clock: Clock;
  policy: OnCallPolicy;
  /** the channels configured (SMTP_URL, ONCALL_SMS_URL) */
  channels: Record<Channel, boolean>;
}) {
  const { db, repo, outbox, audit, clock, policy, channels } = deps;
  const topics = new Set(policy.events.map((e) => e.topic));

  /** The next person on call at `at` who has not been paged for the event; `null` when nobody is left. */
  async function pageNext(event: { eventId: number; topic: string; caseId: string | null }, rank: number, exclude: ReadonlySet<string>, at: Date, tx: Tx): Promise<PageRow | null | 'already'> {
    const person = (await repo.onCallAt(at, tx)).find((p) => !exclude.has(p.userId));
    // Nobody (left) on the roster: the caller says so in the logs; the inbox has the event anyway.
    if (!person) return null;
    const status = (on: boolean, contact: string | null): NoticeStatus => (on && contact ? 'pending' : 'none');
    const now = clock.now();
    const row = await repo.insertPage(
      {
        id: randomUUID(),
        eventId: event.eventId,
        rank,
        topic: event.topic,
        caseId: event.caseId,
        recipientUserId: person.userId,
        email: person.email,
        phone: person.phone,
        language: person.language,
        emailStatus: status(channels.email, person.email),
        smsStatus: status(channels.sms, person.phone),
        createdAt: now,
      },
      tx,
    );
    if (!row) return 'already';
    // Their inbox links to the case: the console is where they see what it is.
    await outbox.add(tx, ONCALL_PAGED, { caseId: event.caseId, pageId: row.id, recipients: [person.userId] }, now);
    await audit.record(systemContext(`oncall:${event.eventId}:${rank}`), { action: 'oncall.page', resource: `oncall-page:${row.id}`, caseId: event.caseId, outcome: 'allowed', reason: `${event.topic}: rank ${rank}` }, tx);
    return row;
  }

  return {
    /** The outbox topics to tap (src/outbox/outbox-relay.ts): those the policy names. */
    topics: [...topics],

    /**
     * In the relay's claiming transaction: the first page of each event that calls for one (out
     * of office hours, as the policy says). Returns the pages made, whose notices and escalation
     * the caller queues after commit, and how many events found nobody on call.
     */
    async onEvents(rows: readonly PagerEvent[], tx: Tx): Promise<{ pages: PageRow[]; unanswered: number }> {
      const candidates = rows.filter((r) => topics.has(r.topic) && !inOfficeHours(policy, r.createdAt));
      if (candidates.length === 0) return { pages: [], unanswered: 0 };
      const deadlines = await repo.deadlinesOf(candidates.map((r) => str(r.payload, 'deadlineId')).filter((id): id is string => id !== null), tx);
      const made: PageRow[] = [];
      let unanswered = 0;
      for (const r of candidates) {
        const deadlineId = str(r.payload, 'deadlineId');
        const d = deadlineId ? deadlines.get(deadlineId) : undefined;
        if (!policy.events.some((e) => matches(e, r, d))) continue;
        const page = await pageNext({ eventId: r.id, topic: r.topic, caseId: str(r.payload, 'caseId') ?? d?.caseId ?? null }, 1, new Set(), r.createdAt, tx);
        if (page === null) unanswered++;
        else if (page !== 'already') made.push(page);
      }
      return { pages: made, unanswered };
    },

    /**
     * A page's turn is over (its acknowledgement delay passed): unless someone in its chain
     * acknowledged, the next person on call is paged. Runs once per page (`escalatedAt`).
     */
    async escalate(pageId: string): Promise<{ outcome: 'gone' | 'already' | 'acknowledged' | 'nobody' | 'paged'; page?: PageRow }> {
      return db.transaction(async (tx) => {
        const p = await repo.pageForUpdate(pageId, tx);
        if (!p) return { outcome: 'gone' as const };
        if (p.escalatedAt) return { outcome: 'already' as const };
        const now = clock.now();
        await repo.markEscalated(p.id, now, tx);
        const chain = await repo.chain(p.eventId, tx);
        if (chain.some((c) => c.acknowledgedAt)) return { outcome: 'acknowledged' as const };
        const next = await pageNext({ eventId: p.eventId, topic: p.topic, caseId: p.caseId }, p.rank + 1, new Set(chain.map((c) => c.recipientUserId)), now, tx);
        if (next === 'already') return { outcome: 'already' as const };
        return next ? { outcome: 'paged' as const, page: next } : { outcome: 'nobody' as const };
      });
    },

    /** Where to send a page's notice, or null when there is nothing (left) to send on that channel. */
    async noticeOf(pageId: string, channel: Channel): Promise<{ to: string; language: NoticeLanguage } | null> {
      const p = await repo.pageById(pageId);
      if (!p || p.acknowledgedAt) return null;
      const status = channel === 'email' ? p.emailStatus : p.smsStatus;
      const to = channel === 'email' ? p.email : p.phone;
      return to && (status === 'pending' || status === 'retrying') ? { to, language: p.language } : null;
    },

    /** Records a send: sent, to be retried, or failed for good (the last attempt); audited once settled. */
    async recordSend(pageId: string, channel: Channel, result: SendResult, final: boolean): Promise<void> {
      const status: NoticeStatus = result.ok ? 'sent' : final ? 'failed' : 'retrying';
      await db.transaction(async (tx) => {
        const p = await repo.pageForUpdate(pageId, tx);
        if (!p) return;
        await repo.setNotice(pageId, channel, status, result.ok ? null : result.error, tx);
        if (status === 'retrying') return;
        const reason = result.ok ? `${channel}: sent` : `${channel}: failed (${result.error})`;
        await audit.record(systemContext(`oncall:${pageId}:${channel}`), { action: 'oncall.page.sent', resource: `oncall-page:${pageId}`, caseId: p.caseId, outcome: result.ok ? 'allowed' : 'denied', reason }, tx);
      });
    },

    /** Notices whose job may be lost (queued before `before` and still unsent) and turns due to end. */
    async stalled(): Promise<{ sends: Array<{ pageId: string; channel: Channel }>; escalations: string[] }> {
      const now = clock.now().getTime();
      const unsent = await repo.unsent(new Date(now - 60_000));
      const escalations = await repo.turnsOver(new Date(now - policy.acknowledgeWithinSeconds * 1000));
      return {
        sends: unsent.flatMap((s) => [...(s.email === 'pending' || s.email === 'retrying' ? [{ pageId: s.id, channel: 'email' as const }] : []), ...(s.sms === 'pending' || s.sms === 'retrying' ? [{ pageId: s.id, channel: 'sms' as const }] : [])]),
        escalations,
      };
    },
  };
}
