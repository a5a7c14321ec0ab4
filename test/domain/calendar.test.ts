import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  calendarDate,
  daysBetween,
  endOfLocalDay,
  isCalendarDate,
  isTimeZone,
  localDate,
  weekday,
  zonedInstant,
} from '../../shared/calendar.js';

describe('calendar', () => {
  it('knows real dates', () => {
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('2023-02-29')).toBe(false);
    expect(isCalendarDate('2023-2-1')).toBe(false);
    expect(calendarDate(2021, 12, 1)).toBe('2021-12-01');
    expect(calendarDate(2021, 4, 31)).toBeNull();
    for (const date of ['1900-02-29', '2100-02-29', '2021-00-10', '2021-13-01', '2021-06-00', '2021-06-31'])
      expect(isCalendarDate(date), date).toBe(false);
    for (const date of ['2000-02-29', '1600-02-29', '0000-01-01', '9999-12-31']) expect(isCalendarDate(date), date).toBe(true);
  });

  it('agrees with the Gregorian calendar of Date on every YYYY-MM-DD', () => {
    const pad = (n: number, width: number) => String(n).padStart(width, '0');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }), (y, m, d) => {
        const date = `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
        const parsed = new Date(`${date}T00:00:00Z`);
        const real = !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(date);
        expect(isCalendarDate(date)).toBe(real);
      }),
      { numRuns: 5000 },
    );
  });

  it('adds and counts days across months and years', () => {
    expect(addDays('2021-12-31', 1)).toBe('2022-01-01');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(daysBetween('2021-12-31', '2022-01-14')).toBe(14);
    expect(daysBetween('2022-01-14', '2021-12-31')).toBe(-14);
  });

  it('knows the day of the week', () => {
    expect(weekday('2022-01-01')).toBe(6);
    expect(weekday('2022-01-02')).toBe(0);
    expect(weekday('2022-01-03')).toBe(1);
  });

  it('reads local dates and times from the time-zone database', () => {
    expect(localDate(new Date('2021-12-31T17:59:59Z'), 'Asia/Omsk')).toBe('2021-12-31');
    expect(localDate(new Date('2021-12-31T18:00:00Z'), 'Asia/Omsk')).toBe('2022-01-01');
    expect(zonedInstant('2022-01-03', '09:00', 'Asia/Omsk').toISOString()).toBe('2022-01-03T03:00:00.000Z');
    expect(zonedInstant('2022-01-03', '09:00', 'Europe/Moscow').toISOString()).toBe('2022-01-03T06:00:00.000Z');
    // A zone with daylight saving time: the offset changes with the season.
    expect(zonedInstant('2022-01-03', '09:00', 'Europe/Berlin').toISOString()).toBe('2022-01-03T08:00:00.000Z');
    expect(zonedInstant('2022-07-04', '09:00', 'Europe/Berlin').toISOString()).toBe('2022-07-04T07:00:00.000Z');
    // Omsk was UTC+7 from 2011 until October 2014.
    expect(zonedInstant('2013-06-03', '09:00', 'Asia/Omsk').toISOString()).toBe('2013-06-03T02:00:00.000Z');
    expect(endOfLocalDay('2021-12-31', 'Asia/Omsk').toISOString()).toBe('2021-12-31T18:00:00.000Z');
  });

  it('recognises time zones', () => {
    expect(isTimeZone('Asia/Omsk')).toBe(true);
    expect(isTimeZone('Asia/Nowhere')).toBe(false);
  });
});
