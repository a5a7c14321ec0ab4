/**
 * `npm run chaos -- [--schools 100] [--seed 7] [--kills 20] [--kill-seed S] [--from 2021-01-01] [--to 2024-12-31] [--data DIR]`
 *
 * The kill test (simulation/chaos.ts): the program simulation once without interruption and once
 * killed with SIGKILL, the whole local stack at once, at `--kills` seeded points and restarted each
 * time; prints both runs' wall times and "identical", or the differences (exit code 1).
 *
 * Both runs' folders are kept (default `.data/chaos/<time>`): DynamoDB Local's files, the runtime's
 * checkpoints, the mailboxes, each run's log and final state.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { IsoDate } from '../../shared/program/model.js';
import { parseSeed } from './simulation/options.js';
import { runChaos } from './simulation/chaos.js';
import { REPO_ROOT } from './stack.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      schools: { type: 'string', default: '100' },
      seed: { type: 'string', default: '7' },
      kills: { type: 'string', default: '20' },
      'kill-seed': { type: 'string' },
      from: { type: 'string', default: '2021-01-01' },
      to: { type: 'string', default: '2024-12-31' },
      data: { type: 'string' },
    },
    strict: true,
  });
  const schools = Number(values.schools);
  const kills = Number(values.kills);
  if (!Number.isInteger(schools) || schools < 1) throw new Error(`--schools must be a whole number above 0, got ${values.schools}`);
  if (!Number.isInteger(kills) || kills < 0) throw new Error(`--kills must be a whole number, got ${values.kills}`);
  for (const name of ['from', 'to'] as const) {
    if (!IsoDate.safeParse(values[name]).success) throw new Error(`--${name} must be a date as YYYY-MM-DD, got ${values[name]}`);
  }
  const dataDir = path.resolve(values.data ?? path.join('.data', 'chaos', new Date().toISOString().replace(/[:.]/g, '-')));
  const result = await runChaos({
    schools,
    seed: parseSeed(values.seed!),
    kills,
    ...(values['kill-seed'] !== undefined ? { killSeed: parseSeed(values['kill-seed']) } : {}),
    from: values.from!,
    to: values.to!,
    dataDir,
    root: REPO_ROOT,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const m = result.killed.mailbox;
  process.stdout.write(
    [
      `uninterrupted run: ${result.uninterruptedSeconds.toFixed(1)} s`,
      `killed run: ${result.killedSeconds.toFixed(1)} s, ${result.kills.length - result.missed} SIGKILLs, ${result.starts} starts`,
      `compared: the KPI table, ${result.reference.milestones.length} milestones, ${result.reference.events.length} audit events, ${result.reference.inbox.length} notifications received (the killed run's mailbox got ${m.received}, ${m.duplicates} of them re-sends it did not show)`,
      `data: ${dataDir}`,
      '',
    ].join('\n'),
  );
  if (result.differences.length > 0) {
    process.stdout.write(`DIFFERENT:\n${result.differences.join('\n')}\n`);
    return 1;
  }
  process.stdout.write('identical\n');
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`chaos: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
