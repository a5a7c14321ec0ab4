/**
 * A program simulation in shards side by side: one thread per shard, each with its own local system (the
 * synthesized workflows and handlers on its own Step Functions runtime and virtual clock) and its share of
 * the region's schools, all on one DynamoDB Local table, one S3 server and one user directory.
 *
 * One timeline in one thread leaves a 2-core machine half idle: each action waits for DynamoDB Local,
 * which waits for the next request. The schools of a region do not act on one another (engine.ts,
 * `shard`), so shards driven at their own pace do together what one run does: the same audit log, so the
 * same KPI table and HTML report, the same commands and state transitions, the same calls to each service
 * in each virtual second (the meter of every shard is merged second by second).
 *
 * Order of the start: every thread loads its modules at once; the first shard's system starts first
 * (it creates the table and writes the program's first version), then the others'; the first shard writes
 * the contractors; then every shard runs. A durable run (`--data`) stays one timeline.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { MilestoneEvent } from '../../../shared/program/model.js';
import { generateRegion } from '../../../shared/region/index.js';
import { startLocalServices, stopLocalServices } from '../services.js';
import { tsWorkerSource } from '../ts-worker.js';
import type { SimulationProgress, SimulationRun, SimulationStats } from './engine.js';
import { programResult, type ProgramSimulationResult, type SimulationScope } from './run.js';
import { mergedCallMeter, type CallCounts, type ServiceCallMeter } from './service-calls.js';

/** Shards a run takes by default: one per core, at most four (DynamoDB Local's JVM needs its share too). */
export function defaultShards(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/** What a shard's thread is started with (worker data: plain data only). */
export interface ShardStart {
  /** The whole run's scope: every shard generates the same region and drives its share of it. */
  scope: SimulationScope;
  shard: { index: number; count: number };
  dynamodbEndpoint: string;
  s3Endpoint: string;
  cognitoEndpoint: string;
  tableName?: string;
  /** The synthesized template's folder: the first shard synthesizes it, the others read it back. */
  cdkOut: string;
}

export type ToShard = { type: 'start' } | { type: 'prepare' } | { type: 'run' };

export type FromShard =
  | { type: 'loaded' }
  | { type: 'ready' }
  | { type: 'prepared' }
  | { type: 'progress'; progress: SimulationProgress }
  | { type: 'done'; events: MilestoneEvent[]; stats: SimulationStats; calls: CallCounts; signalProblems: string[] }
  | { type: 'failed'; message: string };

/** `programVersion` 2 is written to the table published before the shards run. */
export interface ParallelSimulationOptions extends SimulationScope {
  shards: number;
  /** The command line shown in the report. */
  command?: string;
  /** An existing DynamoDB Local (tests share one); without it an in-memory one is started and stopped. */
  dynamodbEndpoint?: string;
  tableName?: string;
  /** Called when every shard's system is up, just before they run. */
  onReady?: () => void;
  /** The run as a whole: the slowest shard's virtual time, the counts summed. */
  onProgress?: (p: SimulationProgress) => void;
}

export interface ParallelSimulationResult extends ProgramSimulationResult {
  /** Every shard's calls to AWS, second by second, as one meter. */
  meter: ServiceCallMeter;
  /** Problems the workflow signal logged in any shard: expected to stay empty. */
  signalProblems: string[];
}

const WORKER_ENTRY = new URL('./parallel-worker.ts', import.meta.url);

interface Shard {
  send(message: ToShard): void;
  /** The next message of this type (a `failed` message or the thread's end rejects). */
  next<T extends FromShard['type']>(type: T): Promise<Extract<FromShard, { type: T }>>;
  close(): Promise<void>;
}

function startShard(start: ShardStart, onProgress: (p: SimulationProgress) => void): Shard {
  const worker = new Worker(tsWorkerSource(WORKER_ENTRY), { eval: true, execArgv: [], workerData: start });
  const received: FromShard[] = [];
  let waiting: { type: FromShard['type']; resolve: (m: FromShard) => void; reject: (e: Error) => void } | undefined;
  let ended: Error | undefined;
  const name = `shard ${start.shard.index + 1} of ${start.shard.count}`;
  const settle = () => {
    if (!waiting) return;
    const failed = received.find((m) => m.type === 'failed');
    const at = received.findIndex((m) => m.type === waiting!.type);
    const w = waiting;
    if (failed?.type === 'failed') {
      waiting = undefined;
      w.reject(new Error(`${name}: ${failed.message}`));
    } else if (at >= 0) {
      waiting = undefined;
      w.resolve(received.splice(at, 1)[0]!);
    } else if (ended) {
      waiting = undefined;
      w.reject(ended);
    }
  };
  worker.on('message', (m: FromShard) => {
    if (m.type === 'progress') onProgress(m.progress);
    else received.push(m);
    settle();
  });
  worker.on('error', (error) => {
    ended ??= new Error(`${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    settle();
  });
  worker.on('exit', (code) => {
    ended ??= new Error(`${name}: its thread exited (code ${code})`);
    settle();
  });
  return {
    send: (message) => worker.postMessage(message),
    next: <T extends FromShard['type']>(type: T) =>
      new Promise<Extract<FromShard, { type: T }>>((resolve, reject) => {
        waiting = { type, resolve: resolve as (m: FromShard) => void, reject };
        settle();
      }),
    close: async () => {
      await worker.terminate();
    },
  };
}

/** Sums what the shards counted; the refusals in time order (each line starts with its ISO time). */
export function mergeStats(parts: readonly SimulationStats[]): SimulationStats {
  const sum = <K extends string>(pick: (s: SimulationStats) => Partial<Record<K, number>>) => {
    const out: Partial<Record<K, number>> = {};
    for (const part of parts) for (const [k, n] of Object.entries(pick(part)) as [K, number][]) out[k] = (out[k] ?? 0) + n;
    return out;
  };
  const total = (pick: (s: SimulationStats) => number) => parts.reduce((n, s) => n + pick(s), 0);
  return {
    commands: sum((s) => s.commands),
    refused: parts.flatMap((s) => s.refused).sort(),
    signals: sum((s) => s.signals),
    activations: total((s) => s.activations),
    observations: total((s) => s.observations),
    actions: total((s) => s.actions),
    executions: total((s) => s.executions),
    runningExecutions: total((s) => s.runningExecutions),
    transitions: total((s) => s.transitions),
  };
}

/** Runs the simulation in `shards` threads and puts their results together as one run's. */
export async function simulateInShards(options: ParallelSimulationOptions): Promise<ParallelSimulationResult> {
  const { shards: count, command: _command, dynamodbEndpoint, tableName, onReady, onProgress, ...scope } = options;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`shards must be a whole number from 1, got ${count}`);
  const services = startLocalServices(dynamodbEndpoint ? { dynamodbEndpoint } : {});
  const cdkOut = mkdtempSync(path.join(tmpdir(), 'simulation-cdk-'));
  try {
    const [dynamodb, s3, cognito] = await Promise.all([services.dynamodb, services.s3, services.cognito]);
    const latest: SimulationProgress[] = [];
    const progress = (index: number, p: SimulationProgress) => {
      latest[index] = p;
      if (latest.filter(Boolean).length < count || !onProgress) return;
      const slowest = latest.reduce((a, b) => (b.fraction < a.fraction ? b : a));
      onProgress({
        now: slowest.now,
        fraction: slowest.fraction,
        actions: latest.reduce((n, q) => n + q.actions, 0),
        commands: latest.reduce((n, q) => n + q.commands, 0),
        activations: latest.reduce((n, q) => n + q.activations, 0),
      });
    };
    const shards = Array.from({ length: count }, (_, index) =>
      startShard(
        {
          scope,
          shard: { index, count },
          dynamodbEndpoint: dynamodbEndpoint ?? dynamodb!.endpoint,
          s3Endpoint: s3!.endpoint,
          cognitoEndpoint: cognito!.endpoint,
          ...(tableName ? { tableName } : {}),
          cdkOut,
        },
        (p) => progress(index, p),
      ),
    );
    try {
      await Promise.all(shards.map((s) => s.next('loaded')));
      const [first, ...others] = shards;
      first!.send({ type: 'start' });
      await first!.next('ready');
      for (const s of others) s.send({ type: 'start' });
      await Promise.all(others.map((s) => s.next('ready')));
      first!.send({ type: 'prepare' });
      await first!.next('prepared');
      onReady?.();
      for (const s of shards) s.send({ type: 'run' });
      const done = await Promise.all(shards.map((s) => s.next('done')));
      const region = generateRegion({ seed: options.seed, schools: options.schools });
      const bySchool = new Map<string, MilestoneEvent[]>();
      for (const part of done)
        for (const e of part.events) (bySchool.get(e.schoolId) ?? bySchool.set(e.schoolId, []).get(e.schoolId)!).push(e);
      const run: SimulationRun = {
        region,
        events: region.schools.flatMap((s) => bySchool.get(s.id) ?? []),
        stats: mergeStats(done.map((d) => d.stats)),
      };
      return {
        ...programResult(run, options),
        meter: mergedCallMeter(done.map((d) => d.calls)),
        signalProblems: done.flatMap((d) => d.signalProblems),
      };
    } finally {
      await Promise.all(shards.map((s) => s.close()));
    }
  } finally {
    await stopLocalServices(services);
    rmSync(cdkOut, { recursive: true, force: true });
  }
}
