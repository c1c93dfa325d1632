/**
 * A screen whose code is in a chunk of its own (the screens only some roles open, see
 * lazy-screens.ts): the chunk is fetched the first time the screen shows, and a line says so
 * meanwhile. A chunk that does not come (the network is down, or a new release replaced the
 * files) leaves a message in words in the screen's place, with a button that asks for it again,
 * never a blank page.
 *
 * Not preact-iso's `lazy()`: a failed load stays failed there (the promise is kept and the route
 * waits on it for good), with no error to show and nothing to retry.
 */
import type { ComponentType, FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n.js';

export function lazyScreen<P extends object>(load: () => Promise<ComponentType<P>>): FunctionComponent<P> {
  let screen: ComponentType<P> | undefined;
  let pending: Promise<unknown> | undefined;
  // One fetch at a time; a failed one is forgotten, so the next try fetches again.
  const fetchScreen = () =>
    (pending ??= load().then(
      (loaded) => {
        screen = loaded;
      },
      (err: unknown) => {
        pending = undefined;
        throw err;
      },
    ));

  return function LazyScreen(props: P) {
    const [failed, setFailed] = useState(false);
    const [, setLoaded] = useState(false);
    useEffect(() => {
      if (screen || failed) return;
      let live = true;
      fetchScreen().then(
        () => live && setLoaded(true),
        () => live && setFailed(true),
      );
      return () => {
        live = false;
      };
    }, [failed]);
    if (screen) {
      const Screen = screen;
      return <Screen {...props} />;
    }
    if (failed) return <ScreenUnavailable onRetry={() => setFailed(false)} />;
    return (
      <p class="muted" aria-busy="true">
        {t('screen.loading')}
      </p>
    );
  };
}

function ScreenUnavailable({ onRetry }: { onRetry: () => void }) {
  return (
    <section aria-labelledby="screen-failed-title">
      <h1 id="screen-failed-title">{t('screen.failed.title')}</h1>
      <p class="alert alert-error" role="alert">
        {t('screen.failed.why')}
      </p>
      <p>
        <button type="button" onClick={onRetry}>
          {t('screen.failed.retry')}
        </button>
      </p>
    </section>
  );
}
