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

/** Another role's screen: it exists, but not for this person (what their role may do is in policies/access.yaml). */
export function NotAvailable() {
  return (
    <section aria-labelledby="not-available-title">
      <h1 id="not-available-title">{t('notAvailable.title')}</h1>
      <p>{t('notAvailable.why')}</p>
      <p>
        <a href="/console">{t('notFound.home')}</a>
      </p>
    </section>
  );
}
