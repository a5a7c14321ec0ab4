/** Measuring helpers shared by the benchmarks: closed-loop windows, the CPU of child processes and of this process's threads. */
import { readdirSync, readFileSync } from 'node:fs';
import type { MilestoneState } from '../../shared/program/model.js';
import type { MilestoneStore } from '../../shared/store/index.js';
import { notification, pending, reschedule } from '../store/fixtures.js';
import { fmt } from './load.helpers.js';

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

/**
 * A process's or thread's `stat` file (Linux /proc): its parent's id and the CPU seconds it used so far
 * (user and system; USER_HZ is 100 on Linux). Null when it has ended meanwhile.
 */
function readStat(path: string): { ppid: number; cpuSeconds: number } | null {
  let stat: string;
  try {
    stat = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  // The fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(fields[1]), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100 };
}

/** CPU seconds used so far by the descendants of this process (Linux /proc; NaN elsewhere). */
export function descendantsCpuSeconds(): number {
  try {
    const procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
    const parentOf = new Map<number, number>();
    const cpu = new Map<number, number>();
    for (const pid of procs) {
      const stat = readStat(`/proc/${pid}/stat`);
      if (!stat) continue;
      parentOf.set(Number(pid), stat.ppid);
      cpu.set(Number(pid), stat.cpuSeconds);
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

/** CPU seconds used so far by each thread of this process, by thread id (Linux /proc; empty elsewhere). */
export function threadCpuSeconds(): Map<number, number> {
  const threads = new Map<number, number>();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return threads;
  }
  for (const tid of tids) {
    const stat = readStat(`/proc/self/task/${tid}/stat`);
    if (stat) threads.set(Number(tid), stat.cpuSeconds);
  }
  return threads;
}

/** How the server process's CPU divides between its threads, in cores (CPU seconds per second). */
export interface ThreadCores {
  /** The API's own thread (NaN when the API runs on the main thread). */
  api: number;
  /** The main thread: the background (workflows, the Step Functions runtime, the stream dispatchers), and the API when it has no thread. */
  main: number;
  /** Every other thread: V8's (garbage collection, compilers) and libuv's. */
  helpers: number;
}

/** The cores each kind of thread used between two `threadCpuSeconds()` readings `seconds` apart. */
export function threadCores(
  before: Map<number, number>,
  after: Map<number, number>,
  seconds: number,
  apiTid: number | undefined,
): ThreadCores {
  let api = 0;
  let main = 0;
  let helpers = 0;
  for (const [tid, cpu] of after) {
    const used = cpu - (before.get(tid) ?? 0);
    if (tid === apiTid) api += used;
    else if (tid === process.pid) main += used;
    else helpers += used;
  }
  return { api: apiTid === undefined ? NaN : api / seconds, main: main / seconds, helpers: helpers / seconds };
}

/** The server's cores by thread, as the API benchmarks print them. */
export function threadsLine(t: ThreadCores): string {
  const api = Number.isNaN(t.api) ? '' : `the API's thread ${fmt(t.api, 2)}, `;
  return `${api}the main thread ${fmt(t.main, 2)}, V8's and libuv's ${fmt(t.helpers, 2)}`;
}
