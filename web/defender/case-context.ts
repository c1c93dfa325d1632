/**
 * What the sections of a followed case share, handed to each as one object rather than kept in
 * module globals: closing the case (or opening another) leaves no state behind for the next view.
 */
import { ApiFailure, call as send, logIn, transition as sendTransition, type ResponseOf } from './api.js';
import type { CallArgs, OperationId } from '../../src/sdk/client/api-client.js';
import { CryptoFailure } from './crypto-client.js';
import { h, type Child } from './dom.js';
import { L, type Bilingual } from './i18n.js';
import type { JsonValue } from '../../src/sdk/index.js';
import type { Session } from './follow-receipt.js';
import { Outcome, readLists, type Lists } from './ui.js';

export interface CaseContext {
  /** The case's id (the path parameter of its own routes). */
  readonly caseId: string;
  /** The sender the server records for the defender (`d:<case id>`): it tells "you" from "the team" and is bound into a message's associated data. */
  readonly self: string;
  /** The key epoch of the last load, sent with a new message: after a re-keying the server refuses a stale one (key_epoch_changed). */
  keyEpoch: number;
  /** The institution's codes written into the page (threat types for an incident). */
  readonly lists: Lists;
  /** Every call of the view: a session the client could not renew is opened again once with the authKey in memory. */
  call<Id extends OperationId>(operationId: Id, ...input: CallArgs<Id>): Promise<ResponseOf<Id>>;
  /** A transition of the case (the defender's: `provide_info`), renewed the same way. */
  transition(name: string): Promise<void>;
  /**
   * Runs one action: the button is disabled meanwhile; on failure the typed text stays and the
   * reason is shown. `after` clears the form once it has gone; `reload` shows its effect (a
   * message in the list, a consent no longer asked); the confirmation also goes to the top.
   */
  act(btn: HTMLButtonElement, outcome: Outcome, run: () => Promise<Bilingual>, reload?: boolean, after?: () => void): Promise<void>;
}

/** The context of one case view; `top` is the view's own outcome area, `load` its reload. */
export function caseContext(session: Session, top: Outcome, load: () => Promise<void>): CaseContext {
  async function renewing<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof ApiFailure) || err.kind !== 'unauthenticated') throw err;
      await logIn(session.authKey);
      return run();
    }
  }
  const call = <Id extends OperationId>(operationId: Id, ...input: CallArgs<Id>): Promise<ResponseOf<Id>> => renewing(() => send(operationId, ...input));
  const transition = (name: string): Promise<void> => renewing(() => sendTransition(session.caseId, name));

  async function act(btn: HTMLButtonElement, outcome: Outcome, run: () => Promise<Bilingual>, reload = false, after?: () => void): Promise<void> {
    outcome.clear();
    btn.disabled = true;
    try {
      const done = await run();
      after?.();
      if (reload) await load();
      outcome.ok(done);
      top.ok(done);
    } catch (err) {
      outcome.fail(err instanceof ApiFailure || err instanceof CryptoFailure ? err : new CryptoFailure('crypto_failed', String(err)));
    } finally {
      btn.disabled = false;
    }
  }

  return { caseId: session.caseId, self: `d:${session.caseId}`, keyEpoch: 1, lists: readLists(), call, transition, act };
}

/**
 * A section's form (reply, check-in, incident): on submit, `check` (the required fields) first,
 * then `run` through `act`, which reloads the view so what was sent shows, and `after` empties it.
 */
export function actionForm(
  act: CaseContext['act'],
  o: { id?: string; fields: Child[]; send: Bilingual; check?: () => boolean; run: () => Promise<Bilingual>; after: () => void },
): HTMLFormElement {
  const outcome = new Outcome();
  const send = h('button', { type: 'submit', class: 'primary' }, o.send);
  const form = h('form', { novalidate: true, id: o.id }, ...o.fields, outcome.el, send);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (o.check && !o.check()) return outcome.failWith(L('fixErrors'));
    void act(send, outcome, o.run, true, o.after);
  });
  return form;
}

/** A fresh id for what the page creates (a message, a report): it is bound into the sealed content's associated data before the server sees it. */
export const uuid = (): string => globalThis.crypto.randomUUID();

/** The text of an opened value (`{ text }` as this page seals it, or a bare string); null when it did not open or holds no text. */
export const openedText = (v: JsonValue | null): string | null => (v && typeof v === 'object' && !Array.isArray(v) && typeof v.text === 'string' ? v.text : typeof v === 'string' ? v : null);
