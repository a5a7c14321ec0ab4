/**
 * Calendar dates (`YYYY-MM-DD`) and local times in a named time zone, computed with Intl so that a zone's
 * offset (and any DST it might have) comes from the time-zone database, never from a hard-coded number.
 * Pure: no clock reads.
 */

const DAY_MS = 86_400_000;

/** Splits `YYYY-MM-DD` into numbers (no validation beyond the shape). */
const DATE_SHAPE = /^(\d{4})-(\d{2})-(\d{2})$/;

function parts(date: string): [number, number, number] {
  const m = DATE_SHAPE.exec(date);
  if (!m) throw new RangeError(`not a date (YYYY-MM-DD): ${date}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

function utcMidnight(date: string): number {
  const [y, m, d] = parts(date);
  return Date.UTC(y, m - 1, d);
}

function fromUtcMidnight(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * True for a real calendar date such as `2024-02-29` (and false for `2023-02-29`). Proleptic Gregorian,
 * by arithmetic: every stored item's dates are checked on every read, so no Date or string is built.
 */
export function isCalendarDate(date: string): boolean {
  const shape = DATE_SHAPE.exec(date);
  if (!shape) return false;
  const [y, m, d] = [Number(shape[1]), Number(shape[2]), Number(shape[3])];
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (m === 2 && leap ? 29 : DAYS_IN_MONTH[m - 1]!);
}

/** `YYYY-MM-DD` of the given year, month (1–12) and day, or null when that day does not exist. */
export function calendarDate(year: number, month: number, day: number): string | null {
  const date = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  return isCalendarDate(date) ? date : null;
}

export function addDays(date: string, days: number): string {
  return fromUtcMidnight(utcMidnight(date) + days * DAY_MS);
}

/** Whole days from `from` to `to` (positive when `to` is later). */
export function daysBetween(from: string, to: string): number {
  return Math.round((utcMidnight(to) - utcMidnight(from)) / DAY_MS);
}

/** Day of the week, 0 = Sunday … 6 = Saturday. */
export function weekday(date: string): number {
  return new Date(utcMidnight(date)).getUTCDay();
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when Intl knows the zone (e.g. `Asia/Omsk`). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock fields of an instant in a zone. */
function wallClock(instant: Date, timeZone: string): { date: string; hour: number; minute: number; second: number } {
  const fields: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(instant)) fields[p.type] = p.value;
  return {
    date: `${fields.year}-${fields.month}-${fields.day}`,
    hour: Number(fields.hour),
    minute: Number(fields.minute),
    second: Number(fields.second),
  };
}

/** The calendar date of an instant in a zone: `localDate(2021-12-31T18:00Z, 'Asia/Omsk')` is `2022-01-01`. */
export function localDate(instant: Date, timeZone: string): string {
  return wallClock(instant, timeZone).date;
}

/** Offset of the zone from UTC at an instant, in milliseconds (Omsk: +6 h). */
function offsetMs(instant: Date, timeZone: string): number {
  const w = wallClock(instant, timeZone);
  const [y, m, d] = parts(w.date);
  const asUtc = Date.UTC(y, m - 1, d, w.hour, w.minute, w.second);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/**
 * Deadlines and reminder times take few distinct values: a bounded memo of `zonedInstant` spares the two
 * Intl `formatToParts` calls each (they were the costliest part of listing schools and of planning
 * reminders). The mapping is pure, so the memo never changes a result.
 */
const ZONED_MEMO_SIZE = 4096;
const zoned = new Map<string, number>();

/**
 * The instant at which the zone's clocks show `date` `time` (`HH:MM`). For a wall time that a DST change
 * skips or repeats, the result is the instant given by the offset in force just before the change.
 */
export function zonedInstant(date: string, time: string, timeZone: string): Date {
  const key = `${timeZone} ${date} ${time}`;
  let ms = zoned.get(key);
  if (ms === undefined) {
    ms = computeZonedInstant(date, time, timeZone);
    if (zoned.size >= ZONED_MEMO_SIZE) zoned.delete(zoned.keys().next().value!);
    zoned.set(key, ms);
  }
  return new Date(ms);
}

function computeZonedInstant(date: string, time: string, timeZone: string): number {
  const [y, m, d] = parts(date);
  const t = /^(\d{2}):(\d{2})$/.exec(time);
  if (!t) throw new RangeError(`not a time (HH:MM): ${time}`);
  const wall = Date.UTC(y, m - 1, d, Number(t[1]), Number(t[2]));
  let guess = wall - offsetMs(new Date(wall), timeZone);
  guess = wall - offsetMs(new Date(guess), timeZone);
  return guess;
}

/** The first instant of the day after `date` in the zone, i.e. the end of `date`. */
export function endOfLocalDay(date: string, timeZone: string): Date {
  return zonedInstant(addDays(date, 1), '00:00', timeZone);
}
