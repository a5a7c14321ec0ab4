/**
 * Contractor scorecards: per contractor and milestone, the on-time share, the delay in working days, the
 * rejection rate, open and overdue work; sorted by any column, exported as CSV or XLSX.
 */
import { useState } from 'preact/hooks';
import type { Me, ScorecardRow } from '../../../../shared/api/schemas.js';
import { api } from '../api.js';
import type { ReportTable } from '../export.js';
import { ExportToolbar } from '../export-toolbar.js';
import { useI18n, type I18n, type MessageKey } from '../i18n.js';
import { milestoneTitle } from '../program.js';
import { AsyncView, PageTitle, useAsync } from '../ui.js';

type Column = 'name' | 'milestone' | 'accepted' | 'onTimeShare' | 'meanDelay' | 'p90Delay' | 'rejectionRate' | 'open' | 'overdue';
const COLUMNS: readonly { key: Column; label: MessageKey; kind: 'text' | 'count' | 'share' | 'days' }[] = [
  { key: 'name', label: 'scorecards.contractor', kind: 'text' },
  { key: 'milestone', label: 'scorecards.milestone', kind: 'text' },
  { key: 'accepted', label: 'scorecards.accepted', kind: 'count' },
  { key: 'onTimeShare', label: 'scorecards.onTime', kind: 'share' },
  { key: 'meanDelay', label: 'scorecards.meanDelay', kind: 'days' },
  { key: 'p90Delay', label: 'scorecards.p90Delay', kind: 'days' },
  { key: 'rejectionRate', label: 'scorecards.rejectionRate', kind: 'share' },
  { key: 'open', label: 'scorecards.open', kind: 'count' },
  { key: 'overdue', label: 'scorecards.overdue', kind: 'count' },
];

interface Sort {
  column: Column;
  descending: boolean;
}

function cellValue(row: ScorecardRow, column: Column, lang: I18n['lang']): string | number | null {
  return column === 'milestone' ? milestoneTitle(row.milestone, lang) : row[column];
}

/** Rows sorted by a column; rows without a figure (null) come last in either direction. */
export function sortRows(rows: readonly ScorecardRow[], sort: Sort, lang: I18n['lang']): ScorecardRow[] {
  const sign = sort.descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = cellValue(a, sort.column, lang);
    const y = cellValue(b, sort.column, lang);
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), lang);
    return sign * order;
  });
}

export function scorecardTable(rows: readonly ScorecardRow[], i18n: I18n): ReportTable {
  return { header: COLUMNS.map((c) => i18n.t(c.label)), rows: rows.map((r) => COLUMNS.map((c) => cellValue(r, c.key, i18n.lang))) };
}

export function ScorecardsPage({ me }: { me: Me }) {
  const { t } = useI18n();
  const cards = useAsync(() => api.scorecards(), [me.sub]);
  return (
    <>
      <PageTitle title={t('scorecards.title')}>{t('scorecards.title')}</PageTitle>
      <p class="hint">{t('scorecards.hint')}</p>
      <AsyncView value={cards}>{(c) => <ScorecardTableView rows={c.rows} at={c.at} />}</AsyncView>
    </>
  );
}

function ScorecardTableView({ rows, at }: { rows: ScorecardRow[]; at: string }) {
  const i18n = useI18n();
  const { t, lang } = i18n;
  const [sort, setSort] = useState<Sort>({ column: 'name', descending: false });
  if (rows.length === 0) return <p>{t('scorecards.empty')}</p>;
  const sorted = sortRows(rows, sort, lang);
  const formatOf = (col: number) => (COLUMNS[col]?.kind === 'share' ? '0.0%' : COLUMNS[col]?.kind === 'days' ? '0.0' : '0');
  const toggle = (column: Column) =>
    setSort((s) =>
      s.column === column
        ? { column, descending: !s.descending }
        : { column, descending: COLUMNS.find((c) => c.key === column)!.kind !== 'text' },
    );
  const show = (row: ScorecardRow, column: (typeof COLUMNS)[number]) => {
    const v = cellValue(row, column.key, lang);
    if (v === null) return t('none');
    if (typeof v === 'string') return v;
    return column.kind === 'share' ? i18n.percent(v) : i18n.number(v);
  };

  return (
    <section aria-labelledby="scorecards-h">
      <h2 id="scorecards-h" class="visually-hidden">
        {t('scorecards.title')}
      </h2>
      <ExportToolbar
        table={() => scorecardTable(sorted, i18n)}
        fileName={t('scorecards.file', { date: at.slice(0, 10) })}
        sheet={t('scorecards.sheet')}
        xlsx={{ formatOf, totalRow: false }}
      />
      <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="scorecards-h">
        <table class="data-table scorecard-table">
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th
                  scope="col"
                  key={c.key}
                  class={c.kind === 'text' ? undefined : 'num'}
                  aria-sort={sort.column === c.key ? (sort.descending ? 'descending' : 'ascending') : undefined}
                  data-column={c.key}
                >
                  <button type="button" class="sort-button" onClick={() => toggle(c.key)}>
                    {t(c.label)}
                    {sort.column === c.key ? (sort.descending ? ' ▼' : ' ▲') : ''}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {sorted.map((r) => (
              <tr key={`${r.contractor}-${r.milestone}`} data-contractor={r.contractor} data-milestone={r.milestone}>
                {COLUMNS.map((c) =>
                  c.key === 'name' ? (
                    <th scope="row" key={c.key}>
                      {r.name}
                    </th>
                  ) : (
                    <td
                      key={c.key}
                      class={`${c.kind === 'text' ? '' : 'num'}${c.key === 'overdue' && r.overdue > 0 ? ' is-late' : ''}`}
                      data-column={c.key}
                    >
                      {show(r, c)}
                    </td>
                  ),
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
