/**
 * The kill test: the same simulation run twice as child processes (`npm run simulate -- --data DIR`),
 * once without interruption and once killed with SIGKILL, its whole process group at once (the
 * simulation, DynamoDB Local's JVM, the user-directory emulator, their watchdogs), at seeded points and
 * restarted on the same folder each time; then the two final states (durable.ts) must be identical.
 *
 * Kill points are seeded: the uninterrupted run tells how many entries of the agenda the simulation
 * carries out; each kill point is an entry count (0 is during the import, before the first entry) and
 * a delay after the child reports reaching it, so the kill lands anywhere inside the work that follows
 * (advancing the runtime, a command, the workflows' reaction, delivering notifications, the checkpoint).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Rng } from '../../../shared/region/prng.js';
import { diffFinalStates, type FinalState } from './durable.js';

export interface ChaosOptions {
  schools: number;
  seed: number | string;
  from: string;
  to: string;
  kills: number;
  /** Seed of the kill points (default `seed`): other points in the same run. */
  killSeed?: number | string;
  /** Folder for both runs' data (`uninterrupted/`, `killed/`); must not hold an earlier run. */
  dataDir: string;
  /** The project's root (where `infra/local/simulate.ts` is). */
  root: string;
  log?: (line: string) => void;
}

export interface KillPoint {
  /** Entries of the agenda carried out (as the child reports them) when the delay starts. */
  afterActions: number;
  delayMs: number;
}

export interface ChaosResult {
  uninterruptedSeconds: number;
  killedSeconds: number;
  /** Processes started for the killed run (kills + 1). */
  starts: number;
  kills: KillPoint[];
  /** Kill points the run finished before reaching. */
  missed: number;
  reference: FinalState;
  killed: FinalState;
  /** Empty when the two runs are identical. */
  differences: string[];
}

/** `count` distinct entry counts in [0, total) with a delay of up to 1.5 s each, sorted, from the seed. */
export function killPoints(seed: number | string, total: number, count: number): KillPoint[] {
  const rng = new Rng(`${String(seed)}|chaos|kill-points`);
  const counts = new Set<number>();
  const wanted = Math.min(count, Math.max(1, total));
  while (counts.size < wanted) counts.add(rng.int(0, Math.max(0, total - 1)));
  return [...counts].sort((a, b) => a - b).map((afterActions) => ({ afterActions, delayMs: rng.int(0, 1500) }));
}

interface ChildRun {
  /** 'done' when it finished, 'killed' when this side killed it. */
  ended: 'done' | 'killed';
  /** The last entry count it reported. */
  actions: number;
}

/**
 * One child: `simulate --data dir`, its own process group. With a kill point, SIGKILLs the group once
 * the child has carried out that many entries and the delay has passed, and resolves when no process of
 * the group is left (so the next start finds DynamoDB Local's files unused).
 */
function runChild(o: ChaosOptions, dir: string, kill: KillPoint | null): Promise<ChildRun> {
  mkdirSync(dir, { recursive: true });
  const args = [
    '--schools',
    String(o.schools),
    '--seed',
    String(o.seed),
    '--from',
    o.from,
    '--to',
    o.to,
    '--data',
    dir,
    '--out',
    path.join(dir, 'report.html'),
  ];
  const child: ChildProcess = fork(path.join(o.root, 'infra/local/simulate.ts'), args, {
    cwd: o.root,
    detached: true,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const log = createWriteStream(path.join(dir, 'simulate.log'), { flags: 'a' });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const pid = child.pid!;
  let actions = 0;
  let killing = false;
  return new Promise<ChildRun>((resolve, reject) => {
    const killGroup = () => {
      if (killing) return;
      killing = true;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    let started = false;
    const arm = (reached: number) => {
      if (!kill || started || reached < kill.afterActions) return;
      started = true;
      setTimeout(killGroup, kill.delayMs);
    };
    child.on('message', (m: { type?: string; actions?: number }) => {
      if (m.type === 'progress' && typeof m.actions === 'number') actions = m.actions;
      if (m.type === 'ready' || m.type === 'progress') arm(actions);
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      void (async () => {
        // Wait until every process of the group is gone (the JVM may outlive the node process briefly).
        for (let i = 0; i < 600 && groupAlive(pid); i++) {
          if (i === 50) killGroup();
          await new Promise((r) => setTimeout(r, 100));
        }
        log.end();
        if (killing) return resolve({ ended: 'killed', actions });
        if (code === 0) return resolve({ ended: 'done', actions });
        reject(new Error(`the simulation in ${dir} ended with ${signal ?? `exit code ${code}`}; see ${path.join(dir, 'simulate.log')}`));
      })();
    });
  });
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function readFinalState(dir: string): FinalState {
  const file = path.join(dir, 'final-state.json');
  if (!existsSync(file)) throw new Error(`the run in ${dir} left no final-state.json`);
  return JSON.parse(readFileSync(file, 'utf8')) as FinalState;
}

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const log = o.log ?? (() => undefined);
  const referenceDir = path.join(o.dataDir, 'uninterrupted');
  const killedDir = path.join(o.dataDir, 'killed');
  for (const dir of [referenceDir, killedDir]) {
    if (existsSync(dir)) throw new Error(`${dir} exists: the kill test starts from empty folders`);
  }

  log(`uninterrupted run: ${o.schools} schools, seed ${String(o.seed)}, ${o.from} to ${o.to}`);
  let t = performance.now();
  const reference = await runChild(o, referenceDir, null);
  const uninterruptedSeconds = (performance.now() - t) / 1000;
  log(`  ${uninterruptedSeconds.toFixed(1)} s, ${reference.actions} entries of the agenda`);

  const kills = killPoints(o.killSeed ?? o.seed, reference.actions, o.kills);
  log(`killed run: SIGKILL after ${kills.map((k) => `${k.afterActions}+${k.delayMs}ms`).join(', ')}`);
  t = performance.now();
  let starts = 0;
  let missed = 0;
  let finished = false;
  for (const point of kills) {
    starts++;
    const run = await runChild(o, killedDir, point);
    log(`  start ${starts}: ${run.ended === 'killed' ? `killed after ${run.actions} entries` : 'finished before its kill point'}`);
    if (run.ended === 'done') {
      finished = true;
      missed = kills.length - starts + 1;
      break;
    }
  }
  if (!finished) {
    starts++;
    const run = await runChild(o, killedDir, null);
    log(`  start ${starts}: finished after ${run.actions} entries`);
  }
  const killedSeconds = (performance.now() - t) / 1000;
  log(`  ${killedSeconds.toFixed(1)} s`);

  const referenceState = readFinalState(referenceDir);
  const killedState = readFinalState(killedDir);
  return {
    uninterruptedSeconds,
    killedSeconds,
    starts,
    kills,
    missed,
    reference: referenceState,
    killed: killedState,
    differences: diffFinalStates(referenceState, killedState),
  };
}
