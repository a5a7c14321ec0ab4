/**
 * Durable timers: Wait states, retry delays, task timeouts/heartbeats and execution timeouts.
 *
 * A timer's truth is in the checkpointed records (a frame's `timer`, an execution's `timeoutAt`); this
 * queue is the in-memory index, rebuilt from the records when the runtime starts. Timers fire in time
 * order; ties are broken by the execution's start order, then by the timer's sequence number, so the
 * order is the same in every run. A timer that was replaced or whose frame is gone is skipped when it
 * comes up (lazy deletion).
 */

import { MinHeap } from '../min-heap.js';

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

/** The in-memory timer index: the earliest timer first, ties broken as described above. */
export class TimerQueue extends MinHeap<TimerEntry> {
  constructor() {
    super(before);
  }
}
