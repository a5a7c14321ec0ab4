/**
 * The figures of a program simulation, computed from the audit log (every `MilestoneEvent` of every
 * school) alone: a milestone is done (reached) from its `accepted` or `waived` event on, as the one KPI
 * definition (shared/domain/kpi.ts) counts it for every report; a reminder is a `reminded` event at level
 * `assignee`, an escalation one at a higher level. Pure: no I/O.
 *
 * - yearly: at each 31 December (or the end of the period, if earlier) the number and share of schools
 *   that have each milestone done, and the reminders and escalations sent during that year;
 * - targets: the program's targets against what was reached by their dates;
 * - series: the share done per milestone at the end of every week (for the charts);
 * - months: reminders and escalations per month;
 * - districts: the same at the end of the period, per district;
 * - events: how many events of each type were committed.
 *
 * Dates are calendar dates in the program's time zone.
 */
import { addDays, endOfLocalDay, localDate } from '../../../shared/calendar.js';
import type {
  District,
  IsoDate,
  LocalizedText,
  MilestoneEvent,
  MilestoneEventType,
  ProgramDefinition,
  School,
} from '../../../shared/program/model.js';
import {
  closuresFromEvents,
  reachedAt,
  reachedBefore,
  targetProgress,
  type KpiMilestone,
  type KpiSchool,
} from '../../../shared/domain/kpi.js';

export interface KpiInput {
  program: ProgramDefinition;
  schools: readonly School[];
  districts: readonly District[];
  events: readonly MilestoneEvent[];
  /** First and last day of the simulated period. */
  from: IsoDate;
  to: IsoDate;
}

export interface MilestoneCount {
  /** Completed or waived. */
  done: number;
  completed: number;
  waived: number;
  /** Completed no later than the deadline in force when it was accepted. */
  onTime: number;
}

export interface YearKpi {
  year: number;
  /** 31 December, or the last day of the period when that comes first. */
  asOf: IsoDate;
  milestones: Record<string, MilestoneCount>;
  /** Reminders (level `assignee`) sent during the year (up to `asOf`). */
  reminders: number;
  /** Escalated reminders (district coordinator, program manager) sent during the year. */
  escalations: number;
}

export interface TargetKpi {
  milestone: string;
  date: IsoDate;
  scope: 'all' | 'cohorts-due';
  /** Share the target expects of the schools in scope. */
  share: number;
  /** Schools in scope. */
  counted: number;
  /** Of those, done by the end of `date` (null when the date is after the period). */
  done: number | null;
  /** The target's share as a share of all schools (for charts over all schools). */
  expectedOfAll: number;
  met: boolean | null;
}

export interface SeriesPoint {
  date: IsoDate;
  done: Record<string, number>;
}

export interface MonthKpi {
  month: string;
  reminders: number;
  escalations: number;
}

export interface DistrictKpi {
  id: string;
  nameRu: string;
  nameEn: string;
  schools: number;
  done: Record<string, number>;
  onTime: Record<string, number>;
  reminders: number;
  escalations: number;
}

export interface Kpis {
  schools: number;
  from: IsoDate;
  to: IsoDate;
  timeZone: string;
  milestones: { key: string; title: LocalizedText }[];
  years: YearKpi[];
  targets: TargetKpi[];
  series: SeriesPoint[];
  months: MonthKpi[];
  districts: DistrictKpi[];
  events: Partial<Record<MilestoneEventType, number>>;
}

interface Closure extends KpiMilestone {
  schoolId: string;
  at: number;
  waived: boolean;
  onTime: boolean;
}

interface Reminder {
  schoolId: string;
  at: number;
  escalated: boolean;
}

function closuresAndReminders(
  events: readonly MilestoneEvent[],
  timeZone: string,
): { closures: Closure[]; reminders: Reminder[]; bySchool: Map<string, KpiMilestone[]> } {
  const deadlines = new Map<string, IsoDate>();
  /** The deadline in force when the milestone was closed. */
  const deadlineAtClose = new Map<string, IsoDate | undefined>();
  const reminders: Reminder[] = [];
  const ordered = [...events].sort((a, b) =>
    a.schoolId === b.schoolId
      ? a.milestone === b.milestone
        ? a.version - b.version
        : a.milestone < b.milestone
          ? -1
          : 1
      : a.schoolId < b.schoolId
        ? -1
        : 1,
  );
  for (const e of ordered) {
    const id = `${e.schoolId}#${e.milestone}`;
    const at = Date.parse(e.at);
    switch (e.type) {
      case 'started':
        deadlines.set(id, e.deadline);
        break;
      case 'rescheduled':
        deadlines.set(id, e.to);
        break;
      case 'accepted':
      case 'waived':
        if (!deadlineAtClose.has(id)) deadlineAtClose.set(id, deadlines.get(id));
        break;
      case 'reminded':
        reminders.push({ schoolId: e.schoolId, at, escalated: e.level !== 'assignee' });
        break;
      default:
        break;
    }
  }
  const bySchool = closuresFromEvents(events);
  const closures: Closure[] = [];
  for (const [schoolId, milestones] of bySchool) {
    for (const m of milestones) {
      const at = reachedAt(m);
      if (at === null) continue;
      const deadline = deadlineAtClose.get(`${schoolId}#${m.key}`);
      const onTime = m.status === 'completed' && deadline !== undefined && localDate(new Date(at), timeZone) <= deadline;
      closures.push({ ...m, schoolId, at, waived: m.status === 'waived', onTime });
    }
  }
  return { closures, reminders, bySchool };
}

function emptyCount(): MilestoneCount {
  return { done: 0, completed: 0, waived: 0, onTime: 0 };
}

export function computeKpis(input: KpiInput): Kpis {
  const { program, schools, from, to } = input;
  const tz = program.timeZone;
  if (from > to) throw new RangeError(`the period ends (${to}) before it starts (${from})`);
  const keys = program.milestones.map((m) => m.key);
  const schoolIds = new Set(schools.map((s) => s.id));
  const relevant = input.events.filter((e) => schoolIds.has(e.schoolId));
  const { closures, reminders, bySchool } = closuresAndReminders(relevant, tz);
  const kpiSchools: KpiSchool[] = schools.map((school) => ({ school, milestones: bySchool.get(school.id) ?? [] }));
  const endOf = (date: IsoDate) => endOfLocalDay(date, tz).getTime();
  const periodStart = endOf(addDays(from, -1));
  const periodEnd = endOf(to);

  const countAt = (instant: number, filter?: (c: Closure) => boolean): Record<string, MilestoneCount> => {
    const out = Object.fromEntries(keys.map((k) => [k, emptyCount()])) as Record<string, MilestoneCount>;
    for (const c of closures) {
      if (!reachedBefore(c, instant) || (filter && !filter(c))) continue;
      const n = out[c.key];
      if (!n) continue;
      n.done++;
      if (c.waived) n.waived++;
      else n.completed++;
      if (c.onTime) n.onTime++;
    }
    return out;
  };

  const years: YearKpi[] = [];
  for (let year = Number(from.slice(0, 4)); year <= Number(to.slice(0, 4)); year++) {
    const asOf = `${year}-12-31` < to ? `${year}-12-31` : to;
    const start = Math.max(periodStart, endOf(`${year - 1}-12-31`));
    const end = endOf(asOf);
    const inYear = reminders.filter((r) => r.at >= start && r.at < end);
    years.push({
      year,
      asOf,
      milestones: countAt(end),
      reminders: inYear.filter((r) => !r.escalated).length,
      escalations: inYear.filter((r) => r.escalated).length,
    });
  }

  const targets: TargetKpi[] = program.targets.map((t) => {
    const evaluated = t.date <= to;
    const progress = targetProgress(t, kpiSchools, endOf(t.date));
    const done = evaluated ? progress.reached : null;
    const counted = progress.counted;
    return {
      milestone: t.milestone,
      date: t.date,
      scope: t.scope,
      share: t.share,
      counted,
      done,
      expectedOfAll: schools.length === 0 ? 0 : (t.share * counted) / schools.length,
      met: done === null ? null : counted === 0 || done / counted >= t.share - 1e-9,
    };
  });

  // Weekly points from the first day, and the last day of the period.
  const series: SeriesPoint[] = [];
  const sorted = [...closures].sort((a, b) => a.at - b.at);
  const running = Object.fromEntries(keys.map((k) => [k, 0])) as Record<string, number>;
  let next = 0;
  const dates: IsoDate[] = [];
  for (let d = from; d < to; d = addDays(d, 7)) dates.push(d);
  dates.push(to);
  for (const date of dates) {
    const end = endOf(date);
    while (next < sorted.length && sorted[next]!.at < end) {
      const c = sorted[next++]!;
      running[c.key] = (running[c.key] ?? 0) + 1;
    }
    series.push({ date, done: { ...running } });
  }

  const months: MonthKpi[] = [];
  const monthIndex = new Map<string, MonthKpi>();
  for (let d = `${from.slice(0, 7)}-01`; d <= to; d = nextMonth(d)) {
    const m = { month: d.slice(0, 7), reminders: 0, escalations: 0 };
    months.push(m);
    monthIndex.set(m.month, m);
  }
  for (const r of reminders) {
    if (r.at < periodStart || r.at >= periodEnd) continue;
    const m = monthIndex.get(localDate(new Date(r.at), tz).slice(0, 7));
    if (!m) continue;
    if (r.escalated) m.escalations++;
    else m.reminders++;
  }

  const districtOf = new Map(schools.map((s) => [s.id, s.district]));
  const districts: DistrictKpi[] = input.districts
    .map((d) => {
      const members = new Set(schools.filter((s) => s.district === d.id).map((s) => s.id));
      const counts = countAt(periodEnd, (c) => members.has(c.schoolId));
      const mine = reminders.filter((r) => r.at >= periodStart && r.at < periodEnd && districtOf.get(r.schoolId) === d.id);
      return {
        id: d.id,
        nameRu: d.nameRu,
        nameEn: d.nameEn,
        schools: members.size,
        done: Object.fromEntries(keys.map((k) => [k, counts[k]!.done])),
        onTime: Object.fromEntries(keys.map((k) => [k, counts[k]!.onTime])),
        reminders: mine.filter((r) => !r.escalated).length,
        escalations: mine.filter((r) => r.escalated).length,
      };
    })
    .filter((d) => d.schools > 0);

  const events: Partial<Record<MilestoneEventType, number>> = {};
  for (const e of relevant) {
    const at = Date.parse(e.at);
    if (at < periodStart || at >= periodEnd) continue;
    events[e.type] = (events[e.type] ?? 0) + 1;
  }

  return {
    schools: schools.length,
    from,
    to,
    timeZone: tz,
    milestones: program.milestones.map((m) => ({ key: m.key, title: m.title })),
    years,
    targets,
    series,
    months,
    districts,
    events,
  };
}

function nextMonth(date: IsoDate): IsoDate {
  const y = Number(date.slice(0, 4));
  const m = Number(date.slice(5, 7));
  return m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
}

export function percent(count: number, total: number): string {
  return total === 0 ? '—' : `${((100 * count) / total).toFixed(1)}%`;
}

/**
 * The yearly KPI table as plain text (fixed-width columns, one line per year): per milestone the share
 * of schools done at 31 December with the count in brackets, then reminders and escalations sent in
 * the year.
 */
export function formatKpiTable(kpis: Kpis): string {
  const headers = ['year', ...kpis.milestones.map((m) => m.key), 'reminders', 'escalations'];
  const rows = kpis.years.map((y) => [
    y.asOf.endsWith('-12-31') ? String(y.year) : `${y.year} (to ${y.asOf.slice(5)})`,
    ...kpis.milestones.map((m) => {
      const n = y.milestones[m.key]!.done;
      return `${percent(n, kpis.schools)} (${n})`;
    }),
    String(y.reminders),
    String(y.escalations),
  ]);
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const numeric = (i: number) => i > 0;
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
