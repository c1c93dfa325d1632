/** The service's figures, read by admins and supervisors: a chunk of its own (see lazy-screens.ts). */
// The main bundle's code, imported by every chunk so it stays in one file (see lazy-screens.ts).
import '../app.js';

export { ServiceFiguresScreen } from '../stats/service-screen.js';
