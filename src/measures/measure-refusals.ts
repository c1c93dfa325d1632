import { AppError } from '../lib/problem.js';
import type { CaseRow } from '../cases/case-repository.js';
import type { MeasureCommand } from '../contracts/measure.js';
import { IN_EFFECT_STATUSES, type MeasureRow, type MeasureStatus } from './measure-repository.js';
import { ASSESSED_STATES, URGENT_TRACK_STATES } from './measure-commands.js';

/** The permission of policies/access.yaml each measure command is authorised with (the routes' `action`). */
export const MEASURE_COMMAND_ACTIONS: Record<MeasureCommand, string> = {
  consent: 'measure.consent',
  approve: 'measure.approve',
  reject: 'measure.approve',
  confirm: 'measure.approve',
  implement: 'measure.implement',
  activate: 'measure.implement',
  review: 'measure.lift',
  lift: 'measure.lift',
};

type Measure = Pick<MeasureRow, 'status' | 'urgent' | 'confirmedAt'>;

const notFrom = (m: Measure, from: readonly MeasureStatus[], verb: string): AppError | null =>
  from.includes(m.status) ? null : new AppError('invalid_transition', `cannot ${verb} a measure that is ${m.status} (allowed from ${from.join(', ')})`);

/**
 * Why a command on a measure would be refused now, from the measure's and the case's states
 * (beyond the access policy): the commands throw what this returns, and the list of a case's
 * measures asks it for each command, so a button is shown exactly when the command is taken.
 */
export function measureRefusal(command: MeasureCommand, m: Measure, c: Pick<CaseRow, 'state'>): AppError | null {
  if (c.state === 'closed') return new AppError('invalid_transition', 'the case is closed');
  switch (command) {
    case 'consent':
      if (m.status === 'refused') return new AppError('invalid_transition', 'the defender refused this measure; a refusal is final for this proposal');
      return notFrom(m, ['proposed'], 'answer for');
    case 'approve':
    case 'reject': {
      if (m.status === 'proposed') return new AppError('consent_required', "the defender's consent to this measure is not on record");
      const status = notFrom(m, ['consented'], 'decide');
      if (status || command === 'reject') return status;
      const urgentTrack = m.urgent && URGENT_TRACK_STATES.includes(c.state);
      if (!urgentTrack && !ASSESSED_STATES.includes(c.state)) return new AppError('assessment_required', 'an ordinary measure is approved once the assessment is complete');
      return null;
    }
    case 'confirm':
      if (!m.urgent) return new AppError('invalid_transition', 'only a measure approved on the urgent track is confirmed');
      if (m.confirmedAt !== null) return new AppError('invalid_transition', 'this measure has been confirmed already');
      return notFrom(m, IN_EFFECT_STATUSES, 'confirm') ?? (ASSESSED_STATES.includes(c.state) ? null : new AppError('assessment_required', 'an urgent measure is confirmed by an ordinary decision, once the assessment is complete'));
    case 'implement':
      return notFrom(m, ['approved'], 'start implementing');
    case 'activate':
      return notFrom(m, ['implementing'], 'activate');
    case 'review':
      return notFrom(m, ['active'], 'review');
    case 'lift':
      return notFrom(m, IN_EFFECT_STATUSES, 'lift');
  }
}

/** Throws the refusal of `command`, if any (the commands' own check). */
export function assertMeasureCommand(command: MeasureCommand, m: Measure, c: Pick<CaseRow, 'state'>): void {
  const refused = measureRefusal(command, m, c);
  if (refused) throw refused;
}
