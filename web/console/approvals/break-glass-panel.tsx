/**
 * Break-glass on the case page, for a supervisor outside the case (its sealed read answered
 * `break_glass_required`): "open with a reason", saying plainly that every other supervisor is
 * told and the reason stays on the case's timeline. Once open, the window's time left shows, read
 * from the timeline (the opening's entry names its end), so a reload still shows it.
 */
import { useState } from 'preact/hooks';
import { call, type ResponseOf } from '../api.js';
import { t } from '../i18n.js';
import { account } from '../session.js';
import { ReasonForm } from '../ui/reason-form.js';
import { TimeLeft } from '../ui/time-left.js';

type Timeline = ResponseOf<'getCaseTimeline'>['items'];

/** The end of the caller's open break-glass on the case, from its timeline entry ("until <time>: <reason>"), or null. */
export function breakGlassEnd(timeline: Timeline | null, now = Date.now()): string | null {
  const me = account.value?.id;
  if (!timeline || !me) return null;
  const ends = timeline
    .filter((e) => e.action === 'case.break_glass' && e.actor === `u:${me}`)
    .map((e) => /^until (\S+): /.exec(e.reason ?? '')?.[1])
    .filter((end): end is string => end !== undefined && Date.parse(end) > now);
  return ends.sort().at(-1) ?? null;
}

export function BreakGlassWindow({ end }: { end: string }) {
  return (
    <p class="alert" data-break-glass-until={end}>
      {t('breakGlass.openUntil')} <TimeLeft dueAt={end} overdue={false} />
    </p>
  );
}

export function BreakGlassPanel({ caseId, allowed, onOpened }: { caseId: string; allowed: boolean; onOpened: () => void }) {
  const [open, setOpen] = useState(false);
  return (
    <div class="break-glass">
      <p>{t('breakGlass.outside')}</p>
      {allowed && (
        <>
          <p class="hint">{t('breakGlass.warning')}</p>
          {!open ? (
            <p>
              <button type="button" data-command="break_glass" aria-expanded={false} onClick={() => setOpen(true)}>
                {t('breakGlass.open')}
              </button>
            </p>
          ) : (
            <ReasonForm
              confirm={t('breakGlass.confirm')}
              hint={t('breakGlass.reasonHint')}
              onCancel={() => setOpen(false)}
              send={async (reason) => {
                await call('openBreakGlass', { params: { caseId }, body: { reason } });
                onOpened();
              }}
            />
          )}
        </>
      )}
    </div>
  );
}
