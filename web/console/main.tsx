/** The console's entry: settings from the API, the language catalogue, then the app. */
import { render } from 'preact';
import { call } from './api.js';
import { App } from './app.js';
import { startI18n, timeZone } from './i18n.js';
import { idleLockMinutes } from './session.js';

async function boot(): Promise<void> {
  const [settings] = await Promise.all([call('getConsoleSettings'), startI18n()]);
  timeZone.value = settings.timeZone;
  idleLockMinutes.value = settings.idleLockMinutes;
  const root = document.getElementById('app');
  if (!root) return;
  root.textContent = '';
  render(<App />, root);
}

void boot().catch(() => {
  const root = document.getElementById('app');
  if (root) root.textContent = 'La console ne peut pas démarrer : le service ne répond pas. / The console cannot start: the service does not answer.';
});
