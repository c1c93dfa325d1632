/** The defender's sealed fields, as the worker opened them; one that does not open says so loudly. */
import { t } from '../i18n.js';
import { Icon } from '../ui/badges.js';
import type { OpenedField } from './case-key.js';

export function SealedFields({ fields }: { fields: OpenedField[] }) {
  return (
    <dl class="fields">
      {fields.map((f) => (
        <div key={f.name} class="field-row">
          <dt>{t(`case.field.${f.name}`)}</dt>
          {f.text === null ? (
            <dd>
              <p class="alert alert-error" role="alert">
                <Icon shape="triangle" /> {t('case.fieldUnopened')}
              </p>
            </dd>
          ) : (
            <dd class="sealed-text">{f.text}</dd>
          )}
        </div>
      ))}
    </dl>
  );
}
