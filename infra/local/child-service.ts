/**
 * A local service (DynamoDB Local, the S3 server) as a child process on a loopback port:
 *
 * - The command runs under `bin/watchdog.sh`, which stops it as soon as this process's pipe closes, so
 *   it never outlives its parent, even when the parent is killed with SIGKILL. `stop()` and the
 *   parent's exit/signal handlers stop it earlier and cleanly.
 * - Ready when the port accepts connections; the process's output is kept until then for the error.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { fileURLToPath } from 'node:url';

export interface ChildService {
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

const watchdog = fileURLToPath(new URL('./bin/watchdog.sh', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

const running = new Set<ChildProcess>();
let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const killAll = () => { for (const child of running) child.kill('SIGTERM'); };
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      // Re-raise so the default behaviour (exit with the signal) still happens when nobody else listens.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

export interface ChildServiceOptions {
  /** For messages: "DynamoDB Local", "the S3 server". */
  name: string;
  command: string;
  args: readonly string[];
  port: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** How long to wait for the port; default 30 s. */
  readyTimeoutMs?: number;
}

export async function startChildService(options: ChildServiceOptions): Promise<ChildService> {
  installExitHooks();
  const { name, port } = options;
  const child = spawn(watchdog, [options.command, ...options.args], {
    stdio: 'pipe',
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
  running.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  let exited = false;
  child.once('exit', () => { exited = true; running.delete(child); });

  const timeout = options.readyTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeout;
  while (!(await canConnect(port))) {
    if (exited) throw new Error(`${name} exited before it was ready:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`${name} did not listen on port ${port} within ${timeout / 1000} s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  // The service no longer needs its pipes read; keep stdin open (the watchdog's lifeline) but stop buffering output.
  child.stdout?.removeAllListeners('data').resume();
  child.stderr?.removeAllListeners('data').resume();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
