/**
 * Reminder schedule of an open milestone (status `active` or `submitted`; nothing is reminded while a
 * milestone is pending, on hold or closed).
 *
 * - Before the deadline: `policy.daysBefore` days before it (30, 7 and 1 by default).
 * - Overdue: on day 1 after the deadline, then every `policy.overdueEveryDays` days (1, 8, 15, 22, … by
 *   default) until the milestone closes. `until` caps the list, since that never ends by itself.
 * - The overdue ones count from the deadline's due day (`dueDay`: the deadline, or the next working day
 *   when it falls on a day off, Civil Code art. 193), as "overdue" does.
 * - Each goes out at `policy.localTime` (09:00) in the program's time zone, plus the milestone's own
 *   offset within `policy.spreadMinutes` (120: between 09:00 and 11:00; whole seconds, by a hash of the
 *   school and the milestone, the same for every reminder of the milestone), so that the lifecycles of a
 *   cohort, whose deadlines are the same, do not all wake in one second; with `onWorkingDays` a
 *   reminder that falls on a day off of the Russian production calendar (a weekend, a public holiday, a
 *   day off moved by the yearly decree) goes out on the next working day, and one due on a Saturday made
 *   a working day goes out that Saturday. A before-deadline reminder that the move would push past the due
 *   day is dropped (the day-1 overdue reminder covers it), and when several land on the same day only the
 *   latest of them (nearest to, or furthest past, the deadline) goes.
 * - Reminders due before the milestone was started are not part of its schedule.
 * - Escalation: a reminder's level is the highest `policy.escalation` level whose `afterDaysOverdue` the
 *   reminder's nominal days overdue (past the due day) reach: the assignee before the deadline, the district coordinator from
 *   day 1 overdue, the program manager from day 14 (so from the day-15 reminder on, by default).
 * - Ids are deterministic, `${schoolId}:${key}:${deadline}:${kind}:${n}` with n the nominal days before
 *   (`before`) the deadline or past (`overdue`) its due day: recomputing the schedule gives the same ids, so a retried
 *   reminder is recognised, and a rescheduled deadline starts a fresh series.
 */
import { addDays, daysBetween, localDate, zonedInstant } from '../calendar.js';
import { dueDay, nextWorkingDay } from '../working-days/index.js';
import { spreadOffsetMs } from '../spread.js';
import type { EscalationLevel, Id, IsoDate, MilestoneKey, MilestoneState, ReminderPolicy } from '../program/model.js';

export type ReminderKind = 'before' | 'overdue';

export interface Reminder {
  id: string;
  schoolId: Id;
  milestone: MilestoneKey;
  /** The deadline this reminder is about. */
  deadline: IsoDate;
  /** The day the deadline ends: the deadline, or the next working day when it falls on a day off. */
  due: IsoDate;
  kind: ReminderKind;
  /** Nominal days before the deadline (`before`) or after its due day (`overdue`). */
  n: number;
  /** Local date it goes out on (after a move off a day off). */
  date: IsoDate;
  /** The instant it goes out, ISO 8601 UTC. */
  at: string;
  /** Days from the send date to the due day; negative when overdue. */
  daysToDeadline: number;
  level: EscalationLevel;
}

export interface ReminderIdParts {
  schoolId: Id;
  milestone: MilestoneKey;
  deadline: IsoDate;
  kind: ReminderKind;
  n: number;
}

export function reminderId(p: ReminderIdParts): string {
  return `${p.schoolId}:${p.milestone}:${p.deadline}:${p.kind}:${p.n}`;
}

export function parseReminderId(id: string): ReminderIdParts | null {
  const m = /^([A-Za-z0-9][A-Za-z0-9_-]{0,63}):([a-z][a-z0-9-]{1,31}):(\d{4}-\d{2}-\d{2}):(before|overdue):([1-9]\d{0,4})$/.exec(id);
  if (!m) return null;
  return { schoolId: m[1]!, milestone: m[2]!, deadline: m[3]!, kind: m[4] as ReminderKind, n: Number(m[5]) };
}

/** How long after `policy.localTime` the reminders of a milestone go out: its own second of the window. */
export function reminderOffsetMs(schoolId: Id, milestone: MilestoneKey, policy: Pick<ReminderPolicy, 'spreadMinutes'>): number {
  return spreadOffsetMs(`remind:${schoolId}:${milestone}`, policy.spreadMinutes * 60_000);
}

const LEVEL_RANK: Readonly<Record<EscalationLevel, number>> = { assignee: 0, 'district-coordinator': 1, 'program-manager': 2 };

/** The escalation level for a reminder `daysOverdue` days past the deadline (negative: before it). */
export function escalationLevel(policy: ReminderPolicy, daysOverdue: number): EscalationLevel {
  let level: EscalationLevel = 'assignee';
  for (const step of policy.escalation) {
    if (daysOverdue >= step.afterDaysOverdue && LEVEL_RANK[step.to] > LEVEL_RANK[level]) level = step.to;
  }
  return level;
}

/** True for the statuses that have a reminder schedule: someone's turn is running against the deadline. */
export function hasReminders(state: Pick<MilestoneState, 'status'>): boolean {
  return state.status === 'active' || state.status === 'submitted';
}

/**
 * Nominal reminders in time order, endless (overdue ones never stop). Given `from`, the overdue ones
 * dated before the last one on or before `from` are left out: they are computed, not walked, so a
 * milestone years overdue costs no more than one due tomorrow.
 */
function* nominalReminders(
  deadline: IsoDate,
  due: IsoDate,
  policy: ReminderPolicy,
  from?: IsoDate,
): Generator<{ kind: ReminderKind; n: number; date: IsoDate }> {
  const before = [...new Set(policy.daysBefore)].sort((a, b) => b - a);
  for (const n of before) yield { kind: 'before', n, date: addDays(deadline, -n) };
  const step = policy.overdueEveryDays;
  const behind = from === undefined ? 0 : daysBetween(due, from);
  const first = behind > 1 ? 1 + Math.floor((behind - 1) / step) * step : 1;
  for (let n = first; ; n += step) yield { kind: 'overdue', n, date: addDays(due, n) };
}

/**
 * The milestone's reminders in time order, endless for an open milestone, empty otherwise. Given `from`
 * (a local date), it may start with the reminders of a few days before it rather than the first ones.
 */
export function* reminders(state: MilestoneState, policy: ReminderPolicy, timeZone: string, from?: IsoDate): Generator<Reminder> {
  if (!hasReminders(state)) return;
  const startedMs = state.startedAt ? Date.parse(state.startedAt) : Number.NEGATIVE_INFINITY;
  const due = dueDay(state.deadline);
  const offsetMs = reminderOffsetMs(state.schoolId, state.key, policy);
  let held: Reminder | null = null;
  for (const nominal of nominalReminders(state.deadline, due, policy, from)) {
    const date = policy.onWorkingDays ? nextWorkingDay(nominal.date) : nominal.date;
    if (nominal.kind === 'before' && date > due) continue;
    const at = new Date(zonedInstant(date, policy.localTime, timeZone).getTime() + offsetMs);
    if (at.getTime() < startedMs) continue;
    const reminder: Reminder = {
      id: reminderId({ schoolId: state.schoolId, milestone: state.key, deadline: state.deadline, kind: nominal.kind, n: nominal.n }),
      schoolId: state.schoolId,
      milestone: state.key,
      deadline: state.deadline,
      due,
      kind: nominal.kind,
      n: nominal.n,
      date,
      at: at.toISOString(),
      daysToDeadline: daysBetween(date, due),
      level: escalationLevel(policy, nominal.kind === 'overdue' ? nominal.n : -nominal.n),
    };
    if (held && held.date !== reminder.date) yield held;
    held = reminder;
  }
}

/** Default horizon of `reminderSchedule`: a year of overdue reminders after the due day. */
export const DEFAULT_OVERDUE_HORIZON_DAYS = 366;

/**
 * The reminders of an open milestone that go out no later than `until` (by default the end of the
 * `DEFAULT_OVERDUE_HORIZON_DAYS`-th day after the due day), in time order.
 */
export function reminderSchedule(state: MilestoneState, policy: ReminderPolicy, timeZone: string, until?: Date): Reminder[] {
  const limit = (until ?? zonedInstant(addDays(dueDay(state.deadline), DEFAULT_OVERDUE_HORIZON_DAYS + 1), '00:00', timeZone)).getTime();
  const list: Reminder[] = [];
  for (const r of reminders(state, policy, timeZone)) {
    if (Date.parse(r.at) > limit) break;
    list.push(r);
  }
  return list;
}

/** More than the longest run of consecutive days off in the production calendar. */
const MAX_DAYS_OFF_IN_A_ROW = 16;

/**
 * The first reminder not yet due at `now` (going out strictly later), or null when the milestone has no
 * schedule. The workflow waits until its `at` (the task timeout) and then calls `remind` with its id.
 */
export function nextReminder(state: MilestoneState, policy: ReminderPolicy, timeZone: string, now: Date): Reminder | null {
  // A reminder that goes out after `now` is sent on `now`'s local day or later, so its nominal date is no
  // earlier than that day less the longest run of days off (12 days: 31 December 2025 to 11 January 2026).
  for (const r of reminders(state, policy, timeZone, addDays(localDate(now, timeZone), -MAX_DAYS_OFF_IN_A_ROW))) {
    if (Date.parse(r.at) > now.getTime()) return r;
  }
  return null;
}

/**
 * The reminder that fell due while nothing sent it: the latest one going out after the milestone last
 * changed (`updatedAt`) and no later than `now`, or null. A sent reminder is a change of the milestone
 * (its `reminded` event), so a reminder due before `updatedAt` was sent or superseded by what happened
 * since (a submission, a hold, a new deadline); one due after it was missed, for example while the
 * milestone's lifecycle was down. Only the latest of several missed ones is returned: it carries the
 * highest escalation level, and sending each would flood the recipients with stale reminders.
 */
export function missedReminder(state: MilestoneState, policy: ReminderPolicy, timeZone: string, now: Date): Reminder | null {
  const changedMs = Date.parse(state.updatedAt);
  let missed: Reminder | null = null;
  for (const r of reminders(state, policy, timeZone, addDays(localDate(new Date(changedMs), timeZone), -MAX_DAYS_OFF_IN_A_ROW))) {
    const atMs = Date.parse(r.at);
    if (atMs > now.getTime()) break;
    if (atMs > changedMs) missed = r;
  }
  return missed;
}
