/**
 * Contractor scorecards: per contractor and milestone kind, how its work went, from the milestones (what
 * is open now) and their audit events (what happened, and under which assignee).
 *
 * Every event is credited to the contractor the milestone was assigned to when it happened (the last
 * `started` or `reassigned` event before it), so a contractor that took a milestone over answers only for
 * what happened after that.
 *
 * - `accepted`: acceptances of the contractor's work;
 * - `onTimeShare`: of those, accepted no later than the due day of the deadline in force at acceptance
 *   (the deadline, or the next working day when it falls on a day off), in the programme's time zone;
 * - `meanDelay`, `p90Delay`: over the acceptances, the working days (Russian production calendar) after
 *   the due day up to and including the day of acceptance; 0 when on time (nearest-rank percentile);
 * - `submissions`, `rejectionRate`: the contractor's submissions, and the share of them rejected;
 * - `open`: milestones assigned to it now, started and not closed (active, submitted, on hold);
 * - `overdue`: of those, the ones past their due day now.
 *
 * Figures of a row without acceptances (or without submissions) are null. Pure: no I/O, no clock reads.
 */
import { localDate } from '../calendar.js';
import type { MilestoneEvent, MilestoneStatus } from '../program/model.js';
import { dueDay, workingDaysBetween } from '../working-days/index.js';
import { isOverdue, isTerminal } from './overdue.js';

export interface ScorecardMilestone {
  schoolId: string;
  key: string;
  status: MilestoneStatus;
  assignee: string | null;
  deadline: string;
}

export interface Scorecard {
  contractor: string;
  milestone: string;
  accepted: number;
  onTime: number;
  /** onTime / accepted; null without acceptances. */
  onTimeShare: number | null;
  /** Mean working days late over the acceptances; null without acceptances. */
  meanDelay: number | null;
  /** 90th percentile (nearest rank) of the working days late; null without acceptances. */
  p90Delay: number | null;
  submissions: number;
  rejections: number;
  /** rejections / submissions; null without submissions. */
  rejectionRate: number | null;
  open: number;
  overdue: number;
}

export interface ScorecardInput {
  /** Every milestone, as stored now. */
  milestones: readonly ScorecardMilestone[];
  /** The audit events of the schools (any order). */
  events: readonly MilestoneEvent[];
  now: Date;
  timeZone: string;
}

/** Working days late: after the due day of `deadline`, up to and including `day` (0 when on time). */
export function workingDaysLate(deadline: string, day: string): number {
  const due = dueDay(deadline);
  if (day <= due) return 0;
  return workingDaysBetween(due, day) - 1;
}

/** Nearest-rank percentile of `values` (p in 0…100); null when empty. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

interface Acc {
  delays: number[];
  onTime: number;
  submissions: number;
  rejections: number;
  open: number;
  overdue: number;
}

/** The scorecards, one per contractor and milestone with anything to show, sorted by contractor, then milestone. */
export function scorecards(input: ScorecardInput): Scorecard[] {
  const rows = new Map<string, Acc & { contractor: string; milestone: string }>();
  const row = (contractor: string, milestone: string) => {
    const id = `${contractor}\u0000${milestone}`;
    let r = rows.get(id);
    if (!r) {
      r = { contractor, milestone, delays: [], onTime: 0, submissions: 0, rejections: 0, open: 0, overdue: 0 };
      rows.set(id, r);
    }
    return r;
  };

  const byMilestone = new Map<string, MilestoneEvent[]>();
  for (const e of input.events) {
    const id = `${e.schoolId}#${e.milestone}`;
    const list = byMilestone.get(id) ?? [];
    list.push(e);
    byMilestone.set(id, list);
  }
  for (const list of byMilestone.values()) {
    list.sort((a, b) => a.version - b.version);
    let assignee: string | null = null;
    let deadline: string | null = null;
    for (const e of list) {
      if (e.type === 'started') {
        assignee = e.assignee;
        deadline = e.deadline;
      } else if (e.type === 'reassigned') assignee = e.to;
      else if (e.type === 'rescheduled') deadline = e.to;
      if (assignee === null) continue;
      if (e.type === 'submitted') row(assignee, e.milestone).submissions++;
      else if (e.type === 'rejected') row(assignee, e.milestone).rejections++;
      else if (e.type === 'accepted' && deadline !== null) {
        const late = workingDaysLate(deadline, localDate(new Date(e.at), input.timeZone));
        const r = row(assignee, e.milestone);
        r.delays.push(late);
        if (late === 0) r.onTime++;
      }
    }
  }

  for (const m of input.milestones) {
    if (m.assignee === null || m.status === 'pending' || isTerminal(m)) continue;
    const r = row(m.assignee, m.key);
    r.open++;
    if (isOverdue(m, input.now, input.timeZone)) r.overdue++;
  }

  return [...rows.values()]
    .sort((a, b) =>
      a.contractor === b.contractor
        ? a.milestone < b.milestone
          ? -1
          : a.milestone > b.milestone
            ? 1
            : 0
        : a.contractor < b.contractor
          ? -1
          : 1,
    )
    .map((r) => {
      const accepted = r.delays.length;
      return {
        contractor: r.contractor,
        milestone: r.milestone,
        accepted,
        onTime: r.onTime,
        onTimeShare: accepted === 0 ? null : round(r.onTime / accepted, 4),
        meanDelay: accepted === 0 ? null : round(r.delays.reduce((s, d) => s + d, 0) / accepted, 1),
        p90Delay: percentile(r.delays, 90),
        submissions: r.submissions,
        rejections: r.rejections,
        rejectionRate: r.submissions === 0 ? null : round(r.rejections / r.submissions, 4),
        open: r.open,
        overdue: r.overdue,
      };
    });
}
