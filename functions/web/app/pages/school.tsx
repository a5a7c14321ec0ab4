import { useState } from 'preact/hooks';
import type { Me, MilestoneView, SchoolDetail } from '../../../../shared/api/schemas.js';
import type { Evidence, MilestoneEvent, School } from '../../../../shared/program/model.js';
import { api } from '../api.js';
import { SchoolDocuments } from '../documents.js';
import { ActionForm, availableActions, type FormAction } from '../forms.js';
import { useI18n, type I18n } from '../i18n.js';
import { districtName, milestoneTitle } from '../program.js';
import { AsyncView, MoreButton, PageTitle, StatusBadge, useAsync, usePaged } from '../ui.js';
import { SchoolProfileTools } from '../school-profile-edit.js';

export function SchoolPage({ me, schoolId }: { me: Me; schoolId: string }) {
  const { t } = useI18n();
  const detail = useAsync(() => api.school(schoolId), [schoolId]);
  const [historyNonce, setHistoryNonce] = useState(0);
  const [saved, setSaved] = useState<string | null>(null);
  const [profileNotice, setProfileNotice] = useState<string | null>(null);
  const i18n = useI18n();

  return (
    <AsyncView value={detail}>
      {(d) => (
        <>
          <PageTitle title={d.school.name}>{d.school.name}</PageTitle>
          <p class="lead">
            {districtName(d.school.district, i18n.lang)} · {d.school.locality}
          </p>
          <div class="status-line" role="status" aria-live="polite">
            {saved && <p class="alert alert-success">{t('school.updated', { action: saved })}</p>}
            {profileNotice && (
              <p class="alert alert-info" data-testid="profile-notice">
                {profileNotice}
              </p>
            )}
          </div>
          <div class="school-layout">
            <section aria-labelledby="timeline-h" class="school-main">
              <h2 id="timeline-h">{t('school.timeline')}</h2>
              <Timeline
                me={me}
                detail={d}
                onChanged={(action) => {
                  setSaved(t(`action.done.${action}`));
                  detail.reload();
                  setHistoryNonce((n) => n + 1);
                }}
              />
            </section>
            <aside class="school-side">
              <Profile school={d.school} />
              <SchoolProfileTools
                me={me}
                detail={d}
                onChanged={(message) => {
                  setProfileNotice(message);
                  detail.reload();
                  setHistoryNonce((n) => n + 1);
                }}
              />
            </aside>
          </div>
          {me.role !== 'viewer' && <SchoolDocuments me={me} school={d.school} key={`documents-${historyNonce}`} />}
          <History schoolId={schoolId} key={historyNonce} />
        </>
      )}
    </AsyncView>
  );
}

function Profile({ school }: { school: School }) {
  const i18n = useI18n();
  const { t } = i18n;
  const kit = Object.entries(school.plannedKit).filter(([, n]) => (n ?? 0) > 0) as [Parameters<I18n['kit']>[0], number][];
  return (
    <section class="card" aria-labelledby="profile-h">
      <h2 id="profile-h">{t('school.profile')}</h2>
      <dl class="props">
        <dt>{t('school.district')}</dt>
        <dd>{districtName(school.district, i18n.lang)}</dd>
        <dt>{t('school.locality')}</dt>
        <dd>{school.locality}</dd>
        <dt>{t('school.area')}</dt>
        <dd>{t(school.urban ? 'school.urban' : 'school.rural')}</dd>
        <dt>{t('school.cohort')}</dt>
        <dd>{school.cohortYear}</dd>
        <dt>{t('school.teachers')}</dt>
        <dd>{i18n.number(school.teachersToTrain)}</dd>
        {school.students !== undefined && (
          <>
            <dt>{t('school.students')}</dt>
            <dd>{i18n.number(school.students)}</dd>
          </>
        )}
      </dl>
      {kit.length > 0 && (
        <>
          <h3>{t('school.kit')}</h3>
          <ul class="kit-list">
            {kit.map(([item, n]) => (
              <li key={item}>
                {i18n.kit(item)}: {i18n.number(n)}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function Timeline({ me, detail, onChanged }: { me: Me; detail: SchoolDetail; onChanged: (action: FormAction) => void }) {
  const [open, setOpen] = useState<{ milestone: string; action: FormAction } | null>(null);
  return (
    <ol class="timeline">
      {detail.milestones.map((m) => (
        <MilestoneItem
          key={m.key}
          me={me}
          school={detail.school}
          milestone={m}
          openAction={open?.milestone === m.key ? open.action : null}
          onOpen={(action) => setOpen(action ? { milestone: m.key, action } : null)}
          onDone={(action) => {
            setOpen(null);
            onChanged(action);
          }}
        />
      ))}
    </ol>
  );
}

function MilestoneItem(props: {
  me: Me;
  school: School;
  milestone: MilestoneView;
  openAction: FormAction | null;
  onOpen: (a: FormAction | null) => void;
  onDone: (a: FormAction) => void;
}) {
  const { me, school, milestone: m, openAction, onOpen, onDone } = props;
  const i18n = useI18n();
  const { t } = i18n;
  const actions = availableActions(me, school, m);
  const hid = `ms-${m.key}`;
  return (
    <li class={`timeline-item status-${m.status}${m.overdue ? ' is-overdue' : ''}`} data-milestone={m.key} aria-labelledby={`${hid}-h`}>
      <span class="timeline-dot" aria-hidden="true" />
      <div class="card timeline-card">
        <div class="timeline-head">
          <h3 id={`${hid}-h`}>{m.title[i18n.lang]}</h3>
          <StatusBadge status={m.status} overdue={m.overdue} />
        </div>
        <dl class="props props-inline">
          <dt>{t('school.plannedStart')}</dt>
          <dd>{i18n.date(m.plannedStart)}</dd>
          <dt>{t('school.deadline')}</dt>
          <dd>{i18n.date(m.deadline)}</dd>
          <dt>{t('school.assignee')}</dt>
          <dd>{m.assignee ?? t('none')}</dd>
          {m.startedAt && (
            <>
              <dt>{t('school.startedAt')}</dt>
              <dd>{i18n.dateTime(m.startedAt)}</dd>
            </>
          )}
          {m.submittedAt && (
            <>
              <dt>{t('school.submittedAt')}</dt>
              <dd>{i18n.dateTime(m.submittedAt)}</dd>
            </>
          )}
          {m.closedAt && (
            <>
              <dt>{t('school.closedAt')}</dt>
              <dd>{i18n.dateTime(m.closedAt)}</dd>
            </>
          )}
          {m.rejections > 0 && (
            <>
              <dt>{t('school.rejections')}</dt>
              <dd>{m.rejections}</dd>
            </>
          )}
          {m.note && (
            <>
              <dt>{t('school.note')}</dt>
              <dd>{m.note}</dd>
            </>
          )}
        </dl>
        <h4 class="subhead">{t('school.evidence')}</h4>
        {m.evidence ? <EvidenceView evidence={m.evidence} /> : <p class="muted">{t('school.noEvidence')}</p>}
        {actions.length > 0 && (
          <div class="actions" role="group" aria-label={`${t('school.actions')}: ${m.title[i18n.lang]}`}>
            {actions.map((a) => (
              <button
                key={a}
                type="button"
                class={`btn ${a === openAction ? 'btn-primary' : 'btn-secondary'}`}
                aria-expanded={a === openAction}
                aria-controls={a === openAction ? `${hid}-${a}-form` : undefined}
                onClick={() => onOpen(a === openAction ? null : a)}
              >
                {i18n.action(a)}
              </button>
            ))}
          </div>
        )}
        {openAction && (
          <div id={`${hid}-${openAction}-form`}>
            <ActionForm
              school={school}
              milestone={m}
              action={openAction}
              idPrefix={`${hid}-${openAction}`}
              onDone={() => onDone(openAction)}
              onCancel={() => onOpen(null)}
            />
          </div>
        )}
      </div>
    </li>
  );
}

export function EvidenceView({ evidence }: { evidence: Evidence }) {
  const i18n = useI18n();
  const { t } = i18n;
  return (
    <dl class="props props-inline evidence">
      {evidence.kind === 'content-filter' ? (
        <>
          <dt>{t('evidence.filterName')}</dt>
          <dd>{evidence.filterName}</dd>
          <dt>{t('evidence.registryEntry')}</dt>
          <dd>{evidence.registryEntry}</dd>
          <dt>{t('evidence.enabledOn')}</dt>
          <dd>{i18n.date(evidence.enabledOn)}</dd>
        </>
      ) : (
        <>
          <dt>{t('evidence.actNumber')}</dt>
          <dd>{evidence.actNumber}</dd>
          <dt>{t('evidence.actDate')}</dt>
          <dd>{i18n.date(evidence.actDate)}</dd>
        </>
      )}
      {evidence.kind === 'connection' && (
        <>
          <dt>{t('evidence.bandwidthMbps')}</dt>
          <dd>{i18n.number(evidence.bandwidthMbps)}</dd>
        </>
      )}
      {evidence.kind === 'training' && (
        <>
          <dt>{t('evidence.teachersTrained')}</dt>
          <dd>{i18n.number(evidence.teachersTrained)}</dd>
        </>
      )}
      {evidence.kind === 'onboarding' && (
        <>
          <dt>{t('evidence.teacherAccounts')}</dt>
          <dd>{i18n.number(evidence.teacherAccounts)}</dd>
          <dt>{t('evidence.studentAccounts')}</dt>
          <dd>{i18n.number(evidence.studentAccounts)}</dd>
        </>
      )}
      {evidence.kind === 'equipment' && (
        <>
          <dt>{t('evidence.items')}</dt>
          <dd>{evidence.items.map((it) => `${i18n.kit(it.item)}: ${it.quantity}`).join('; ')}</dd>
        </>
      )}
    </dl>
  );
}

function History({ schoolId }: { schoolId: string }) {
  const i18n = useI18n();
  const { t } = i18n;
  const history = usePaged((cursor) => api.history(schoolId, cursor), [schoolId]);
  return (
    <section aria-labelledby="history-h" class="history">
      <h2 id="history-h">{t('school.history')}</h2>
      <AsyncView value={history}>
        {(items) =>
          items.length === 0 ? (
            <p class="empty">{t('school.historyEmpty')}</p>
          ) : (
            <>
              <div class="table-wrap">
                <table class="data-table history-table">
                  <thead>
                    <tr>
                      <th scope="col">{t('school.when')}</th>
                      <th scope="col">{t('schools.milestone')}</th>
                      <th scope="col">{t('school.event')}</th>
                      <th scope="col">{t('school.actor')}</th>
                      <th scope="col">{t('school.details')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((e) => (
                      <tr key={`${e.milestone}-${e.version}-${e.type}-${e.at}`} data-event={e.type}>
                        <td class="nowrap">{i18n.dateTime(e.at)}</td>
                        <td>{milestoneTitle(e.milestone, i18n.lang)}</td>
                        <td>{i18n.event(e.type)}</td>
                        <td>
                          {i18n.role(e.actor.role)}
                          {e.actor.role !== 'system' && <span class="muted"> · {e.actor.name ?? e.actor.sub}</span>}
                        </td>
                        <td>{eventDetails(e, i18n)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <MoreButton list={history} />
            </>
          )
        }
      </AsyncView>
    </section>
  );
}

function eventDetails(e: MilestoneEvent, i18n: I18n): string {
  const { t } = i18n;
  switch (e.type) {
    case 'started':
      return [e.assignee ?? '', `${t('school.deadline')}: ${i18n.date(e.deadline)}`].filter(Boolean).join(' · ');
    case 'submitted':
      return evidenceSummary(e.evidence, i18n);
    case 'accepted':
    case 'resumed':
      return e.note ?? '';
    case 'rejected':
    case 'held':
    case 'waived':
      return e.reason;
    case 'reassigned':
      return [t('event.from', { from: e.from ?? t('none'), to: e.to }), e.reason].filter(Boolean).join(' · ');
    case 'rescheduled':
      return `${t('event.from', { from: i18n.date(e.from), to: i18n.date(e.to) })} · ${e.reason}`;
    case 'reminded':
      return `${i18n.level(e.level)} · ${t('event.daysToDeadline', { n: e.daysToDeadline })}`;
    case 'signed-off':
      return [
        i18n.role(e.signOff.role),
        e.signOff.measuredMbps !== undefined ? `${t('field.measuredMbps')}: ${i18n.number(e.signOff.measuredMbps)}` : '',
        e.signOff.note ?? '',
      ]
        .filter(Boolean)
        .join(' · ');
    case 'replanned':
      return `${t('school.deadline')}: ${t('event.from', { from: i18n.date(e.deadline.from), to: i18n.date(e.deadline.to) })} · ${e.reason}`;
  }
}

function evidenceSummary(ev: Evidence, i18n: I18n): string {
  const { t } = i18n;
  if (ev.kind === 'content-filter')
    return `${ev.filterName}; ${t('evidence.registryEntry')}: ${ev.registryEntry}; ${t('evidence.enabledOn')}: ${i18n.date(ev.enabledOn)}`;
  const base = `${t('evidence.actNumber')} ${ev.actNumber}, ${i18n.date(ev.actDate)}`;
  switch (ev.kind) {
    case 'connection':
      return `${base}; ${t('evidence.bandwidthMbps')}: ${i18n.number(ev.bandwidthMbps)}`;
    case 'training':
      return `${base}; ${t('evidence.teachersTrained')}: ${ev.teachersTrained}`;
    case 'onboarding':
      return `${base}; ${t('evidence.teacherAccounts')}: ${ev.teacherAccounts}; ${t('evidence.studentAccounts')}: ${ev.studentAccounts}`;
    case 'equipment':
      return `${base}; ${ev.items.map((it) => `${i18n.kit(it.item)}: ${it.quantity}`).join(', ')}`;
  }
}
