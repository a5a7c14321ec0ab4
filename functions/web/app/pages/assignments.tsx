import { useState } from 'preact/hooks';
import type { Assignment, Me } from '../../../../shared/api/schemas.js';
import { api } from '../api.js';
import { ActionForm, availableActions } from '../forms.js';
import { useI18n } from '../i18n.js';
import { districtName } from '../program.js';
import { href } from '../router.js';
import { AsyncView, MoreButton, PageTitle, StatusBadge, useAsync, usePaged } from '../ui.js';

/** A contractor's milestones, and the confirmation form for the ones waiting for its work. */
export function AssignmentsPage({ me }: { me: Me }) {
  const i18n = useI18n();
  const { t, lang } = i18n;
  const list = usePaged((cursor) => api.assignments(cursor), [me.sub]);
  const [open, setOpen] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const keyOf = (a: Assignment) => `${a.schoolId}/${a.milestone}`;

  return (
    <>
      <PageTitle title={t('assignments.title')}>{t('assignments.title')}</PageTitle>
      <p class="lead">{t('assignments.intro')}</p>
      <div role="status" aria-live="polite">
        {saved && <p class="alert alert-success">{t('school.updated', { action: saved })}</p>}
      </div>
      <AsyncView value={list}>
        {(items) =>
          items.length === 0 ? (
            <p class="empty">{t('assignments.empty')}</p>
          ) : (
            <>
              <ul class="assignment-list">
                {items.map((a) => {
                  const k = keyOf(a);
                  const id = `as-${a.schoolId}-${a.milestone}`;
                  const canSubmit = a.status === 'active';
                  return (
                    <li key={k} class="card assignment" data-school={a.schoolId} data-milestone={a.milestone} aria-labelledby={`${id}-h`}>
                      <div class="assignment-head">
                        <div>
                          <h2 id={`${id}-h`} class="assignment-title">
                            <a href={href(['school', a.schoolId])}>{a.schoolName}</a>
                          </h2>
                          <p class="muted">
                            {a.title[lang]} · {districtName(a.district, lang)} · {t('school.deadline')}: {i18n.date(a.deadline)}
                          </p>
                        </div>
                        <StatusBadge status={a.status} overdue={a.overdue} />
                      </div>
                      {canSubmit && open !== k && (
                        <button
                          type="button"
                          class="btn btn-primary"
                          aria-expanded="false"
                          onClick={() => {
                            setSaved(null);
                            setOpen(k);
                          }}
                        >
                          {t('assignments.open')}
                        </button>
                      )}
                      {canSubmit && open === k && (
                        <SubmitForm
                          me={me}
                          assignment={a}
                          idPrefix={id}
                          onCancel={() => setOpen(null)}
                          onDone={() => {
                            setOpen(null);
                            setSaved(`${a.schoolName} — ${t('action.done.submit')}`);
                            list.reload();
                          }}
                        />
                      )}
                    </li>
                  );
                })}
              </ul>
              <MoreButton list={list} />
            </>
          )
        }
      </AsyncView>
    </>
  );
}

/** The form needs the school (its standard bandwidth, its planned kit and teachers). */
function SubmitForm({
  me,
  assignment,
  idPrefix,
  onDone,
  onCancel,
}: {
  me: Me;
  assignment: Assignment;
  idPrefix: string;
  onDone: () => void;
  onCancel: () => void;
}) {
  const detail = useAsync(() => api.school(assignment.schoolId), [assignment.schoolId]);
  return (
    <AsyncView value={detail}>
      {(d) => {
        const m = d.milestones.find((x) => x.key === assignment.milestone);
        if (!m || !availableActions(me, d.school, m).includes('submit')) return null;
        return <ActionForm school={d.school} milestone={m} action="submit" idPrefix={idPrefix} onDone={onDone} onCancel={onCancel} />;
      }}
    </AsyncView>
  );
}
