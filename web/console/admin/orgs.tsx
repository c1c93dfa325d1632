/** The admins' organisations page: the mechanism and the partner organisations, and a new partner. */
import { useEffect, useState } from 'preact/hooks';
import { call, codeOf, type ResponseOf } from '../api.js';
import { formatDateTime, t } from '../i18n.js';
import { useCommand } from '../ui/command-form.js';
import { Field } from '../ui/field.js';
import { Problem } from '../ui/problem.js';

type Org = ResponseOf<'listOrgs'>['items'][number];
type Category = 'ngo' | 'lawyers' | 'programme' | 'state_authority';
const CATEGORIES: readonly Category[] = ['ngo', 'lawyers', 'programme', 'state_authority'];

export function Orgs() {
  const [orgs, setOrgs] = useState<Org[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [category, setCategory] = useState<Category>('ngo');
  const [made, setMade] = useState<Org | null>(null);
  const { busy, error, run } = useCommand();

  const load = () =>
    call('listOrgs').then(
      (r) => setOrgs(r.items),
      (err: unknown) => setLoadError(codeOf(err)),
    );
  useEffect(() => void load(), []);

  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      setMade(await call('createOrg', { body: { name: name.trim(), category } }));
      setName('');
      await load();
    });
  };

  return (
    <div class="stack">
      <h1>{t('admin.orgs.title')}</h1>
      <Problem code={loadError} />
      {orgs && (
        <table class="queue">
          <thead>
            <tr>
              <th scope="col">{t('admin.orgs.name')}</th>
              <th scope="col">{t('admin.orgs.category')}</th>
              <th scope="col">{t('admin.orgs.created')}</th>
            </tr>
          </thead>
          <tbody>
            {orgs.map((o) => (
              <tr key={o.id} data-org={o.name}>
                <th scope="row">
                  <a href={`/console/orgs/${o.id}`}>{o.name}</a>
                </th>
                <td data-label={t('admin.orgs.category')}>{t(`admin.orgs.kind.${o.category}`)}</td>
                <td data-label={t('admin.orgs.created')}>{formatDateTime(o.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <section class="card" aria-labelledby="org-new-title">
        <h2 id="org-new-title">{t('admin.orgs.new')}</h2>
        <Problem code={error} />
        {made && (
          <p class="alert alert-ok" role="status">
            {t('admin.orgs.made', { name: made.name })} <a href={`/console/orgs/${made.id}`}>{t('admin.orgs.open')}</a>
          </p>
        )}
        <form onSubmit={submit} noValidate>
          <Field label={t('admin.orgs.name')} value={name} onValue={setName} maxLength={200} required />
          <div class="field">
            <label for="org-category">{t('admin.orgs.category')}</label>
            <select id="org-category" value={category} onChange={(e) => setCategory(e.currentTarget.value as Category)}>
              {CATEGORIES.map((c) => (
                <option key={c} value={c}>
                  {t(`admin.orgs.kind.${c}`)}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
            {t('admin.orgs.create')}
          </button>
        </form>
      </section>
    </div>
  );
}
