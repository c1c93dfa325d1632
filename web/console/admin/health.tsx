/**
 * The service's health for admins: PostgreSQL and Redis, the queues (waiting, delayed, failed
 * jobs), the holders of the mechanism key (too few: a link to the custody page, where a holder
 * grants it), active admins, the age of the audit chain's last signed checkpoint, the running
 * version and the hash of the console build it serves, and whether Redis keeps the queued jobs
 * (append-only file, no eviction).
 */
import { useEffect, useState } from 'preact/hooks';
import { call, codeOf, type ResponseOf } from '../api.js';
import { t } from '../i18n.js';
import { Problem } from '../ui/problem.js';

type Health = ResponseOf<'getAdminHealth'>;

const count = (n: number | null) => (n === null ? t('admin.health.unknown') : String(n));

function age(seconds: number | null): string {
  if (seconds === null) return t('admin.health.noCheckpoint');
  if (seconds < 120) return t('admin.health.seconds', { n: seconds });
  if (seconds < 7200) return t('admin.health.minutes', { n: Math.floor(seconds / 60) });
  return t('admin.health.hours', { n: Math.floor(seconds / 3600) });
}

export function HealthPage() {
  const [h, setH] = useState<Health | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () =>
    call('getAdminHealth').then(
      (r) => {
        setH(r);
        setError(null);
      },
      (err: unknown) => setError(codeOf(err)),
    );
  useEffect(() => void load(), []);

  return (
    <div class="stack">
      <h1>{t('admin.health.title')}</h1>
      <Problem code={error} />
      <p>
        <button type="button" onClick={() => void load()}>
          {t('admin.hooks.refresh')}
        </button>
      </p>
      {h && (
        <>
          <p class={h.status === 'ready' ? 'alert alert-ok' : 'alert alert-error'} data-status={h.status}>
            {h.status === 'ready' ? t('admin.health.ready') : t('admin.health.notReady')}
          </p>
          {(h.mechanismKeyHolders !== null && h.mechanismKeyHolders < 2) || (h.activeAdmins !== null && h.activeAdmins < 2) || h.auditCheckpointStale || h.redisPersistence.status !== 'ok' ? (
            <div class="alert alert-warn" role="status">
              <ul>
                {h.mechanismKeyHolders !== null && h.mechanismKeyHolders < 2 && (
                  <li data-warning="keyholders">
                    {t('admin.health.fewHolders', { n: h.mechanismKeyHolders })} {h.keyholderWarning && !h.keyholderWarning.backup && `${t('admin.health.noBackup')} `}
                    <a href="/console/custody">{t('admin.health.custody')}</a>
                  </li>
                )}
                {h.activeAdmins !== null && h.activeAdmins < 2 && <li data-warning="admins">{t('admin.health.fewAdmins', { n: h.activeAdmins })}</li>}
                {h.auditCheckpointStale && <li data-warning="checkpoint">{t('admin.health.staleCheckpoint')}</li>}
                {h.redisPersistence.status !== 'ok' && (
                  <li data-warning="redis-persistence">{h.redisPersistence.status === 'warning' ? t('admin.health.redisNotPersistent') : t('admin.health.redisPersistenceUnknown')}</li>
                )}
              </ul>
            </div>
          ) : null}
          <section class="card" aria-labelledby="health-deps-title">
            <h2 id="health-deps-title">{t('admin.health.dependencies')}</h2>
            <dl class="facts">
              <dt>PostgreSQL</dt>
              <dd data-check="database">{h.checks.database === 'up' ? t('admin.health.up') : t('admin.health.down')}</dd>
              <dt>Redis</dt>
              <dd data-check="redis">{h.checks.redis === 'up' ? t('admin.health.up') : t('admin.health.down')}</dd>
              <dt>{t('admin.health.redisPersistence')}</dt>
              <dd class="code" data-redis-persistence={h.redisPersistence.status}>
                appendonly {h.redisPersistence.appendonly}, maxmemory-policy {h.redisPersistence.maxmemoryPolicy}
              </dd>
              <dt>{t('admin.health.holders')}</dt>
              <dd>{count(h.mechanismKeyHolders)}</dd>
              <dt>{t('admin.health.admins')}</dt>
              <dd>{count(h.activeAdmins)}</dd>
              <dt>{t('admin.health.checkpoint')}</dt>
              <dd>{age(h.auditCheckpointAgeSeconds)}</dd>
              <dt>{t('admin.health.version')}</dt>
              <dd data-version>{h.version}</dd>
              <dt>{t('admin.health.webBuild')}</dt>
              <dd class="code" data-web-build>
                {h.webBuild ?? t('admin.health.notBuilt')}
              </dd>
            </dl>
          </section>
          <section aria-labelledby="health-queues-title">
            <h2 id="health-queues-title">{t('admin.health.queues')}</h2>
            <table class="queue">
              <thead>
                <tr>
                  <th scope="col">{t('admin.health.queue')}</th>
                  <th scope="col">{t('admin.health.waiting')}</th>
                  <th scope="col">{t('admin.health.active')}</th>
                  <th scope="col">{t('admin.health.delayed')}</th>
                  <th scope="col">{t('admin.health.failed')}</th>
                </tr>
              </thead>
              <tbody>
                {h.queues.map((q) => (
                  <tr key={q.name} data-queue={q.name}>
                    <th scope="row" class="code">
                      {q.name}
                    </th>
                    <td data-label={t('admin.health.waiting')}>{count(q.waiting)}</td>
                    <td data-label={t('admin.health.active')}>{count(q.active)}</td>
                    <td data-label={t('admin.health.delayed')}>{count(q.delayed)}</td>
                    <td data-label={t('admin.health.failed')} class={q.failed ? 'late' : undefined}>
                      {count(q.failed)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </>
      )}
    </div>
  );
}
