import { t } from '../i18n.js';

export function NotFound() {
  return (
    <section aria-labelledby="not-found-title">
      <h1 id="not-found-title">{t('notFound.title')}</h1>
      <p>
        <a href="/console">{t('notFound.home')}</a>
      </p>
    </section>
  );
}
