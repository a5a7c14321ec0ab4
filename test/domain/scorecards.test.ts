/** Contractor scorecards (shared/domain/scorecards.ts) from milestones and audit events. */
import { describe, expect, it } from 'vitest';
import { scorecardScope } from '../../shared/domain/permissions.js';
import { percentile, scorecards, workingDaysLate, type ScorecardMilestone } from '../../shared/domain/scorecards.js';
import type { Actor, MilestoneEvent } from '../../shared/program/model.js';

const TZ = 'Asia/Omsk';
const manager: Actor = { role: 'program-manager', sub: 'pm' };
const evidence = { kind: 'connection', actNumber: 'A-1', actDate: '2022-01-01', bandwidthMbps: 100 } as const;

/** The events of one milestone, versions numbered in order. */
function history(
  schoolId: string,
  milestone: string,
  steps: (Record<string, unknown> & { type: MilestoneEvent['type']; at: string })[],
): MilestoneEvent[] {
  return steps.map((s, i) => ({ schoolId, milestone, actor: manager, version: i + 1, ...s }) as MilestoneEvent);
}

describe('contractor scorecards', () => {
  it('counts late acceptances in working days after the due day, with mean and p90', () => {
    expect(workingDaysLate('2022-12-01', '2022-12-01')).toBe(0);
    // Friday 2 and Monday 5 December are working days; the weekend between is not.
    expect(workingDaysLate('2022-12-01', '2022-12-05')).toBe(2);
    // 31 December 2021 was a day off, and so were 1–9 January 2022: the deadline ended with 10 January.
    expect(workingDaysLate('2021-12-31', '2022-01-10')).toBe(0);
    expect(workingDaysLate('2021-12-31', '2022-01-11')).toBe(1);
    expect(percentile([0, 0, 0, 0, 0, 0, 0, 0, 0, 7], 90)).toBe(0);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentile([], 90)).toBeNull();
  });

  it('credits each event to the contractor that held the milestone then, and counts open and overdue work now', () => {
    const events = [
      // s1: A is rejected once, then accepted two working days late.
      ...history('s1', 'connection', [
        { type: 'started', at: '2022-03-01T04:00:00Z', assignee: 'A', deadline: '2022-12-01' },
        { type: 'submitted', at: '2022-11-01T04:00:00Z', evidence },
        { type: 'rejected', at: '2022-11-02T04:00:00Z', reason: 'no act' },
        { type: 'submitted', at: '2022-11-03T04:00:00Z', evidence },
        { type: 'accepted', at: '2022-12-05T04:00:00Z' },
      ]),
      // s2: A is rejected, the milestone goes to B, B's work is accepted on time after a reschedule.
      ...history('s2', 'connection', [
        { type: 'started', at: '2022-03-01T04:00:00Z', assignee: 'A', deadline: '2022-06-01' },
        { type: 'submitted', at: '2022-05-01T04:00:00Z', evidence },
        { type: 'rejected', at: '2022-05-02T04:00:00Z', reason: 'slow' },
        { type: 'reassigned', at: '2022-05-03T04:00:00Z', from: 'A', to: 'B' },
        { type: 'rescheduled', at: '2022-05-03T05:00:00Z', from: '2022-06-01', to: '2022-09-01', reason: 'new contractor' },
        { type: 'submitted', at: '2022-08-01T04:00:00Z', evidence },
        { type: 'accepted', at: '2022-09-01T17:59:00Z' },
      ]),
      // s3: B's work is open and overdue; s4: B's is open, not due yet.
      ...history('s3', 'connection', [{ type: 'started', at: '2022-03-01T04:00:00Z', assignee: 'B', deadline: '2022-10-03' }]),
      ...history('s4', 'connection', [{ type: 'started', at: '2022-03-01T04:00:00Z', assignee: 'B', deadline: '2023-10-03' }]),
    ];
    const milestones: ScorecardMilestone[] = [
      { schoolId: 's1', key: 'connection', status: 'completed', assignee: 'A', deadline: '2022-12-01' },
      { schoolId: 's2', key: 'connection', status: 'completed', assignee: 'B', deadline: '2022-09-01' },
      { schoolId: 's3', key: 'connection', status: 'active', assignee: 'B', deadline: '2022-10-03' },
      { schoolId: 's4', key: 'connection', status: 'submitted', assignee: 'B', deadline: '2023-10-03' },
      { schoolId: 's5', key: 'connection', status: 'pending', assignee: 'B', deadline: '2022-01-01' },
    ];
    const rows = scorecards({ milestones, events: [...events].reverse(), now: new Date('2022-12-10T00:00:00Z'), timeZone: TZ });
    expect(rows).toEqual([
      {
        contractor: 'A',
        milestone: 'connection',
        accepted: 1,
        onTime: 0,
        onTimeShare: 0,
        meanDelay: 2,
        p90Delay: 2,
        submissions: 3,
        rejections: 2,
        rejectionRate: 0.6667,
        open: 0,
        overdue: 0,
      },
      {
        contractor: 'B',
        milestone: 'connection',
        accepted: 1,
        onTime: 1,
        onTimeShare: 1,
        meanDelay: 0,
        p90Delay: 0,
        submissions: 1,
        rejections: 0,
        rejectionRate: 0,
        open: 2,
        overdue: 1,
      },
    ]);
  });

  it('lets managers and viewers read every row, a contractor its own, and refuses coordinators', () => {
    expect(scorecardScope({ role: 'program-manager', sub: 'a' })).toEqual({ contractor: null });
    expect(scorecardScope({ role: 'viewer', sub: 'a' })).toEqual({ contractor: null });
    expect(scorecardScope({ role: 'contractor', sub: 'a', org: 'A' })).toEqual({ contractor: 'A' });
    expect(scorecardScope({ role: 'district-coordinator', sub: 'a', district: 'omsk' })).toMatchObject({ code: 'forbidden' });
    expect(scorecardScope({ role: 'system', sub: 'system' })).toMatchObject({ code: 'forbidden' });
  });
});
