import { defineModule, route, type ModuleOutboxHandler } from '../../../src/module.js';
import { TOY_ACTION, TOY_TOPIC } from './toy-routes.js';

/** A module made the way a new domain is: this folder, and one entry in the list the app and the workers are given. */
export function toyModule(onPinged: (ids: string[]) => void) {
  const handler: ModuleOutboxHandler = async (rows) => {
    onPinged(rows.map((r) => String(r.payload.id)));
  };
  return defineModule({
    name: 'toy',
    permissions: [TOY_ACTION],
    routes: [route(() => import('./toy-routes.js'), (c) => ({ db: c.database.db, access: c.services.access, outbox: c.repos.deadlines, clock: c.clock }))],
    worker: { outbox: { [TOY_TOPIC]: () => handler } },
  });
}
