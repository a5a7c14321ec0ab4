/**
 * Equal conditions on the overview: the share of schools that reached each milestone, split by urban and
 * rural schools or by district size, with the gap between the groups in percentage points.
 */
import { useState } from 'preact/hooks';
import type { ProgressReport } from '../../../../shared/api/schemas.js';
import type { GroupBy } from '../../../../shared/domain/equal-conditions.js';
import { api } from '../api.js';
import { groupName } from '../groups.js';
import { useI18n } from '../i18n.js';
import { milestoneTitle } from '../program.js';
import { heat } from '../progress.js';
import { AsyncView, useAsync } from '../ui.js';

const SPLITS = ['settlement', 'district-size'] as const satisfies readonly GroupBy[];
type Split = (typeof SPLITS)[number];

export function EqualConditions({ asOf, reloadKey }: { asOf: string; reloadKey: string }) {
  const { t } = useI18n();
  const [split, setSplit] = useState<Split>('settlement');
  const report = useAsync(() => api.progress(asOf, split), [asOf, split, reloadKey]);
  return (
    <section aria-labelledby="equal-h" class="equal-conditions">
      <h2 id="equal-h">{t('equal.title')}</h2>
      <fieldset class="segmented">
        <legend>{t('equal.groupBy')}</legend>
        {SPLITS.map((s) => (
          <label key={s}>
            <input type="radio" name="equal-split" value={s} checked={split === s} onChange={() => setSplit(s)} />
            {t(`equal.${s}`)}
          </label>
        ))}
      </fieldset>
      <AsyncView value={report}>{(r) => <SplitTable report={r} />}</AsyncView>
    </section>
  );
}

function SplitTable({ report }: { report: ProgressReport }) {
  const i18n = useI18n();
  const { t } = i18n;
  const gap = report.gap;
  return (
    <>
      {gap && (
        <p class="hint">
          {t('equal.gapHint', { a: groupName(gap.between[0], report.groupBy, i18n), b: groupName(gap.between[1], report.groupBy, i18n) })}
        </p>
      )}
      <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="equal-h">
        <table class="heat-table equal-table" data-group-by={report.groupBy}>
          <HeatHead first={t(`equal.${report.groupBy}`)} milestones={report.milestones} />
          <tbody>
            {report.rows.map((row) => (
              <tr key={row.group} data-group={row.group}>
                <th scope="row">{groupName(row.group, report.groupBy, i18n)}</th>
                <td class="num">{i18n.number(row.schools)}</td>
                {report.milestones.map((k) => {
                  const c = row.milestones[k] ?? { reached: 0, share: 0, schools: 0 };
                  return (
                    <td key={k} class={`heat heat-${heat(c.share)}`} data-milestone={k}>
                      <span class="heat-share">{i18n.percent(c.share)}</span>
                      <span class="heat-count">
                        {c.reached}/{c.schools}
                      </span>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
          {gap && (
            <tfoot>
              <tr class="gap-row">
                <th scope="row">{t('equal.gap')}</th>
                <td class="num" />
                {report.milestones.map((k) => {
                  const points = gap.points[k];
                  return (
                    <td key={k} class={`num${points !== null && points !== undefined && points < 0 ? ' is-late' : ''}`} data-gap={k}>
                      {points === null || points === undefined ? t('none') : t('equal.points', { points: i18n.number(points) })}
                    </td>
                  );
                })}
              </tr>
            </tfoot>
          )}
        </table>
      </div>
    </>
  );
}

/** The head of a heat table: the group column, the schools, one column per milestone. */
export function HeatHead({ first, milestones }: { first: string; milestones: readonly string[] }) {
  const { t, lang } = useI18n();
  return (
    <thead>
      <tr>
        <th scope="col">{first}</th>
        <th scope="col" class="num">
          {t('overview.schools')}
        </th>
        {milestones.map((k) => (
          <th scope="col" key={k}>
            {milestoneTitle(k, lang)}
          </th>
        ))}
      </tr>
    </thead>
  );
}
