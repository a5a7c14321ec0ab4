/**
 * The latest wakes of executions started in the same second are spread over `RENEWAL_SPREAD_MS`: the
 * renewals of a region imported at once do not all start their successors in one second a year later.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  handsOver,
  LATEST_WAKE_MS,
  latestWake,
  plannedWake,
  RENEWAL_SPREAD_MS,
  renewalOffsetMs,
  START_SPREAD_MS,
} from '../../functions/workflow/common.js';
import { milestoneView } from '../../functions/workflow/milestone-view.js';
import { initialState } from '../../shared/domain/index.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import { school } from './fixtures.js';

const START = '2021-01-01T00:00:00.000Z';

describe('renewal spread', () => {
  it('keeps every latest wake within the window, on a whole second, the same on a retry, and hands over there', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 80 }),
        fc.date({ min: new Date('2020-01-01'), max: new Date('2040-01-01'), noInvalidDate: true }),
        (name, at) => {
          const start = new Date(Math.floor(at.getTime() / 1000) * 1000).toISOString();
          const wake = latestWake(start, name);
          const after = wake - Date.parse(start);
          expect(after).toBeGreaterThan(LATEST_WAKE_MS - RENEWAL_SPREAD_MS);
          expect(after).toBeLessThanOrEqual(LATEST_WAKE_MS);
          expect(handsOver(start, name, wake)).toBe(true);
          expect(handsOver(start, name, wake - 1)).toBe(false);
          expect(wake % 1000).toBe(0);
          expect(latestWake(start, name)).toBe(wake);
        },
      ),
    );
  });

  it('spreads 40,000 schools started in one second over the window: at most a handful in any second, every day used evenly', () => {
    const perSecond = new Map<number, number>();
    const perDay = new Array<number>(RENEWAL_SPREAD_MS / 86_400_000).fill(0);
    for (let i = 1; i <= 40_000; i++) {
      const id = `sch-${String(i).padStart(5, '0')}`;
      for (const execution of [id, `${id}#connection`, `${id}#equipment`]) {
        const wake = latestWake(START, execution);
        perSecond.set(wake, (perSecond.get(wake) ?? 0) + 1);
        const offset = Date.parse(START) + LATEST_WAKE_MS - wake;
        perDay[Math.floor(offset / 86_400_000)]!++;
      }
    }
    // 120,000 executions over 1,209,600 seconds: a Poisson mean of 0.1 per second.
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(6);
    const mean = 120_000 / perDay.length;
    for (const n of perDay) expect(Math.abs(n - mean) / mean).toBeLessThan(0.05);
  });

  it('draws a new offset for a successor (another start) and for another school', () => {
    const a = renewalOffsetMs(`sch-00001@${START}`);
    expect(renewalOffsetMs('sch-00001@2021-12-03T11:22:33.000Z')).not.toBe(a);
    expect(renewalOffsetMs(`sch-00002@${START}`)).not.toBe(a);
  });
});

describe('planned-start spread', () => {
  it('wakes a program for a planned start within START_SPREAD_MS after it, on a whole second, the same for the same school', () => {
    const planned = Date.parse('2022-01-01T00:00:00+06:00');
    const perSecond = new Map<number, number>();
    for (let i = 1; i <= 40_000; i++) {
      const id = `sch-${String(i).padStart(5, '0')}`;
      const wake = plannedWake(planned, id);
      expect(wake).toBeGreaterThanOrEqual(planned);
      expect(wake).toBeLessThan(planned + START_SPREAD_MS);
      expect(wake % 1000).toBe(0);
      expect(plannedWake(planned, id)).toBe(wake);
      perSecond.set(wake, (perSecond.get(wake) ?? 0) + 1);
    }
    // 40,000 schools over 21,600 seconds: about 2 a second, never a cohort at once.
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(10);
  });
});

describe('the lifecycle view waits until its own latest wake and hands over there', () => {
  const start = '2021-01-01T00:00:00.000Z';
  // Active, with its deadline two years away: no reminder comes before the latest wake.
  const active = (id: string) => ({
    ...initialState(REFERENCE_PROGRAM, school(id, 2022), 'connection', new Date(start)),
    status: 'active' as const,
    deadline: '2023-12-31',
  });

  it('waits until latestWake, which differs between lifecycles started in the same second', () => {
    const waits = ['sch-a', 'sch-b', 'sch-c'].map((id) => {
      const view = milestoneView(REFERENCE_PROGRAM, active(id), start, start);
      expect(view.continueAsNew).toBe(false);
      expect(Date.parse(start) + view.waitSeconds * 1000).toBe(latestWake(start, `${id}#connection`));
      return view.waitSeconds;
    });
    expect(new Set(waits).size).toBe(3);
  });

  it('hands over at its latest wake, not a second before', () => {
    const wake = latestWake(start, 'sch-a#connection');
    expect(milestoneView(REFERENCE_PROGRAM, active('sch-a'), new Date(wake - 1000).toISOString(), start).continueAsNew).toBe(false);
    expect(milestoneView(REFERENCE_PROGRAM, active('sch-a'), new Date(wake).toISOString(), start).continueAsNew).toBe(true);
  });
});
