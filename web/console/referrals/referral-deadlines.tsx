/** One referral's deadlines still running (open or paused), each with its time left; nothing when none runs. */
import { ruleText } from '../case/case-deadlines.js';
import { t } from '../i18n.js';
import { TimeLeft } from '../ui/time-left.js';

/** What the list needs of a deadline, as both the case's and the partner's deadline lists give it. */
interface Deadline {
  id: string;
  subjectId: string | null;
  rule: string;
  state: string;
  dueAt: string;
  overdue: boolean;
}

export function ReferralDeadlines({ referralId, deadlines }: { referralId: string; deadlines: readonly Deadline[] }) {
  const running = deadlines.filter((d) => d.subjectId === referralId && (d.state === 'open' || d.state === 'paused'));
  if (running.length === 0) return null;
  return (
    <ul class="deadlines">
      {running.map((d) => (
        <li key={d.id}>
          <strong>{ruleText(d.rule)}</strong> · {t('deadlines.due')} <TimeLeft dueAt={d.dueAt} overdue={d.overdue} />
        </li>
      ))}
    </ul>
  );
}
