/** The policies, read by supervisors and admins: a chunk of its own (see lazy-screens.ts). */
// The main bundle's code, imported by every chunk so it stays in one file (see lazy-screens.ts).
import '../app.js';

export { Policies } from '../admin/policies.js';
