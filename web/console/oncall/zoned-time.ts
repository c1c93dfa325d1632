/**
 * The value of a datetime-local input in the mechanism's time zone (not this computer's): the
 * roster is written and read in the mechanism's hours, wherever the supervisor's laptop is set.
 */
const pad = (n: number) => String(n).padStart(2, '0');

function wall(ms: number, timeZone: string): { y: number; m: number; d: number; h: number; mi: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).formatToParts(new Date(ms));
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return { y: n('year'), m: n('month'), d: n('day'), h: n('hour'), mi: n('minute') };
}

/** "YYYY-MM-DDTHH:MM" as the zone's clock shows the instant. */
export function toZonedInput(iso: string, timeZone: string): string {
  const w = wall(Date.parse(iso), timeZone);
  return `${w.y}-${pad(w.m)}-${pad(w.d)}T${pad(w.h)}:${pad(w.mi)}`;
}

/** The instant the zone's clock shows as `value` ("YYYY-MM-DDTHH:MM"), or null when it is not one. */
export function fromZonedInput(value: string, timeZone: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!m) return null;
  const asUtc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  const offset = (ms: number) => {
    const w = wall(ms, timeZone);
    return Date.UTC(w.y, w.m - 1, w.d, w.h, w.mi) - ms;
  };
  // Twice: the first guess may fall on the other side of a daylight-saving change.
  const first = asUtc - offset(asUtc);
  return new Date(asUtc - offset(first)).toISOString();
}
