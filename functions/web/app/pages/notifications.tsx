import { api } from '../api.js';
import { useI18n } from '../i18n.js';
import { milestoneTitle } from '../program.js';
import { href } from '../router.js';
import { AsyncView, MoreButton, PageTitle, usePaged } from '../ui.js';

/** The reminders, escalations and weekly digests addressed to the signed-in user (or their organisation, district or role). */
export function NotificationsPage() {
  const i18n = useI18n();
  const { t, lang } = i18n;
  const list = usePaged((cursor) => api.notifications(cursor), []);
  return (
    <>
      <PageTitle title={t('notifications.title')}>{t('notifications.title')}</PageTitle>
      <AsyncView value={list}>
        {(items) =>
          items.length === 0 ? (
            <p class="empty">{t('notifications.empty')}</p>
          ) : (
            <>
              <ul class="notification-list">
                {items.map((n) => (
                  <li key={n.id} class={`card notification kind-${n.kind}`}>
                    <p class="notification-meta">
                      <span class={`badge badge-kind-${n.kind}`}>{t(`notifications.kind.${n.kind}`)}</span>{' '}
                      <time dateTime={n.createdAt}>{i18n.dateTime(n.createdAt)}</time> ·{' '}
                      {n.kind === 'weekly-digest'
                        ? t('notifications.week', { date: i18n.date(n.week) })
                        : `${milestoneTitle(n.milestone, lang)} · ${t('notifications.deadline', { date: i18n.date(n.deadline) })}`}
                    </p>
                    <h2 class="notification-subject">
                      {n.kind === 'weekly-digest' ? n.subject[lang] : <a href={href(['school', n.schoolId])}>{n.subject[lang]}</a>}
                    </h2>
                    <p class="notification-body">{n.body[lang]}</p>
                  </li>
                ))}
              </ul>
              <MoreButton list={list} />
            </>
          )
        }
      </AsyncView>
    </>
  );
}
