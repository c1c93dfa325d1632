/**
 * A defender's receipt, shown once to the officer who hands it over: large digits, what the
 * defender does with it, and a print button (only this part goes to the printer). The receipt
 * lives in the screen's memory only: leaving the screen forgets it.
 */
import { t } from '../i18n.js';

export function PrintedReceipt({ receipt, reference }: { receipt: string; reference: string }) {
  return (
    <div class="receipt-handover">
      <p class="alert alert-warn">
        <strong>{t('receipt.once')}</strong>
      </p>
      <div class="print-target receipt-print">
        <p class="print-only receipt-print-title">{t('receipt.printTitle')}</p>
        <p>
          {t('receipt.reference')} <strong>{reference}</strong>
        </p>
        <p class="receipt-label" id="receipt-label">
          {t('receipt.label')}
        </p>
        <p class="receipt-digits" aria-labelledby="receipt-label" data-receipt>
          {receipt}
        </p>
        <h2 class="receipt-how-title">{t('receipt.howTitle')}</h2>
        <ul class="receipt-how">
          <li>{t('receipt.how1')}</li>
          <li>{t('receipt.how2')}</li>
          <li>{t('receipt.how3')}</li>
          <li>{t('receipt.how4')}</li>
        </ul>
      </div>
      <p class="actions">
        <button type="button" onClick={() => window.print()}>
          {t('receipt.print')}
        </button>
      </p>
    </div>
  );
}
