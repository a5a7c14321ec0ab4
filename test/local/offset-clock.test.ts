import { describe, expect, it } from 'vitest';
import { OffsetClock } from '../../shared/clock.js';

describe('OffsetClock', () => {
  it('shows the anchored instant at the anchor and moves at wall-clock speed', () => {
    let wall = Date.parse('2026-11-29T06:00:00Z');
    const clock = OffsetClock.anchored('2023-03-15T04:00:00Z', wall, () => wall);
    expect(clock.virtual).toBe(false);
    expect(clock.now().toISOString()).toBe('2023-03-15T04:00:00.000Z');
    wall += 90_000;
    expect(clock.now().toISOString()).toBe('2023-03-15T04:01:30.000Z');
    expect(clock.nowMs()).toBe(Date.parse('2023-03-15T04:01:30Z'));
  });

  it('counts the time between two anchorings of the same timeline (a stop and a start)', () => {
    const anchor = { at: '2023-03-15T04:00:00Z', wallAt: '2026-11-29T06:00:00Z' };
    const later = OffsetClock.anchored(anchor.at, anchor.wallAt, () => Date.parse('2026-11-30T06:00:00Z'));
    expect(later.now().toISOString()).toBe('2023-03-16T04:00:00.000Z');
  });

  it('with the real wall clock, stays within the wall clock plus its offset', () => {
    const clock = new OffsetClock(-1000);
    const before = Date.now();
    const t = clock.nowMs();
    expect(t).toBeGreaterThanOrEqual(before - 1000);
    expect(t).toBeLessThanOrEqual(Date.now() - 1000);
  });

  it('refuses an invalid anchor', () => {
    expect(() => OffsetClock.anchored('not a date', Date.now())).toThrow(RangeError);
    expect(() => new OffsetClock(Number.NaN)).toThrow(RangeError);
  });
});
