/**
 * Benchmark of the local Step Functions runtime (`npm run bench -- runtime`), side by side in one run:
 *
 * 1. State transitions per second on a loop of Pass/Choice states counting to N: this runtime with
 *    in-memory checkpoints, with durable SQLite checkpoints (group commit with synchronous=FULL, safe
 *    against a power loss, as the runtime runs; the same with synchronous=NORMAL, safe against a killed
 *    process only; and FULL with one commit per transition), and the `aws-local-stepfunctions` package
 *    on the equivalent JSONPath definition.
 * 2. Advancing a virtual four-year timeline with 10,000 pending timers: 10,000 executions, each waiting
 *    several times (spread over four years) and continuing as a new execution before the one-year limit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import { VirtualClock } from '../../shared/clock.js';
import { createRuntime, type RuntimeOptions } from '../../infra/local/sfn/index.js';

const N = Number(process.env.BENCH_LOOP ?? 20_000);
const ROUNDS = 3;
const TRANSITIONS = 2 * N + 3; // Init, (Loop, Inc) × N, Loop, Done

const jsonPathLoop = {
  StartAt: 'Init',
  States: {
    Init: { Type: 'Pass', Parameters: { i: 0, 'n.$': '$.n' }, Next: 'Loop' },
    Loop: { Type: 'Choice', Choices: [{ Variable: '$.i', NumericLessThanPath: '$.n', Next: 'Inc' }], Default: 'Done' },
    Inc: { Type: 'Pass', Parameters: { 'i.$': 'States.MathAdd($.i, 1)', 'n.$': '$.n' }, Next: 'Loop' },
    Done: { Type: 'Succeed' },
  },
};

const jsonataLoop = {
  QueryLanguage: 'JSONata',
  StartAt: 'Init',
  States: {
    Init: { Type: 'Pass', Output: { i: 0, n: '{% $states.input.n %}' }, Next: 'Loop' },
    Loop: { Type: 'Choice', Choices: [{ Condition: '{% $states.input.i < $states.input.n %}', Next: 'Inc' }], Default: 'Done' },
    Inc: { Type: 'Pass', Output: { i: '{% $states.input.i + 1 %}', n: '{% $states.input.n %}' }, Next: 'Loop' },
    Done: { Type: 'Succeed' },
  },
};

async function peer(): Promise<number> {
  const sm = new StateMachine(jsonPathLoop as never);
  const t = performance.now();
  const result = (await sm.run({ n: N }).result) as { i: number };
  const ms = performance.now() - t;
  if (result.i !== N) throw new Error(`peer result ${JSON.stringify(result)}`);
  return (TRANSITIONS / ms) * 1000;
}

/** `n`: a shorter loop for the variant that syncs every transition (one disk sync each). */
async function ours(store: RuntimeOptions['store'], n = N): Promise<number> {
  const rt = createRuntime({ clock: new VirtualClock('2025-01-01T00:00:00Z'), store, maxHistoryEvents: Infinity });
  const { stateMachineArn } = rt.createStateMachine({ name: 'Loop', definition: JSON.stringify(jsonataLoop) });
  const t = performance.now();
  const { executionArn } = rt.startExecution({ stateMachineArn, input: JSON.stringify({ n }) });
  await rt.idle();
  const ms = performance.now() - t;
  const d = rt.describeExecution({ executionArn });
  await rt.close();
  if (d.status !== 'SUCCEEDED' || JSON.parse(d.output!).i !== n) throw new Error(`our result ${d.status} ${d.output}`);
  return ((2 * n + 3) / ms) * 1000;
}

function best(values: number[]): number {
  return Math.max(...values);
}

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'sfn-bench-'));
  dirs.push(d);
  return d;
};

console.log(
  `Loop of Pass/Choice states counting to ${N} (${TRANSITIONS} transitions per execution), best of ${ROUNDS} rounds, interleaved:`,
);
const results: Record<string, number[]> = { peer: [], memory: [], sqlite: [], sqliteNormal: [], sqliteEach: [] };
for (let round = 0; round < ROUNDS; round++) {
  results.peer!.push(await peer());
  results.memory!.push(await ours('memory'));
  results.sqlite!.push(await ours({ dataDir: tmp() }));
  results.sqliteNormal!.push(await ours({ dataDir: tmp(), synchronous: 'NORMAL' }));
  results.sqliteEach!.push(await ours({ dataDir: tmp(), commitEveryWrite: true }, Math.ceil(N / 20)));
}
const peerRate = best(results.peer!);
const rows: [string, number][] = [
  ['aws-local-stepfunctions (JSONPath)', peerRate],
  ['this runtime, in-memory checkpoints', best(results.memory!)],
  ['this runtime, SQLite FULL (group commit)', best(results.sqlite!)],
  ['this runtime, SQLite NORMAL (group commit)', best(results.sqliteNormal!)],
  [`this runtime, SQLite FULL (commit per transition; loop to ${Math.ceil(N / 20)})`, best(results.sqliteEach!)],
];
for (const [name, rate] of rows)
  console.log(
    `  ${name.padEnd(62)} ${Math.round(rate).toLocaleString('en-US').padStart(9)} transitions/s   ${(rate / peerRate).toFixed(2)}× peer`,
  );

// ---- Four virtual years, 10,000 pending timers ------------------------------------------------
const EXECUTIONS = Number(process.env.BENCH_TIMELINE ?? 10_000);
const timeline = {
  QueryLanguage: 'JSONata',
  StartAt: 'Nap',
  States: {
    // Waits of 30 to 120 days (three stay under the one-year limit); after three of them, continue as a new execution until four years have passed.
    Nap: { Type: 'Wait', Seconds: '{% 86400 * (30 + ($states.input.seed * 7 + $states.input.round * 13) % 91) %}', Next: 'Count' },
    Count: { Type: 'Pass', Output: '{% $merge([$states.input, {"round": $states.input.round + 1}]) %}', Next: 'More' },
    More: {
      Type: 'Choice',
      Choices: [
        { Condition: '{% $millis() >= $states.input.until %}', Next: 'Done' },
        { Condition: '{% $states.input.round % 3 = 0 %}', Next: 'ContinueAsNew' },
      ],
      Default: 'Nap',
    },
    ContinueAsNew: {
      Type: 'Task',
      Resource: 'arn:aws:states:::states:startExecution',
      Arguments: { StateMachineArn: '{% $states.context.StateMachine.Id %}', Input: '{% $states.input %}' },
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
  },
};

async function fourYears(store: RuntimeOptions['store']): Promise<{ ms: number; executions: number; transitions: number; timers: number }> {
  const start = new Date('2025-01-01T00:00:00Z');
  const until = Date.parse('2029-01-01T00:00:00Z');
  const clock = new VirtualClock(start);
  const rt = createRuntime({ clock, store });
  const { stateMachineArn } = rt.createStateMachine({ name: 'Timeline', definition: JSON.stringify(timeline) });
  for (let i = 0; i < EXECUTIONS; i++)
    rt.startExecution({ stateMachineArn, name: `school-${i}`, input: JSON.stringify({ seed: i, round: 0, until }) });
  await rt.idle();
  const pending = rt.stats().pendingTimers;
  const t = performance.now();
  await rt.runUntilIdle();
  const ms = performance.now() - t;
  const s = rt.stats();
  if (s.running !== 0 || clock.nowMs() < until)
    throw new Error(`timeline did not finish: ${JSON.stringify(s)} at ${clock.now().toISOString()}`);
  await rt.close();
  return { ms, executions: s.executions, transitions: s.transitions, timers: pending };
}

console.log(
  `\nFour virtual years (2025-2029), ${EXECUTIONS.toLocaleString('en-US')} executions each waiting 30-120 days at a time, continuing as new every 3 waits:`,
);
// Pending timers count each execution's Wait and its one-year execution timeout.
const stores: [string, RuntimeOptions['store']][] = [['in-memory', 'memory']];
if (process.env.BENCH_TIMELINE_SQLITE) stores.push(['SQLite', { dataDir: tmp() }]);
for (const [name, store] of stores) {
  const r = await fourYears(store);
  console.log(
    `  ${name.padEnd(10)} ${(r.ms / 1000).toFixed(1).padStart(6)} s wall for 4 years: ${r.timers.toLocaleString('en-US')} timers pending at the start, ` +
      `${r.executions.toLocaleString('en-US')} executions, ${r.transitions.toLocaleString('en-US')} transitions (${Math.round((r.transitions / r.ms) * 1000).toLocaleString('en-US')}/s)`,
  );
}
for (const d of dirs) rmSync(d, { recursive: true, force: true });
