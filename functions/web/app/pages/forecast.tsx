/**
 * The forecast on the overview: for the next target of each milestone, the region's forecast beside the
 * target (the date at the pace of the last weeks, its range, on track or not), the schools holding it
 * back, and the districts furthest behind.
 */
import type { ForecastReport, ForecastRow } from '../../../../shared/api/schemas.js';
import { api } from '../api.js';
import { useI18n } from '../i18n.js';
import { districtName, milestoneTitle } from '../program.js';
import { href } from '../router.js';
import { AsyncView, useAsync } from '../ui.js';

const WEEKS = 8;
const SCHOOLS_SHOWN = 3;
const DISTRICTS_SHOWN = 3;

export function Forecast({ reloadKey }: { reloadKey: string }) {
  const { t } = useI18n();
  const report = useAsync(() => api.forecast(WEEKS), [reloadKey]);
  return (
    <section aria-labelledby="forecast-h" class="forecast">
      <h2 id="forecast-h">{t('forecast.title')}</h2>
      <p class="hint">{t('forecast.hint', { weeks: String(WEEKS) })}</p>
      <AsyncView value={report}>{(r) => <ForecastCards report={r} />}</AsyncView>
    </section>
  );
}

/** The districts whose forecast is furthest behind: stalled first, then the latest forecast. */
export function worstDistricts(rows: readonly ForecastRow[], milestone: string, n: number): ForecastRow[] {
  const rank = (r: ForecastRow) => (r.status === 'stalled' ? 0 : r.status === 'late' ? 1 : 2);
  return rows
    .filter((r) => r.milestone === milestone && r.district !== null && r.status !== 'met' && r.status !== 'on-track')
    .sort((a, b) => rank(a) - rank(b) || (b.forecast ?? '').localeCompare(a.forecast ?? '') || b.needed - a.needed)
    .slice(0, n);
}

function ForecastCards({ report }: { report: ForecastReport }) {
  const i18n = useI18n();
  const { t, lang } = i18n;
  const region = report.rows.filter((r) => r.district === null);
  return (
    <div class="chart-grid">
      {region.map((r) => {
        const behind = worstDistricts(report.rows, r.milestone, DISTRICTS_SHOWN);
        return (
          <article class="card forecast-card" key={r.milestone} data-milestone={r.milestone} data-status={r.status}>
            <h3>{milestoneTitle(r.milestone, lang)}</h3>
            <p class="forecast-target">{t('forecast.target', { share: i18n.percent(r.targetShare), date: i18n.date(r.targetDate) })}</p>
            <p
              class={`forecast-date${r.status === 'late' || r.status === 'stalled' ? ' is-late' : ''}`}
              data-testid={`forecast-${r.milestone}`}
            >
              {r.forecast ? t('forecast.date', { date: i18n.date(r.forecast) }) : t(`forecast.status.${r.status}`)}
              {r.forecast && r.status !== 'met' && (
                <span class="forecast-range">
                  {' '}
                  (
                  {t('forecast.range', { low: r.low ? i18n.date(r.low) : '—', high: r.high ? i18n.date(r.high) : t('forecast.openEnded') })}
                  )
                </span>
              )}
            </p>
            {r.forecast && <p class="forecast-status">{t(`forecast.status.${r.status}`)}</p>}
            {r.status !== 'met' && (
              <p class="hint">{t('forecast.pace', { pace: i18n.number(r.pacePerWeek), needed: i18n.number(r.needed) })}</p>
            )}
            {r.holdingBack.length > 0 && (
              <>
                <p>{t('forecast.holdingBack', { count: i18n.number(r.open), overdue: i18n.number(r.overdue) })}</p>
                <ul class="forecast-schools">
                  {r.holdingBack.slice(0, SCHOOLS_SHOWN).map((h) => (
                    <li key={h.schoolId}>
                      <a href={href(['school', h.schoolId])}>{h.name}</a>
                      {' — '}
                      {h.daysOverdue > 0
                        ? t('forecast.overdueDays', { days: String(h.daysOverdue) })
                        : t('forecast.dueOn', { date: i18n.date(h.deadline) })}
                    </li>
                  ))}
                </ul>
              </>
            )}
            {behind.length > 0 && (
              <>
                <p>{t('forecast.worstDistricts')}</p>
                <ul class="forecast-districts">
                  {behind.map((d) => (
                    <li key={d.district} data-district={d.district}>
                      {districtName(d.district!, lang)}: {d.forecast ? i18n.date(d.forecast) : t('forecast.status.stalled')}
                    </li>
                  ))}
                </ul>
              </>
            )}
          </article>
        );
      })}
    </div>
  );
}
