/**
 * A local service as a child process (DynamoDB Local, the user-directory emulator): it listens on a free
 * loopback port and runs under `bin/watchdog.sh`, which stops it as soon as this process's pipe closes,
 * so it never outlives its parent, even when the parent is killed with SIGKILL. `stop()` and the
 * parent's exit/signal handlers stop it earlier and cleanly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { fileURLToPath } from 'node:url';

export interface ChildService {
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

export interface ChildServiceOptions {
  /** Named in error messages. */
  name: string;
  command: string;
  args: readonly string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** The port the service was told to listen on; ready when it accepts connections on 127.0.0.1. */
  port: number;
  startTimeoutMs?: number;
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

export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const running = new Set<ChildProcess>();
let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const killAll = () => {
    for (const child of running) child.kill('SIGTERM');
  };
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      // Re-raise so the default behaviour (exit with the signal) still happens when nobody else listens.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

export async function startChildService(options: ChildServiceOptions): Promise<ChildService> {
  installExitHooks();
  const { port, name } = options;
  const child = spawn(watchdog, [options.command, ...options.args], {
    cwd: options.cwd,
    stdio: 'pipe',
    ...(options.env ? { env: options.env } : {}),
  });
  running.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
    running.delete(child);
  });

  // Generous: a JVM starting on a busy 2-core machine can take well over half a minute.
  const timeout = options.startTimeoutMs ?? 120_000;
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
