import { useRef } from 'preact/hooks';

/**
 * Only the latest of a screen's requests may change what it shows. A list asked for under one tab
 * or filter can answer after the next one was asked for; shown, it would put the previous list
 * under the new heading. `begin()` is called as a request starts and gives a check to call when
 * it answers: true while no later request was begun.
 */
export function useLatestRequest(): () => () => boolean {
  const latest = useRef(0);
  return () => {
    const mine = ++latest.current;
    return () => mine === latest.current;
  };
}
