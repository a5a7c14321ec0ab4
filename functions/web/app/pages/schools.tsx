import { useEffect, useState } from 'preact/hooks';
import type { Me } from '../../../../shared/api/schemas.js';
import { MilestoneStatus } from '../../../../shared/program/model.js';
import { api, type SchoolFilter } from '../api.js';
import { useI18n } from '../i18n.js';
import { districtName, sortedDistricts, usePublishedMilestones } from '../program.js';
import { href, navigate } from '../router.js';
import { AsyncView, InputField, PageTitle, SelectField, StatusBadge, useAsync } from '../ui.js';
import { BulkPanel, mayBulk } from '../bulk-panel.js';

function filterFrom(params: URLSearchParams, me: Me): SchoolFilter {
  return {
    district: me.role === 'district-coordinator' && me.district ? me.district : params.get('district') || undefined,
    milestone: params.get('milestone') || undefined,
    status: params.get('status') || undefined,
    overdue: params.get('overdue') === 'true' || undefined,
    q: params.get('q')?.trim() || undefined,
  };
}

export function SchoolsPage({ me, params }: { me: Me; params: URLSearchParams }) {
  const i18n = useI18n();
  const { t, lang } = i18n;
  // Every milestone of any published version: a school's columns of milestones its version lacks read "none".
  const milestones = usePublishedMilestones();
  const filter = filterFrom(params, me);
  const filterKey = JSON.stringify(filter);

  // The form edits a copy; "Show" puts it in the address, so a filtered list can be bookmarked.
  const [form, setForm] = useState(filter);
  useEffect(() => setForm(filter), [filterKey]);
  // Cursor pagination: the cursors of the pages seen so far, to step back.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  useEffect(() => setCursors([undefined]), [filterKey]);
  const page = cursors.length - 1;
  const list = useAsync(() => api.schools(filter, cursors[page]), [filterKey, cursors[page]]);
  // Schools ticked for a bulk action (program managers and coordinators).
  const bulk = mayBulk(me);
  const [selected, setSelected] = useState<string[]>([]);
  const toggle = (id: string, on: boolean) =>
    setSelected((old) => (on ? [...old.filter((x) => x !== id), id] : old.filter((x) => x !== id)));

  const apply = (e: Event) => {
    e.preventDefault();
    navigate(
      href(['schools'], {
        district: form.district,
        milestone: form.milestone,
        status: form.status,
        overdue: form.overdue ? 'true' : undefined,
        q: form.q,
      }),
    );
  };

  const any = { value: '', label: t('schools.any') };
  return (
    <>
      <PageTitle title={t('schools.title')}>{t('schools.title')}</PageTitle>
      <form class="card filters" onSubmit={apply} role="search" aria-label={t('schools.filters')}>
        <SelectField
          id="f-district"
          label={t('schools.district')}
          value={form.district ?? ''}
          onValue={(v) => setForm({ ...form, district: v || undefined })}
          disabled={me.role === 'district-coordinator'}
          options={[any, ...sortedDistricts(lang).map((d) => ({ value: d.id, label: districtName(d.id, lang) }))]}
        />
        <SelectField
          id="f-milestone"
          label={t('schools.milestone')}
          value={form.milestone ?? ''}
          onValue={(v) => setForm({ ...form, milestone: v || undefined })}
          options={[any, ...milestones.map((m) => ({ value: m.key, label: m.title[lang] }))]}
        />
        <SelectField
          id="f-status"
          label={t('schools.status')}
          value={form.status ?? ''}
          onValue={(v) => setForm({ ...form, status: v || undefined })}
          options={[any, ...MilestoneStatus.options.map((s) => ({ value: s, label: i18n.status(s) }))]}
        />
        <InputField
          id="f-q"
          label={t('schools.search')}
          type="search"
          value={form.q ?? ''}
          onValue={(v) => setForm({ ...form, q: v || undefined })}
          maxLength={100}
        />
        <div class="field field-check">
          <input
            id="f-overdue"
            type="checkbox"
            checked={form.overdue === true}
            onChange={(e) => setForm({ ...form, overdue: e.currentTarget.checked || undefined })}
          />
          <label for="f-overdue">{t('schools.overdueOnly')}</label>
        </div>
        <div class="form-actions">
          <button type="submit" class="btn btn-primary">
            {t('schools.apply')}
          </button>
          <a class="btn btn-secondary" href={href(['schools'])}>
            {t('schools.reset')}
          </a>
        </div>
      </form>

      <AsyncView value={list}>
        {(data) => (
          <section aria-label={t('schools.title')}>
            {data.items.length === 0 ? (
              <p class="empty">{t('schools.empty')}</p>
            ) : (
              <div class="table-wrap">
                <table class="data-table schools-table">
                  <caption class="visually-hidden">
                    {t('schools.title')}, {t('schools.page', { n: page + 1 })}
                  </caption>
                  <thead>
                    <tr>
                      {bulk && (
                        <th scope="col">
                          <span class="visually-hidden">{t('bulk.select')}</span>
                        </th>
                      )}
                      <th scope="col">{t('schools.name')}</th>
                      <th scope="col">{t('schools.district')}</th>
                      <th scope="col">{t('schools.locality')}</th>
                      <th scope="col" class="num">
                        {t('schools.cohort')}
                      </th>
                      {milestones.map((m) => (
                        <th scope="col" key={m.key}>
                          {m.title[lang]}
                        </th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {data.items.map((s) => (
                      <tr key={s.id}>
                        {bulk && (
                          <td>
                            <input
                              type="checkbox"
                              data-select={s.id}
                              aria-label={`${t('bulk.select')}: ${s.name}`}
                              checked={selected.includes(s.id)}
                              onChange={(e) => toggle(s.id, e.currentTarget.checked)}
                            />
                          </td>
                        )}
                        <th scope="row">
                          <a href={href(['school', s.id])}>{s.name}</a>
                        </th>
                        <td>{districtName(s.district, lang)}</td>
                        <td>{s.locality}</td>
                        <td class="num">{s.cohortYear}</td>
                        {milestones.map((m) => {
                          const ms = s.milestones.find((x) => x.key === m.key);
                          return <td key={m.key}>{ms ? <StatusBadge status={ms.status} overdue={ms.overdue} compact /> : t('none')}</td>;
                        })}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <nav class="pager" aria-label={t('schools.pagination')}>
              <button type="button" class="btn btn-secondary" disabled={page === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
                ← {t('schools.prev')}
              </button>
              <span aria-live="polite">
                {t('schools.page', { n: page + 1 })} · {t('schools.count', { n: data.items.length })}
              </span>
              <button
                type="button"
                class="btn btn-secondary"
                disabled={!data.nextCursor}
                onClick={() => data.nextCursor && setCursors([...cursors, data.nextCursor])}
              >
                {t('schools.next')} →
              </button>
            </nav>
          </section>
        )}
      </AsyncView>
      {bulk && selected.length > 0 && <BulkPanel selected={selected} onDone={list.reload} />}
    </>
  );
}
