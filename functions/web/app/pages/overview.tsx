import type { Me, ProgressReport, SchoolListItem } from '../../../../shared/api/schemas.js';
import { allSchools, api } from '../api.js';
import { ProgressChart } from '../chart.js';
import { useI18n } from '../i18n.js';
import { districtName, MILESTONES, PROGRAM, targetsFor } from '../program.js';
import { heat, overdueCounts, reachedSeries } from '../progress.js';
import { EqualConditions, HeatHead } from './equal-conditions.js';
import { Forecast } from './forecast.js';
import { href } from '../router.js';
import { AsyncView, PageTitle, useAsync } from '../ui.js';

const PROGRAM_START = '2021-01-01';
const PROGRAM_END = PROGRAM.targets.reduce((max, t) => (t.date > max ? t.date : max), '2024-12-31');

export function OverviewPage({ me }: { me: Me }) {
  const { t } = useI18n();
  const data = useAsync(() => Promise.all([api.progress(), allSchools()]), [me.sub]);
  return (
    <>
      <PageTitle title={t('overview.title')}>{t('overview.title')}</PageTitle>
      <AsyncView value={data}>{([report, schools]) => <Overview report={report} schools={schools} />}</AsyncView>
    </>
  );
}

function Overview({ report, schools }: { report: ProgressReport; schools: SchoolListItem[] }) {
  const i18n = useI18n();
  const { t, lang } = i18n;
  const asOf = report.asOf;
  const to = asOf > PROGRAM_END ? asOf : PROGRAM_END;
  const overdue = overdueCounts(schools);

  return (
    <>
      <p class="lead">{t('overview.asOf', { date: i18n.date(asOf) })}</p>

      <section aria-labelledby="overdue-h" class="card overdue-card">
        <h2 id="overdue-h">{t('overview.overdue')}</h2>
        <div class="stats">
          <p class="stat">
            <span class={`stat-value${overdue.milestones > 0 ? ' is-late' : ''}`} data-testid="overdue-milestones">
              {i18n.number(overdue.milestones)}
            </span>
            <span class="stat-label">{t('overview.overdueMilestones')}</span>
          </p>
          <p class="stat">
            <span class={`stat-value${overdue.schools > 0 ? ' is-late' : ''}`} data-testid="overdue-schools">
              {i18n.number(overdue.schools)}
            </span>
            <span class="stat-label">{t('overview.overdueSchools')}</span>
          </p>
          {MILESTONES.map((m) => (
            <p class="stat stat-small" key={m.key}>
              <a
                class={`stat-value${(overdue.byMilestone[m.key] ?? 0) > 0 ? ' is-late' : ''}`}
                href={href(['schools'], { milestone: m.key, overdue: 'true' })}
              >
                {i18n.number(overdue.byMilestone[m.key] ?? 0)}
              </a>
              <span class="stat-label">{m.title[lang]}</span>
            </p>
          ))}
        </div>
        <p>
          <a href={href(['schools'], { overdue: 'true' })}>{t('overview.showOverdue')}</a>
        </p>
      </section>

      <section aria-labelledby="progress-h">
        <h2 id="progress-h">{t('overview.progress')}</h2>
        <p class="hint">{t('overview.progressHint')}</p>
        <div class="chart-grid">
          {MILESTONES.map((m, i) => {
            const cell = report.total.milestones[m.key] ?? { reached: 0, share: 0 };
            const targets = targetsFor(m.key, schools);
            return (
              <figure class="card chart-card" key={m.key} data-milestone={m.key}>
                <figcaption>
                  <span class="chart-title">{m.title[lang]}</span>
                  <span class="chart-now" data-testid={`share-${m.key}`}>
                    {i18n.percent(cell.share)}
                  </span>
                  <span class="chart-sub">
                    {t('overview.now', {
                      share: i18n.percent(cell.share),
                      reached: i18n.number(cell.reached),
                      schools: i18n.number(report.total.schools),
                    })}
                  </span>
                </figcaption>
                <ProgressChart
                  id={`chart-${m.key}`}
                  title={m.title[lang]}
                  series={reachedSeries(schools, m.key, PROGRAM_START, to)}
                  targets={targets}
                  from={PROGRAM_START}
                  to={to}
                  asOf={asOf}
                  tone={i % 4}
                />
                <ul class="targets">
                  {targets.map((tp) => (
                    <li key={tp.date}>{t('overview.target', { date: i18n.date(tp.date), share: i18n.percent(tp.share) })}</li>
                  ))}
                </ul>
              </figure>
            );
          })}
        </div>
      </section>

      <Forecast reloadKey={String(report.total.schools)} />

      <EqualConditions asOf={asOf} reloadKey={String(report.total.schools)} />

      <section aria-labelledby="district-h">
        <h2 id="district-h">{t('overview.byDistrict')}</h2>
        <p class="hint">{t('overview.byDistrictHint')}</p>
        <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="district-h">
          <table class="heat-table">
            <HeatHead first={t('overview.district')} milestones={report.milestones} />
            <tbody>
              {report.rows.map((row) => (
                <tr key={row.group}>
                  <th scope="row">{districtName(row.group, lang)}</th>
                  <td class="num">{i18n.number(row.schools)}</td>
                  {report.milestones.map((k) => {
                    const c = row.milestones[k] ?? { reached: 0, share: 0, schools: 0 };
                    return (
                      <td key={k} class={`heat heat-${heat(c.share)}`} data-district={row.group} data-milestone={k}>
                        <a href={href(['schools'], { district: row.group, milestone: k })}>
                          <span class="heat-share">{i18n.percent(c.share)}</span>
                          <span class="heat-count">
                            {c.reached}/{c.schools}
                          </span>
                        </a>
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">{t('overview.total')}</th>
                <td class="num">{i18n.number(report.total.schools)}</td>
                {report.milestones.map((k) => {
                  const c = report.total.milestones[k] ?? { reached: 0, share: 0, schools: 0 };
                  return (
                    <td key={k} class={`heat heat-${heat(c.share)}`} data-total={k}>
                      <span class="heat-share">{i18n.percent(c.share)}</span>
                      <span class="heat-count">
                        {c.reached}/{c.schools}
                      </span>
                    </td>
                  );
                })}
              </tr>
            </tfoot>
          </table>
        </div>
      </section>
    </>
  );
}
