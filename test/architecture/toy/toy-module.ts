import { defineModule, route } from '../../../src/module.js';
import { createOutbox } from '../../../src/outbox/outbox.js';
import type { OutboxHandler } from '../../../src/outbox/outbox-relay.js';
import { TOY_ACTION, TOY_TOPIC, TOY_TOPICS } from './toy-routes.js';

/** A module made the way a new domain is: this folder, and one entry in the list the app and the workers are given. */
export function toyModule(onPinged: (ids: string[]) => void) {
  const handler: OutboxHandler<typeof TOY_TOPIC, typeof TOY_TOPICS> = async (rows) => {
    onPinged(rows.map((r) => r.payload.id));
  };
  return defineModule({
    name: 'toy',
    topics: TOY_TOPICS,
    permissions: [TOY_ACTION],
    routes: [route(() => import('./toy-routes.js'), (c) => ({ db: c.database.db, access: c.services.access, outbox: createOutbox<typeof TOY_TOPICS>(), clock: c.clock }))],
    worker: { outbox: { [TOY_TOPIC]: () => handler } },
  });
}
