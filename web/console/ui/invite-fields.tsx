/** The fields of an invitation (username, role, and for a partner member their organisation), shared by the invite screens. */
import { t } from '../i18n.js';
import { Field } from './field.js';

export interface InviteFieldsProps<Role extends string> {
  /** Prefix of the ids the labels point to (two forms may share a page). */
  idPrefix: string;
  roles: readonly Role[];
  username: string;
  setUsername(value: string): void;
  role: Role;
  setRole(value: Role): void;
  orgId: string;
  setOrgId(value: string): void;
  partners: ReadonlyArray<{ id: string; name: string }>;
}

export function InviteFields<Role extends string>(p: InviteFieldsProps<Role>) {
  return (
    <>
      <Field label={t('signIn.username')} hint={t('invite.usernameHint')} value={p.username} onValue={p.setUsername} autocapitalize="none" spellcheck={false} required />
      <div class="field">
        <label for={`${p.idPrefix}-role`}>{t('account.role')}</label>
        <select id={`${p.idPrefix}-role`} value={p.role} onChange={(e) => p.setRole(e.currentTarget.value as Role)}>
          {p.roles.map((r) => (
            <option key={r} value={r}>
              {t(`role.${r}`)}
            </option>
          ))}
        </select>
      </div>
      {p.role === 'partner' && (
        <div class="field">
          <label for={`${p.idPrefix}-org`}>{t('invite.org')}</label>
          <select id={`${p.idPrefix}-org`} value={p.orgId} onChange={(e) => p.setOrgId(e.currentTarget.value)} required>
            <option value="">{t('invite.orgChoose')}</option>
            {p.partners.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
        </div>
      )}
    </>
  );
}
