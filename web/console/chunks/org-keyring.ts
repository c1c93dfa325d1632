/** A partner organisation's keyring, which supervisors reach too: a chunk of its own (see lazy-screens.ts). */
// The main bundle's code, imported by every chunk so it stays in one file (see lazy-screens.ts).
import '../app.js';

export { OrgKeyring } from '../partner/org-keyring.js';
