/** The frame around every screen: skip link, header with navigation, language and account menu. */
import type { ComponentChildren } from 'preact';
import { languageName, languages, lang, setLanguage, t } from './i18n.js';
import { reachable, SCREENS } from './screen-list.js';
import { account, lockNow, signOut } from './session.js';
import { NotificationsLink } from './ui/unread-notifications.js';

export function Shell({ children }: { children: ComponentChildren }) {
  const me = account.value;
  return (
    <>
      <a class="skip" href="#main">
        {t('nav.skip')}
      </a>
      <header class="bar">
        <a class="brand" href="/console">
          {t('brand')}
        </a>
        {me && (
          <nav aria-label={t('nav.label')}>
            <ul>
              {SCREENS.filter((s) => s.nav && s.roles !== 'public' && reachable(s, me.role)).map((s) => (
                <li key={s.path}>{s.path === '/console/notifications' ? <NotificationsLink /> : <a href={s.path}>{t(`nav.${s.nav ?? ''}`)}</a>}</li>
              ))}
            </ul>
          </nav>
        )}
        <div class="bar-end">
          <label class="lang">
            <span class="visually-hidden">{t('nav.language')}</span>
            <select value={lang.value} onChange={(e) => void setLanguage(e.currentTarget.value)}>
              {languages.map((code) => (
                <option key={code} value={code} lang={code}>
                  {languageName(code)}
                </option>
              ))}
            </select>
          </label>
          {me && (
            <>
              <button type="button" onClick={() => void lockNow()}>
                {t('nav.lock')}
              </button>
              <button type="button" onClick={() => void signOut()}>
                {t('nav.signOut')}
              </button>
            </>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
