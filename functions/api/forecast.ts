/**
 * The forecast report: for the next target of each milestone, the region's and each district's forecast
 * (shared/domain/forecast.ts) from the schools' summaries, with the names of the schools holding it back.
 * With the catalog of published program versions, the targets are those of every version, and each is
 * forecast over the schools whose version has its milestone (as the progress report counts them).
 */
import type { ForecastReport } from '../../shared/api/schemas.js';
import { localDate } from '../../shared/calendar.js';
import { forecast, forecastTargets, type ForecastSchool } from '../../shared/domain/forecast.js';
import { endOfKpiDay } from '../../shared/domain/kpi.js';
import type { ProgramDefinition, ProgramTarget } from '../../shared/program/model.js';
import { countsOn } from '../../shared/program/targets.js';
import type { ProgramCatalog } from '../../shared/programs/resolver.js';
import type { SchoolSummary } from '../../shared/store/store.js';
import { versionScopes } from './reports.js';

/** A school's summary as the forecast reads it (as of `date`: an archived school leaves from its archive date). */
export function forecastSchool(record: Pick<SchoolSummary, 'school' | 'milestones'>, date: string): ForecastSchool {
  return { school: record.school, archived: !countsOn(record.school, date), milestones: record.milestones };
}

/**
 * The targets the forecast is made for as of `date`: the next of each milestone, of the program's targets,
 * or with a catalog of those of every published version.
 */
export function nextTargets(program: ProgramDefinition, date: string, catalog?: ProgramCatalog): ProgramTarget[] {
  return forecastTargets({ targets: catalog ? versionScopes(catalog).targets : program.targets }, date);
}

export function forecastReport(
  program: ProgramDefinition,
  records: readonly SchoolSummary[],
  asOf: string | undefined,
  now: Date,
  weeks: number,
  catalog?: ProgramCatalog,
): ForecastReport {
  const date = asOf ?? localDate(now, program.timeZone);
  // Today: as of now; another date: as of its end.
  const at = asOf === undefined ? now : new Date(endOfKpiDay(program, date));
  const names = new Map(records.map((r) => [r.school.id, r.school.name]));
  // Each school with the milestones of its own version: a target counts the schools whose version has its milestone.
  const versions = catalog ? versionScopes(catalog) : null;
  const schools = records.map((r) => ({
    ...forecastSchool(r, date),
    ...(versions && catalog ? { follows: versions.follows(catalog.of(r.school)) } : {}),
  }));
  const rows = forecast(program, nextTargets(program, date, catalog), schools, at, { weeks });
  return {
    asOf: date,
    weeks,
    rows: rows.map((r) => ({ ...r, holdingBack: r.holdingBack.map((h) => ({ ...h, name: names.get(h.schoolId) ?? h.schoolId })) })),
  };
}
