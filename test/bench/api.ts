/**
 * `npm run bench -- api`: the HTTP API under 50 concurrent clients for 30 s — reads (a school, a
 * district's list, a school's history, a contractor's assignments) mixed with writes (the contractor
 * submits evidence, the manager rejects it, again and again, each reaching the school's workflow) —
 * against the local stack (DynamoDB Local, the Step Functions runtime, the workflows), after an unmeasured
 * warm-up with the same load (JIT compilation in DynamoDB Local's JVM and in V8), then the same
 * clients for the same time against the bare `/healthz` route of the same server. Prints p50/p99
 * latency, throughput and errors of both, and their ratios, and the same reads from a single client (the
 * service time, with nothing waiting for a core). The clients run in a process of their own (so they do
 * not share the server's event loop); the CPU the server, DynamoDB Local and the load generator used,
 * and the machine's load average, are printed beside the figures (a busy machine moves them a lot).
 * BENCH_WRITE_SHARE=0 (or 1) measures reads (or writes) alone.
 *
 *   BENCH_CLIENTS=50 BENCH_SECONDS=30 BENCH_WARMUP_SECONDS=20 BENCH_WRITE_SCHOOLS=100 BENCH_WRITE_SHARE=0.2
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { LoadPlan, LoadResult } from './api.helpers.js';
import { generatorNice, runLoadProcess, setUpApiBench } from './api-setup.helpers.js';
import { fmt, percentile } from './load.helpers.js';
import { descendantsCpuSeconds, threadCores, threadCpuSeconds, threadsLine, type ThreadCores } from './measure.helpers.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const WRITE_SCHOOLS = Number(process.env.BENCH_WRITE_SCHOOLS ?? 100);
const WRITE_SHARE = Number(process.env.BENCH_WRITE_SHARE ?? 0.2);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 20);
const READ_KINDS = ['school', 'list', 'history', 'assignments'];
const WRITE_KINDS = ['submit', 'reject'];

interface ServerUse {
  /** Cores the server process used (CPU seconds per second). */
  cores: number;
  /** The same by thread. */
  threads: ThreadCores;
  /** Share of the time its event loop was busy. */
  loopBusy: number;
  /** Cores the load generator used. */
  clientCores: number;
  /** Cores the server's other child processes used (DynamoDB Local's JVM). */
  childCores: number;
}

/** Starts measuring; the returned function gives the cores this process and its children used since, and the seconds. */
function cpuMeter(apiTid: number | undefined): () => { cores: number; threads: ThreadCores; childCores: number; seconds: number } {
  const cpu = process.cpuUsage();
  const threads = threadCpuSeconds();
  const children = descendantsCpuSeconds();
  const started = performance.now();
  return () => {
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    return {
      cores: (used.user + used.system) / 1e6 / seconds,
      threads: threadCores(threads, threadCpuSeconds(), seconds, apiTid),
      childCores: (descendantsCpuSeconds() - children) / seconds,
      seconds,
    };
  };
}

/** Runs the load generator in a process of its own and measures what this (the server's) process used meanwhile. */
async function measured(plan: LoadPlan, apiTid: number | undefined): Promise<{ result: LoadResult; use: ServerUse }> {
  const loop = performance.eventLoopUtilization();
  const meter = cpuMeter(apiTid);
  const result = await load(plan);
  // The load generator has exited by now, so it is no longer among the descendants.
  const { cores, threads, childCores, seconds } = meter();
  return {
    result,
    use: {
      cores,
      threads,
      childCores,
      loopBusy: performance.eventLoopUtilization(loop).utilization,
      clientCores: (result.cpuSeconds ?? NaN) / seconds,
    },
  };
}

function load(plan: LoadPlan): Promise<LoadResult> {
  return runLoadProcess<LoadPlan, LoadResult>(new URL('./api.helpers.ts', import.meta.url), plan);
}

interface Figures {
  n: number;
  mean: number;
  p50: number;
  p99: number;
  rps: number;
  errors: number;
}

function figures(result: LoadResult, kinds: string[]): Figures {
  const all = kinds.flatMap((k) => result.latencies[k] ?? []).sort((a, b) => a - b);
  const errors = kinds.reduce((sum, k) => sum + (result.errors[k] ?? 0), 0);
  return {
    n: all.length,
    mean: all.reduce((a, b) => a + b, 0) / all.length,
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    rps: all.length / result.seconds,
    errors,
  };
}

async function main(): Promise<void> {
  const { stack, schoolIds, districts, perClient } = await setUpApiBench(CLIENTS, WRITE_SCHOOLS);
  try {
    const base = { url: stack.url, clients: CLIENTS, writeShare: WRITE_SHARE, seconds: SECONDS, perClient, schoolIds, districts };
    const apiTid = stack.apiThread?.tid;

    // DynamoDB Local's JVM and V8 compile their hot paths during the first seconds of load (a cold JVM
    // spends about five times the CPU per query of a warm one): the same load runs first, unmeasured.
    console.log(`warm-up: the mixed load, ${WARMUP_SECONDS} s, not measured …`);
    await load({ ...base, seconds: WARMUP_SECONDS, phase: 'mixed' });
    // The service time: the same reads one at a time, so nothing waits for a core.
    console.log(`unloaded: 1 client, reads only, 5 s …`);
    const { result: unloaded } = await measured({ ...base, clients: 1, writeShare: 0, seconds: 5, phase: 'mixed' }, apiTid);
    console.log(
      `mixed load: ${CLIENTS} clients (in a load-generator process of their own, not on the server's event loop), ${SECONDS} s …`,
    );
    const { result: mixed, use: mixedUse } = await measured({ ...base, phase: 'mixed' }, apiTid);
    console.log(`bare route (/healthz): ${CLIENTS} clients, ${SECONDS} s …`);
    const { result: bare, use: bareUse } = await measured({ ...base, phase: 'healthz' }, apiTid);

    // The floor under every read: the store's one-query read of a school, straight against DynamoDB
    // Local from this process, with the same number of concurrent callers and no HTTP or API in between.
    console.log(`store alone (getSchool, no HTTP): ${CLIENTS} callers, ${Math.min(SECONDS, 10)} s …`);
    const direct: number[] = [];
    const storeMeter = cpuMeter(apiTid);
    const directEnd = performance.now() + Math.min(SECONDS, 10) * 1000;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (performance.now() < directEnd) {
          const started = performance.now();
          await stack.store.getSchool(schoolIds[Math.floor(Math.random() * schoolIds.length)]!);
          direct.push(performance.now() - started);
        }
      }),
    );
    const storeOnly: LoadResult = { phase: 'mixed', seconds: Math.min(SECONDS, 10), latencies: { store: direct }, errors: {}, samples: [] };
    const storeUse = storeMeter();

    const rows: [string, Figures][] = [
      ...READ_KINDS.map((k): [string, Figures] => [`read: ${k}`, figures(mixed, [k])]),
      ...WRITE_KINDS.map((k): [string, Figures] => [`write: ${k}`, figures(mixed, [k])]),
      ['all reads', figures(mixed, READ_KINDS)],
      ['reads, 1 client', figures(unloaded, READ_KINDS)],
      ['all writes', figures(mixed, WRITE_KINDS)],
      ['mixed total', figures(mixed, [...READ_KINDS, ...WRITE_KINDS])],
      ['GET /healthz (bare)', figures(bare, ['healthz'])],
      ['store.getSchool alone', figures(storeOnly, ['store'])],
    ];
    console.log('\n  requests                 count    req/s   p50 ms   p99 ms  errors');
    for (const [name, f] of rows) {
      console.log(
        `  ${name.padEnd(22)} ${String(f.n).padStart(7)} ${fmt(f.rps).padStart(8)} ${fmt(f.p50).padStart(8)} ${fmt(f.p99).padStart(8)} ${String(f.errors).padStart(7)}`,
      );
    }
    const reads = figures(mixed, READ_KINDS);
    const writes = figures(mixed, WRITE_KINDS);
    const total = figures(mixed, [...READ_KINDS, ...WRITE_KINDS]);
    const healthz = figures(bare, ['healthz']);
    console.log('\n  ratios to the bare route (same server, same clients, same run)');
    console.log(
      `    read p50 ×${fmt(reads.p50 / healthz.p50, 2)}   read p99 ×${fmt(reads.p99 / healthz.p99, 2)}   write p50 ×${fmt(writes.p50 / healthz.p50, 2)}   write p99 ×${fmt(writes.p99 / healthz.p99, 2)}`,
    );
    console.log(
      `    throughput: mixed ${fmt(total.rps)} req/s = ${fmt((100 * total.rps) / healthz.rps)} % of the bare route's ${fmt(healthz.rps)} req/s`,
    );
    const school = figures(mixed, ['school']);
    const store = figures(storeOnly, ['store']);
    console.log(
      `    GET a school vs the store's read alone: p50 ×${fmt(school.p50 / store.p50, 2)}, p99 ×${fmt(school.p99 / store.p99, 2)}; the store alone does ${fmt(store.rps)} reads/s at this concurrency`,
    );
    const alone = figures(unloaded, READ_KINDS);
    console.log(
      `    a read takes ${fmt(alone.p50)} ms (p50) when it is alone; under load, ${CLIENTS} clients that ask again as soon as they are answered wait on average ${CLIENTS} / ${fmt(total.rps)} req/s = ${fmt((1000 * CLIENTS) / total.rps)} ms per request (Little's law; measured mean ${fmt(total.mean)} ms): the latency is the machine's throughput`,
    );
    const use = (u: ServerUse) =>
      `server ${fmt(u.cores, 2)} cores (${threadsLine(u.threads)}), the main thread's event loop busy ${fmt(100 * u.loopBusy, 0)} %, DynamoDB Local ${fmt(u.childCores, 2)} cores; load generator ${fmt(u.clientCores, 2)} cores (nice ${generatorNice() ?? '?'})`;
    const busy = (u: ServerUse) => u.cores + u.childCores + u.clientCores;
    console.log(
      `\n  machine (${cpus().length} cores, load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}):`,
    );
    console.log(`    mixed: ${use(mixedUse)}; together ${fmt(busy(mixedUse), 2)} of ${cpus().length} cores`);
    console.log(`    bare:  ${use(bareUse)}; together ${fmt(busy(bareUse), 2)} of ${cpus().length} cores`);
    console.log(`    store alone: this process ${fmt(storeUse.cores, 2)} cores, DynamoDB Local ${fmt(storeUse.childCores, 2)} cores`);
    const perRequest = (u: ServerUse, f: Figures) =>
      `${fmt((1000 * u.cores) / f.rps, 2)} ms of the server's CPU and ${fmt((1000 * u.childCores) / f.rps, 2)} ms of DynamoDB Local's`;
    console.log(
      `    per request: mixed ${perRequest(mixedUse, total)}; store.getSchool alone ${fmt((1000 * storeUse.cores) / store.rps, 2)} ms and ${fmt((1000 * storeUse.childCores) / store.rps, 2)} ms`,
    );
    console.log(
      `\n  goal: read p99 < 100 ms with no errors → ${reads.p99 < 100 && reads.errors + writes.errors === 0 ? 'met' : 'NOT met'} (read p99 ${fmt(reads.p99)} ms, errors ${reads.errors + writes.errors})`,
    );
    const samples = [...mixed.samples, ...bare.samples];
    if (samples.length) console.log(`\n  first errors:\n    ${samples.join('\n    ')}`);
    const stats = stack.runtime.stats();
    console.log(
      `\n  workflows: ${stats.executions} executions (${stats.running} running), ${stats.transitions} state transitions during the run`,
    );
  } finally {
    await stack.stop();
  }
}

let run: Promise<void> | undefined;
export default function bench(): Promise<void> {
  return (run ??= main());
}
await bench();
