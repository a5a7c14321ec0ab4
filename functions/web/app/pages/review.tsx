/**
 * The review queue: the submissions waiting for the signed-in user's sign-off or acceptance, oldest
 * first (`GET /api/review-queue`), each with its school, milestone, assignee, evidence and documents,
 * and the decision taken in place (sign off, accept, reject with a reason). The list is read again after
 * each decision.
 */
import { useState } from 'preact/hooks';
import type { ReviewItem } from '../../../../shared/api/administration.js';
import type { Me } from '../../../../shared/api/schemas.js';
import { api } from '../api.js';
import { DocumentTable } from '../documents.js';
import { documentsApi } from '../documents-api.js';
import { ActionForm, availableActions, type FormAction } from '../forms.js';
import { useI18n } from '../i18n.js';
import { districtName } from '../program.js';
import { href } from '../router.js';
import { AsyncView, ErrorBox, Loading, PageTitle, useAsync } from '../ui.js';
import { EvidenceView } from './school.js';

/** Who has a review queue: the roles that sign off or accept. */
export function reviewAllowed(me: Me): boolean {
  return me.role === 'program-manager' || me.role === 'district-coordinator' || me.role === 'school-staff';
}

/** The decisions a review card offers (the rest of a milestone's actions are on the school's page). */
const DECISIONS: readonly FormAction[] = ['signoff', 'accept', 'reject'];

export function ReviewPage({ me }: { me: Me }) {
  const { t } = useI18n();
  const queue = useAsync(() => documentsApi.reviewQueue(), []);
  const [done, setDone] = useState<string | null>(null);
  return (
    <>
      <PageTitle title={t('review.title')}>{t('review.title')}</PageTitle>
      <p class="lead">{t('review.intro')}</p>
      <div class="status-line" role="status" aria-live="polite">
        {done && <p class="alert alert-success">{done}</p>}
      </div>
      <AsyncView value={queue}>
        {(q) =>
          q.items.length === 0 ? (
            <p class="empty">{t('review.empty')}</p>
          ) : (
            <>
              <p class="muted" data-testid="review-count">
                {t('review.count', { n: q.items.length })}
              </p>
              <ol class="review-list">
                {q.items.map((item) => (
                  <ReviewCard
                    key={`${item.schoolId}/${item.milestone}/${item.version}`}
                    me={me}
                    item={item}
                    onDone={(message) => {
                      setDone(message);
                      queue.reload();
                    }}
                  />
                ))}
              </ol>
            </>
          )
        }
      </AsyncView>
    </>
  );
}

function ReviewCard({ me, item, onDone }: { me: Me; item: ReviewItem; onDone: (message: string) => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  // The school (for the actions the domain's rules allow now) and the documents of the milestone.
  const detail = useAsync(() => api.school(item.schoolId), [item.schoolId, item.version]);
  const documents = useAsync(() => documentsApi.list(item.schoolId), [item.schoolId, item.version]);
  const [open, setOpen] = useState<FormAction | null>(null);
  const hid = `review-${item.schoolId}-${item.milestone}`;
  const milestone = detail.data?.milestones.find((m) => m.key === item.milestone);
  const actions = detail.data && milestone ? availableActions(me, detail.data.school, milestone).filter((a) => DECISIONS.includes(a)) : [];
  const title = item.title[i18n.lang];
  return (
    <li class="card review-card" data-school={item.schoolId} data-milestone={item.milestone} aria-labelledby={`${hid}-h`}>
      <div class="timeline-head">
        <h2 id={`${hid}-h`}>
          <a href={href(['school', item.schoolId])}>{item.schoolName}</a> · {title}
        </h2>
        <span class="badge">
          {t('review.waitingFor')}: {t(`review.waiting.${item.waitingFor}`)}
        </span>
      </div>
      <dl class="props props-inline">
        <dt>{t('school.district')}</dt>
        <dd>{districtName(item.district, i18n.lang)}</dd>
        <dt>{t('review.contractor')}</dt>
        <dd>{item.assignee ?? t('none')}</dd>
        <dt>{t('review.submittedAt')}</dt>
        <dd>{i18n.dateTime(item.submittedAt)}</dd>
        <dt>{t('review.deadline')}</dt>
        <dd>{i18n.date(item.deadline)}</dd>
        {item.signOffs.length > 0 && (
          <>
            <dt>{t('review.signOffs')}</dt>
            <dd>
              {item.signOffs
                .map((s) => `${i18n.role(s.role)}${s.measuredMbps !== undefined ? ` (${i18n.number(s.measuredMbps)})` : ''}`)
                .join('; ')}
            </dd>
          </>
        )}
      </dl>
      <h3 class="subhead">{t('review.evidence')}</h3>
      {item.evidence ? <EvidenceView evidence={item.evidence} /> : <p class="muted">{t('school.noEvidence')}</p>}
      <h3 class="subhead">{t('docs.evidence')}</h3>
      <AsyncView value={documents}>
        {(list) => {
          const own = list.items.filter((d) => d.milestone === item.milestone);
          return own.length === 0 ? (
            <p class="muted">{t('docs.empty')}</p>
          ) : (
            <DocumentTable schoolId={item.schoolId} documents={own} showMilestone={false} />
          );
        }}
      </AsyncView>
      {detail.error !== undefined && <ErrorBox error={detail.error} onRetry={detail.reload} />}
      {detail.data === undefined && detail.error === undefined && <Loading />}
      {actions.length > 0 && (
        <div class="actions" role="group" aria-label={`${t('school.actions')}: ${item.schoolName}, ${title}`}>
          {actions.map((a) => (
            <button
              key={a}
              type="button"
              class={`btn ${a === open ? 'btn-primary' : 'btn-secondary'}`}
              aria-expanded={a === open}
              aria-controls={a === open ? `${hid}-${a}-form` : undefined}
              onClick={() => setOpen(a === open ? null : a)}
            >
              {i18n.action(a)}
            </button>
          ))}
        </div>
      )}
      {open && detail.data && milestone && (
        <div id={`${hid}-${open}-form`}>
          <ActionForm
            school={detail.data.school}
            milestone={milestone}
            action={open}
            idPrefix={`${hid}-${open}`}
            onDone={() => {
              const action = open;
              setOpen(null);
              onDone(t('review.done', { school: item.schoolName, milestone: title, action: t(`action.done.${action}`) }));
            }}
            onCancel={() => setOpen(null)}
          />
        </div>
      )}
    </li>
  );
}
