import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, weekday } from '../../shared/calendar.js';
import { nextReminder, reminderSchedule } from '../../shared/domain/index.js';
import { initialState } from '../../shared/domain/evolve.js';
import { ReminderPolicy, type MilestoneState } from '../../shared/program/model.js';
import {
  DECREED_YEARS,
  dueDay,
  isWorkingDay,
  nextWorkingDay,
  PUBLIC_HOLIDAYS,
  workingDaysBetween,
} from '../../shared/working-days/index.js';
import { program, TZ, urbanSchool } from './fixtures.js';

/**
 * The published production calendar (Ministry of Labour; ConsultantPlus "Производственный календарь на
 * N год"), written here independently of the data files: working days in the year and in January.
 */
const PUBLISHED: Record<number, { year: number; january: number }> = {
  2021: { year: 247, january: 15 },
  2022: { year: 247, january: 16 },
  2023: { year: 247, january: 17 },
  2024: { year: 248, january: 17 },
  2025: { year: 247, january: 17 },
  2026: { year: 247, january: 15 },
};

/** The days off each year's decree moved onto a weekday, and the Saturdays it made working days. */
const DECREED_DAYS_OFF = [
  '2021-02-22',
  '2021-11-05',
  '2021-12-31',
  '2022-03-07',
  '2022-05-03',
  '2022-05-10',
  '2023-02-24',
  '2023-05-08',
  '2024-04-29',
  '2024-04-30',
  '2024-05-10',
  '2024-12-30',
  '2024-12-31',
  '2025-05-02',
  '2025-05-08',
  '2025-06-13',
  '2025-11-03',
  '2025-12-31',
  '2026-01-09',
  '2026-12-31',
];
const WORKING_SATURDAYS = ['2021-02-20', '2022-03-05', '2024-04-27', '2024-11-02', '2024-12-28', '2025-11-01'];
/** Weekday days off by the Labour Code's own rule: a holiday on a weekend gives the next weekday off. */
const HOLIDAY_ON_WEEKEND_MOVED = [
  '2021-05-03',
  '2021-05-10',
  '2021-06-14',
  '2022-05-02',
  '2022-06-13',
  '2023-11-06',
  '2026-03-09',
  '2026-05-11',
];

const YEARS = [2021, 2022, 2023, 2024, 2025, 2026];

describe('the Russian production calendar', () => {
  it('has every year from 2021 to 2026, each naming its decree', () => {
    expect(DECREED_YEARS.map((y) => y.year)).toEqual(YEARS);
    for (const y of DECREED_YEARS)
      expect(y.source[0]).toMatch(new RegExp(`^Постановление Правительства РФ от .* «О переносе выходных дней в ${y.year} году»$`));
  });

  it.each(YEARS)('%i: as many working days as the published calendar, in the year and in January', (year) => {
    expect(workingDaysBetween(`${year}-01-01`, `${year}-12-31`)).toBe(PUBLISHED[year]!.year);
    expect(workingDaysBetween(`${year}-01-01`, `${year}-01-31`)).toBe(PUBLISHED[year]!.january);
  });

  it('no public holiday is a working day: 1–8 January, 23 February, 8 March, 1 and 9 May, 12 June, 4 November', () => {
    for (const year of YEARS) for (const md of PUBLIC_HOLIDAYS) expect(isWorkingDay(`${year}-${md}`), `${year}-${md}`).toBe(false);
  });

  it("the decrees' moved days off are days off, and the Saturdays they made working are working days", () => {
    for (const day of [...DECREED_DAYS_OFF, ...HOLIDAY_ON_WEEKEND_MOVED]) {
      expect([0, 6], day).not.toContain(weekday(day));
      expect(isWorkingDay(day), day).toBe(false);
    }
    for (const day of WORKING_SATURDAYS) {
      expect(weekday(day), day).toBe(6);
      expect(isWorkingDay(day), day).toBe(true);
    }
    // The data agree with the decree as it is worded: every transfer's target is a day off, and its
    // source is a holiday or a Saturday made a working day.
    for (const y of DECREED_YEARS) {
      for (const t of y.transfers) {
        expect(isWorkingDay(t.to), t.to).toBe(false);
        expect(PUBLIC_HOLIDAYS.includes(t.from.slice(5)) || isWorkingDay(t.from), t.from).toBe(true);
      }
    }
  });

  it('an ordinary weekday is a working day and an ordinary weekend is not', () => {
    expect(isWorkingDay('2024-06-11')).toBe(true);
    expect(isWorkingDay('2024-06-15')).toBe(false);
    expect(isWorkingDay('2024-06-16')).toBe(false);
    // 2025: 23 February (a Sunday) and 8 March (a Saturday) were moved by the decree to 8 May and 13 June,
    // so 24 February and 10 March stayed working days.
    expect(isWorkingDay('2025-02-24')).toBe(true);
    expect(isWorkingDay('2025-03-10')).toBe(true);
  });

  it('a year without a decree follows the Labour Code alone', () => {
    // 2027: 9 May is a Sunday, so Monday 10 May is a day off; 1–8 January are days off whatever the weekday.
    expect(isWorkingDay('2027-05-10')).toBe(false);
    expect(isWorkingDay('2027-05-11')).toBe(true);
    expect(isWorkingDay('2027-01-08')).toBe(false);
    expect(isWorkingDay('2027-01-11')).toBe(true);
  });

  it('the next working day, and the day a deadline ends (Civil Code art. 193)', () => {
    expect(nextWorkingDay('2021-12-30')).toBe('2021-12-30');
    expect(nextWorkingDay('2021-12-31')).toBe('2022-01-10');
    expect(nextWorkingDay('2025-12-31')).toBe('2026-01-12');
    expect(nextWorkingDay('2024-04-27')).toBe('2024-04-27');
    expect(dueDay('2024-12-01')).toBe('2024-12-02');
    expect(dueDay('2024-12-31')).toBe('2025-01-09');
  });
});

describe('reminders and escalations follow the production calendar', () => {
  const policy = program.milestones[0]!.reminders;
  const openMilestone = (deadline: string): MilestoneState => ({
    ...initialState(program, urbanSchool, 'connection', new Date('2020-01-01')),
    status: 'active',
    version: 1,
    assignee: 'omsk-net',
    deadline,
    startedAt: '2020-01-01T00:00:00.000Z',
  });
  const holidays = (year: number) => PUBLIC_HOLIDAYS.map((md) => `${year}-${md}`);
  const NEVER = new Set([...YEARS.flatMap(holidays), ...DECREED_DAYS_OFF, ...HOLIDAY_ON_WEEKEND_MOVED]);

  it('no reminder or escalation goes out on a holiday or a moved day off, for any deadline from 2021 to 2026', () => {
    const first = Date.UTC(2021, 0, 1);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 6 * 365 }),
        fc.record({
          daysBefore: fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 4 }),
          overdueEveryDays: fc.integer({ min: 1, max: 14 }),
        }),
        (offset, p) => {
          const deadline = new Date(first + offset * 86_400_000).toISOString().slice(0, 10);
          const state = openMilestone(deadline);
          const list = reminderSchedule(
            state,
            ReminderPolicy.parse(p),
            TZ,
            new Date(Date.parse(`${deadline}T00:00:00Z`) + 90 * 86_400_000),
          );
          for (const r of list) {
            expect(NEVER.has(r.date), `${r.id} on ${r.date}`).toBe(false);
            expect(isWorkingDay(r.date), `${r.id} on ${r.date}`).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('every holiday of every year: the reminder that would fall on it goes out on the next working day', () => {
    for (const day of [...NEVER].sort()) {
      // A deadline 7 days later puts the 7-day reminder on the day off (when it is a before-reminder).
      const state = openMilestone(addDays(day, 7));
      const before7 = reminderSchedule(state, policy, TZ).find((r) => r.kind === 'before' && r.n === 7);
      if (before7) {
        expect(before7.date, day).toBe(nextWorkingDay(day));
        expect(before7.date > day, day).toBe(true);
      }
    }
  });

  it('an escalation due on the New Year holidays waits for the first working day; one due on a working Saturday goes out that Saturday', () => {
    // Deadline Friday 2020-12-25: days 8 and 15 overdue (2 and 9 January 2021) are days off; one
    // reminder goes out on Monday 2021-01-11, as day 15, to the program manager.
    const dec25 = reminderSchedule(openMilestone('2020-12-25'), policy, TZ, new Date('2021-01-20T00:00:00Z'));
    expect(dec25.filter((r) => r.kind === 'overdue').map((r) => `${r.n} ${r.date} ${r.level}`)).toEqual([
      '1 2020-12-28 district-coordinator',
      '15 2021-01-11 program-manager',
      '22 2021-01-18 program-manager',
    ]);
    // Deadline Friday 2021-02-19: day 1 overdue is Saturday 2021-02-20, a working day by the 2021 decree.
    const feb = reminderSchedule(openMilestone('2021-02-19'), policy, TZ, new Date('2021-03-01T00:00:00Z'));
    expect(feb.find((r) => r.kind === 'overdue')).toMatchObject({ n: 1, date: '2021-02-20', level: 'district-coordinator' });
    // The next reminder the workflow waits for skips the whole holiday: from New Year's Eve it is on 11 January.
    const next = nextReminder(openMilestone('2020-12-25'), policy, TZ, new Date('2020-12-31T00:00:00Z'));
    expect(next).toMatchObject({ n: 15, date: '2021-01-11' });
  });
});
