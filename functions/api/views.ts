/**
 * What the API shows, derived from stored items: milestone views (with title and "overdue"), list
 * summaries, and who may see what (DESIGN.md §2): a district coordinator only its district's schools, a
 * contractor only the milestones assigned to its organization.
 */
import type { MilestoneSummary, MilestoneView, SchoolListItem } from '../../shared/api/schemas.js';
import { canRead, initialState, isOverdue, visibleTo } from '../../shared/domain/index.js';
import type { MilestoneEvent, MilestoneState, ProgramDefinition, School } from '../../shared/program/model.js';
import { lineOf, type MilestoneLine } from '../../shared/store/marshall.js';
import type { SchoolRecord, SchoolSummary } from '../../shared/store/store.js';
import type { Principal } from './auth.js';
import { ApiProblem, PROBLEM_TYPES } from './problem.js';

/** Every milestone of the program for a school, in program order: the stored state or, if none, the initial one. */
export function milestoneStates(program: ProgramDefinition, record: SchoolRecord, now: Date): MilestoneState[] {
  const stored = new Map(record.milestones.map((m) => [m.state.key, m.state]));
  return program.milestones.map((def) => stored.get(def.key) ?? initialState(program, record.school, def.key, now));
}

export function toView(program: ProgramDefinition, state: MilestoneState, now: Date): MilestoneView {
  const def = program.milestones.find((m) => m.key === state.key);
  return {
    ...state,
    title: def?.title ?? { ru: state.key, en: state.key },
    overdue: isOverdue(state, now, program.timeZone),
  };
}

/** Every milestone of the program for a school of a list: its summary line or, if none is stored, the initial state's. */
export function milestoneLines(program: ProgramDefinition, summary: SchoolSummary, now: Date): MilestoneLine[] {
  const stored = new Map(summary.milestones.map((m) => [m.key, m]));
  return program.milestones.map((def) => stored.get(def.key) ?? lineOf(initialState(program, summary.school, def.key, now)));
}

export function toSummary(program: ProgramDefinition, state: MilestoneLine, now: Date): MilestoneSummary {
  return {
    key: state.key,
    status: state.status,
    assignee: state.assignee,
    deadline: state.deadline,
    overdue: isOverdue(state, now, program.timeZone),
    version: state.version,
    closedAt: state.closedAt,
  };
}

export function toListItem(program: ProgramDefinition, school: School, lines: readonly MilestoneLine[], now: Date): SchoolListItem {
  return { ...school, milestones: lines.map((s) => toSummary(program, s, now)) };
}

/** Refuses a school the caller may not read in full (outside a coordinator's district, another school's staff). */
export function assertDistrict(principal: Principal, school: School): void {
  assertReadable(principal, school, []);
}

function assertReadable(principal: Principal, school: School, assignees: readonly (string | null)[]): void {
  const denied = canRead(principal.actor, { kind: 'school', school, assignees });
  if (denied) throw new ApiProblem(403, denied.message, { type: PROBLEM_TYPES.forbidden });
}

/**
 * The milestones of a school the caller may see (`canRead`, `visibleTo`): all of them, except for a
 * contractor, who sees those assigned to its organization; a contractor with none there may not see the
 * school at all.
 */
export function visibleMilestones(principal: Principal, school: School, states: MilestoneState[]): MilestoneState[] {
  assertReadable(principal, school, principal.actor.role === 'contractor' ? states.map((s) => s.assignee) : []);
  return visibleTo(principal.actor, states);
}

/**
 * The events of a school a caller may read. Everybody but a contractor: all of them. A contractor: its
 * organization's events only — those of the milestones assigned to it, from the periods in which they
 * were assigned to it (from the `started` or `reassigned` event that gave it the milestone up to the one
 * that took it away). A contractor that took a milestone over does not read its predecessor's
 * submissions, the rejections of them or their notes. `log` is the school's whole history, read after
 * `events`, so that every event of `events` finds the assignment it happened under.
 */
export function visibleEvents(
  principal: Principal,
  visible: MilestoneState[],
  events: MilestoneEvent[],
  log: readonly MilestoneEvent[],
): MilestoneEvent[] {
  if (principal.actor.role !== 'contractor') return events;
  const org = principal.actor.org;
  const keys = new Set(visible.map((s) => s.key));
  // Per milestone, the versions at which its assignee changed, in version order.
  const changes = new Map<string, { version: number; assignee: string | null }[]>();
  for (const e of log) {
    if (!keys.has(e.milestone) || (e.type !== 'started' && e.type !== 'reassigned')) continue;
    const list = changes.get(e.milestone) ?? [];
    list.push({ version: e.version, assignee: e.type === 'started' ? e.assignee : e.to });
    changes.set(e.milestone, list);
  }
  for (const list of changes.values()) list.sort((a, b) => a.version - b.version);
  const assigneeAfter = (e: MilestoneEvent): string | null => {
    let assignee: string | null = null;
    for (const change of changes.get(e.milestone) ?? []) {
      if (change.version > e.version) break;
      assignee = change.assignee;
    }
    return assignee;
  };
  return events.filter((e) => keys.has(e.milestone) && assigneeAfter(e) === org);
}

/** Case-insensitive match of a search text against a school's id, name and locality. */
export function matchesText(school: School, q: string | undefined): boolean {
  if (!q) return true;
  const needle = q.toLocaleLowerCase('ru');
  return [school.id, school.name, school.locality].some((v) => v.toLocaleLowerCase('ru').includes(needle));
}

export interface MilestoneFilter {
  milestone?: string | undefined;
  status?: string | undefined;
  overdue?: boolean | undefined;
}

/** With a milestone: that milestone matches status/overdue; without: any milestone does. */
export function matchesMilestones(
  program: ProgramDefinition,
  states: readonly MilestoneLine[],
  filter: MilestoneFilter,
  now: Date,
): boolean {
  if (filter.milestone === undefined && filter.status === undefined && filter.overdue === undefined) return true;
  const candidates = filter.milestone === undefined ? states : states.filter((s) => s.key === filter.milestone);
  return candidates.some(
    (s) =>
      (filter.status === undefined || s.status === filter.status) &&
      (filter.overdue === undefined || isOverdue(s, now, program.timeZone) === filter.overdue),
  );
}
