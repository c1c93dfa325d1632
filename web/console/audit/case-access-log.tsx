/**
 * A case's access log (supervisors): who saw the case, when, with what outcome, newest first;
 * reads through a break-glass are marked. The audit log filtered on the case, read (and audited)
 * like the viewer.
 */
import { useEffect, useState } from 'preact/hooks';
import { call } from '../api.js';
import { t } from '../i18n.js';
import { AuditPages, useAuditPages } from './audit-viewer.js';

export function CaseAccessLog({ caseId }: { caseId: string }) {
  const pages = useAuditPages({ caseId });
  const [reference, setReference] = useState<string | null>(null);
  useEffect(() => {
    call('getCase', { params: { caseId } }).then((r) => setReference(r.case.reference), () => undefined);
  }, [caseId]);
  const breakGlass = (pages.items ?? []).filter((e) => e.action === 'break_glass.read').length;
  return (
    <section aria-labelledby="access-log-title">
      <h1 id="access-log-title">{reference ? t('audit.accessLog.title', { reference }) : t('audit.accessLog.titlePlain')}</h1>
      <p>{t('audit.accessLog.intro')}</p>
      <p>
        <a href={`/console/cases/${caseId}`}>{t('audit.accessLog.back')}</a>
      </p>
      {breakGlass > 0 && (
        <p class="alert alert-warn" data-break-glass={breakGlass}>
          {t('audit.accessLog.breakGlass', { count: breakGlass })}
        </p>
      )}
      <AuditPages pages={pages} caption={t('audit.accessLog.titlePlain')} />
    </section>
  );
}
