/**
 * The process that generates the demo history of `npm start` (see demo.ts): the program simulation from
 * the program's first day up to the demo date, on a virtual clock, into the data folder. Started by
 * `generateDemoHistory` with its options as one JSON argument; reports progress over IPC. Its stdout
 * and stderr (the functions' logs) go where the parent says.
 */
import './simulation/quiet-handlers.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import { beginHistory, finishHistory, historyPeriod, type DemoAnchor, type DemoHistoryOptions, type HistoryMessage, DEFAULT_DEMO_DATE } from './demo.js';
import { simulateProgram, startSimulationSystem, type SimulationSystem } from './simulation/run.js';

const send = (m: HistoryMessage) => process.send?.(m);

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as DemoHistoryOptions;
  if (!options.dataDir) throw new Error('demo-history: no data folder given');
  const demoDate = options.demoDate ?? DEFAULT_DEMO_DATE;
  const schools = options.schools ?? 750;
  const seed = options.seed ?? 1;
  const period = historyPeriod(demoDate);
  const program = REFERENCE_PROGRAM;
  const started = performance.now();

  beginHistory(options.dataDir);
  const running: { system?: SimulationSystem } = {};
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await running.system?.stop().catch(() => undefined);
    process.exit(1);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.on('disconnect', () => void stop()); // the parent is gone

  const system = await startSimulationSystem({ program, from: period.from, dataDir: options.dataDir });
  running.system = system;
  let lastSent = 0;
  const result = await simulateProgram(system, {
    program,
    schools,
    seed,
    from: period.from,
    to: period.to,
    onProgress: (progress) => {
      const t = performance.now();
      if (t - lastSent < 100 && progress.fraction < 1) return;
      lastSent = t;
      send({ type: 'progress', progress });
    },
  });
  // The demo date's morning: the workflows' timers due before it fire too.
  await system.runtime.advanceTo(period.endsAt);
  await system.runtime.idle();
  const s = result.run.stats;
  const commands = Object.values(s.commands).reduce((a, b) => a + b, 0);
  send({ type: 'log', message: `history: ${s.transitions} state transitions, ${commands} commands, ${s.activations} milestones started` });
  if (s.refused.length > 0) send({ type: 'log', message: `history: ${s.refused.length} command(s) refused, e.g. ${s.refused[0]}` });
  if (system.signalProblems.length > 0) send({ type: 'log', message: `history: ${system.signalProblems.length} workflow signal problem(s), e.g. ${system.signalProblems[0]}` });
  stopping = true;
  await system.stop();
  const anchor: DemoAnchor = {
    demoTime: new Date(period.endsAt).toISOString(),
    wallTime: new Date().toISOString(),
    demoDate,
    schools,
    seed,
    generatedInSeconds: Math.round((performance.now() - started) / 100) / 10,
  };
  finishHistory(options.dataDir, anchor);
  send({ type: 'done', anchor });
  process.disconnect?.();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
