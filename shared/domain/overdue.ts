/**
 * A milestone is overdue when it is not closed (completed or waived) and the end of its due day, in the
 * program's time zone, has passed. The due day is the deadline, or the next working day of the Russian
 * production calendar when the deadline falls on a day off (Civil Code art. 193): a 2021-12-30 deadline
 * in Asia/Omsk is overdue from 2021-12-30T18:00:00Z (midnight in Omsk) on; 2021-12-31 was a day off
 * (moved there from 3 January by the decree) and so were 1–9 January 2022, so a 2021-12-31 deadline ends
 * with 2022-01-10 and is overdue from 2022-01-10T18:00:00Z.
 */
import { daysBetween, endOfLocalDay, localDate } from '../calendar.js';
import { dueDay } from '../working-days/index.js';
import { TERMINAL_STATUSES, type MilestoneState } from '../program/model.js';

export function isTerminal(state: Pick<MilestoneState, 'status'>): boolean {
  return TERMINAL_STATUSES.includes(state.status);
}

export function isOverdue(state: Pick<MilestoneState, 'status' | 'deadline'>, now: Date, timeZone: string): boolean {
  return !isTerminal(state) && now.getTime() >= endOfLocalDay(dueDay(state.deadline), timeZone).getTime();
}

/** Whole local days past the due day (1 on the day after it), or 0 when not overdue. */
export function daysOverdue(state: Pick<MilestoneState, 'status' | 'deadline'>, now: Date, timeZone: string): number {
  return isOverdue(state, now, timeZone) ? daysBetween(dueDay(state.deadline), localDate(now, timeZone)) : 0;
}
