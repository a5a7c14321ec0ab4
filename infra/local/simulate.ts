/**
 * `npm run simulate -- --schools N --seed S --from 2021-01-01 --to 2024-12-31 [--out FILE]`
 *
 * Runs the whole program on one machine: the synthesized workflows and their Lambda handlers on the
 * local Step Functions runtime with a virtual clock, against an in-memory DynamoDB Local started and
 * stopped here, with seeded contractors and managers acting through the API's command path.
 *
 * stdout: the yearly KPI table and the path of the HTML report (the same for the same arguments).
 * stderr: progress, wall time and throughput, and any problem worth a look.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import { loadProgram } from '../../shared/program/load-program.js';
import { ensureReferenceVersion2, REFERENCE_PROGRAM_V2_DATA } from '../../shared/programs/index.js';
import type { ProgramDefinition } from '../../shared/program/model.js';
import { parseSimulateArgs, UsageError, USAGE, type SimulateOptions } from './simulation/options.js';
import { progressReporter } from './simulation/progress.js';
import { defaultShards, simulateInShards } from './simulation/parallel.js';
import { simulateProgram, startSimulationSystem, type ProgramSimulationResult } from './simulation/run.js';
import { collectFinalState, inspectResume, simulationFolder } from './simulation/durable.js';
import { Simulation } from './simulation/engine.js';
import { formatCallPeaks, meterServiceCalls, type ServiceCallMeter } from './simulation/service-calls.js';

async function main(): Promise<number> {
  let options;
  try {
    options = parseSimulateArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const program = options.programVersion === 2 ? loadProgram(REFERENCE_PROGRAM_V2_DATA) : REFERENCE_PROGRAM;
  const started = performance.now();
  const progress = progressReporter(process.stderr);
  const shards = options.data ? 1 : (options.shards ?? defaultShards());
  const where = options.data ? `in ${options.data}` : 'in memory';
  process.stderr.write(
    `Starting the local system (synthesized app, DynamoDB Local ${where}, Step Functions runtime on a virtual clock${shards > 1 ? `; the schools in ${shards} threads` : ''})…\n`,
  );
  if (shards > 1) {
    let ready = started;
    const result = await simulateInShards({
      program,
      ...options,
      shards,
      onReady: () => {
        ready = performance.now();
      },
      onProgress: (p) => progress.update(p),
    });
    progress.done();
    report(options, program, result, { started, ready, finished: performance.now() }, result.meter, result.signalProblems);
    return 0;
  }
  const resuming = options.data ? inspectResume(simulationFolder(options.data), Simulation.startInstant(program, options.from)) : null;
  if (resuming) process.stderr.write(`${resuming.line}\n`);
  const system = await startSimulationSystem({
    program,
    from: options.from,
    ...(options.data ? { dataDir: options.data, durable: true } : {}),
  });
  // Version 2 is written to the table published, as a program manager would have published it.
  if (options.programVersion === 2) await ensureReferenceVersion2(system.store, system.clock.now(), 'published');
  const ready = performance.now();
  // What each AWS service would see, per second of the simulation's virtual time (printed at the end).
  const meter = meterServiceCalls(system.clock);
  // A parent that kills and restarts this process (npm run chaos) follows it over IPC.
  process.send?.({ type: 'ready' });
  try {
    const result = await simulateProgram(system, {
      program,
      ...options,
      ...(system.durability ? { durability: system.durability } : {}),
      onProgress: (p) => {
        progress.update(p);
        process.send?.({ type: 'progress', actions: p.actions });
      },
    });
    progress.done();
    const finished = performance.now();
    if (options.data && system.mailbox) {
      const state = await collectFinalState({
        table: result.table,
        store: system.store,
        schoolIds: result.run.region.schools.map((s) => s.id),
        events: result.run.events,
        mailbox: system.mailbox,
      });
      const file = path.join(options.data, 'final-state.json');
      writeFileSync(`${file}.tmp`, JSON.stringify(state));
      renameSync(`${file}.tmp`, file);
    }
    report(options, program, result, { started, ready, finished }, meter, system.signalProblems);
    return 0;
  } finally {
    meter.stop();
    await system.stop();
  }
}

/** The report, the KPI table on stdout, and on stderr the timings, the calls to AWS and anything worth a look. */
function report(
  options: SimulateOptions,
  program: ProgramDefinition,
  result: ProgramSimulationResult,
  times: { started: number; ready: number; finished: number },
  meter: ServiceCallMeter,
  signalProblems: readonly string[],
): void {
  const { started, ready, finished } = times;
  mkdirSync(path.dirname(options.out), { recursive: true });
  writeFileSync(options.out, result.html);
  const shown = path.relative(process.cwd(), options.out) || options.out;
  process.stdout.write(`${result.table}\n\nReport: ${shown.startsWith('..') ? options.out : shown}\n`);

  const s = result.run.stats;
  const simulatedSeconds = (finished - ready) / 1000;
  const commands = Object.values(s.commands).reduce((a, b) => a + b, 0);
  process.stderr.write(
    [
      `Wall time ${((finished - started) / 1000).toFixed(1)} s (start-up ${((ready - started) / 1000).toFixed(1)} s, simulation ${simulatedSeconds.toFixed(1)} s)`,
      `${s.transitions} state transitions (${(s.transitions / simulatedSeconds).toFixed(0)}/s), ${commands} commands, ${s.activations} milestones started, ${s.executions} executions`,
    ].join('\n') + '\n',
  );
  // The import's seconds are set apart from the rest of the run.
  const importMs = Simulation.startInstant(program, options.from);
  const importEndMs = Simulation.importEndInstant(program, options.from, options.schools);
  process.stderr.write(`${formatCallPeaks(meter, importMs, importEndMs)}\n`);
  if (s.refused.length > 0) {
    process.stderr.write(
      `${s.refused.length} command(s) refused (the people's view and the store disagreed):\n${s.refused
        .slice(0, 10)
        .map((l) => `  ${l}`)
        .join('\n')}\n`,
    );
  }
  if (signalProblems.length > 0) {
    process.stderr.write(
      `${signalProblems.length} workflow signal problem(s):\n${signalProblems
        .slice(0, 10)
        .map((l) => `  ${l}`)
        .join('\n')}\n`,
    );
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`\nsimulate: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
