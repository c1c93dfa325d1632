import { Type, type Static, type TProperties, type TSchema } from 'typebox';
import { Nullable, Timestamp, Uuid } from '../lib/schemas.js';

/**
 * Every outbox topic and the schema of its payload. A payload names ids, codes, the case
 * reference and times, never case content: the inbox and the partners' webhooks are built from
 * it. Each schema is closed (no other keys), so a writer cannot slip a new field past the
 * compiler (`Outbox.add` takes `Static<>` of it) nor past the relay (which checks each row
 * against it before its handler sees it).
 */

/** Only the keys a topic declares: content put under a new key is refused at compile time and by the relay. */
const payload = <P extends TProperties>(properties: P) => Type.Object(properties, { additionalProperties: false });

/** A code from a policy file (rule, measure, subject, purpose, status...): the policies define the values. */
const Code = Type.String({ minLength: 1, maxLength: 100 });
const Reference = Type.String({ minLength: 1, maxLength: 64 });
/** Who hears of it (src/notifications/notification-audience.ts): a user id, a role word, `org:<orgId>`. */
const Recipient = Type.Union([Uuid, Type.Literal('defender'), Type.Literal('officer'), Type.Literal('assignee'), Type.Literal('supervisor'), Type.Literal('supervisors'), Type.String({ pattern: '^org:[0-9a-fA-F-]{36}$' })]);
const Recipients = Type.Array(Recipient, { maxItems: 10_000 });
const Notify = Type.Union([Type.Literal('assignee'), Type.Literal('supervisors'), Type.Literal('defender')]);

// -- deadlines -------------------------------------------------------------------------------

/** A deadline started or resumed: the relay schedules its ladder's step jobs. */
export const DEADLINE_OPENED = 'deadline.opened';
const DeadlineOpened = payload({ deadlineId: Uuid });

/** A step of the escalation ladder fired (src/escalation/escalation-service.ts). */
export const DEADLINE_STEP = 'deadline.step';
const DeadlineStep = payload({
  deadlineId: Uuid,
  caseId: Uuid,
  reference: Reference,
  rule: Code,
  step: Type.Union([Type.Literal('reminder'), Type.Literal('level1'), Type.Literal('level2')]),
  /** 0 for a reminder, 1 or 2 for an escalation */
  level: Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)]),
  /** the deadline's due time */
  dueAt: Timestamp,
  /** when the ladder said this step was due */
  stepAt: Timestamp,
  /** user ids, `defender` (the case's defender, in their case view), `org:<orgId>` (a partner organisation) */
  recipients: Recipients,
  /** level 2: for the head of the mechanism */
  markForHead: Type.Boolean(),
  /** what must be done (the rule's description from policies/deadlines.yaml: policy text, never case content) */
  action: Type.String({ maxLength: 500 }),
});

// -- accounts --------------------------------------------------------------------------------

/** A step of sign-in locked after repeated failures (src/auth/credential-checks.ts); `dueAt` is the end of the lock. */
const AccountLocked = payload({ recipients: Recipients, action: Code, code: Type.Union([Type.Literal('totp_locked'), Type.Literal('recovery_locked')]), dueAt: Timestamp });
/** An admin started a reset of the user's second factor; `dueAt` is when the token expires. */
const TotpResetStarted = payload({ recipients: Recipients, action: Type.Literal('user.totp_reset'), dueAt: Timestamp });

// -- messages, reports -----------------------------------------------------------------------

const MessageCreated = payload({ caseId: Uuid, messageId: Uuid, senderRole: Code });
const caseReport = { caseId: Uuid, reference: Reference, reportId: Uuid, recipients: Recipients };
const IncidentReported = payload({ ...caseReport, code: Nullable(Code), reassessment: Type.Boolean() });
const CheckinNeedContact = payload(caseReport);
const AlertRaised = payload(caseReport);

// -- measures --------------------------------------------------------------------------------

const measureNotice = { caseId: Uuid, reference: Reference, measureId: Uuid, code: Code, to: Type.Union([Type.Literal('defender'), Type.Literal('officer')]) };
const MeasureNotice = payload(measureNotice);
const MeasureAnswered = payload({ ...measureNotice, decision: Type.Union([Type.Literal('consent'), Type.Literal('refuse')]) });
const MeasureEnded = payload({ ...measureNotice, reason: Type.Union([Type.Literal('expired'), Type.Literal('lapsed')]) });

// -- referrals -------------------------------------------------------------------------------

const referralNotice = { caseId: Uuid, reference: Reference, referralId: Uuid };
const ReferralNotice = payload(referralNotice);
const ReferralAnswered = payload({ ...referralNotice, orgId: Uuid });
/** For the partner (by webhook): no case reference. */
const ReferralSent = payload({ referralId: Uuid, orgId: Uuid, purpose: Code });
const ReferralWithdrawn = payload({ caseId: Uuid, referralId: Uuid, orgId: Uuid });
const ReferralProgress = payload({ ...referralNotice, reportId: Uuid, status: Code });

// -- appeals ---------------------------------------------------------------------------------

const appealNotice = { caseId: Uuid, reference: Reference, appealId: Uuid, subject: Code };
const AppealFiled = payload({ ...appealNotice, notify: Type.Literal('supervisors') });
const AppealDecided = payload({ ...appealNotice, outcome: Code, notify: Type.Literal('defender') });
const AppealUpheld = payload({ ...appealNotice, effect: Code, notify: Notify, assigneeId: Nullable(Uuid) });

// -- cases -----------------------------------------------------------------------------------

const CaseConsentWithdrawn = payload({
  caseId: Uuid,
  reference: Reference,
  notify: Notify,
  assigneeId: Nullable(Uuid),
  measuresStopped: Type.Integer({ minimum: 0 }),
  referralsWithdrawn: Type.Integer({ minimum: 0 }),
  appealsClosed: Type.Integer({ minimum: 0 }),
});
/** A break-glass opened: every other supervisor's inbox (ids, reference and end of window only). */
export const BREAK_GLASS = 'case.break_glass';
const CaseBreakGlass = payload({ caseId: Uuid, reference: Reference, breakGlassId: Uuid, expiresAt: Timestamp, recipients: Recipients });

// -- evidence files --------------------------------------------------------------------------

/** A file was attached to a case: the other side hears of it, as of a message. */
const FileAdded = payload({ caseId: Uuid, fileId: Uuid, senderRole: Code });
/** All of a file's bytes are stored: the workers time-stamp its hash when an authority is configured. */
const FileReceived = payload({ caseId: Uuid, fileId: Uuid });
/** Files whose rows are gone (purge, stale upload): the workers erase their bytes from the store. */
const FileErase = payload({ caseId: Uuid, fileIds: Type.Array(Uuid, { maxItems: 10_000 }), why: Type.Union([Type.Literal('purge'), Type.Literal('stale')]) });

// -- on call -------------------------------------------------------------------------------

/** A page put to the person on call (src/oncall): their inbox links to the case. */
export const ONCALL_PAGED = 'oncall.paged';
const OnCallPaged = payload({ caseId: Nullable(Uuid), pageId: Uuid, recipients: Recipients });

// -- webhooks --------------------------------------------------------------------------------

/** An admin's test of one partner endpoint: delivered to that endpoint only, through the normal path. */
export const WEBHOOK_TEST = 'webhook.test';
const WebhookTest = payload({ orgId: Uuid, endpointId: Uuid, testId: Uuid });

/**
 * The catalogue: topic name to payload schema. A topic is written, registered and relayed only if
 * it is here; the relay leaves a row of any other topic in the outbox and warns about it.
 */
export const OUTBOX_TOPICS = {
  [DEADLINE_OPENED]: DeadlineOpened,
  [DEADLINE_STEP]: DeadlineStep,

  'account.totp_locked': AccountLocked,
  'account.recovery_locked': AccountLocked,
  'account.totp_reset_started': TotpResetStarted,

  'message.created': MessageCreated,
  'file.added': FileAdded,
  'file.received': FileReceived,
  'file.erase': FileErase,
  'incident.reported': IncidentReported,
  'checkin.need_contact': CheckinNeedContact,
  'alert.raised': AlertRaised,

  'measure.proposed': MeasureNotice,
  'measure.answered': MeasureAnswered,
  'measure.rejected': MeasureNotice,
  'measure.approved': MeasureNotice,
  'measure.activated': MeasureNotice,
  'measure.lifted': MeasureNotice,
  'measure.ended': MeasureEnded,

  'referral.defender_to_be_told': ReferralNotice,
  'referral.consent_requested': ReferralNotice,
  'referral.consented': ReferralNotice,
  'referral.refused': ReferralNotice,
  'referral.sent': ReferralSent,
  'referral.accepted': ReferralAnswered,
  'referral.declined': ReferralAnswered,
  'referral.progress_reported': ReferralProgress,
  'referral.withdrawn': ReferralWithdrawn,

  'appeal.filed': AppealFiled,
  'appeal.decided': AppealDecided,
  'appeal.upheld': AppealUpheld,

  'case.consent_withdrawn': CaseConsentWithdrawn,
  [BREAK_GLASS]: CaseBreakGlass,

  [ONCALL_PAGED]: OnCallPaged,
  [WEBHOOK_TEST]: WebhookTest,
} as const satisfies TopicCatalogue;

/** Topic names to payload schemas (the application's is OUTBOX_TOPICS; a test may relay a catalogue of its own). */
export type TopicCatalogue = Readonly<Record<string, TSchema>>;
export type AppTopics = typeof OUTBOX_TOPICS;

/** A topic of the catalogue `C` (the application's by default). */
export type OutboxTopic<C extends TopicCatalogue = AppTopics> = keyof C & string;
/** The payload a topic carries. */
export type PayloadOf<T extends OutboxTopic<C>, C extends TopicCatalogue = AppTopics> = Static<C[T]>;

/** The families of a dotted name: `a.b.c` gives `a.*` and `a.b.*`. */
type FamiliesOf<T extends string> = T extends `${infer Head}.${infer Rest}` ? `${Head}.*` | `${Head}.${FamiliesOf<Rest>}` : never;

/** What a relay handler registers for: a topic, or a family of topics with a trailing `.*` (`referral.*`). */
export type TopicPattern<C extends TopicCatalogue = AppTopics> = OutboxTopic<C> | FamiliesOf<OutboxTopic<C>>;

/** The topics a pattern claims. */
export type TopicsMatching<P extends string, C extends TopicCatalogue = AppTopics> = P extends `${infer Family}.*` ? Extract<OutboxTopic<C>, `${Family}.${string}`> : Extract<OutboxTopic<C>, P>;

