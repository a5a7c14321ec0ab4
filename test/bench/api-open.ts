/**
 * `npm run bench -- api-open`: the HTTP API under a fixed offered load — 200 requests/s for 30 s, 80 %
 * reads (a school, a district's list, a school's history, a contractor's assignments) and 20 % writes
 * (the contractor submits evidence, the manager rejects it, each reaching the school's live workflow) —
 * against the local stack with 750 schools. Open loop: requests are sent when the clock says, not when
 * the previous one is answered, and every latency counts from the request's due time, so a stall is
 * not hidden by the load generator waiting for it (coordinated omission). After an unmeasured warm-up
 * with the same load, the measured run, then the same schedule against the bare `/healthz` route of the
 * same server (the baseline). Prints read and write p50/p95/p99 and errors, their ratios to the
 * baseline, and the goal: read p99 < 50 ms, write p99 < 250 ms, no errors. `bench api` is the
 * closed-loop run that finds the saturation throughput.
 *
 *   BENCH_RATE=200 BENCH_SECONDS=30 BENCH_WARMUP_SECONDS=15 BENCH_WRITE_SCHOOLS=100 BENCH_WRITE_SHARE=0.2
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { OpenLoopPlan, OpenLoopResult } from './api-open.helpers.js';
import { generatorNice, runLoadProcess, setUpApiBench } from './api-setup.helpers.js';
import { fmt, percentile } from './load.helpers.js';
import { descendantsCpuSeconds, threadCores, threadCpuSeconds, threadsLine } from './measure.helpers.js';

const RATE = Number(process.env.BENCH_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 15);
const WRITE_SCHOOLS = Number(process.env.BENCH_WRITE_SCHOOLS ?? 100);
const WRITE_SHARE = Number(process.env.BENCH_WRITE_SHARE ?? 0.2);
const READ_KINDS = ['school', 'list', 'history', 'assignments'];
const WRITE_KINDS = ['submit', 'reject'];
const GOAL = { readP99: 50, writeP99: 250 };

interface Figures {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  errors: number;
}

function figures(result: OpenLoopResult, kinds: string[]): Figures {
  const all = kinds.flatMap((k) => result.latencies[k] ?? []).sort((a, b) => a - b);
  const errors = kinds.reduce((sum, k) => sum + (result.errors[k] ?? 0), 0);
  return { n: all.length, p50: percentile(all, 50), p95: percentile(all, 95), p99: percentile(all, 99), max: all.at(-1) ?? NaN, errors };
}

async function main(): Promise<void> {
  // One caller per 4 requests/s: tokens of several users, as real traffic has.
  const { stack, schoolIds, districts, perClient } = await setUpApiBench(Math.max(1, Math.round(RATE / 4)), WRITE_SCHOOLS);
  try {
    const base: OpenLoopPlan = {
      url: stack.url,
      rate: RATE,
      seconds: SECONDS,
      phase: 'mixed',
      writeShare: WRITE_SHARE,
      seed: 1,
      perClient,
      schoolIds,
      districts,
    };
    const load = (plan: OpenLoopPlan) =>
      runLoadProcess<OpenLoopPlan, OpenLoopResult>(new URL('./api-open.helpers.ts', import.meta.url), plan);
    const measured = async (plan: OpenLoopPlan) => {
      const cpu = process.cpuUsage();
      const threads = threadCpuSeconds();
      const children = descendantsCpuSeconds();
      const started = performance.now();
      const result = await load(plan);
      const seconds = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      // The load generator has exited: the descendants are DynamoDB Local's JVM (and helpers).
      return {
        result,
        server: (used.user + used.system) / 1e6 / seconds,
        threads: threadCores(threads, threadCpuSeconds(), seconds, stack.apiThread?.tid),
        child: (descendantsCpuSeconds() - children) / seconds,
        client: result.cpuSeconds / seconds,
      };
    };

    console.log(`warm-up: the same load, ${WARMUP_SECONDS} s, not measured …`);
    await load({ ...base, seconds: WARMUP_SECONDS, seed: 2 });
    // Every request of the warm-up was answered; the workflow steps its writes started may still run.
    await stack.runtime.idle();
    const before = stack.runtime.stats().transitions;
    console.log(`open loop: ${RATE} requests/s offered for ${SECONDS} s (${fmt(100 * (1 - WRITE_SHARE), 0)} % reads) …`);
    const mixed = await measured(base);
    await stack.runtime.idle();
    const transitions = stack.runtime.stats().transitions - before;
    console.log(`baseline: the same schedule against GET /healthz …`);
    const bare = await measured({ ...base, phase: 'healthz' });

    const reads = figures(mixed.result, READ_KINDS);
    const writes = figures(mixed.result, WRITE_KINDS);
    const healthz = figures(bare.result, ['healthz']);
    const rows: [string, Figures][] = [
      ...READ_KINDS.map((k): [string, Figures] => [`read: ${k}`, figures(mixed.result, [k])]),
      ...WRITE_KINDS.map((k): [string, Figures] => [`write: ${k}`, figures(mixed.result, [k])]),
      ['all reads', reads],
      ['all writes', writes],
      ['GET /healthz (baseline)', healthz],
    ];
    console.log(`\n  latency from the due time   count   p50 ms   p95 ms   p99 ms   max ms  errors`);
    for (const [name, f] of rows) {
      console.log(
        `  ${name.padEnd(26)} ${String(f.n).padStart(6)} ${fmt(f.p50).padStart(8)} ${fmt(f.p95).padStart(8)} ${fmt(f.p99).padStart(8)} ${fmt(f.max).padStart(8)} ${String(f.errors).padStart(7)}`,
      );
    }
    const answered = reads.n + writes.n;
    console.log(
      `\n  offered ${mixed.result.offered} requests in ${SECONDS} s (${fmt(mixed.result.offered / SECONDS)} req/s); answered ${answered}; writes skipped because every milestone had one in flight: ${mixed.result.skippedWrites}`,
    );
    console.log(
      `  the generator's own lag (send time after the due time): p50 ${fmt(mixed.result.sendLag.p50, 2)} ms, p99 ${fmt(mixed.result.sendLag.p99, 2)} ms, max ${fmt(mixed.result.sendLag.max, 2)} ms (included in the latencies)`,
    );
    console.log('\n  ratios to the baseline (the same schedule against /healthz, same server, same run)');
    console.log(
      `    read  p50 ×${fmt(reads.p50 / healthz.p50, 2)}   p95 ×${fmt(reads.p95 / healthz.p95, 2)}   p99 ×${fmt(reads.p99 / healthz.p99, 2)}`,
    );
    console.log(
      `    write p50 ×${fmt(writes.p50 / healthz.p50, 2)}   p95 ×${fmt(writes.p95 / healthz.p95, 2)}   p99 ×${fmt(writes.p99 / healthz.p99, 2)}`,
    );
    console.log(
      `\n  machine (${cpus().length} cores, load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}):`,
    );
    const use = (u: typeof mixed) =>
      `server ${fmt(u.server, 2)} cores (${threadsLine(u.threads)}), DynamoDB Local ${fmt(u.child, 2)} cores, load generator ${fmt(u.client, 2)} cores (nice ${generatorNice() ?? '?'})`;
    console.log(`    mixed: ${use(mixed)}; ${transitions} workflow state transitions`);
    console.log(`    baseline: ${use(bare)}`);
    const errors = reads.errors + writes.errors + mixed.result.skippedWrites;
    const met = reads.p99 < GOAL.readP99 && writes.p99 < GOAL.writeP99 && errors === 0;
    console.log(
      `\n  goal: read p99 < ${GOAL.readP99} ms, write p99 < ${GOAL.writeP99} ms, no errors → ${met ? 'met' : 'NOT met'} (read p99 ${fmt(reads.p99)} ms, write p99 ${fmt(writes.p99)} ms, errors ${errors})`,
    );
    const samples = [...mixed.result.samples, ...bare.result.samples];
    if (samples.length) console.log(`\n  first errors:\n    ${samples.join('\n    ')}`);
  } finally {
    await stack.stop();
  }
}

let run: Promise<void> | undefined;
export default function bench(): Promise<void> {
  return (run ??= main());
}
await bench();
