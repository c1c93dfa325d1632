/**
 * The data the console benchmark opens, made as the people in it would make it: a deployment and
 * an officer (test/helpers/world.ts), one case in assessment whose key the officer holds, with 20
 * sealed fields, 50 messages (the defender and the officer in turn) and 10 internal notes, and 50
 * more cases filed by defenders' phones, waiting in the intake pool.
 *
 * A filing carries at most five fields (src/contracts/case.ts): the other fifteen are written
 * into case_fields directly, sealed by the SDK under the case key with the AD a reader expects,
 * exactly as the filing's own fields are stored.
 */
import { randomUUID } from 'node:crypto';
import { caseFieldAd, createStaffKey, fromB64u, messageBodyAd, noteBodyAd, pinnedPublicKey, sealField, sealNote, type KeyEnvelope } from '../../src/sdk/index.js';
import type { TestApp } from '../../test/helpers/app.js';
import { clientOf } from '../../test/helpers/api-client.js';
import { buildWorld, fileCase, type Actor } from '../../test/helpers/world.js';

export interface ConsoleWorld {
  officer: Actor;
  caseId: string;
  /** what each sealed field, message and note says, in the order the console shows them */
  fields: string[];
  messages: string[];
  notes: string[];
  /** cases in the intake pool */
  pool: number;
  /** what the officer's client is given to open them: the case key's and the staff key's envelopes */
  caseEnvelope: string;
  staffEnvelope: string;
  sealed: { fields: Array<{ sealed: string; ad: string }>; messages: Array<{ sealed: string; ad: string }>; notes: Array<{ sealed: string; ad: string }> };
}

const FILING_FIELDS = ['identity', 'contact', 'location', 'narrative', 'relatives'] as const;

/** Sentences of the length people write them (a few words to a few paragraphs), numbered so each value is its own. */
function text(kind: string, i: number, sentences: number): string {
  const words = 'Le défenseur signale des menaces répétées devant son domicile à Bamako, par téléphone et par des inconnus à moto';
  return `${kind} ${i + 1}. ${Array.from({ length: sentences }, (_, k) => `${words} (${k + 1}).`).join(' ')}`;
}

async function must<T>(what: string, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    throw new Error(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export async function consoleWorld(T: TestApp, counts: { fields: number; messages: number; notes: number; pool: number }): Promise<ConsoleWorld> {
  const w = await buildWorld(T, { officers: ['bench'] });
  const officer = w.officers.bench;
  const fieldText = (i: number) => text('Champ', i, 1 + (i % 4) * 2);
  const c = await w.caseAt('assessment', {
    secrets: { identity: fieldText(0), contact: fieldText(1), location: fieldText(2), narrative: fieldText(3), relatives: fieldText(4) },
  });
  const caseId = c.caseId;
  const sql = T.database.sql;
  const extra = Array.from({ length: Math.max(0, counts.fields - FILING_FIELDS.length) }, (_, k) => `extra${String(k + 1).padStart(2, '0')}`);
  for (const [k, name] of extra.entries()) {
    const sealed = sealField(fieldText(FILING_FIELDS.length + k), c.dek, caseFieldAd(caseId, name));
    await sql`insert into case_fields (case_id, field, sealed, updated_at) values (${caseId}, ${name}, ${sealed}, ${T.clock.now().toISOString()})`;
  }

  const asOfficer = clientOf(T.app, officer);
  const messages: string[] = [];
  for (let i = 0; i < counts.messages; i++) {
    const fromDefender = i % 2 === 0;
    const sender = fromDefender ? `d:${caseId}` : `u:${officer.id}`;
    const id = randomUUID();
    const body = text(fromDefender ? 'Message du défenseur' : 'Réponse', i, 1 + (i % 3));
    T.clock.advance(1000);
    const headers = fromDefender ? c.defender.auth() : officer.auth();
    const r = await T.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/messages`, headers, payload: { id, body: sealField(body, c.dek, messageBodyAd(id, sender)), keyEpoch: 1 } });
    if (r.statusCode !== 201) throw new Error(`message: ${r.statusCode} ${r.body}`);
    messages.push(body);
  }

  // The first staff client makes the staff key and seals it to the staff holders (the mechanism's pinned key, the officer).
  const intakeKey = await must('intake key', asOfficer.call('getIntakeKey'));
  const mechanismPublicKey = pinnedPublicKey(intakeKey.publicKey, w.dep.mechanismKeyId);
  const first = await must('notes', asOfficer.call('listCaseNotes', { params: { caseId } }));
  const made = createStaffKey(first.holders.map((h) => ({ keyId: h.keyId, recipientType: h.recipientType === 'org' ? 'org' : 'user', recipientId: h.recipientId, publicKey: h.recipientType === 'org' ? mechanismPublicKey : fromB64u(h.publicKey ?? '') })));
  await must('staff key', asOfficer.call('createStaffKey', { params: { caseId }, body: { envelopes: made.envelopes } }));
  const notes: string[] = [];
  for (let i = 0; i < counts.notes; i++) {
    const id = randomUUID();
    const note = text('Note interne', i, 2 + (i % 3));
    T.clock.advance(1000);
    await must('note', asOfficer.call('createNote', { params: { caseId }, body: { id, body: sealNote({ text: note }, made.staffKey, { caseId, noteId: id, author: `u:${officer.id}` }), keyEpoch: 1 } }));
    notes.push(note);
  }

  for (let i = 0; i < counts.pool; i++) await fileCase(T, w.dep);

  // What the officer's client receives, read back through the API: the same bytes the console opens.
  const sealedCase = await must('sealed read', asOfficer.call('getCaseSealed', { params: { caseId } }));
  const names = [...FILING_FIELDS, ...extra];
  const thread = await must('messages', asOfficer.call('listCaseMessages', { params: { caseId }, query: { limit: '100' } }));
  const noteList = await must('notes', asOfficer.call('listCaseNotes', { params: { caseId }, query: { limit: '20' } }));
  const own = noteList.staffKey?.own[0];
  if (!own) throw new Error('the officer holds no staff-key envelope');
  if (sealedCase.envelopes.length !== 1) throw new Error(`the officer holds ${sealedCase.envelopes.length} case-key envelopes`);
  return {
    officer,
    caseId,
    fields: names.map((_, i) => fieldText(i)),
    messages,
    notes,
    pool: counts.pool,
    caseEnvelope: (sealedCase.envelopes[0] as KeyEnvelope).envelope,
    staffEnvelope: own.envelope,
    sealed: {
      fields: names.map((name) => ({ sealed: sealedCase.fields[name] ?? '', ad: caseFieldAd(caseId, name) })),
      messages: thread.items.map((m) => ({ sealed: m.body, ad: messageBodyAd(m.id, m.sender) })),
      notes: noteList.items.map((n) => ({ sealed: n.body, ad: noteBodyAd(caseId, n.id, n.author) })),
    },
  };
}
