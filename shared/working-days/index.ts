/**
 * The Russian production calendar: which days are working days.
 *
 * A day is a working day unless it is a Saturday, a Sunday or a non-working public holiday (Labour Code,
 * art. 112: 1–8 January, 23 February, 8 March, 1 and 9 May, 12 June, 4 November), with the moves the
 * Government decrees each year ("О переносе выходных дней в N году"): a day off taken from a weekend that
 * coincides with a holiday and put on a weekday, and a Saturday made a working day in exchange. The
 * decreed calendar of each year is kept as data in `data/ru-YYYY.json`, with the decree it comes from;
 * the test of this module checks every year against the published production calendar (working days per
 * year) and against the decree's transfers.
 *
 * For a year without data (before 2021, or one whose decree is not out yet) the rule of art. 112 alone is
 * applied: the holidays, and a holiday other than the January ones that falls on a weekend gives the
 * next working day off.
 *
 * Pure: data and arithmetic, no clock reads.
 */
import { z } from 'zod';
import { addDays, weekday } from '../calendar.js';
import y2021 from './data/ru-2021.json' with { type: 'json' };
import y2022 from './data/ru-2022.json' with { type: 'json' };
import y2023 from './data/ru-2023.json' with { type: 'json' };
import y2024 from './data/ru-2024.json' with { type: 'json' };
import y2025 from './data/ru-2025.json' with { type: 'json' };
import y2026 from './data/ru-2026.json' with { type: 'json' };

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

/** One year of the decreed calendar. */
export const DecreedYear = z
  .object({
    year: z.number().int().min(2000).max(2100),
    /** The decree that moves the days off, the article of the Labour Code, the published calendar. */
    source: z.array(z.string().min(1)).min(1),
    /** The decree's moves as it words them: the day off `from` (a weekend day) is taken on `to`. */
    transfers: z.array(z.object({ from: Day, to: Day }).strict()),
    /** Every Monday–Friday that is not a working day: the holidays and the days off moved onto weekdays. */
    weekdaysOff: z.array(Day),
    /** Every Saturday or Sunday that is a working day (a day off moved away by the decree). */
    workingWeekendDays: z.array(Day),
  })
  .strict();
export type DecreedYear = z.infer<typeof DecreedYear>;

/** The decreed years, checked when the module loads (a malformed file fails every test at once). */
export const DECREED_YEARS: readonly DecreedYear[] = [y2021, y2022, y2023, y2024, y2025, y2026].map((raw) => {
  const year = DecreedYear.parse(raw);
  for (const day of [...year.weekdaysOff, ...year.workingWeekendDays, ...year.transfers.flatMap((t) => [t.from, t.to])]) {
    if (!day.startsWith(`${year.year}-`)) throw new RangeError(`production calendar ${year.year}: ${day} is not in that year`);
  }
  return year;
});

/** Month-day of the non-working public holidays (Labour Code, art. 112). */
export const PUBLIC_HOLIDAYS: readonly string[] = [
  '01-01',
  '01-02',
  '01-03',
  '01-04',
  '01-05',
  '01-06',
  '01-07',
  '01-08',
  '02-23',
  '03-08',
  '05-01',
  '05-09',
  '06-12',
  '11-04',
];

interface YearDays {
  weekdaysOff: ReadonlySet<string>;
  workingWeekendDays: ReadonlySet<string>;
}

const years = new Map<number, YearDays>(
  DECREED_YEARS.map((y) => [y.year, { weekdaysOff: new Set(y.weekdaysOff), workingWeekendDays: new Set(y.workingWeekendDays) }]),
);

const isWeekend = (date: string): boolean => {
  const day = weekday(date);
  return day === 0 || day === 6;
};

/** The days off of a year without a decree: art. 112's holidays and the weekday after a weekend one. */
function lawOnly(year: number): YearDays {
  const weekdaysOff = new Set<string>();
  for (const md of PUBLIC_HOLIDAYS) {
    const date = `${year}-${md}`;
    if (!isWeekend(date)) {
      weekdaysOff.add(date);
      continue;
    }
    if (md.startsWith('01-')) continue; // January's weekend holidays are moved by the decree only
    let next = addDays(date, 1);
    while (isWeekend(next) || weekdaysOff.has(next)) next = addDays(next, 1);
    weekdaysOff.add(next);
  }
  return { weekdaysOff, workingWeekendDays: new Set() };
}

function daysOf(year: number): YearDays {
  let days = years.get(year);
  if (!days) {
    days = lawOnly(year);
    years.set(year, days);
  }
  return days;
}

/** True for a working day of the Russian production calendar (`YYYY-MM-DD`). */
export function isWorkingDay(date: string): boolean {
  const days = daysOf(Number(date.slice(0, 4)));
  return isWeekend(date) ? days.workingWeekendDays.has(date) : !days.weekdaysOff.has(date);
}

/** `date` itself when it is a working day, otherwise the first working day after it. */
export function nextWorkingDay(date: string): string {
  let day = date;
  while (!isWorkingDay(day)) day = addDays(day, 1);
  return day;
}

/**
 * The day a deadline actually ends: the deadline itself, or, when it falls on a day off, the next working
 * day (Civil Code, art. 193). "Overdue" starts after the end of this day.
 */
export function dueDay(deadline: string): string {
  let day = dueDays.get(deadline);
  if (day === undefined) {
    // Every view of a milestone asks (is it overdue?), and a deadline on a long holiday walks up to ten
    // days: remembered per deadline, a few hundred distinct dates in a program.
    if (dueDays.size >= 10_000) dueDays.clear();
    day = nextWorkingDay(deadline);
    dueDays.set(deadline, day);
  }
  return day;
}

const dueDays = new Map<string, string>();

/** Working days from `from` to `to`, both included (0 when `to` is before `from`). */
export function workingDaysBetween(from: string, to: string): number {
  let n = 0;
  for (let day = from; day <= to; day = addDays(day, 1)) if (isWorkingDay(day)) n++;
  return n;
}
