/**
 * The progress report: per district, how many schools reached each milestone by a date, from the
 * milestones' `closedAt` (completed on or before the end of `asOf` in the program's time zone), as the
 * schools' summaries (store.listSchoolSummaries) carry them.
 */
import type { ProgressReport, ProgressRow } from '../../shared/api/schemas.js';
import { endOfLocalDay, localDate } from '../../shared/calendar.js';
import type { District, ProgramDefinition } from '../../shared/program/model.js';
import { countsOn } from '../../shared/program/targets.js';
import { writeCsv } from '../../shared/region/csv.js';
import type { SchoolSummary } from '../../shared/store/store.js';

export function progressReport(program: ProgramDefinition, districtIds: readonly string[], records: readonly SchoolSummary[], asOf: string | undefined, now: Date): ProgressReport {
  const date = asOf ?? localDate(now, program.timeZone);
  const until = endOfLocalDay(date, program.timeZone).getTime();
  const keys = program.milestones.map((m) => m.key);
  const empty = () => ({ schools: 0, milestones: Object.fromEntries(keys.map((k) => [k, { reached: 0, waived: 0, share: 0 }])) });
  const rows = new Map<string, Omit<ProgressRow, 'district'>>(districtIds.map((d) => [d, empty()]));
  const total = empty();
  for (const record of records) {
    const row = rows.get(record.school.district);
    // An archived school leaves the denominators from its archive date.
    if (!row || !countsOn(record.school, date)) continue;
    row.schools++;
    total.schools++;
    for (const state of record.milestones) {
      const closed = state.closedAt !== null && Date.parse(state.closedAt) < until;
      if (!closed) continue;
      const field = state.status === 'completed' ? 'reached' : state.status === 'waived' ? 'waived' : null;
      if (!field || !row.milestones[state.key]) continue;
      row.milestones[state.key]![field]++;
      total.milestones[state.key]![field]++;
    }
  }
  const withShares = <T extends Omit<ProgressRow, 'district'>>(row: T): T => {
    for (const cell of Object.values(row.milestones)) cell.share = row.schools === 0 ? 0 : round(cell.reached / row.schools);
    return row;
  };
  return {
    asOf: date,
    groupBy: 'district',
    milestones: keys,
    rows: [...rows].map(([district, row]) => ({ district, ...withShares(row) })),
    total: withShares(total),
  };
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/** The report as CSV (UTF-8 with BOM, so that spreadsheet programs read Cyrillic): one line per district and a total. */
export function progressCsv(report: ProgressReport, districts: readonly District[]): string {
  const names = new Map(districts.map((d) => [d.id, d]));
  const header = ['district', 'district_ru', 'schools', ...report.milestones.flatMap((k) => [`${k}_reached`, `${k}_waived`, `${k}_share`])];
  const line = (id: string, nameRu: string, row: Omit<ProgressRow, 'district'>) => [
    id,
    nameRu,
    String(row.schools),
    ...report.milestones.flatMap((k) => {
      const cell = row.milestones[k] ?? { reached: 0, waived: 0, share: 0 };
      return [String(cell.reached), String(cell.waived), cell.share.toFixed(4)];
    }),
  ];
  return writeCsv(
    [header, ...report.rows.map((r) => line(r.district, names.get(r.district)?.nameRu ?? '', r)), line('total', 'Итого', report.total)],
    { bom: true },
  );
}
