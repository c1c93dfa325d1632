/** The start page after sign-in. */
import { formatDateTime, t } from '../i18n.js';
import { account } from '../session.js';

export function Home() {
  const me = account.value;
  return (
    <section aria-labelledby="home-title">
      <h1 id="home-title">{t('home.title')}</h1>
      <p>{t('home.signedInAs', { username: me?.username ?? '', role: t(`role.${me?.role ?? 'officer'}`) })}</p>
      <p>{t('home.now', { time: formatDateTime(new Date()) })}</p>
    </section>
  );
}
