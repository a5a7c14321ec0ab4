/**
 * `npm run bench -- start`: the times a newcomer waits, from a fresh data folder, with `npm start`'s
 * own entry point (infra/local/start.ts) as a child process:
 *
 *   1. first start until the dashboard answers (GET / and GET /healthz both 200);
 *   2. first start until the complete demo history is there (start.ts says "demo history generated")
 *      and the live system answers — the baseline of row 1: before the dashboard was served during the
 *      history, the first answer came only then;
 *   3. a restart (Ctrl-C, then start again) until healthy (GET /healthz 200) and until the banner is
 *      printed (everything started);
 *   4. the same a day later (the demo clock, which moves on while the system is stopped, set a day on):
 *      the restart then also catches up with what fell due meanwhile.
 *
 * BENCH_START_SCHOOLS (default 750) and BENCH_START_DEMO_DATE (default the demo's) change the history.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDemoAnchor, writeDemoAnchor } from '../../infra/local/demo.js';
import { freePort } from '../../infra/local/dynamodb-local.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const START = path.join(ROOT, 'infra/local/start.ts');
const SCHOOLS = process.env.BENCH_START_SCHOOLS ?? '750';
const DEMO_DATE = process.env.BENCH_START_DEMO_DATE;
const DAY_MS = 24 * 60 * 60 * 1000;

interface Started {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the ms since the start when a line of output matches. */
  line(pattern: RegExp): Promise<number>;
  exited: Promise<number | null>;
  t0: number;
}

function startSystem(dataDir: string, port: number): Started {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', '--import', 'tsx', START], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(port),
      DEMO_SCHOOLS: SCHOOLS,
      ...(DEMO_DATE ? { DEMO_DATE } : {}),
      LOG_LEVEL: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const waiting: { pattern: RegExp; resolve: (ms: number) => void }[] = [];
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    for (const w of [...waiting]) {
      if (w.pattern.test(text)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(performance.now() - t0);
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    t0,
    output: () => text,
    exited,
    line: (pattern) =>
      pattern.test(text)
        ? Promise.resolve(performance.now() - t0)
        : new Promise<number>((resolve, reject) => {
            waiting.push({ pattern, resolve });
            void exited.then((code) => reject(new Error(`npm start exited (${code}) before printing ${pattern}:\n${text.slice(-3000)}`)));
          }),
  };
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** Ms since `t0` when every URL answers 200 (polled every 100 ms). */
async function until(t0: number, urls: string[], running: Started): Promise<number> {
  let exited = false;
  void running.exited.then(() => (exited = true));
  for (;;) {
    if (exited) throw new Error(`npm start exited before ${urls.join(', ')} answered:\n${running.output().slice(-3000)}`);
    if ((await Promise.all(urls.map(answers))).every(Boolean)) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stop(running: Started): Promise<void> {
  running.child.kill('SIGINT');
  await running.exited;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-start-'));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
console.log(
  `npm start (infra/local/start.ts) on a fresh data folder, ${SCHOOLS} schools${DEMO_DATE ? ` to ${DEMO_DATE}` : ''}; machine load ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`,
);
try {
  const first = startSystem(dataDir, port);
  const dashboard = await until(first.t0, [`${base}/`, `${base}/healthz`], first);
  console.log(`  first start until the dashboard answers:        ${seconds(dashboard).padStart(8)}`);
  const history = await first.line(/demo history generated in/);
  const live = await first.line(/Ctrl-C stops everything\.\n[\s\S]*\n.*Ctrl-C stops everything\./);
  console.log(
    `  the complete demo history:                      ${seconds(history).padStart(8)}   (baseline: the dashboard's first answer without serving it during the history)`,
  );
  console.log(`  the live system answers after the history:      ${seconds(live).padStart(8)}`);
  await stop(first);

  const again = startSystem(dataDir, port);
  const healthy = await until(again.t0, [`${base}/healthz`], again);
  const ready = await again.line(/Ctrl-C stops everything\./);
  console.log(`  restart until healthy (/healthz 200):           ${seconds(healthy).padStart(8)}`);
  console.log(`  restart until everything started (the banner): ${seconds(ready).padStart(8)}`);
  await stop(again);

  // The next day: the demo clock moves at real speed, also while the system is stopped, so a restart a
  // day later first catches up (the workflows' timers and the reminders due meanwhile) as it starts.
  const anchor = readDemoAnchor(dataDir);
  if (!anchor) throw new Error('the first start wrote no demo clock');
  writeDemoAnchor(dataDir, { ...anchor, wallTime: new Date(Date.parse(anchor.wallTime) - DAY_MS).toISOString() });
  const nextDay = startSystem(dataDir, port);
  const healthyNextDay = await until(nextDay.t0, [`${base}/healthz`], nextDay);
  const readyNextDay = await nextDay.line(/Ctrl-C stops everything\./);
  console.log(`  restart a day later until healthy:              ${seconds(healthyNextDay).padStart(8)}`);
  console.log(`  restart a day later until everything started:   ${seconds(readyNextDay).padStart(8)}`);
  await stop(nextDay);
  console.log(
    `  dashboard first answer ×${(history / dashboard).toFixed(1)} sooner than the complete history; machine load at the end ${loadavg()[0]!.toFixed(1)}`,
  );
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
