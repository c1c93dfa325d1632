/**
 * The conversation with the team. Each body is opened in the crypto worker under associated data
 * that binds the message id and its sender, so a body moved onto another message does not open;
 * a reply is sealed there the same way before it is sent.
 */
import { crypto } from './crypto-client.js';
import { h } from './dom.js';
import { L, dateText } from './i18n.js';
import { messageBodyAd } from '../../src/sdk/crypto/associated-data.js';
import { textField } from './ui.js';
import { actionForm, openedText, uuid, type CaseContext } from './case-context.js';
import type { ResponseOf } from './api.js';

export type Message = ResponseOf<'listCaseMessages'>['items'][number];

export function caseMessages(ctx: CaseContext): { el: HTMLElement; render(items: Message[]): Promise<void> } {
  const { caseId, self, call, act } = ctx;
  const list = h('ol', { class: 'messages', id: 'messages' });

  const reply = textField({ label: L('reply'), multiline: true, required: true });
  reply.input.id = 'reply';
  reply.wrap.querySelector('label')?.setAttribute('for', 'reply');
  const form = actionForm(act, {
    fields: [reply.wrap],
    send: L('sendMessage'),
    check: reply.check,
    run: async () => {
      const id = uuid();
      const body = await crypto({ op: 'seal', value: { text: reply.input.value.trim() }, ad: messageBodyAd(id, self) });
      // Read at send time: a load since the view opened may have brought a new case key.
      await call('sendMessage', { params: { caseId }, body: { id, body, keyEpoch: ctx.keyEpoch } });
      return L('messageSent');
    },
    after: () => (reply.input.value = ''),
  });

  async function render(items: Message[]): Promise<void> {
    const opened = items.length ? await crypto({ op: 'open', items: items.map((m) => ({ sealed: m.body, ad: messageBodyAd(m.id, m.sender) })) }) : [];
    list.replaceChildren(
      ...(items.length === 0
        ? [h('li', { class: 'hint' }, L('noMessages'))]
        : items.map((m, i) => {
            const body = openedText(opened[i] ?? null);
            return h(
              'li',
              { class: m.sender === self ? 'mine' : 'theirs' },
              h('p', { class: 'who' }, m.sender === self ? L('you') : L('team'), ' · ', dateText(m.createdAt)),
              body === null ? h('p', { class: 'hint' }, L('unreadable')) : h('p', { class: 'body' }, body),
            );
          })),
    );
  }

  return { el: h('section', { class: 'card', 'aria-labelledby': 'messages-title' }, h('h2', { id: 'messages-title' }, L('messages')), list, form), render };
}
