/**
 * The API function and its HTTP gateway in a thread of their own: an execution environment apart from
 * the rest of the local stack, as the API is a Lambda function of its own in AWS.
 *
 * Why: everything else of the local stack (the workflow functions, the Step Functions runtime, the
 * stream dispatchers, the schedules) runs on the main thread's event loop. Sharing that loop, an API read
 * waited behind whatever workflow work was queued before it (stalls of up to about 200 ms under the
 * open-loop load of `npm run bench -- api-open`). In its own thread the gateway answers on a loop that
 * runs only the API. On a 2-core machine the thread alone still competes with the background for the
 * CPU; with the stack's `backgroundNice` the main thread yields to it (README, *Figures*).
 *
 * The thread starts the gateway at once (every request answers 503 "starting" until `serve()`), then
 * `load()` imports the API's entry module there, in exactly the function's environment (the thread's
 * `process.env` is its own), with the local sign-in pages. The API reaches the other parts through their
 * endpoints (DynamoDB Local, S3, the user directory, the local Step Functions and Lambda APIs), as it
 * does in AWS. The clock must be one the thread can rebuild: the system clock, or the demo's offset from
 * it. The main thread keeps an instance of the API function of its own for asynchronous invocations (the
 * bulk jobs), as Lambda runs them in any environment of the function.
 *
 * If the thread dies, it is started again on the same port with the same function (and the requests it
 * had in flight fail, as they would with a crashed Lambda environment). Started by the main thread, the
 * new thread inherits the main thread's priority, and an unprivileged process cannot lower a nice value
 * again: so the main thread steps below it once more (`lowerMainThread`), down to nice 19 at most.
 */
import { getPriority, setPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import { OffsetClock, SystemClock, type Clock } from '../../shared/clock.js';
import type { LocalDirectoryIds } from './directory.js';
import { tsWorkerSource } from './ts-worker.js';

/**
 * The nice value `npm start` and the API benchmarks give the background (the main thread: the workflows,
 * the runtime, the dispatchers) once the API runs on its own thread (`backgroundNice` of the stack).
 */
export const BACKGROUND_NICE = 5;

/** A clock the thread can rebuild. */
export type ThreadClock = { kind: 'system' } | { kind: 'offset'; offsetMs: number };

export interface ApiThreadLoad {
  /** The API's entry module (absolute path); the thread builds its handler with its `createHandler`. */
  entry: string;
  /** The function's whole environment: its template variables, the local overrides, the SDK's endpoints. */
  env: Record<string, string>;
  clock: ThreadClock;
  /** The local sign-in pages: the directory's endpoint and ids, and the dashboard's callback URLs. */
  signIn: { endpoint: string; ids: LocalDirectoryIds; callbackUrls: string[] };
}

export interface ApiThreadStart {
  port: number;
  host?: string;
  functionName: string;
}

/** Messages of the thread to the main thread. */
export type ApiThreadMessage =
  | { type: 'listening'; url: string; port: number; tid: number | undefined }
  | { type: 'loaded' }
  | { type: 'closed' }
  | { type: 'failed'; message: string };

/** Messages of the main thread to the thread. */
export type ApiThreadCommand = { type: 'load'; load: ApiThreadLoad } | { type: 'serve' } | { type: 'close' };

export interface ApiThread {
  readonly url: string;
  readonly port: number;
  /** Imports the API function in the thread; resolves once it is ready to answer. */
  load(load: ApiThreadLoad): Promise<void>;
  /** From now on the API answers (before: 503 "starting"). */
  serve(): void;
  /**
   * Runs the calling (main) thread `nice` steps below the API thread from now on, and again after the
   * thread is started anew (Linux: the calling thread only; nice values are only raised, as any process
   * may, up to 19). The main thread's nice value after it.
   */
  lowerMainThread(nice: number): number;
  /** How many times the thread was started again after it died. */
  readonly restarts: number;
  /** The thread's id (to show it is not the main thread's). */
  readonly threadId: number;
  /** The operating system's id of the thread (Linux), whose scheduling priority is its own. */
  readonly tid: number | undefined;
  /** Ends the thread at once, as a crash would (for tests): it is started again. */
  kill(): Promise<void>;
  close(): Promise<void>;
}

/** The clock as the thread rebuilds it, or undefined when it cannot (a virtual clock, a test's wall). */
export function threadClock(clock: Clock): ThreadClock | undefined {
  if (clock instanceof SystemClock) return { kind: 'system' };
  if (clock instanceof OffsetClock && clock.onSystemTime) return { kind: 'offset', offsetMs: clock.offsetMs };
  return undefined;
}

export function clockOf(spec: ThreadClock): Clock {
  return spec.kind === 'system' ? new SystemClock() : new OffsetClock(spec.offsetMs);
}

const WORKER_ENTRY = new URL('./api-thread-worker.ts', import.meta.url);

export async function startApiThread(start: ApiThreadStart, log: (message: string) => void = () => undefined): Promise<ApiThread> {
  let worker: Worker;
  let closing = false;
  let restarts = 0;
  let loaded: ApiThreadLoad | undefined;
  let serving = false;
  let waiting: { type: ApiThreadMessage['type']; resolve: () => void; reject: (e: Error) => void } | undefined;

  const expect = (type: ApiThreadMessage['type']) =>
    new Promise<void>((resolve, reject) => {
      waiting = { type, resolve, reject };
    });

  let tid: number | undefined;
  const spawn = (port: number): Promise<{ url: string; port: number }> =>
    new Promise((resolve, reject) => {
      worker = new Worker(tsWorkerSource(WORKER_ENTRY), {
        eval: true,
        execArgv: [],
        workerData: { ...start, port } satisfies ApiThreadStart,
      });
      let listening = false;
      worker.on('message', (m: ApiThreadMessage) => {
        if (m.type === 'listening') {
          listening = true;
          tid = m.tid;
          resolve({ url: m.url, port: m.port });
        } else if (waiting && (m.type === waiting.type || m.type === 'failed')) {
          const w = waiting;
          waiting = undefined;
          if (m.type === 'failed') w.reject(new Error(`the API thread: ${m.message}`));
          else w.resolve();
        }
      });
      worker.on('error', (error) => {
        if (!listening) reject(error);
        else log(`the API thread failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      });
      worker.on('exit', (code) => {
        if (!listening) {
          reject(new Error(`the API thread exited (code ${code}) before it listened`));
          return;
        }
        if (closing) return;
        waiting?.reject(new Error(`the API thread exited (code ${code})`));
        waiting = undefined;
        // A Lambda environment that dies is replaced: the same function on the same port.
        restarts++;
        log(`the API thread exited (code ${code}); starting it again`);
        void respawn().catch((error: unknown) => log(`the API thread did not start again: ${String(error)}`));
      });
    });

  const first = await spawn(start.port);
  // How far the main thread runs below the API thread (lowerMainThread).
  let lead = 0;
  const keepLead = () => {
    if (lead <= 0) return;
    const target = Math.min(19, (tid ? getPriority(tid) : getPriority(0)) + lead);
    if (target > getPriority(0)) setPriority(0, target);
  };
  const respawn = async () => {
    await spawn(first.port);
    // The new thread inherited the main thread's priority: the main thread steps below it again.
    keepLead();
    if (loaded) {
      const ready = expect('loaded');
      worker.postMessage({ type: 'load', load: loaded } satisfies ApiThreadCommand);
      await ready;
    }
    if (serving) worker.postMessage({ type: 'serve' } satisfies ApiThreadCommand);
  };

  return {
    url: first.url,
    port: first.port,
    get restarts() {
      return restarts;
    },
    get threadId() {
      return worker.threadId;
    },
    get tid() {
      return tid;
    },
    async load(load) {
      loaded = load;
      const ready = expect('loaded');
      worker.postMessage({ type: 'load', load } satisfies ApiThreadCommand);
      await ready;
    },
    serve() {
      serving = true;
      worker.postMessage({ type: 'serve' } satisfies ApiThreadCommand);
    },
    lowerMainThread(nice) {
      lead = nice;
      keepLead();
      return getPriority(0);
    },
    async kill() {
      await worker.terminate();
    },
    async close() {
      if (closing) return;
      closing = true;
      const closed = expect('closed');
      worker.postMessage({ type: 'close' } satisfies ApiThreadCommand);
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, 5_000).unref());
      await Promise.race([closed.catch(() => undefined), timeout]);
      await worker.terminate();
    },
  };
}
