/**
 * The service calls of the API's commands on the real local stack, before their answer and after it.
 * Every SDK client's `send` is counted (infra/local/simulation/service-calls.ts) with the function whose
 * code made the call (each local function runs in its own environment: its `POWERTOOLS_SERVICE_NAME`),
 * so the API's own calls while a request is open are told apart from the signal dispatcher's and the
 * workflow steps' after it. A command runs over HTTP, one at a time, and waits for the workflow to take
 * it up before the next one.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import type { LocalStack } from '../../infra/local/stack.js';
import { meterServiceCalls, type ServiceCallMeter } from '../../infra/local/simulation/service-calls.js';
import type { TaskPhase } from '../../shared/store/index.js';

export interface CallRecord {
  /** performance.now() when the call was made. */
  at: number;
  /** The function that made it (`api`, `workflow-signals`, …), or `-` outside any function. */
  fn: string;
  /** `DynamoDB:Query`, `Step Functions:SendTaskSuccess`, … */
  call: string;
  /** The scope a caller outside any function ran it in (see `recordCalls().within`), if any. */
  scope: string | undefined;
}

export interface CallRecorder {
  readonly calls: CallRecord[];
  /** Runs `fn` with its calls marked with `scope` (for code that runs in this process outside any function). */
  within<T>(scope: string, fn: () => Promise<T>): Promise<T>;
  stop(): void;
}

/** Starts recording every SDK call of this process. */
export function recordCalls(stack: Pick<LocalStack, 'clock'>): CallRecorder {
  const scopes = new AsyncLocalStorage<string>();
  const calls: CallRecord[] = [];
  const meter: ServiceCallMeter = meterServiceCalls(stack.clock, {
    onCall: (service, operation) =>
      calls.push({
        at: performance.now(),
        fn: process.env.POWERTOOLS_SERVICE_NAME ?? '-',
        call: `${service}:${operation}`,
        scope: scopes.getStore(),
      }),
  });
  return { calls, within: (scope, fn) => scopes.run(scope, fn), stop: () => meter.stop() };
}

export interface TimedCommand {
  status: number;
  /** The API's calls while the request was open, in order. */
  before: string[];
  /** The calls after the answer until the workflow waited again, by function. */
  after: Record<string, string[]>;
  /** Milliseconds from the answer to the signal dispatcher's call to the waiting step (SendTask*), if it made one. */
  toSignal: number | null;
  /** Milliseconds from the answer until the workflow waited in its next phase. */
  toSettled: number;
}

export interface CommandRequest {
  path: string;
  token: string;
  body: unknown;
  /** The phase the milestone's workflow waits in once it has taken the command up (null: none, it is closed). */
  then: TaskPhase | null;
}

/** Polls until `check` answers something, or throws after `timeoutMs`. */
export async function until<T>(check: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Runs one command over HTTP and waits until the school's workflow waits in `then` at the milestone's new
 * version with no signal left in the outbox; the calls before and after the answer.
 */
export async function timedCommand(
  stack: LocalStack,
  recorder: CallRecorder,
  schoolId: string,
  milestone: string,
  request: CommandRequest,
): Promise<TimedCommand> {
  const startIndex = recorder.calls.length;
  const res = await fetch(`${stack.url}${request.path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${request.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(request.body),
  });
  const text = await res.text();
  const answeredAt = performance.now();
  const answerIndex = recorder.calls.length;
  if (res.status !== 200) throw new Error(`${request.path} answered ${res.status}: ${text}`);
  const version = (JSON.parse(text) as { milestone: { version: number } }).milestone.version;
  return settle(
    stack,
    recorder,
    schoolId,
    milestone,
    request.then,
    version,
    { startIndex, answerIndex, answeredAt, status: res.status },
    (c) => c.fn === 'api',
  );
}

/**
 * Waits until the milestone's workflow has taken version `version` up (waits in `then`, or no step waits
 * when `then` is null; the signal is out of the outbox; the runtime is idle); the calls of the window,
 * those `mine` picks counted as before the answer.
 */
export async function settle(
  stack: LocalStack,
  recorder: CallRecorder,
  schoolId: string,
  milestone: string,
  then: TaskPhase | null,
  version: number,
  at: { startIndex: number; answerIndex: number; answeredAt: number; status: number },
  mine: (c: CallRecord) => boolean,
): Promise<TimedCommand> {
  const { startIndex, answerIndex, answeredAt } = at;
  const settledIndex = await until(
    async () => {
      // Read outside any function: not counted as the system's calls (they carry no function name).
      const m = await stack.store.getMilestone(schoolId, milestone);
      const waits = then === null ? m !== null && m.task === null : m?.task?.phase === then && m.task.version === version;
      if (!waits) return false;
      if ((await stack.store.getSignal(schoolId, milestone)) !== null) return false;
      await stack.runtime.idle();
      return recorder.calls.length;
    },
    `the workflow to take version ${version} up (${then ?? 'closed'})`,
  );
  const settledAt = performance.now();
  const window = recorder.calls.slice(startIndex, settledIndex);
  const before = recorder.calls
    .slice(startIndex, answerIndex)
    .filter(mine)
    .map((c) => c.call);
  const after: Record<string, string[]> = {};
  for (const c of window) {
    if (c.fn === '-' || c.fn === 'api') continue; // the polling above and the caller's own calls
    (after[c.fn] ??= []).push(c.call);
  }
  const signal = window.find((c) => c.fn === 'workflow-signals' && /SendTask(Success|Failure)$/.test(c.call));
  return { status: at.status, before, after, toSignal: signal ? signal.at - answeredAt : null, toSettled: settledAt - answeredAt };
}
