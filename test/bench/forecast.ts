/**
 * The forecast's error on the simulation: for seeds 1, 2 and 3 (FORECAST_BENCH_SEEDS), a region of
 * FORECAST_BENCH_SCHOOLS schools (default 60, so that the three runs take a few minutes) is simulated
 * on the real workflows from 2021-01-01 to 2024-06-30. From the histories as of 2022-06-01 and as of
 * 2023-06-01 the region's forecast is made for each 1 December target of that year (equipment and
 * training, cohorts due), then compared with the date the simulation actually reached the target share.
 *
 * The forecast reads nothing but the milestones closed before its date, and the simulation does not
 * depend on the forecast, so forecasting from the audit events before the date of one run to the end
 * is the same as stopping the run at the date, forecasting, and running on (and it takes one run per
 * seed instead of three).
 *
 * Printed per seed, forecast date, milestone and pace window (4, 8 and 12 weeks): the forecast, its
 * range, the actual date, the error in days (forecast − actual) and whether the actual date fell in the
 * range. `npm run bench -- forecast`. Runs when imported.
 */
import { startDynamoDbLocal } from '../../infra/local/dynamodb-local.js';
import { simulateProgram, startSimulationSystem } from '../../infra/local/simulation/run.js';
import { daysBetween, endOfLocalDay } from '../../shared/calendar.js';
import { forecast, targetReachedOn, type ForecastSchool } from '../../shared/domain/forecast.js';
import { closuresFromEvents } from '../../shared/domain/kpi.js';
import type { MilestoneEvent, ProgramTarget, School } from '../../shared/program/model.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import { countsOn } from '../../shared/program/targets.js';

const SCHOOLS = Number(process.env.FORECAST_BENCH_SCHOOLS ?? 60);
const SEEDS = (process.env.FORECAST_BENCH_SEEDS ?? '1,2,3').split(',').map((s) => Number(s.trim()));
const FROM = '2021-01-01';
const TO = '2024-06-30';
const FORECAST_DATES = ['2022-06-01', '2023-06-01'];
const WINDOWS = [4, 8, 12];
const TZ = REFERENCE_PROGRAM.timeZone;

/** The schools as the forecast sees them from the audit events before `until` (ms). */
function schoolsAsOf(schools: readonly School[], events: readonly MilestoneEvent[], until: number, date: string): ForecastSchool[] {
  const closures = closuresFromEvents(events.filter((e) => Date.parse(e.at) < until));
  return schools.map((school) => ({
    school,
    archived: !countsOn(school, date),
    // The deadline only orders the schools holding a target back, which the error does not use.
    milestones: (closures.get(school.id) ?? []).map((m) => ({ ...m, deadline: date })),
  }));
}

interface Line {
  seed: number;
  from: string;
  milestone: string;
  target: string;
  weeks: number;
  forecast: string | null;
  low: string | null;
  high: string | null;
  actual: string | null;
  error: number | null;
  inRange: boolean | null;
}

async function main(): Promise<void> {
  console.log(
    `Forecast error: ${SCHOOLS} schools, seeds ${SEEDS.join(', ')}, simulated ${FROM} to ${TO}; forecasts from ${FORECAST_DATES.join(' and ')} for the 1 December targets of that year`,
  );
  const ddb = await startDynamoDbLocal();
  const lines: Line[] = [];
  try {
    for (const seed of SEEDS) {
      const t0 = performance.now();
      const system = await startSimulationSystem({
        program: REFERENCE_PROGRAM,
        from: FROM,
        dynamodbEndpoint: ddb.endpoint,
        tableName: `bench-forecast-${seed}-${Date.now()}`,
      });
      try {
        const { run } = await simulateProgram(system, { program: REFERENCE_PROGRAM, schools: SCHOOLS, seed, from: FROM, to: TO });
        console.log(`  seed ${seed}: simulated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        const finalSchools = schoolsAsOf(run.region.schools, run.events, endOfLocalDay(TO, TZ).getTime(), TO);
        for (const from of FORECAST_DATES) {
          const asOf = endOfLocalDay(from, TZ);
          const targets: ProgramTarget[] = REFERENCE_PROGRAM.targets.filter((t) => t.date === `${from.slice(0, 4)}-12-01`);
          const known = schoolsAsOf(run.region.schools, run.events, asOf.getTime(), from);
          for (const weeks of WINDOWS) {
            for (const f of forecast(REFERENCE_PROGRAM, targets, known, asOf, { weeks }).filter((r) => r.district === null)) {
              const target = targets.find((t) => t.milestone === f.milestone)!;
              const actual = targetReachedOn(target, finalSchools, TZ);
              const error = f.forecast && actual ? daysBetween(actual, f.forecast) : null;
              // A forecast without a date (no progress in the window) says the target is not reached at this pace: wrong when it was.
              const inRange = actual === null ? null : f.low !== null && f.low <= actual && (f.high === null || actual <= f.high);
              lines.push({
                seed,
                from,
                milestone: f.milestone,
                target: f.targetDate,
                weeks,
                forecast: f.forecast,
                low: f.low,
                high: f.high,
                actual,
                error,
                inRange,
              });
            }
          }
        }
      } finally {
        await system.stop();
      }
    }
  } finally {
    await ddb.stop();
  }

  const cell = (v: string | number | boolean | null) => (v === null ? '—' : String(v));
  const header = ['seed', 'from', 'milestone', 'target', 'weeks', 'forecast', 'range', 'actual', 'error d', 'in range'];
  const rows = lines.map((l) => [
    String(l.seed),
    l.from,
    l.milestone,
    l.target,
    String(l.weeks),
    cell(l.forecast),
    `${cell(l.low)} … ${cell(l.high)}`,
    cell(l.actual),
    l.error === null ? '—' : (l.error > 0 ? '+' : '') + l.error,
    l.inRange === null ? '—' : l.inRange ? 'yes' : 'no',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const print = (r: string[]) => console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
  print(header);
  print(widths.map((w) => '-'.repeat(w)));
  rows.forEach(print);

  console.log('\nSummary per pace window (forecasts with both a date and an actual date):');
  for (const weeks of WINDOWS) {
    const of = lines.filter((l) => l.weeks === weeks);
    const errors = of.flatMap((l) => (l.error === null ? [] : [Math.abs(l.error)])).sort((a, b) => a - b);
    const inRange = of.filter((l) => l.inRange === true).length;
    const judged = of.filter((l) => l.inRange !== null).length;
    const median = errors.length ? errors[Math.floor((errors.length - 1) / 2)]! : null;
    const mean = errors.length ? errors.reduce((a, b) => a + b, 0) / errors.length : null;
    console.log(
      `  ${weeks} weeks: |error| median ${cell(median)} d, mean ${mean === null ? '—' : mean.toFixed(1)} d over ${errors.length} of ${of.length}; actual date in the range ${inRange} of ${judged}`,
    );
  }
}

await main();
