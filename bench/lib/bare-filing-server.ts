/**
 * The filing benchmark's baseline: a bare Fastify + postgres.js server whose one route performs
 * the same inserts as POST /v1/cases (case with its reference, sealed fields, two envelopes,
 * timeline, audit event and its chain queue entry, the acknowledge deadline, the outbox row) in
 * one transaction of hand-written, prepared SQL, with no validation, policy, rate limit or
 * authorization. Config from the environment like ./serve.ts; prints `listening <url>`.
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import postgres from 'postgres';

interface Body {
  caseId: string;
  metadata: { region: string; defenderCategory: string; gender: string; disability: string; threatTypes: string[]; claimedUrgent: boolean; preferredLanguage: string; contactChannel: string; filedFor: string };
  fields: Record<string, string>;
  envelopes: { mechanism: { keyId: string; envelope: string }; defender: { keyId: string; envelope: string } };
  receiptVerifier: string;
}

const sql = postgres(process.env.DATABASE_URL!, { max: Number(process.env.DATABASE_POOL_SIZE ?? 10), onnotice: () => undefined });
const [mechanism] = await sql`select o.id, k.key_id from organisations o join org_keys k on k.org_id = o.id and k.retired_at is null where o.kind = 'mechanism'`;
if (!mechanism) throw new Error('bootstrap the deployment first');
const app = Fastify({ logger: false, bodyLimit: 256 * 1024 });

app.post<{ Body: Body }>('/v1/cases', async (request, reply) => {
  const b = request.body;
  const m = b.metadata;
  const now = new Date();
  const due = new Date(now.getTime() + (m.claimedUrgent ? 1 : 48) * 3_600_000);
  const deadlineId = randomUUID();
  const reference = await sql.begin(async (tx) => {
    const [c] = await tx`
      insert into cases (id, reference, state, urgent, urgent_claimed, consent, source, filed_for, region, defender_category, gender, disability, threat_types,
        preferred_language, contact_channel, receipt_verifier, defender_key_id, mechanism_key_id, created_at, updated_at)
      values (${b.caseId}, to_char(${now}::timestamptz at time zone 'UTC', 'YYYY') || '-' || lpad(nextval('case_reference_seq')::text, 5, '0'), 'received',
        ${m.claimedUrgent}, ${m.claimedUrgent}, 'given', 'online', ${m.filedFor}, ${m.region}, ${m.defenderCategory}, ${m.gender}, ${m.disability}, ${m.threatTypes},
        ${m.preferredLanguage}, ${m.contactChannel}, ${b.receiptVerifier}, ${b.envelopes.defender.keyId}, ${mechanism.key_id}, ${now}, ${now})
      returning reference`;
    const fields = Object.entries(b.fields).map(([field, sealed]) => ({ case_id: b.caseId, field, sealed, updated_at: now }));
    await tx`insert into case_fields ${tx(fields)}`;
    await tx`insert into case_envelopes ${tx([
      { case_id: b.caseId, key_id: mechanism.key_id, envelope: b.envelopes.mechanism.envelope, recipient_type: 'org', recipient_id: mechanism.id, created_at: now },
      { case_id: b.caseId, key_id: b.envelopes.defender.keyId, envelope: b.envelopes.defender.envelope, recipient_type: 'defender', recipient_id: b.caseId, created_at: now },
    ])}`;
    await tx`insert into case_timeline (case_id, at, actor, action, to_state) values (${b.caseId}, ${now}, 'defender', 'filed', 'received')`;
    await tx`with e as (insert into audit_events (at, actor, role, action, resource, case_id, outcome, request_id)
      values (${now}, 'anonymous', 'anonymous', 'request.create', ${`case:${b.caseId}`}, ${b.caseId}, 'allowed', ${request.id}) returning id)
      insert into audit_pending (event_id) select id from e`;
    await tx`insert into deadlines (id, case_id, rule, urgent, started_at, due_at) values (${deadlineId}, ${b.caseId}, 'acknowledge', ${m.claimedUrgent}, ${now}, ${due})`;
    await tx`insert into outbox (topic, payload, created_at) values ('deadline.opened', ${sql.json({ deadlineId })}, ${now})`;
    return c!.reference as string;
  });
  return reply.code(201).send({ caseId: b.caseId, reference, acknowledgeBy: due.toISOString() });
});

await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
process.stdout.write(`listening http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}\n`);
process.on('SIGTERM', () => {
  void app.close().then(() => sql.end()).then(() => process.exit(0));
});
