/** The supervisors' statistics and annual report, with the chart library (uPlot): a chunk of its own (see lazy-screens.ts). */
// The main bundle's code, imported by every chunk so it stays in one file (see lazy-screens.ts).
import '../app.js';

export { StatsScreen } from '../stats/stats-screen.js';
export { ReportScreen } from '../stats/report-screen.js';
