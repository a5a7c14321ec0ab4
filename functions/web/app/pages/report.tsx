import { useState } from 'preact/hooks';
import type { Me, ProgressReport } from '../../../../shared/api/schemas.js';
import { IsoDate } from '../../../../shared/program/model.js';
import { api } from '../api.js';
import { reportTable } from '../export.js';
import { ExportToolbar } from '../export-toolbar.js';
import { useI18n } from '../i18n.js';
import { groupName } from '../groups.js';
import { milestoneTitle } from '../program.js';
import { heat } from '../progress.js';
import { AsyncView, InputField, PageTitle, useAsync } from '../ui.js';
import { issueMessage } from '../validation.js';

/** Progress as of any date, by district and milestone; exported as CSV or XLSX. */
export function ReportPage({ me }: { me: Me }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [asOf, setAsOf] = useState<string | undefined>(undefined);
  const [input, setInput] = useState('');
  const [inputError, setInputError] = useState<string | undefined>();
  const report = useAsync(
    () =>
      api.progress(asOf).then((r) => {
        setInput(r.asOf);
        return r;
      }),
    [asOf, me.sub],
  );

  const show = (e: Event) => {
    e.preventDefault();
    const parsed = IsoDate.safeParse(input);
    if (!parsed.success) {
      setInputError(issueMessage(parsed.error.issues[0]!, i18n));
      return;
    }
    setInputError(undefined);
    if (parsed.data === asOf) report.reload();
    else setAsOf(parsed.data);
  };

  return (
    <>
      <PageTitle title={t('report.title')}>{t('report.title')}</PageTitle>
      <form class="card filters filters-compact" onSubmit={show} noValidate>
        <InputField id="report-asof" label={t('report.asOf')} type="date" required value={input} onValue={setInput} error={inputError} />
        <div class="form-actions">
          <button type="submit" class="btn btn-primary">
            {t('report.show')}
          </button>
        </div>
      </form>
      <AsyncView value={report}>{(r) => <ReportTableView report={r} />}</AsyncView>
    </>
  );
}

function ReportTableView({ report }: { report: ProgressReport }) {
  const i18n = useI18n();
  const { t, lang } = i18n;
  return (
    <section aria-labelledby="report-caption">
      <ExportToolbar table={() => reportTable(report, i18n)} fileName={t('report.file', { date: report.asOf })} sheet={t('report.sheet')} />
      <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="report-caption">
        <table class="data-table report-table">
          <caption id="report-caption">{t('report.caption', { date: i18n.date(report.asOf) })}</caption>
          <thead>
            <tr>
              <th scope="col" rowSpan={2}>
                {t('overview.district')}
              </th>
              <th scope="col" rowSpan={2} class="num">
                {t('overview.schools')}
              </th>
              {report.milestones.map((k) => (
                <th scope="colgroup" colSpan={3} key={k}>
                  {milestoneTitle(k, lang)}
                </th>
              ))}
            </tr>
            <tr>
              {report.milestones.map((k) => [
                <th scope="col" class="num" key={`${k}-r`}>
                  {t('report.reached')}
                </th>,
                <th scope="col" class="num" key={`${k}-w`}>
                  {t('report.waived')}
                </th>,
                <th scope="col" class="num" key={`${k}-s`}>
                  {t('report.share')}
                </th>,
              ])}
            </tr>
          </thead>
          <tbody>
            {[
              ...report.rows.map((r) => ({ name: groupName(r.group, report.groupBy, i18n), row: r, total: false })),
              { name: t('overview.total'), row: report.total, total: true },
            ].map(({ name, row, total }) => (
              <tr key={name} class={total ? 'total' : undefined}>
                <th scope="row">{name}</th>
                <td class="num">{i18n.number(row.schools)}</td>
                {report.milestones.map((k) => {
                  const c = row.milestones[k] ?? { reached: 0, waived: 0, share: 0 };
                  return [
                    <td class="num" key={`${k}-r`}>
                      {i18n.number(c.reached)}
                    </td>,
                    <td class="num muted" key={`${k}-w`}>
                      {i18n.number(c.waived)}
                    </td>,
                    <td class={`num heat heat-${heat(c.share)}`} key={`${k}-s`}>
                      {i18n.percent(c.share)}
                    </td>,
                  ];
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
