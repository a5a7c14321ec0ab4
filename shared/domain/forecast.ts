/**
 * A forecast from live progress: for a programme target (a milestone, a date, a share of the schools in
 * its scope) and a group of schools (the region, or one district), the date at which the target share
 * would be reached if schools go on reaching the milestone at the pace of the last `weeks` weeks, with a
 * range, and the schools that hold it back.
 *
 * - Counting is the one KPI definition (kpi.ts): reached = completed or waived, archived schools counted
 *   nowhere, the denominator the counted schools in the target's scope (`inTargetScope`) whose programme
 *   version has the target's milestone (`follows`).
 * - The pace is the mean number of schools of the group that reached the milestone per week over the
 *   last `weeks` whole weeks before `asOf`. The point forecast is `asOf` plus the schools still needed
 *   divided by that pace.
 * - The range is a bootstrap over the weeks: the `weeks` weekly counts are resampled with replacement
 *   `resamples` times (a seeded generator: the same input gives the same range), each resample's mean
 *   pace gives a date, and the range is the 10th to the 90th percentile of those dates (an 80 % range).
 *   Progress comes in bursts (a contractor delivers a district in one week, then nothing for three), so
 *   the spread of the weekly counts, not a normal approximation, says how uncertain the pace is. A
 *   resample without any progress has no date: when more than a tenth of them have none, the range has
 *   no upper end (`high: null`).
 * - Holding it back: the schools of the scope that have not reached the milestone, overdue first (most
 *   days past the deadline's due day), then by the deadline, the soonest first.
 *
 * Pure: no I/O, no clock reads (`asOf` is given).
 */
import { localDate } from '../calendar.js';
import type { IsoDate, MilestoneStatus, ProgramDefinition, ProgramTarget } from '../program/model.js';
import { inTargetScope } from '../program/targets.js';
import { Rng } from '../region/prng.js';
import { follows, reachedAt, type KpiMilestone, type KpiSchool } from './kpi.js';
import { daysOverdue } from './overdue.js';

/** What the forecast needs of a milestone: the KPI fields and the deadline (for "holding back"). */
export interface ForecastMilestone extends KpiMilestone {
  deadline: IsoDate;
}

export interface ForecastSchool extends KpiSchool {
  milestones: readonly ForecastMilestone[];
}

export interface ForecastOptions {
  /** The weeks the pace is measured over (default 8). */
  weeks?: number;
  /** Bootstrap resamples of the weekly counts (default 400). */
  resamples?: number;
  /** How many of the schools holding a target back are listed (default 5). */
  holdingBack?: number;
}

export interface HoldingBack {
  schoolId: string;
  status: MilestoneStatus;
  deadline: IsoDate;
  /** Days past the deadline's due day (0 when not overdue). */
  daysOverdue: number;
}

export type ForecastStatus = 'met' | 'on-track' | 'late' | 'stalled';

export interface TargetForecast {
  milestone: string;
  targetDate: IsoDate;
  targetShare: number;
  scope: ProgramTarget['scope'];
  /** The district, or null for the whole region. */
  district: string | null;
  /** Counted schools in the target's scope (the denominator). */
  counted: number;
  reached: number;
  share: number;
  /** Schools still to reach the milestone for the target share (0 when met). */
  needed: number;
  /** Schools that reached it in each of the last weeks, oldest week first. */
  weekly: number[];
  /** Mean schools per week over those weeks. */
  pacePerWeek: number;
  /** The date the target share is reached at that pace (the date it was reached when met); null when stalled. */
  forecast: IsoDate | null;
  /** The range of the forecast (10th and 90th percentile of the bootstrap); `high` null: no upper end at this pace. */
  low: IsoDate | null;
  high: IsoDate | null;
  status: ForecastStatus;
  /** Schools not there yet, overdue first, then by deadline. */
  holdingBack: HoldingBack[];
  /** How many schools of the scope have not reached the milestone. */
  open: number;
  /** Of those, how many are overdue. */
  overdue: number;
}

const WEEK_MS = 7 * 86_400_000;
const DAY_MS = 86_400_000;

/** The number of schools of `counted` that a target share asks for (with a tolerance for float shares). */
export function requiredSchools(share: number, counted: number): number {
  return Math.ceil(share * counted - 1e-9);
}

/**
 * The targets a forecast is made for as of a local date: per milestone, the next target not yet past
 * (dated on or after `date`), or, when all its targets are past, the last of them.
 */
export function forecastTargets(program: Pick<ProgramDefinition, 'targets'>, date: IsoDate): ProgramTarget[] {
  const byMilestone = new Map<string, ProgramTarget[]>();
  for (const t of program.targets) byMilestone.set(t.milestone, [...(byMilestone.get(t.milestone) ?? []), t]);
  const out: ProgramTarget[] = [];
  for (const list of byMilestone.values()) {
    const sorted = [...list].sort((a, b) => a.date.localeCompare(b.date));
    out.push(sorted.find((t) => t.date >= date) ?? sorted[sorted.length - 1]!);
  }
  return out;
}

/**
 * The local date on which a target's share was first reached by the schools (the region, or one
 * district with `district`), or null if it has not been: the instant of the k-th school to reach the
 * milestone, k the schools the share asks for.
 */
export function targetReachedOn(
  target: ProgramTarget,
  schools: readonly ForecastSchool[],
  timeZone: string,
  district: string | null = null,
): IsoDate | null {
  const scope = schools.filter(
    (s) =>
      !s.archived &&
      inTargetScope(target, s.school) &&
      follows(s, target.milestone) &&
      (district === null || s.school.district === district),
  );
  const k = requiredSchools(target.share, scope.length);
  if (k === 0) return null;
  const instants = scope
    .map((s) => s.milestones.find((m) => m.key === target.milestone))
    .map((m) => (m ? reachedAt(m) : null))
    .filter((t): t is number => t !== null)
    .sort((a, b) => a - b);
  return instants.length >= k ? localDate(new Date(instants[k - 1]!), timeZone) : null;
}

/** The forecast of `targets` for the region and each district, as of `asOf`. */
export function forecast(
  program: Pick<ProgramDefinition, 'timeZone'>,
  targets: readonly ProgramTarget[],
  schools: readonly ForecastSchool[],
  asOf: Date,
  options: ForecastOptions = {},
): TargetForecast[] {
  const weeks = options.weeks ?? 8;
  if (!Number.isInteger(weeks) || weeks < 1) throw new RangeError(`weeks must be a positive integer, got ${weeks}`);
  const districts = [...new Set(schools.map((s) => s.school.district))].sort();
  const out: TargetForecast[] = [];
  for (const target of targets) {
    for (const district of [null, ...districts]) {
      const group = schools.filter((s) => district === null || s.school.district === district);
      out.push(forecastOne(program.timeZone, target, group, district, asOf, weeks, options));
    }
  }
  return out;
}

function forecastOne(
  timeZone: string,
  target: ProgramTarget,
  group: readonly ForecastSchool[],
  district: string | null,
  asOf: Date,
  weeks: number,
  options: ForecastOptions,
): TargetForecast {
  const now = asOf.getTime();
  const from = now - weeks * WEEK_MS;
  const weekly = new Array<number>(weeks).fill(0);
  const reachedTimes: number[] = [];
  const waiting: HoldingBack[] = [];
  let counted = 0;
  for (const s of group) {
    if (s.archived || !inTargetScope(target, s.school) || !follows(s, target.milestone)) continue;
    counted++;
    const m = s.milestones.find((x) => x.key === target.milestone);
    const at = m ? reachedAt(m) : null;
    if (at !== null && at < now) {
      reachedTimes.push(at);
      if (at >= from) weekly[Math.floor((at - from) / WEEK_MS)]!++;
    } else if (m) {
      waiting.push({ schoolId: s.school.id, status: m.status, deadline: m.deadline, daysOverdue: daysOverdue(m, asOf, timeZone) });
    }
  }
  const reached = reachedTimes.length;
  const required = requiredSchools(target.share, counted);
  const needed = Math.max(0, required - reached);
  const pacePerWeek = weekly.reduce((a, b) => a + b, 0) / weeks;
  const dateAfter = (pace: number): IsoDate | null =>
    pace > 0 ? localDate(new Date(now + Math.ceil((needed / pace) * 7) * DAY_MS), timeZone) : null;

  let forecastDate: IsoDate | null;
  let low: IsoDate | null;
  let high: IsoDate | null;
  let status: ForecastStatus;
  if (needed === 0) {
    const sorted = reachedTimes.sort((a, b) => a - b);
    forecastDate = required === 0 ? localDate(asOf, timeZone) : localDate(new Date(sorted[required - 1]!), timeZone);
    low = high = forecastDate;
    status = 'met';
  } else {
    forecastDate = dateAfter(pacePerWeek);
    [low, high] = bootstrapRange(weekly, options.resamples ?? 400, `${target.milestone}:${target.date}:${district ?? '*'}:${now}`).map(
      (pace) => (pace === null ? null : dateAfter(pace)),
    ) as [IsoDate | null, IsoDate | null];
    status = forecastDate === null ? 'stalled' : forecastDate <= target.date ? 'on-track' : 'late';
  }
  waiting.sort((a, b) => b.daysOverdue - a.daysOverdue || a.deadline.localeCompare(b.deadline) || a.schoolId.localeCompare(b.schoolId));
  return {
    milestone: target.milestone,
    targetDate: target.date,
    targetShare: target.share,
    scope: target.scope,
    district,
    counted,
    reached,
    share: counted === 0 ? 0 : Math.round((reached / counted) * 10_000) / 10_000,
    needed,
    weekly,
    pacePerWeek: Math.round(pacePerWeek * 1000) / 1000,
    forecast: forecastDate,
    low,
    high,
    status,
    holdingBack: waiting.slice(0, options.holdingBack ?? 5),
    open: waiting.length,
    overdue: waiting.filter((w) => w.daysOverdue > 0).length,
  };
}

/**
 * The paces behind the range: the 90th and 10th percentile of the resampled mean weekly paces (a higher
 * pace is an earlier date, so they give the low and the high end). A pace of 0 is null (no date).
 */
function bootstrapRange(weekly: readonly number[], resamples: number, seed: string): [number | null, number | null] {
  const rng = new Rng(seed);
  const means: number[] = [];
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < weekly.length; i++) sum += weekly[rng.int(0, weekly.length - 1)]!;
    means.push(sum / weekly.length);
  }
  means.sort((a, b) => b - a);
  const at = (q: number) => means[Math.min(means.length - 1, Math.floor(q * means.length))]!;
  const fast = at(0.1);
  const slow = at(0.9);
  return [fast > 0 ? fast : null, slow > 0 ? slow : null];
}
