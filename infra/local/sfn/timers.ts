/**
 * Durable timers: Wait states, retry delays, task timeouts/heartbeats and execution timeouts.
 *
 * A timer's truth is in the checkpointed records (a frame's `timer`, an execution's `timeoutAt`); this
 * queue is the in-memory index, rebuilt from the records when the runtime starts. Timers fire in time
 * order; ties are broken by the execution's start order, then by the timer's sequence number, so the
 * order is the same in every run. A timer that was replaced or whose frame is gone is skipped when it
 * comes up (lazy deletion).
 */

export interface TimerEntry {
  due: number;
  ordinal: number;
  seq: number;
  executionArn: string;
  /** The frame whose timer this is; -1 for the execution's own timeout. */
  frameId: number;
}

function before(a: TimerEntry, b: TimerEntry): boolean {
  if (a.due !== b.due) return a.due < b.due;
  if (a.ordinal !== b.ordinal) return a.ordinal < b.ordinal;
  if (a.seq !== b.seq) return a.seq < b.seq;
  return a.frameId < b.frameId;
}

export class TimerQueue {
  readonly #heap: TimerEntry[] = [];

  get size(): number {
    return this.#heap.length;
  }

  push(entry: TimerEntry): void {
    const h = this.#heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  peek(): TimerEntry | undefined {
    return this.#heap[0];
  }

  pop(): TimerEntry | undefined {
    const h = this.#heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }

  clear(): void {
    this.#heap.length = 0;
  }
}
