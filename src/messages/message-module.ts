import { defineModule, route } from '../module.js';
import messageRoutes from './message-routes.js';

/** Sealed messages on a case. */
export default defineModule({
  name: 'messages',
  permissions: ['message.create', 'message.read'],
  routes: [route(messageRoutes, (c) => ({ messages: c.services.messages }))],
});
