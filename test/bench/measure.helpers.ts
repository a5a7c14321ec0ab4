/** Measuring helpers shared by the benchmarks: closed-loop windows, the CPU of child processes. */
import { readdirSync, readFileSync } from 'node:fs';
import type { MilestoneState } from '../../shared/program/model.js';
import type { MilestoneStore } from '../../shared/store/index.js';
import { notification, pending, reschedule } from '../store/fixtures.js';

export interface Window {
  ops: number;
  ms: number;
  latencies: number[];
  p50: number;
}

/** Runs `count` calls of `op(worker, i)` on `concurrency` workers, each starting again as soon as it is answered. */
export async function measureCount(concurrency: number, count: number, op: (worker: number, i: number) => Promise<void>): Promise<Window> {
  const latencies: number[] = [];
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = next++; i < count; i = next++) {
        const t = performance.now();
        await op(worker, i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return summarise(latencies, performance.now() - start);
}

function summarise(latencies: number[], ms: number): Window {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { ops: latencies.length, ms, latencies, p50: sorted[Math.floor(sorted.length / 2)] ?? 0 };
}

/** Runs `op(worker, i)` on `concurrency` workers, each starting again as soon as it is answered, for `ms` milliseconds. */
export async function measureWindow(concurrency: number, ms: number, op: (worker: number, i: number) => Promise<void>): Promise<Window> {
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; performance.now() < end; i++) {
        const t = performance.now();
        await op(worker, i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return summarise(latencies, performance.now() - start);
}

/** CPU seconds used so far by the descendants of this process (Linux /proc; NaN elsewhere). */
export function descendantsCpuSeconds(): number {
  try {
    const tick = 100; // USER_HZ on Linux
    const procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
    const parentOf = new Map<number, number>();
    const cpu = new Map<number, number>();
    for (const pid of procs) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        parentOf.set(Number(pid), Number(fields[1]));
        cpu.set(Number(pid), (Number(fields[11]) + Number(fields[12])) / tick);
      } catch {
        // the process ended meanwhile
      }
    }
    let total = 0;
    for (const [pid, seconds] of cpu) {
      for (let p = parentOf.get(pid); p !== undefined && p > 1; p = parentOf.get(p)) {
        if (p === process.pid) {
          total += seconds;
          break;
        }
      }
    }
    return total;
  } catch {
    return NaN;
  }
}

/**
 * One milestone per worker (requests in flight never touch the same one), stored, and `commit(worker)`:
 * the transactional commit of the store benchmarks (a reschedule with its version check, the audit
 * event and one outbox notification), each on the worker's own milestone of school `<schoolPrefix><worker>`.
 * With the school's profile stored, the commit also writes the milestone's line in the school's summary.
 */
export async function commitPerWorker(
  store: MilestoneStore,
  workers: number,
  schoolPrefix = 'bench-',
): Promise<{ states: MilestoneState[]; commit: (worker: number) => Promise<void> }> {
  const states: MilestoneState[] = Array.from({ length: workers }, (_, w) =>
    pending(`${schoolPrefix}${w}`, 'connection', { deadline: '2024-12-31' }),
  );
  await store.initMilestones(states);
  const commit = async (worker: number) => {
    const current = states[worker]!;
    const day = String((current.version % 28) + 1).padStart(2, '0');
    const { state, event } = reschedule(current, `2025-01-${day}`, new Date().toISOString());
    await store.commit({
      schoolId: current.schoolId,
      key: 'connection',
      expectedVersion: current.version,
      state,
      events: [event],
      notifications: [notification(`bench:${current.schoolId}:${state.version}`, current.schoolId, { kind: 'status' })],
    });
    states[worker] = state;
  };
  return { states, commit };
}
