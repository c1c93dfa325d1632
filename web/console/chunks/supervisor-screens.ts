/** The supervisors' own screens, one chunk of the build (see lazy-screens.ts). */
// The main bundle's code, imported by every chunk so it stays in one file (see lazy-screens.ts).
import '../app.js';

export { Board } from '../oversight/board.js';
export { StaffLeave } from '../oversight/staff-leave.js';
export { Custody } from '../custody/custody-screen.js';
export { AuditViewer } from '../audit/audit-viewer.js';
export { CaseAccessLog } from '../audit/case-access-log.js';
export { Approvals } from '../approvals/approvals-screen.js';
export { Retention } from '../approvals/retention-screen.js';
