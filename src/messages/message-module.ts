import { defineModule, route } from '../module.js';

/** Sealed messages on a case. */
export default defineModule({
  name: 'messages',
  permissions: ['message.create', 'message.read', 'message.mark_read'],
  routes: [route(() => import('./message-routes.js'), (c) => ({ messages: c.services.messages }))],
});
