/**
 * The progress report: per group (district, urban/rural, district-size class), how many schools reached
 * each milestone by a date, with the gap between the groups and the programme's targets. Counting is the
 * one KPI definition of shared/domain/kpi.ts, over the schools' summaries (store.listSchoolSummaries).
 */
import type { ProgressReport, ProgressRow, Scorecards } from '../../shared/api/schemas.js';
import { localDate } from '../../shared/calendar.js';
import { groupedTally, type GroupBy } from '../../shared/domain/equal-conditions.js';
import { endOfKpiDay, targetProgress, type KpiSchool } from '../../shared/domain/kpi.js';
import type { District, ProgramDefinition, ProgramTarget } from '../../shared/program/model.js';
import type { ProgramCatalog } from '../../shared/programs/resolver.js';
import { countsOn } from '../../shared/program/targets.js';
import { writeCsv } from '../../shared/region/csv.js';
import type { SchoolSummary } from '../../shared/store/store.js';

/** A school's summary as the KPI definition reads it. */
export function kpiSchool(record: Pick<SchoolSummary, 'school' | 'milestones'>): KpiSchool {
  return { school: record.school, milestones: record.milestones };
}

export function progressReport(
  program: ProgramDefinition,
  districtIds: readonly string[],
  records: readonly SchoolSummary[],
  asOf: string | undefined,
  now: Date,
  groupBy: GroupBy = 'district',
  catalog?: ProgramCatalog,
): ProgressReport {
  const date = asOf ?? localDate(now, program.timeZone);
  const until = endOfKpiDay(program, date);
  const versions = catalog ? versionScopes(catalog) : null;
  const keys = catalog ? [...catalog.keys] : program.milestones.map((m) => m.key);
  const known = new Set(districtIds);
  // An archived school leaves the denominators from its archive date; each school counts against its own version.
  const schools = records
    .filter((r) => known.has(r.school.district))
    .map((r) => ({
      ...kpiSchool(r),
      archived: !countsOn(r.school, date),
      ...(versions && catalog ? { follows: versions.follows(catalog.of(r.school)) } : {}),
    }));

  const grouped = groupedTally(keys, schools, until, groupBy, districtIds);
  return {
    asOf: date,
    groupBy,
    milestones: keys,
    rows: grouped.rows.map(({ group, ...row }) => ({ group, ...(groupBy === 'district' ? { district: group } : {}), ...row })),
    total: grouped.total,
    gap: grouped.gap && { between: [grouped.gap.between[0], grouped.gap.between[1]], points: grouped.gap.points },
    targets: (versions?.targets ?? program.targets).map((t) => {
      const evaluated = t.date <= date;
      const p = targetProgress(t, schools, evaluated ? endOfKpiDay(program, t.date) : until);
      return {
        milestone: t.milestone,
        date: t.date,
        target: t.share,
        scope: t.scope,
        counted: p.counted,
        reached: p.reached,
        share: p.share,
        met: evaluated ? p.met : null,
      };
    }),
  };
}

/**
 * Per program version, the milestones a school on it is counted for; the targets of every version (a
 * target of a milestone counts the schools whose version has it), each once.
 */
export function versionScopes(catalog: ProgramCatalog): {
  follows(program: ProgramDefinition): ReadonlySet<string>;
  targets: ProgramTarget[];
} {
  const sets = new Map(catalog.versions.map((v) => [v.program, new Set(v.program.milestones.map((m) => m.key))]));
  const targets = new Map<string, ProgramTarget>();
  for (const v of [...catalog.versions].reverse())
    for (const t of v.program.targets) {
      const id = JSON.stringify([t.milestone, t.date, t.scope, t.share]);
      if (!targets.has(id)) targets.set(id, t);
    }
  return { follows: (program) => sets.get(program)!, targets: [...targets.values()] };
}

/** The report as CSV (UTF-8 with BOM, so that spreadsheet programs read Cyrillic): one line per group, a total, and the gap. */
export function progressCsv(report: ProgressReport, districts: readonly District[]): string {
  const names = new Map(districts.map((d) => [d.id, d]));
  const header = [
    report.groupBy,
    `${report.groupBy}_ru`,
    'schools',
    ...report.milestones.flatMap((k) => [`${k}_reached`, `${k}_waived`, `${k}_share`]),
  ];
  const line = (id: string, nameRu: string, row: Omit<ProgressRow, 'group'>) => [
    id,
    nameRu,
    String(row.schools),
    ...report.milestones.flatMap((k) => {
      const cell = row.milestones[k] ?? { reached: 0, waived: 0, share: 0 };
      return [String(cell.reached), String(cell.waived), cell.share.toFixed(4)];
    }),
  ];
  const lines = [
    header,
    ...report.rows.map((r) => line(r.group, names.get(r.group)?.nameRu ?? GROUP_RU[r.group] ?? '', r)),
    line('total', 'Итого', report.total),
  ];
  if (report.gap) {
    const gap = report.gap;
    lines.push([
      `gap_${gap.between.join('_minus_')}`,
      'Разрыв, п. п.',
      '',
      ...report.milestones.flatMap((k) => ['', '', gap.points[k] === null || gap.points[k] === undefined ? '' : String(gap.points[k])]),
    ]);
  }
  return writeCsv(lines, { bom: true });
}

const GROUP_RU: Record<string, string> = {
  urban: 'Городские школы',
  rural: 'Сельские школы',
  small: 'Малые районы (до 15 школ)',
  medium: 'Средние районы (16–49 школ)',
  large: 'Крупные районы (50 школ и более)',
};

/** Scorecard columns, in order, as CSV headers. */
const SCORECARD_COLUMNS = [
  'contractor',
  'name',
  'milestone',
  'accepted',
  'onTime',
  'onTimeShare',
  'meanDelay',
  'p90Delay',
  'submissions',
  'rejections',
  'rejectionRate',
  'open',
  'overdue',
] as const;

/** The scorecards as CSV (UTF-8 with BOM): one line per contractor and milestone; an empty cell for a figure without data. */
export function scorecardsCsv(cards: Scorecards): string {
  return writeCsv([[...SCORECARD_COLUMNS], ...cards.rows.map((r) => SCORECARD_COLUMNS.map((k) => (r[k] === null ? '' : String(r[k]))))], {
    bom: true,
  });
}
