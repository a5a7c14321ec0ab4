/**
 * A milestone is overdue when it is not closed (completed or waived) and the end of its deadline day, in
 * the program's time zone, has passed: a 2021-12-31 deadline in Asia/Omsk is overdue from
 * 2021-12-31T18:00:00Z (midnight in Omsk) on.
 */
import { daysBetween, endOfLocalDay, localDate } from '../calendar.js';
import { TERMINAL_STATUSES, type MilestoneState } from '../program/model.js';

export function isTerminal(state: Pick<MilestoneState, 'status'>): boolean {
  return TERMINAL_STATUSES.includes(state.status);
}

export function isOverdue(state: Pick<MilestoneState, 'status' | 'deadline'>, now: Date, timeZone: string): boolean {
  return !isTerminal(state) && now.getTime() >= endOfLocalDay(state.deadline, timeZone).getTime();
}

/** Whole local days past the deadline (1 on the day after the deadline), or 0 when not overdue. */
export function daysOverdue(state: Pick<MilestoneState, 'status' | 'deadline'>, now: Date, timeZone: string): number {
  return isOverdue(state, now, timeZone) ? daysBetween(state.deadline, localDate(now, timeZone)) : 0;
}
