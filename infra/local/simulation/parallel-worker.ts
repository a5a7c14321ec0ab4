/**
 * One shard of a parallel simulation (parallel.ts), in a thread of its own: its local system on the
 * shared services, told by the parent thread when to start it, when to write what the shards share (the
 * first shard only), and when to run.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ensureReferenceVersion2 } from '../../../shared/programs/index.js';
import { generateRegion } from '../../../shared/region/index.js';
import { Simulation } from './engine.js';
import type { FromShard, ShardStart, ToShard } from './parallel.js';
import { runProgram, startSimulationSystem, type SimulationSystem } from './run.js';
import { meterServiceCalls } from './service-calls.js';

const port = parentPort!;
const start = workerData as ShardStart;
const tell = (m: FromShard) => port.postMessage(m);
const PROGRESS_MS = 250;

const inbox: ToShard[] = [];
let waiting: (() => void) | undefined;
port.on('message', (m: ToShard) => {
  inbox.push(m);
  waiting?.();
});
async function next(type: ToShard['type']): Promise<void> {
  for (;;) {
    const at = inbox.findIndex((m) => m.type === type);
    if (at >= 0) {
      inbox.splice(at, 1);
      return;
    }
    await new Promise<void>((resolve) => (waiting = resolve));
    waiting = undefined;
  }
}

let system: SimulationSystem | undefined;
try {
  tell({ type: 'loaded' });
  await next('start');
  system = await startSimulationSystem({
    program: start.scope.program,
    from: start.scope.from,
    dynamodbEndpoint: start.dynamodbEndpoint,
    s3Endpoint: start.s3Endpoint,
    cognitoEndpoint: start.cognitoEndpoint,
    cdkOut: start.cdkOut,
    ...(start.tableName ? { tableName: start.tableName } : {}),
  });
  // Version 2 is written to the table published, as a program manager would have published it.
  if (start.shard.index === 0 && start.scope.programVersion === 2)
    await ensureReferenceVersion2(system.store, system.clock.now(), 'published');
  // Counted from here, as one timeline counts them: the shared data the first shard writes is the run's.
  const meter = meterServiceCalls(system.clock);
  tell({ type: 'ready' });
  if (start.shard.index === 0) {
    await next('prepare');
    await Simulation.writeSharedData(system.store, generateRegion({ seed: start.scope.seed, schools: start.scope.schools }));
    tell({ type: 'prepared' });
  }
  await next('run');
  let shown = 0;
  const run = await runProgram(system, {
    ...start.scope,
    shard: start.shard,
    onProgress: (progress) => {
      const now = performance.now();
      if (now - shown < PROGRESS_MS && progress.fraction < 1) return;
      shown = now;
      tell({ type: 'progress', progress });
    },
  });
  meter.stop();
  const calls = meter.snapshot();
  const signalProblems = [...system.signalProblems];
  await system.stop();
  system = undefined;
  tell({ type: 'done', events: run.events, stats: run.stats, calls, signalProblems });
} catch (error) {
  tell({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  await system?.stop().catch(() => undefined);
}
