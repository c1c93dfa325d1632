/**
 * The case's messages with the defender: bodies opened in the worker (AD bound to the message id
 * and its sender), the thread marked read up to the last one shown, and a reply sealed in the
 * worker before it leaves (AD egide/v1/message/<id>/u:<me>/body).
 */
import { useEffect, useId, useState } from 'preact/hooks';
import { messageBodyAd } from '../../../src/sdk/crypto/associated-data.js';
import { call, codeOf } from '../api.js';
import { crypto } from '../crypto-client.js';
import { formatDateTime, t } from '../i18n.js';
import { account } from '../session.js';
import { Icon } from '../ui/badges.js';
import { Problem } from '../ui/problem.js';
import { fieldText } from './field-text.js';

interface Shown {
  id: string;
  mine: boolean;
  fromDefender: boolean;
  text: string | null;
  createdAt: string;
  /** unread when the page loaded (after the read marker, from someone else) */
  unread: boolean;
}


export function CaseMessages({ caseId, keyEpoch }: { caseId: string; keyEpoch: number }) {
  const me = `u:${account.value?.id ?? ''}`;
  const [items, setItems] = useState<Shown[] | null>(null);
  const [unread, setUnread] = useState(0);
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const draftId = useId();

  const load = async () => {
    const page = await call('listCaseMessages', { params: { caseId }, query: { limit: '100' } });
    const opened = await crypto({ op: 'open', caseId, items: page.items.map((m) => ({ sealed: m.body, ad: messageBodyAd(m.id, m.sender) })) });
    // The unread ones are the last `unread` messages of others (the read marker only moves forward).
    let left = page.unread;
    const unreadIds = new Set<string>();
    for (const m of [...page.items].reverse()) {
      if (left === 0) break;
      if (m.sender !== me) {
        unreadIds.add(m.id);
        left--;
      }
    }
    setItems(page.items.map((m, i) => ({ id: m.id, mine: m.sender === me, fromDefender: m.sender.startsWith('d:'), text: opened[i] == null ? null : fieldText(opened[i]), createdAt: m.createdAt, unread: unreadIds.has(m.id) })));
    setUnread(page.unread);
    const last = page.items.at(-1);
    if (last && page.unread > 0) {
      const read = await call('markMessagesRead', { params: { caseId }, body: { upTo: last.id } });
      setUnread(read.unread);
    }
  };

  useEffect(() => {
    load().catch((err: unknown) => setError(codeOf(err)));
  }, [caseId]);

  const send = async (event: Event) => {
    event.preventDefault();
    const text = draft.trim();
    if (!text) return;
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      const id = globalThis.crypto.randomUUID();
      const body = await crypto({ op: 'seal', caseId, value: { text }, ad: messageBodyAd(id, me) });
      await call('sendMessage', { params: { caseId }, body: { id, body, keyEpoch } });
      setDraft('');
      setStatus(t('messages.sent'));
      await load();
    } catch (err) {
      setError(codeOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <p class="muted" data-unread={unread}>
        {t('messages.unreadCount', { count: unread })}
      </p>
      <Problem code={error} />
      {items === null ? (
        <p aria-busy="true">{t('case.loading')}</p>
      ) : items.length === 0 ? (
        <p>{t('messages.empty')}</p>
      ) : (
        <ol class="messages">
          {items.map((m) => (
            <li key={m.id} class={m.mine ? 'message mine' : 'message'} data-message-id={m.id}>
              <p class="message-meta">
                <strong>{m.mine ? t('messages.fromMe') : m.fromDefender ? t('messages.fromDefender') : t('messages.fromStaff')}</strong> · <time dateTime={m.createdAt}>{formatDateTime(m.createdAt)}</time>
                {m.unread && (
                  <span class="badge badge-unread">
                    <Icon shape="dot" />
                    {t('messages.new')}
                  </span>
                )}
              </p>
              {m.text === null ? (
                <p class="alert alert-error" role="alert">
                  <Icon shape="triangle" /> {t('messages.unopened')}
                </p>
              ) : (
                <p class="message-body">{m.text}</p>
              )}
            </li>
          ))}
        </ol>
      )}
      <form onSubmit={send} class="message-form">
        <div class="field">
          <label for={draftId}>{t('messages.draft')}</label>
          <textarea id={draftId} rows={4} maxLength={4000} value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
        </div>
        <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
          {t('messages.send')}
        </button>
        <p role="status">{status ?? ''}</p>
      </form>
    </>
  );
}
