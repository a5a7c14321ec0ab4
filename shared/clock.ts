/**
 * Time is injected (DESIGN.md principle 5). Domain code takes `now` as a value; everything that needs
 * "the current time" gets a Clock. A VirtualClock only moves when told to, so a simulation or a test
 * can run years of a program in seconds, deterministically.
 */
export interface Clock {
  /** Current time in epoch milliseconds. */
  nowMs(): number;
  /** Current time as a Date. */
  now(): Date;
  /** True when time is driven by a test/simulation instead of the wall clock. */
  readonly virtual: boolean;
}

export class SystemClock implements Clock {
  readonly virtual = false;
  nowMs(): number {
    return Date.now();
  }
  now(): Date {
    return new Date();
  }
}

export type ClockListener = (nowMs: number) => void;

export class VirtualClock implements Clock {
  readonly virtual = true;
  #now: number;
  readonly #listeners = new Set<ClockListener>();

  constructor(start: Date | number | string) {
    const ms = new Date(start).getTime();
    if (!Number.isFinite(ms)) throw new RangeError(`VirtualClock: invalid start time ${String(start)}`);
    this.#now = ms;
  }

  nowMs(): number {
    return this.#now;
  }

  now(): Date {
    return new Date(this.#now);
  }

  /** Moves time forward to `target` (never backwards). Listeners are told the new time. */
  setTo(target: Date | number): void {
    const ms = typeof target === 'number' ? target : target.getTime();
    if (ms < this.#now)
      throw new RangeError(`VirtualClock cannot go back from ${new Date(this.#now).toISOString()} to ${new Date(ms).toISOString()}`);
    if (ms === this.#now) return;
    this.#now = ms;
    for (const listener of this.#listeners) listener(ms);
  }

  advance(ms: number): void {
    if (ms < 0) throw new RangeError('VirtualClock.advance: negative duration');
    this.setTo(this.#now + ms);
  }

  onChange(listener: ClockListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/**
 * Wall-clock time shifted by a fixed offset: it moves at real speed, so it is not virtual (timers and
 * schedules wait in real time). The local demo runs on one, anchored so that the end of its generated
 * history is the demo date; a restart continues the same timeline, the time it was stopped included.
 */
export class OffsetClock implements Clock {
  readonly virtual = false;
  readonly offsetMs: number;
  /** True when the wall clock is the system's (`Date.now`): the clock is then its offset alone. */
  readonly onSystemTime: boolean;
  readonly #wallMs: () => number;

  constructor(offsetMs: number, wallMs: () => number = Date.now) {
    if (!Number.isFinite(offsetMs)) throw new RangeError(`OffsetClock: invalid offset ${String(offsetMs)}`);
    this.offsetMs = offsetMs;
    this.onSystemTime = wallMs === Date.now;
    this.#wallMs = wallMs;
  }

  /** A clock that showed `at` when the wall clock showed `wallAt`. */
  static anchored(at: Date | number | string, wallAt: Date | number | string, wallMs: () => number = Date.now): OffsetClock {
    const a = new Date(at).getTime();
    const w = new Date(wallAt).getTime();
    if (!Number.isFinite(a) || !Number.isFinite(w)) throw new RangeError(`OffsetClock: invalid anchor ${String(at)} at ${String(wallAt)}`);
    return new OffsetClock(a - w, wallMs);
  }

  nowMs(): number {
    return this.#wallMs() + this.offsetMs;
  }

  now(): Date {
    return new Date(this.nowMs());
  }
}
