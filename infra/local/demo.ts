/**
 * The demo timeline of `npm start`. On the first start the demo region's history, from the program's
 * first day up to the demo date, is produced by the program simulation (the real workflows on the local
 * runtime with a virtual clock, the seeded people acting through the command path) into the data folder.
 * From then on the system runs on a demo clock: wall-clock time shifted so that the end of the history
 * is the demo date, moving at real speed. The anchor (the demo instant and the wall-clock instant it
 * corresponds to) is kept in the data folder, so every later start continues the same timeline, the
 * time it was stopped included (due timers fire on start, as after an outage).
 *
 * The history is generated in a process of its own (demo-history.ts): the functions keep their SDK
 * clients for the life of their module, as in Lambda, and those of the history's stack point at its own
 * endpoints, not at those of the stack that runs afterwards.
 */
import { spawn } from 'node:child_process';
import {
  closeSync,
  cpSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addDays, zonedInstant } from '../../shared/calendar.js';
import { OffsetClock } from '../../shared/clock.js';
import { IsoDate } from '../../shared/program/model.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import type { SimulationProgress } from './simulation/engine.js';
import { MAILBOX_FILE } from './mailbox.js';

/** Mid-program: the 2021 connections and the first equipment cohort are done, later cohorts under way or late. */
export const DEFAULT_DEMO_DATE = '2022-02-01';
/** The program's first day: where the history starts. */
export const HISTORY_FROM = '2021-01-01';
/** Local time (program time zone) on the demo date at which the history ends and the demo clock starts. */
export const DEMO_TIME_OF_DAY = '10:00';
const ANCHOR_FILE = 'demo-clock.json';
const PARTIAL_FILE = 'demo-history.partial';
/** What the history writes in the data folder: removed when a history was cut short, to start it over. */
const HISTORY_PARTS = ['dynamodb', 'sfn', 'streams', 'cognito', 'auth', MAILBOX_FILE];
const TMPFS = '/dev/shm';

export interface DemoAnchor {
  /** The demo instant the history ended at (ISO). */
  demoTime: string;
  /** The wall-clock instant that demo instant corresponds to (ISO). */
  wallTime: string;
  demoDate: string;
  schools: number;
  seed: number | string;
  /** Wall-clock seconds the history took to generate. */
  generatedInSeconds?: number;
}

export interface DemoHistoryOptions {
  dataDir: string;
  demoDate?: string;
  schools?: number;
  seed?: number | string;
  /** Serve the API and the dashboard on this port while the history is generated (read-only, with its progress). */
  port?: number;
  /** The repository root, for the paths the banner shows. */
  root?: string;
}

export function demoClock(anchor: DemoAnchor, wallMs: () => number = Date.now): OffsetClock {
  return OffsetClock.anchored(anchor.demoTime, anchor.wallTime, wallMs);
}

export function readDemoAnchor(dataDir: string): DemoAnchor | null {
  const file = path.join(dataDir, ANCHOR_FILE);
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as DemoAnchor;
}

export function writeDemoAnchor(dataDir: string, anchor: DemoAnchor): void {
  const file = path.join(dataDir, ANCHOR_FILE);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(anchor, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/** The demo date from `DEMO_DATE` (YYYY-MM-DD), checked. */
export function demoDateFrom(text: string | undefined): string {
  const date = text?.trim() || DEFAULT_DEMO_DATE;
  if (!IsoDate.safeParse(date).success) throw new Error(`DEMO_DATE must be a date as YYYY-MM-DD, got "${date}"`);
  if (date <= HISTORY_FROM) throw new Error(`DEMO_DATE must be after ${HISTORY_FROM}, got ${date}`);
  return date;
}

/** The simulated period (up to the day before the demo date) and the instant the history ends at. */
export function historyPeriod(demoDate: string): { from: string; to: string; endsAt: number } {
  return {
    from: HISTORY_FROM,
    to: addDays(demoDate, -1),
    endsAt: zonedInstant(demoDate, DEMO_TIME_OF_DAY, REFERENCE_PROGRAM.timeZone).getTime(),
  };
}

/**
 * `fresh`: the data folder holds nothing yet (or a history that was cut short: it is removed); the
 * history is generated. `anchored`: a demo timeline exists. `legacy`: data from before demo timelines,
 * kept and run on the system clock.
 */
export function dataFolderState(dataDir: string): 'fresh' | 'anchored' | 'legacy' {
  if (readDemoAnchor(dataDir)) return 'anchored';
  if (existsSync(path.join(dataDir, PARTIAL_FILE))) {
    for (const part of HISTORY_PARTS) rmSync(path.join(dataDir, part), { recursive: true, force: true });
    rmSync(path.join(dataDir, PARTIAL_FILE), { force: true });
    return 'fresh';
  }
  return existsSync(path.join(dataDir, 'sfn')) || existsSync(path.join(dataDir, 'dynamodb')) ? 'legacy' : 'fresh';
}

/**
 * Where the history is generated: a fresh folder on tmpfs (`/dev/shm`) when the machine has one, else
 * the data folder itself. The history's DynamoDB Local files and the runtime's checkpoints (SQLite,
 * synchronous=FULL) then cost no disk syncs while it is made: a history cut short is generated again
 * from the start anyway (see `dataFolderState`), so nothing in it needs to survive a crash before it
 * is complete. `moveHistory` puts the finished history into the data folder, synced, before the anchor
 * that makes it count is written, with the user directory's data.
 */
export async function historyWorkDir(dataDir: string): Promise<string> {
  let dir = dataDir;
  try {
    if (existsSync(TMPFS)) dir = mkdtempSync(path.join(TMPFS, 'cos-demo-history-'));
  } catch {
    dir = dataDir;
  }
  return dir;
}

/** Moves the history's parts from the folder it was made in into the data folder (a no-op when they are the same), synced. */
export function moveHistory(workDir: string, dataDir: string): void {
  if (path.resolve(workDir) === path.resolve(dataDir)) return;
  for (const part of HISTORY_PARTS) {
    const from = path.join(workDir, part);
    if (!existsSync(from)) continue;
    const to = path.join(dataDir, part);
    rmSync(to, { recursive: true, force: true });
    cpSync(from, to, { recursive: true });
    syncTree(to);
  }
  syncTree(dataDir, false);
  rmSync(workDir, { recursive: true, force: true });
}

/** fsync every file under `target` (and the folders, so that the new names are durable too). */
function syncTree(target: string, recursive = true): void {
  const sync = (p: string) => {
    const fd = openSync(p, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  };
  if (statSync(target).isDirectory()) {
    if (recursive) for (const name of readdirSync(target)) syncTree(path.join(target, name));
    sync(target);
  } else sync(target);
}

/** Marks the history as under way; `finishHistory` writes the anchor and removes the mark. */
export function beginHistory(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path.join(dataDir, PARTIAL_FILE), `${new Date().toISOString()}\n`);
}

export function finishHistory(dataDir: string, anchor: DemoAnchor): void {
  writeDemoAnchor(dataDir, anchor);
  rmSync(path.join(dataDir, PARTIAL_FILE), { force: true });
}

/** Messages of the history process to its parent (over the IPC channel). */
export type HistoryMessage =
  | { type: 'progress'; progress: SimulationProgress }
  | { type: 'log'; message: string }
  /** The dashboard answers (with `port`): where to look, as `npm start` prints it. */
  | { type: 'ready'; banner: string }
  | { type: 'done'; anchor: DemoAnchor };

export interface GenerateOptions extends DemoHistoryOptions {
  /** Where the history process's own output (the functions' logs) goes: a file (appended), or 'inherit'. */
  output: string | 'inherit';
  onProgress?: (p: SimulationProgress) => void;
  log?: (message: string) => void;
  /** With `port`: the dashboard answers; the banner to print. */
  onReady?: (banner: string) => void;
  /** Stops the history process (for Ctrl-C); the data folder then holds a partial history, removed on the next start. */
  signal?: AbortSignal;
}

const HISTORY_SCRIPT = fileURLToPath(new URL('./demo-history.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Generates the history in a process of its own and resolves with its anchor. The process runs the
 * history's functions; their output goes to `output`; progress and messages come back over IPC.
 */
export async function generateDemoHistory(options: GenerateOptions): Promise<DemoAnchor> {
  const { openSync, closeSync } = await import('node:fs');
  const out =
    options.output === 'inherit'
      ? 'inherit'
      : (mkdirSync(path.dirname(options.output), { recursive: true }), openSync(options.output, 'a'));
  const args = JSON.stringify({
    dataDir: options.dataDir,
    demoDate: options.demoDate,
    schools: options.schools,
    seed: options.seed,
    port: options.port,
    root: REPO_ROOT,
  });
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', '--import', 'tsx', HISTORY_SCRIPT, args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', out, out, 'ipc'],
    // Its own process group: Ctrl-C in a terminal reaches the parent only, which stops the child in order.
    detached: true,
  });
  if (typeof out === 'number') closeSync(out);
  const onAbort = () => child.kill('SIGTERM');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await new Promise<DemoAnchor>((resolve, reject) => {
      let anchor: DemoAnchor | null = null;
      child.on('message', (m: HistoryMessage) => {
        if (m.type === 'progress') options.onProgress?.(m.progress);
        else if (m.type === 'log') options.log?.(m.message);
        else if (m.type === 'ready') options.onReady?.(m.banner);
        else if (m.type === 'done') anchor = m.anchor;
      });
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        if (anchor && code === 0) resolve(anchor);
        else
          reject(
            new Error(
              `generating the demo history ${signal ? `was stopped (${signal})` : `failed (exit code ${code})`}${options.output === 'inherit' ? '' : `; see ${options.output}`}`,
            ),
          );
      });
    });
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}
