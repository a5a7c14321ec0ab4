/**
 * The forecast report: for the next target of each milestone, the region's and each district's forecast
 * (shared/domain/forecast.ts) from the schools' summaries, with the names of the schools holding it back.
 */
import type { ForecastReport } from '../../shared/api/schemas.js';
import { localDate } from '../../shared/calendar.js';
import { forecast, forecastTargets, type ForecastSchool } from '../../shared/domain/forecast.js';
import { endOfKpiDay } from '../../shared/domain/kpi.js';
import type { ProgramDefinition } from '../../shared/program/model.js';
import { countsOn } from '../../shared/program/targets.js';
import type { SchoolSummary } from '../../shared/store/store.js';

/** A school's summary as the forecast reads it (as of `date`: an archived school leaves from its archive date). */
export function forecastSchool(record: Pick<SchoolSummary, 'school' | 'milestones'>, date: string): ForecastSchool {
  return { school: record.school, archived: !countsOn(record.school, date), milestones: record.milestones };
}

export function forecastReport(
  program: ProgramDefinition,
  records: readonly SchoolSummary[],
  asOf: string | undefined,
  now: Date,
  weeks: number,
): ForecastReport {
  const date = asOf ?? localDate(now, program.timeZone);
  // Today: as of now; another date: as of its end.
  const at = asOf === undefined ? now : new Date(endOfKpiDay(program, date));
  const names = new Map(records.map((r) => [r.school.id, r.school.name]));
  const rows = forecast(
    program,
    forecastTargets(program, date),
    records.map((r) => forecastSchool(r, date)),
    at,
    { weeks },
  );
  return {
    asOf: date,
    weeks,
    rows: rows.map((r) => ({ ...r, holdingBack: r.holdingBack.map((h) => ({ ...h, name: names.get(h.schoolId) ?? h.schoolId })) })),
  };
}
