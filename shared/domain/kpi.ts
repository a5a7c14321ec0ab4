/**
 * The one definition of the programme's KPIs: which schools reached a milestone by an instant, how many
 * of them were waived, which schools are counted at all, and the denominators. The progress report, the
 * dashboard, the exports and the simulation's KPI table all count through this module.
 *
 * The rule:
 * - A school **reached** a milestone from the instant that milestone was closed: accepted (status
 *   `completed`) or waived. A waived milestone counts as reached, because the programme version's
 *   targets are defined as "completed or waived" (`ProgramTarget`): a school exempt from a milestone has
 *   nothing left to do for it. It is also counted apart (`waived`), so that a report can show how much of
 *   a share is exemptions. `completed + waived = reached`.
 * - An **archived** school (closed or merged) is counted nowhere: neither in a numerator nor in a
 *   denominator.
 * - The **denominator** of a share is the number of counted schools of the group (the region, a district,
 *   the urban or rural schools, a district-size class); for a programme target, the counted schools in
 *   the target's scope (`inTargetScope`). A group without schools has share 0.
 * - "By a date" means before the end of that calendar day in the programme's time zone.
 *
 * Pure: no I/O, no clock reads.
 */
import { endOfLocalDay } from '../calendar.js';
import type { MilestoneEvent, MilestoneStatus, ProgramDefinition, ProgramTarget, School } from '../program/model.js';
import { inTargetScope } from '../program/targets.js';

/** What the KPIs need of a milestone: its status and when it was closed. */
export interface KpiMilestone {
  key: string;
  status: MilestoneStatus;
  closedAt: string | null;
}

/** A school as the KPIs see it: the profile fields they group by, and its milestones. */
export interface KpiSchool {
  school: Pick<School, 'id' | 'district' | 'urban' | 'cohortYear'>;
  /** Archived schools are counted nowhere. */
  archived?: boolean;
  milestones: readonly KpiMilestone[];
  /**
   * The milestones of the programme version the school follows: it is in the denominator of those only
   * (a milestone a later version added counts the schools on that version). Absent: every milestone.
   */
  follows?: ReadonlySet<string>;
}

/** Whether the school is counted for the milestone: it is in its programme version. */
export function follows(school: Pick<KpiSchool, 'follows'>, key: string): boolean {
  return school.follows === undefined || school.follows.has(key);
}

export interface KpiCell {
  /** Counted schools whose programme version has the milestone: the denominator of its share. */
  schools: number;
  /** Accepted by the instant. */
  completed: number;
  /** Waived by the instant. */
  waived: number;
  /** completed + waived: the numerator of the share. */
  reached: number;
  /** reached / schools (0 when there are no schools). */
  share: number;
}

export interface KpiTally {
  /** Counted (not archived) schools (each milestone's denominator is its cell's `schools`). */
  schools: number;
  milestones: Record<string, KpiCell>;
}

/** The instant (ms) from which a milestone counts as reached, or null if it has not been closed. */
export function reachedAt(m: Pick<KpiMilestone, 'status' | 'closedAt'>): number | null {
  if ((m.status !== 'completed' && m.status !== 'waived') || m.closedAt === null) return null;
  return Date.parse(m.closedAt);
}

/** True when the milestone was reached strictly before `until` (ms). */
export function reachedBefore(m: Pick<KpiMilestone, 'status' | 'closedAt'>, until: number): boolean {
  const at = reachedAt(m);
  return at !== null && at < until;
}

/** The end of a calendar day in the programme's time zone, as the instant "by that date" is tested against. */
export function endOfKpiDay(program: Pick<ProgramDefinition, 'timeZone'>, date: string): number {
  return endOfLocalDay(date, program.timeZone).getTime();
}

/** The schools a KPI counts (archived ones are left out). */
export function countedSchools<T extends KpiSchool>(schools: readonly T[]): T[] {
  return schools.filter((s) => !s.archived);
}

export function emptyTally(keys: readonly string[]): KpiTally {
  return {
    schools: 0,
    milestones: Object.fromEntries(keys.map((k) => [k, { schools: 0, completed: 0, waived: 0, reached: 0, share: 0 }])),
  };
}

/** Adds one school to a tally (nothing if archived); call `withShares` when done. */
export function addToTally(tally: KpiTally, school: KpiSchool, until: number): void {
  if (school.archived) return;
  tally.schools++;
  for (const [key, cell] of Object.entries(tally.milestones)) if (follows(school, key)) cell.schools++;
  for (const m of school.milestones) {
    const cell = tally.milestones[m.key];
    if (!cell || !follows(school, m.key) || !reachedBefore(m, until)) continue;
    cell.reached++;
    if (m.status === 'waived') cell.waived++;
    else cell.completed++;
  }
}

/** Fills in the shares of a tally (rounded to four decimals, as reports print them). */
export function withShares<T extends KpiTally>(tally: T): T {
  for (const cell of Object.values(tally.milestones)) cell.share = shareOf(cell.reached, cell.schools);
  return tally;
}

export function shareOf(count: number, total: number): number {
  return total === 0 ? 0 : Math.round((count / total) * 10_000) / 10_000;
}

/** Per milestone of `keys`, how many of the counted `schools` reached it before `until`. */
export function tally(keys: readonly string[], schools: readonly KpiSchool[], until: number): KpiTally {
  const out = emptyTally(keys);
  for (const s of schools) addToTally(out, s, until);
  return withShares(out);
}

export interface TargetProgress {
  target: ProgramTarget;
  /** Counted schools in the target's scope (the denominator). */
  counted: number;
  /** Of those, the ones that reached the milestone before `until`. */
  reached: number;
  share: number;
  /** Whether the target's share is met. */
  met: boolean;
}

/** A programme version's target against the schools, as of `until`. */
export function targetProgress(target: ProgramTarget, schools: readonly KpiSchool[], until: number): TargetProgress {
  let counted = 0;
  let reached = 0;
  for (const s of countedSchools(schools)) {
    if (!inTargetScope(target, s.school) || !follows(s, target.milestone)) continue;
    counted++;
    if (s.milestones.some((m) => m.key === target.milestone && reachedBefore(m, until))) reached++;
  }
  return { target, counted, reached, share: shareOf(reached, counted), met: counted === 0 || reached / counted >= target.share - 1e-9 };
}

/**
 * The KPI view of milestones from an audit log alone: per school, each milestone closed by its first
 * `accepted` (completed) or `waived` event. Milestones never closed are left out (they are not reached).
 */
export function closuresFromEvents(events: readonly MilestoneEvent[]): Map<string, KpiMilestone[]> {
  const first = new Map<string, { schoolId: string; m: KpiMilestone; version: number }>();
  for (const e of events) {
    if (e.type !== 'accepted' && e.type !== 'waived') continue;
    const id = `${e.schoolId}#${e.milestone}`;
    const known = first.get(id);
    if (known && known.version <= e.version) continue;
    first.set(id, {
      schoolId: e.schoolId,
      version: e.version,
      m: { key: e.milestone, status: e.type === 'accepted' ? 'completed' : 'waived', closedAt: e.at },
    });
  }
  const out = new Map<string, KpiMilestone[]>();
  for (const { schoolId, m } of first.values()) {
    const list = out.get(schoolId) ?? [];
    list.push(m);
    out.set(schoolId, list);
  }
  return out;
}
