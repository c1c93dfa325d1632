/**
 * /console/custody (supervisors): who holds the mechanism key and the search key, the warning
 * when too few do, and what a holder does about it (grant, rotate, move the cases still sealed
 * to a previous key, re-issue the search key and re-index the cases, split backup); a supervisor
 * who holds nothing restores from custodians' codes.
 */
import { useEffect, useState } from 'preact/hooks';
import { call, codeOf } from '../api.js';
import { formatDateTime, t } from '../i18n.js';
import { account } from '../session.js';
import { Problem } from '../ui/problem.js';
import { CustodyBackup } from './custody-backup.js';
import { CustodyGrant } from './custody-grant.js';
import { CustodyRestore } from './custody-restore.js';
import { CustodyRewrap } from './custody-rewrap.js';
import { CustodyRotate } from './custody-rotate.js';
import { SearchReissue } from './search-reissue.js';
import { holdsCurrent, type CustodyView } from './custody-view.js';
import { HolderTable } from './holder-table.js';

export function Custody() {
  const [view, setView] = useState<CustodyView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [round, setRound] = useState(0);
  // Said here, not in the form: a restore turns the restore form into the holder's forms.
  const [notice, setNotice] = useState<string | null>(null);
  // Set by a rotation made here: the cases still sealed to the previous key are moved at once.
  const [rotated, setRotated] = useState(false);

  useEffect(() => {
    call('getCustody').then(setView, (err: unknown) => setError(codeOf(err)));
  }, [round]);
  const reload = () => setRound((n) => n + 1);

  const holder = view ? holdsCurrent(view, account.value) : false;
  return (
    <section aria-labelledby="custody-title" class="stack">
      <h1 id="custody-title">{t('custody.title')}</h1>
      <p>{t('custody.intro')}</p>
      <Problem code={error} />
      <div role="status">{notice && <p class="alert alert-ok">{notice}</p>}</div>
      {!view && !error && <p aria-busy="true">{t('case.loading')}</p>}
      {view && (
        <>
          {view.warning && (
            <div class="alert alert-error" role="alert" data-code={view.warning.code} data-backup={view.warning.backup ? 'current' : 'none'}>
              <p>{t('custody.warning', { n: view.warning.holders, min: view.warning.minimum })}</p>
              {!view.warning.backup && <p>{t('custody.warningNoBackup')}</p>}
            </div>
          )}
          <section aria-labelledby="custody-key-title">
            <h2 id="custody-key-title">{t('custody.keyTitle')}</h2>
            {view.key ? (
              <p>
                {t('custody.keyFingerprint')} <span class="code fingerprint" data-mechanism-fingerprint>{view.key.fingerprint}</span>
              </p>
            ) : (
              <p class="muted">{t('custody.noKey')}</p>
            )}
            <p>{holder ? t('custody.youHold') : t('custody.youDoNotHold')}</p>
            <HolderTable caption={t('custody.mechanismHolders')} holders={view.holders} />
            <HolderTable caption={t('custody.searchHolders')} holders={view.searchHolders} />
            {view.olderKeys.length > 0 && (
              <>
                <h3>{t('custody.olderKeys')}</h3>
                <ul>
                  {view.olderKeys.map((k) => (
                    <li key={k.keyId} data-older-key={k.keyId}>
                      <span class="code">{k.fingerprint}</span> {t('custody.olderHeldBy', { names: k.holders.join(', ') })} {k.cases > 0 ? t('custody.olderCases', { n: k.cases }) : t('custody.olderNoCase')}
                    </li>
                  ))}
                </ul>
              </>
            )}
          </section>
          <CustodyRewrap view={view} holder={holder} start={rotated} onDone={reload} />
          <SearchReissue view={view} holder={holder} onDone={reload} />
          <section aria-labelledby="custody-backups-title">
            <h2 id="custody-backups-title">{t('custody.backupsTitle')}</h2>
            {view.backups.length === 0 ? (
              <p class="muted">{t('custody.noBackup')}</p>
            ) : (
              <ul>
                {view.backups.map((b) => (
                  <li key={b.id} data-backup={b.id}>
                    {t('custody.backupLine', { k: b.threshold, n: b.shares, who: b.madeBy, at: formatDateTime(b.madeAt), names: b.custodians.join(', ') })}{' '}
                    {!b.current && (
                      <p class="alert alert-warn" data-backup-older>
                        {t('custody.backupBeforeRotation')}
                      </p>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </section>
          {holder ? (
            <>
              <CustodyGrant view={view} onDone={reload} />
              <CustodyBackup view={view} onDone={reload} />
              <CustodyRotate
                key={view.key?.keyId}
                view={view}
                onDone={() => {
                  setRotated(true);
                  reload();
                }}
              />
            </>
          ) : (
            view.key && (
              <CustodyRestore
                view={view}
                onDone={() => {
                  setNotice(t('custody.restored'));
                  reload();
                }}
              />
            )
          )}
        </>
      )}
    </section>
  );
}
