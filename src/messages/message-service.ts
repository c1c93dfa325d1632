import { CryptoError, parseSealedField } from '../sdk/index.js';
import { AppError } from '../lib/problem.js';
import type { Db } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import { actorOf, roleOf, type RequestContext } from '../access/principal.js';
import type { AccessService } from '../access/access-service.js';
import type { AuditService } from '../audit/audit-service.js';
import { createCommandRunner } from '../audit/audited-command.js';
import type { CaseService } from '../cases/case-service.js';
import type { CaseRepository } from '../cases/case-repository.js';
import type { MessageRepository } from './message-repository.js';
import type { Outbox } from '../outbox/outbox.js';
import { assertKeyEpoch } from '../cases/key-epoch.js';

export type MessageService = ReturnType<typeof createMessageService>;

/** Why a case takes no message now (its content purged, or closed), or null: the send and the case's list of actions ask it. */
export function messageRefusal(c: { state: string; purgedAt: Date | null }): AppError | null {
  if (c.purgedAt) return new AppError('case_purged', 'the sealed content of this case was purged');
  if (c.state === 'closed') return new AppError('invalid_transition', 'a closed case takes no messages');
  return null;
}

/**
 * Sealed messages between a defender and the staff who hold their case. The server checks who
 * may write and read (policies/access.yaml: message.create / message.read) and the shape of the
 * ciphertext; it records the sender, which is bound into the ciphertext's AD, and queues a
 * notification (content-free) for the other side.
 */
export function createMessageService(deps: {
  db: Db;
  cases: Pick<CaseService, 'sealedFacts'>;
  caseRepo: Pick<CaseRepository, 'keyEpochForShare'>;
  messages: MessageRepository;
  outbox: Outbox;
  access: Pick<AccessService, 'authorize'>;
  audit: Pick<AuditService, 'record'>;
  clock: Clock;
}) {
  const { db, cases, caseRepo, messages, outbox, access, clock } = deps;
  const command = createCommandRunner({ db, audit: deps.audit });

  return {
    async send(ctx: RequestContext, caseId: string, input: { id: string; body: string; keyEpoch?: number }) {
      const { c, facts } = await cases.sealedFacts(ctx, caseId);
      const sender = actorOf(ctx.principal);
      const resource = `message:${input.id}`;
      // One transaction; a refusal (a closed case, an id already used) leaves only its denial.
      return command(ctx, { action: 'message.create', resource, caseId: c ? caseId : null }, async (tx) => {
        await access.authorize(ctx, 'message.create', { resource, caseId: c ? caseId : null, found: c !== undefined, facts }, tx);
        if (!c) throw new AppError('not_found');
        try {
          parseSealedField(input.body);
        } catch (err) {
          throw new AppError('validation_failed', 'the body must be a sealed field', { errors: [{ field: '/body/body', message: err instanceof CryptoError ? `${err.code}: ${err.message}` : 'is invalid' }] });
        }
        const refused = messageRefusal(c);
        if (refused) throw refused;
        // Shares the case row with other writers but waits for a re-key (which locks it for update):
        // a body sealed under a key that a re-key has just replaced would be lost to every reader.
        const row = await caseRepo.keyEpochForShare(caseId, tx);
        if (row) assertKeyEpoch(row, input.keyEpoch);
        const now = clock.now();
        const inserted = await messages.insert({ id: input.id, caseId, sender, senderRole: roleOf(ctx.principal), body: input.body, createdAt: now }, tx);
        if (!inserted) throw new AppError('already_exists', 'a message with this id exists; the client must choose a new id');
        await outbox.add(tx, 'message.created', { caseId, messageId: input.id, senderRole: roleOf(ctx.principal) }, now);
        return { id: input.id, caseId, sender, createdAt: now.toISOString() };
      });
    },

    /** Oldest first, in pages after a (createdAt, id) cursor, with how many the caller has not read. */
    async list(ctx: RequestContext, caseId: string, page: { after?: { at: string; id: string }; limit: number }) {
      const { c, facts } = await cases.sealedFacts(ctx, caseId);
      const refusal = c?.purgedAt ? new AppError('case_purged', 'the sealed content of this case was purged') : null;
      await access.authorize(ctx, 'message.read', { resource: `case:${caseId}/messages`, caseId: c ? caseId : null, found: c !== undefined, facts, refusal }, undefined, { read: true });
      const [items, unread] = await Promise.all([messages.page(caseId, page), messages.unreadCounts([caseId], actorOf(ctx.principal))]);
      return { items, unread: unread.get(caseId) ?? 0 };
    },

    /**
     * Moves the caller's own read marker on the case to a message (never back: repeating is
     * harmless). A marker per reader: each staff member and the defender's receipt session.
     */
    async markRead(ctx: RequestContext, caseId: string, input: { upTo: string }) {
      const { c, facts } = await cases.sealedFacts(ctx, caseId);
      const reader = actorOf(ctx.principal);
      return command(ctx, { action: 'message.mark_read', resource: `case:${caseId}/messages`, caseId: c ? caseId : null }, async (tx) => {
        await access.authorize(ctx, 'message.mark_read', { resource: `case:${caseId}/messages`, caseId: c ? caseId : null, found: c !== undefined, facts }, tx, { reason: `up to message:${input.upTo}` });
        if (!c) throw new AppError('not_found');
        const upTo = await messages.placeOf(caseId, input.upTo, tx);
        if (!upTo) throw new AppError('not_found', 'no such message on this case');
        const marker = await messages.markRead(caseId, reader, upTo, clock.now(), tx);
        const unread = await messages.unreadCounts([caseId], reader, tx);
        return { caseId, lastReadId: marker.lastReadId, lastReadAt: marker.lastReadAt.toISOString(), unread: unread.get(caseId) ?? 0 };
      });
    },
  };
}
