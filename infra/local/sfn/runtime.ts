/**
 * The local Step Functions runtime: state machines, executions, the job loop, durable timers,
 * checkpoints and resume, and the programmatic form of the Step Functions API.
 *
 * Scheduling. All changes to executions happen in jobs, run one at a time in FIFO order (a job is one
 * state transition of one frame, or one signal: a task result, a timer, a callback). Task invocations
 * run concurrently outside the loop; when one ends, a job records its result. With a virtual clock
 * (deterministic mode) the loop waits until every invocation in flight has ended and queues their
 * results in a fixed order (execution start order, frame, attempt), so a run depends only on the clock
 * and the inputs. With the system clock, results are applied as they arrive and timers fire by
 * setTimeout.
 *
 * Durability. Each transition is written to the checkpoint store before the next one starts, and
 * before anything leaves the runtime (a task invocation, an API reply). On start, the runtime loads
 * every RUNNING execution and resumes it from its last checkpoint:
 *   - a task whose result was checkpointed is never invoked again;
 *   - a task that was in flight at the crash is invoked again (at-least-once: handlers must be
 *     idempotent, e.g. conditional writes);
 *   - a callback task keeps waiting with the same token (the token stays valid);
 *   - timers (Wait, retry delays, timeouts, heartbeats) are re-armed from their stored due times.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SystemClock, type Clock, type VirtualClock } from '../../../shared/clock.js';
import {
  executionArn as makeExecutionArn,
  parseExecutionArn,
  parseStateMachineArn,
  stateMachineArn as makeStateMachineArn,
  validName,
  type ArnContext,
} from './arn.js';
import { compileDefinition, type CompiledMachine, type CompiledState } from './definition.js';
import { ApiError, DefinitionError, SfnError, StatesErrors } from './errors.js';
import { invokeDynamoDb, invokeLambda, LambdaRegistry, type LambdaHandler } from './integrations.js';
import { Exec, Interpreter, parseTaskToken, type Engine } from './interpreter.js';
import {
  newExecutionHeader,
  type ExecutionHeader,
  type ExecutionStatus,
  type FrameRecord,
  type HistoryEvent,
  type Outcome,
  type ParentLink,
  type StateMachineRecord,
} from './model.js';
import { parseJsonText, stringifyJson } from './json-text.js';
import { MemoryStore, SqliteStore, type CheckpointStore } from './store.js';
import { testState, type TestStateInput, type TestStateOutput } from './test-state.js';
import { TimerQueue } from './timers.js';
import { invalidDefinitionMessage, validateDefinition, type ValidationResult } from './validation.js';

export interface RuntimeOptions {
  /** System clock (default) or a VirtualClock driven by advanceTo/runUntilIdle. */
  clock?: Clock;
  /** 'memory' (default), a data directory for the SQLite checkpoint file, or a store of your own. */
  store?: 'memory' | { dataDir: string; commitEveryWrite?: boolean; synchronous?: 'FULL' | 'NORMAL' } | CheckpointStore;
  /** Lambda handlers by function name or ARN, or a registry. */
  lambdas?: Record<string, LambdaHandler> | LambdaRegistry;
  /** Client for the dynamodb:* integrations (DynamoDB Local). */
  dynamodb?: DynamoDBClient;
  region?: string;
  accountId?: string;
  /** Apply task results in a fixed order (default: true with a virtual clock). */
  deterministic?: boolean;
  /** Longest an execution may run (the service's limit for Standard executions is one year). */
  maxExecutionSeconds?: number;
  /** History events an execution may have before it fails (the service's limit is 25,000). */
  maxHistoryEvents?: number;
  /** Role ARN used when a state machine is created without one. */
  defaultRoleArn?: string;
  /**
   * Load the store's executions but leave them still until `resumeExecutions()` is called: for a host
   * that registers its Lambda handlers after creating the runtime (their environment names the
   * runtime's API endpoint). Resumed executions invoke the tasks that were in flight, and fire the
   * timers already due, at once; before the handlers are there, each such task would fail with
   * Lambda.ResourceNotFoundException. Default false: they resume in the constructor.
   */
  deferResume?: boolean;
}

export interface StateMachineSummary {
  stateMachineArn: string;
  name: string;
  type: 'STANDARD';
  creationDate: Date;
}

export interface DescribeStateMachineOutput extends StateMachineSummary {
  status: 'ACTIVE';
  definition: string;
  roleArn: string;
  revisionId: string;
}

export interface ExecutionSummary {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
}

export interface DescribeExecutionOutput extends ExecutionSummary {
  input: string;
  inputDetails: { included: boolean };
  output?: string;
  outputDetails?: { included: boolean };
  error?: string;
  cause?: string;
  redriveCount: number;
  redriveStatus: 'REDRIVABLE' | 'NOT_REDRIVABLE';
  redriveStatusReason?: string;
  redriveDate?: Date;
}

/** Tags as TagResource takes them, merged into `into`: keys 1–128 characters, values up to 256, at most 50. */
function checkTags(tags: readonly { key?: string; value?: string }[], into: Record<string, string>): Record<string, string> {
  const out = { ...into };
  for (const t of tags) {
    if (typeof t.key !== 'string' || t.key.length < 1 || t.key.length > 128)
      throw new ApiError(
        'ValidationException',
        `1 validation error detected: Value at 'tags.member.key' failed to satisfy constraint: Member must have length between 1 and 128`,
      );
    if (t.value !== undefined && (typeof t.value !== 'string' || t.value.length > 256))
      throw new ApiError(
        'ValidationException',
        `1 validation error detected: Value at 'tags.member.value' failed to satisfy constraint: Member must have length less than or equal to 256`,
      );
    out[t.key] = t.value ?? '';
  }
  if (Object.keys(out).length > MAX_TAGS) throw new ApiError('TooManyTags', `Too many tags: a resource can have at most ${MAX_TAGS} tags`);
  return out;
}

/** A history event as the API returns it (timestamp as a Date, input/output as JSON text). */
export type ApiHistoryEvent = Omit<HistoryEvent, 'timestamp'> & { timestamp: Date };

interface MachineEntry {
  record: StateMachineRecord;
  compiled: CompiledMachine;
  definitionId: string;
}

interface ExecEntry {
  header: ExecutionHeader;
  exec?: Exec;
}

interface Job {
  exec: Exec;
  run: () => Promise<unknown> | unknown;
}

interface Completion {
  exec: Exec;
  frameId: number;
  seq: number;
  outcome: Outcome;
}

const ONE_YEAR_SECONDS = 365 * 24 * 3600;
/** The service redrives an execution up to 14 days after it stopped. */
const REDRIVE_WINDOW_MS = 14 * 24 * 3600 * 1000;
const MAX_TAGS = 50;
const MAX_PAYLOAD = 256 * 1024;
const YIELD_EVERY_MS = 20;
const FLUSH_EVERY_MS = 1_000;

function definitionId(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function hashUuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function seedOf(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

function toDate(ms: number | undefined): Date | undefined {
  return ms === undefined ? undefined : new Date(ms);
}

function pageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

function pageOffset(token: string | undefined): number {
  if (!token) return 0;
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown };
    if (typeof v.o === 'number' && v.o >= 0) return v.o;
  } catch {
    /* fall through */
  }
  throw new ApiError('InvalidToken', `Invalid pagination token: ${token}`);
}

const PAYLOAD_FIELDS = new Set(['input', 'output', 'parameters']);

function apiEvent(e: HistoryEvent): ApiHistoryEvent {
  const out: Record<string, unknown> = { timestamp: new Date(e.timestamp), type: e.type, id: e.id, previousEventId: e.previousEventId };
  for (const [k, v] of Object.entries(e)) {
    if (k === 'timestamp' || k === 'type' || k === 'id' || k === 'previousEventId') continue;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const details: Record<string, unknown> = {};
      for (const [dk, dv] of Object.entries(v as Record<string, unknown>))
        details[dk] = PAYLOAD_FIELDS.has(dk) ? stringifyJson(dv ?? null) : dv;
      out[k] = details;
    } else out[k] = v;
  }
  return out as ApiHistoryEvent;
}

export class Runtime implements Engine {
  readonly clock: Clock;
  readonly region: string;
  readonly accountId: string;
  readonly store: CheckpointStore;
  readonly lambdas: LambdaRegistry;
  readonly dynamodb: DynamoDBClient | undefined;
  readonly deterministic: boolean;
  readonly maxHistoryEvents: number;
  readonly #arnCtx: ArnContext;
  readonly #interp: Interpreter;
  readonly #maxExecutionSeconds: number;
  readonly #defaultRoleArn: string;
  readonly #machines = new Map<string, MachineEntry>();
  readonly #compiled = new Map<string, CompiledMachine>();
  readonly #executions = new Map<string, ExecEntry>();
  readonly #byMachine = new Map<string, ExecutionHeader[]>();
  readonly #timers = new TimerQueue();
  #jobs: Job[] = [];
  #jobHead = 0;
  #completed: Completion[] = [];
  #inflight = 0;
  #driving = false;
  #wake: (() => void) | undefined;
  #idleWaiters: (() => void)[] = [];
  #realTimer: NodeJS.Timeout | undefined;
  #realTimerDue = Infinity;
  #ordinal = 0;
  #closed = false;
  #unsubscribeClock: (() => void) | undefined;
  #finishWaiters = new Map<string, ((h: ExecutionHeader) => void)[]>();
  #lastYield = 0;
  #lastFlush = 0;
  #launches: (() => void)[] = [];
  #pendingTasks = new Set<Promise<unknown>>();
  /** Executions loaded from the store and not yet set going (see RuntimeOptions.deferResume). */
  #toResume: ExecutionHeader[] | undefined;

  constructor(options: RuntimeOptions = {}) {
    this.clock = options.clock ?? new SystemClock();
    this.region = options.region ?? 'eu-central-1';
    this.accountId = options.accountId ?? '000000000000';
    this.#arnCtx = { region: this.region, accountId: this.accountId };
    const store = options.store ?? 'memory';
    this.store =
      store === 'memory'
        ? new MemoryStore()
        : 'dataDir' in store
          ? new SqliteStore(store.dataDir, {
              commitEveryWrite: store.commitEveryWrite ?? false,
              ...(store.synchronous ? { synchronous: store.synchronous } : {}),
            })
          : store;
    this.lambdas = options.lambdas instanceof LambdaRegistry ? options.lambdas : new LambdaRegistry(this.#arnCtx, options.lambdas);
    this.dynamodb = options.dynamodb;
    this.deterministic = options.deterministic ?? this.clock.virtual;
    this.#maxExecutionSeconds = options.maxExecutionSeconds ?? ONE_YEAR_SECONDS;
    this.maxHistoryEvents = options.maxHistoryEvents ?? 25_000;
    this.#defaultRoleArn = options.defaultRoleArn ?? `arn:aws:iam::${this.accountId}:role/StepFunctionsLocal`;
    this.#interp = new Interpreter(this);
    const maybeVirtual = this.clock as Partial<VirtualClock>;
    if (this.clock.virtual && typeof maybeVirtual.onChange === 'function') {
      // Someone else moved the virtual clock: fire what became due.
      this.#unsubscribeClock = maybeVirtual.onChange(() => this.#kick());
    }
    this.#toResume = this.#load();
    if (!options.deferResume) this.resumeExecutions();
  }

  // ================================================================================================
  // Engine (called by the interpreter)
  // ================================================================================================

  nowMs(): number {
    return this.clock.nowMs();
  }

  checkpoint(exec: Exec): void {
    exec.header.rng = exec.rng.state;
    const frames = exec.dirty.size > 0 ? [...exec.dirty] : [];
    this.store.write({ header: exec.header, frames, deletedFrames: exec.deleted, events: exec.events });
    exec.dirty.clear();
    if (exec.deleted.length > 0) exec.deleted = [];
    if (exec.events.length > 0) exec.events = [];
  }

  schedule(exec: Exec, frame: FrameRecord): void {
    this.#enqueue({ exec, run: () => this.#interp.run(exec, frame) });
  }

  setTimer(exec: Exec, frame: FrameRecord, due: number): void {
    const seq = ++exec.header.seq;
    frame.timer = { due, seq };
    exec.touch(frame);
    this.#timers.push({ due, ordinal: exec.header.ordinal, seq, executionArn: exec.header.arn, frameId: frame.id });
    this.#armRealTimer();
  }

  invoke(exec: Exec, frame: FrameRecord, state: CompiledState): void {
    // Everything up to this attempt is durable before the invocation can have an effect: invocations
    // wait in #launches until the loop is about to wait or yield, then one flush (one sync) covers all
    // of them (group commit).
    this.#inflight++;
    this.#launches.push(() => this.#launch(exec, frame, state));
    this.#kick();
  }

  /** Flushes the store once, then starts every invocation queued since the last time. */
  #launchQueued(): void {
    if (this.#launches.length === 0) return;
    this.store.flush();
    this.#lastFlush = Date.now();
    const launches = this.#launches;
    this.#launches = [];
    for (const launch of launches) launch();
  }

  #launch(exec: Exec, frame: FrameRecord, state: CompiledState): void {
    const seq = frame.seq;
    const frameId = frame.id;
    const resource = state.resource!;
    const args = frame.args;
    const attemptKey = `${exec.header.arn}/${frameId}/${seq}`;
    let work: Promise<unknown>;
    switch (resource.kind) {
      case 'lambda:invoke':
      case 'lambda:function':
        work = Promise.resolve().then(() =>
          invokeLambda({
            registry: this.lambdas,
            kind: resource.kind as 'lambda:invoke' | 'lambda:function',
            args,
            ...(resource.functionArn ? { functionArn: resource.functionArn } : {}),
            attemptKey,
            nowMs: () => this.nowMs(),
            ...(frame.timeoutAt !== undefined ? { deadlineMs: frame.timeoutAt } : {}),
          }),
        );
        break;
      case 'states:startExecution':
        work = Promise.resolve().then(() =>
          this.#startChild(exec, frame, resource.pattern === 'sync' || resource.pattern === 'sync2', args),
        );
        break;
      default:
        work = Promise.resolve().then(() => invokeDynamoDb(this.dynamodb, resource.kind, args));
    }
    const tracked = work
      .then(
        (value): Outcome => ({ ok: true, value }),
        (err: unknown): Outcome => {
          const e = err instanceof SfnError ? err : new SfnError(StatesErrors.TaskFailed, err instanceof Error ? err.message : String(err));
          return { ok: false, error: e.error, cause: e.causeText };
        },
      )
      .then((outcome) => {
        this.#inflight--;
        this.#pendingTasks.delete(tracked);
        if (this.#closed) return;
        this.#completed.push({ exec, frameId, seq, outcome });
        if (!this.deterministic || this.#inflight === 0) this.#wakeUp();
        this.#kick();
      });
    this.#pendingTasks.add(tracked);
  }

  dropped(exec: Exec, frame: FrameRecord): void {
    if (frame.phase === 'sync' && frame.child) {
      const child = this.#executions.get(frame.child)?.exec;
      if (child?.running)
        this.#enqueue({
          exec: child,
          run: () =>
            this.#interp.finish(child, 'ABORTED', {
              error: 'States.Aborted',
              cause: `The parent execution ${exec.header.arn} stopped waiting for it`,
            }),
        });
    }
  }

  finished(exec: Exec): void {
    this.store.flush();
    const entry = this.#executions.get(exec.header.arn);
    if (entry) entry.exec = undefined;
    const waiters = this.#finishWaiters.get(exec.header.arn);
    if (waiters) {
      this.#finishWaiters.delete(exec.header.arn);
      for (const w of waiters) w(exec.header);
    }
    this.#notifyParent(exec.header);
  }

  // ================================================================================================
  // Job loop
  // ================================================================================================

  #enqueue(job: Job): void {
    this.#jobs.push(job);
    this.#wakeUp();
    this.#kick();
  }

  #wakeUp(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  #kick(): void {
    if (this.#driving || this.#closed) return;
    this.#driving = true;
    queueMicrotask(() => void this.#drive());
  }

  async #drive(): Promise<void> {
    try {
      for (;;) {
        if (this.#closed) break;
        if (this.#jobHead < this.#jobs.length) {
          const job = this.#jobs[this.#jobHead]!;
          this.#jobs[this.#jobHead++] = undefined as unknown as Job;
          if (this.#jobHead > 1024 && this.#jobHead * 2 > this.#jobs.length) {
            this.#jobs = this.#jobs.slice(this.#jobHead);
            this.#jobHead = 0;
          }
          if (job.exec.running) {
            await job.run();
            if (job.exec.dirty.size > 0 || job.exec.events.length > 0 || job.exec.deleted.length > 0) this.checkpoint(job.exec);
          }
          // Let I/O (API requests, real timers) in now and then. Whatever leaves the runtime flushes
          // first; the periodic flush only bounds the work a crash would make the loop do again.
          const now = Date.now();
          if (now - this.#lastYield > YIELD_EVERY_MS) {
            this.#lastYield = now;
            this.#launchQueued();
            if (now - this.#lastFlush > FLUSH_EVERY_MS) {
              this.#lastFlush = now;
              this.store.flush();
            }
            await new Promise((resolve) => setImmediate(resolve));
          }
          continue;
        }
        if (this.#completed.length > 0 && (!this.deterministic || this.#inflight === 0)) {
          this.#flushCompleted();
          continue;
        }
        if (this.#fireDueTimers()) continue;
        if (this.#inflight > 0) {
          this.#launchQueued();
          this.store.flush();
          await new Promise<void>((resolve) => {
            this.#wake = resolve;
          });
          continue;
        }
        break;
      }
    } finally {
      if (!this.#closed) this.store.flush();
      this.#driving = false;
      this.#armRealTimer();
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  #flushCompleted(): void {
    const done = this.#completed;
    this.#completed = [];
    if (this.deterministic) {
      done.sort((a, b) => a.exec.header.ordinal - b.exec.header.ordinal || a.frameId - b.frameId || a.seq - b.seq);
    }
    for (const c of done) {
      this.#jobs.push({ exec: c.exec, run: () => this.#interp.taskReturned(c.exec, c.exec.frames.get(c.frameId), c.seq, c.outcome) });
    }
  }

  /** Queues the jobs of every timer due now (in time order). Returns true when it queued something. */
  #fireDueTimers(): boolean {
    const now = this.nowMs();
    let fired = false;
    for (;;) {
      const top = this.#timers.peek();
      if (!top || top.due > now) break;
      this.#timers.pop();
      const entry = this.#executions.get(top.executionArn);
      const exec = entry?.exec;
      if (!exec?.running) continue;
      if (top.frameId === -1) {
        this.#jobs.push({
          exec,
          run: () =>
            this.#interp.finish(exec, 'TIMED_OUT', {
              error: StatesErrors.Timeout,
              cause: 'The execution ran longer than its TimeoutSeconds',
            }),
        });
        fired = true;
        continue;
      }
      const frame = exec.frames.get(top.frameId);
      if (!frame || frame.timer?.seq !== top.seq) continue;
      this.#jobs.push({ exec, run: () => this.#interp.timerFired(exec, frame, top.seq) });
      fired = true;
    }
    return fired;
  }

  /** The next live timer (skipping stale entries). */
  #nextTimer(): number | undefined {
    for (;;) {
      const top = this.#timers.peek();
      if (!top) return undefined;
      const exec = this.#executions.get(top.executionArn)?.exec;
      const live = exec?.running && (top.frameId === -1 || exec.frames.get(top.frameId)?.timer?.seq === top.seq);
      if (live) return top.due;
      this.#timers.pop();
    }
  }

  #armRealTimer(): void {
    if (this.clock.virtual || this.#closed || this.#driving) return;
    const due = this.#nextTimer();
    if (due === undefined) return;
    if (this.#realTimer && this.#realTimerDue <= due) return;
    if (this.#realTimer) clearTimeout(this.#realTimer);
    this.#realTimerDue = due;
    const delay = Math.min(Math.max(0, due - this.nowMs()), 2 ** 31 - 1);
    this.#realTimer = setTimeout(() => {
      this.#realTimer = undefined;
      this.#realTimerDue = Infinity;
      this.#kick();
    }, delay);
    this.#realTimer.unref();
  }

  /** Resolves when no job is queued, no task is in flight and no timer is due at the current time. */
  idle(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const busy = this.#driving || this.#jobHead < this.#jobs.length || this.#inflight > 0 || this.#completed.length > 0;
    const due = this.#nextTimer();
    if (!busy && (due === undefined || due > this.nowMs())) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#idleWaiters.push(resolve);
      this.#kick();
    }).then(() => this.idle());
  }

  #virtualClock(): VirtualClock {
    const c = this.clock as VirtualClock;
    if (!this.clock.virtual || typeof c.setTo !== 'function') throw new Error('advanceTo/runUntilIdle need a VirtualClock');
    return c;
  }

  /**
   * Virtual time: fires every timer due up to `target` in time order, setting the clock to each
   * timer's time and running the executions until they block again; then sets the clock to `target`.
   */
  async advanceTo(target: Date | number | string): Promise<void> {
    const clock = this.#virtualClock();
    const targetMs = new Date(target).getTime();
    await this.idle();
    for (;;) {
      const due = this.#nextTimer();
      if (due === undefined || due > targetMs) break;
      if (due > clock.nowMs()) clock.setTo(due);
      await this.idle();
    }
    if (targetMs > clock.nowMs()) clock.setTo(targetMs);
    await this.idle();
  }

  /** Virtual time: advances from timer to timer until none is pending, or until `limit` (a date, default none). */
  async runUntilIdle(options: { limit?: Date | number | string; maxTimers?: number } = {}): Promise<{ now: Date; pendingTimers: boolean }> {
    const clock = this.#virtualClock();
    const limitMs = options.limit === undefined ? Infinity : new Date(options.limit).getTime();
    let steps = 0;
    await this.idle();
    for (;;) {
      const due = this.#nextTimer();
      if (due === undefined || due > limitMs || steps >= (options.maxTimers ?? Infinity)) break;
      if (due > clock.nowMs()) clock.setTo(due);
      steps++;
      await this.idle();
    }
    if (Number.isFinite(limitMs) && limitMs > clock.nowMs() && this.#nextTimer() === undefined) clock.setTo(limitMs);
    return { now: clock.now(), pendingTimers: this.#nextTimer() !== undefined };
  }

  /** Same as runUntilIdle({ limit }). */
  advanceUntilIdle(limit?: Date | number | string): Promise<{ now: Date; pendingTimers: boolean }> {
    return this.runUntilIdle(limit === undefined ? {} : { limit });
  }

  /** The due time of the next pending timer. */
  nextTimerDue(): Date | undefined {
    return toDate(this.#nextTimer());
  }

  // ================================================================================================
  // Resume
  // ================================================================================================

  /** State machines and executions from the store, every RUNNING one with its frames (nothing set going yet). */
  #load(): ExecutionHeader[] {
    for (const record of this.store.loadStateMachines()) {
      if (record.deleted) continue;
      const id = definitionId(record.definition);
      this.#machines.set(record.arn, { record, compiled: this.#compile(record.definition, id), definitionId: id });
    }
    const headers = this.store.loadExecutions().sort((a, b) => a.ordinal - b.ordinal);
    for (const header of headers) {
      this.#ordinal = Math.max(this.#ordinal, header.ordinal + 1);
      const entry: ExecEntry = { header };
      this.#executions.set(header.arn, entry);
      this.#indexExecution(header);
      if (header.status !== 'RUNNING') continue;
      const text = this.store.getDefinition(header.definitionId);
      if (text === undefined) throw new Error(`Checkpoint store: the definition ${header.definitionId} of ${header.arn} is missing`);
      const exec = new Exec(header, this.#compile(text, header.definitionId), () => this.nowMs());
      entry.exec = exec;
      for (const frame of this.store.loadFrames(header.arn)) exec.frames.set(frame.id, frame);
    }
    return headers;
  }

  /**
   * Sets the executions loaded from the store going: re-arms their timers, re-queues ready frames and
   * re-invokes the tasks in flight at the crash, in start order. The constructor calls it unless
   * `deferResume` is set; then the host calls it once its Lambda handlers are registered.
   */
  resumeExecutions(): void {
    const headers = this.#toResume;
    if (headers === undefined) throw new Error('resumeExecutions: the executions were resumed already');
    this.#toResume = undefined;
    for (const header of headers) {
      const exec = this.#executions.get(header.arn)?.exec;
      if (!exec) continue;
      if (header.timeoutAt !== undefined)
        this.#timers.push({ due: header.timeoutAt, ordinal: header.ordinal, seq: 0, executionArn: header.arn, frameId: -1 });
      for (const frame of [...exec.frames.values()].sort((a, b) => a.id - b.id)) {
        if (frame.timer)
          this.#timers.push({
            due: frame.timer.due,
            ordinal: header.ordinal,
            seq: frame.timer.seq,
            executionArn: header.arn,
            frameId: frame.id,
          });
        switch (frame.phase) {
          case 'enter':
          case 'attempt':
          case 'outcome':
          case 'redrive':
            this.schedule(exec, frame);
            break;
          case 'task':
            // In flight at the crash: invoked again (at-least-once).
            this.invoke(exec, frame, exec.machine.states.get(frame.state)!);
            break;
          case 'callback':
          case 'sync':
            if (!frame.invoked) this.invoke(exec, frame, exec.machine.states.get(frame.state)!);
            else if (frame.phase === 'sync' && frame.child) {
              const child = this.#executions.get(frame.child)?.header;
              if (child && child.status !== 'RUNNING') this.#notifyParent(child);
            }
            break;
          default:
            break;
        }
      }
    }
    this.#kick();
  }

  #compile(text: string, id: string): CompiledMachine {
    let compiled = this.#compiled.get(id);
    if (!compiled) {
      compiled = compileDefinition(text);
      this.#compiled.set(id, compiled);
    }
    return compiled;
  }

  #indexExecution(header: ExecutionHeader): void {
    let list = this.#byMachine.get(header.stateMachineArn);
    if (!list) this.#byMachine.set(header.stateMachineArn, (list = []));
    list.push(header);
  }

  // ================================================================================================
  // State machines
  // ================================================================================================

  stateMachineArn(name: string): string {
    return makeStateMachineArn(this.#arnCtx, name);
  }

  /** CreateStateMachine. A definition the runtime cannot run is refused (InvalidDefinition) with the state and field. */
  createStateMachine(input: {
    name: string;
    definition: string | object;
    roleArn?: string;
    type?: string;
    tags?: readonly { key?: string; value?: string }[];
  }): { stateMachineArn: string; creationDate: Date } {
    if (typeof input.name !== 'string' || !validName(input.name))
      throw new ApiError('InvalidName', `Invalid Name: '${String(input.name)}'`);
    if (input.type !== undefined && input.type !== 'STANDARD')
      throw new ApiError('ValidationException', `The local runtime runs STANDARD state machines only, not ${input.type}`);
    const text = typeof input.definition === 'string' ? input.definition : JSON.stringify(input.definition);
    const compiled = this.#compileOrThrow(text);
    const arn = this.stateMachineArn(input.name);
    const roleArn = input.roleArn ?? this.#defaultRoleArn;
    const existing = this.#machines.get(arn);
    if (existing) {
      if (existing.record.definition === text && existing.record.roleArn === roleArn)
        return { stateMachineArn: arn, creationDate: new Date(existing.record.creationDate) };
      throw new ApiError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
    }
    const id = definitionId(text);
    const tags = input.tags ? checkTags(input.tags, {}) : undefined;
    const record: StateMachineRecord = {
      arn,
      name: input.name,
      definition: text,
      roleArn,
      type: 'STANDARD',
      creationDate: this.nowMs(),
      revision: 1,
      ...(tags ? { tags } : {}),
    };
    this.store.putDefinition(id, text);
    this.store.putStateMachine(record);
    this.store.flush();
    this.#machines.set(arn, { record, compiled, definitionId: id });
    return { stateMachineArn: arn, creationDate: new Date(record.creationDate) };
  }

  /** UpdateStateMachine: new executions run the new definition; running ones keep theirs. */
  updateStateMachine(input: { stateMachineArn: string; definition?: string | object; roleArn?: string }): {
    updateDate: Date;
    revisionId: string;
  } {
    const entry = this.#machine(input.stateMachineArn);
    const record = { ...entry.record };
    let compiled = entry.compiled;
    let id = entry.definitionId;
    if (input.definition !== undefined) {
      const text = typeof input.definition === 'string' ? input.definition : JSON.stringify(input.definition);
      compiled = this.#compileOrThrow(text);
      if (text !== record.definition) {
        id = definitionId(text);
        record.definition = text;
        record.revision++;
        this.store.putDefinition(id, text);
      }
    }
    if (input.roleArn !== undefined) record.roleArn = input.roleArn;
    record.updateDate = this.nowMs();
    this.store.putStateMachine(record);
    this.store.flush();
    this.#machines.set(record.arn, { record, compiled, definitionId: id });
    return { updateDate: new Date(record.updateDate), revisionId: String(record.revision) };
  }

  /** Creates the state machine, or updates its definition when it exists (used by template loading). */
  putStateMachine(input: { name: string; definition: string | object; roleArn?: string }): { stateMachineArn: string } {
    const arn = this.stateMachineArn(input.name);
    if (this.#machines.has(arn))
      this.updateStateMachine({ stateMachineArn: arn, definition: input.definition, ...(input.roleArn ? { roleArn: input.roleArn } : {}) });
    else this.createStateMachine(input);
    return { stateMachineArn: arn };
  }

  describeStateMachine(input: { stateMachineArn: string }): DescribeStateMachineOutput {
    const { record } = this.#machine(input.stateMachineArn);
    return {
      stateMachineArn: record.arn,
      name: record.name,
      status: 'ACTIVE',
      definition: record.definition,
      roleArn: record.roleArn,
      type: 'STANDARD',
      creationDate: new Date(record.creationDate),
      revisionId: String(record.revision),
    };
  }

  listStateMachines(input: { maxResults?: number; nextToken?: string } = {}): { stateMachines: StateMachineSummary[]; nextToken?: string } {
    const all = [...this.#machines.values()].map((m) => m.record).sort((a, b) => a.name.localeCompare(b.name));
    const offset = pageOffset(input.nextToken);
    const max = input.maxResults && input.maxResults > 0 ? Math.min(input.maxResults, 1000) : 100;
    const page = all.slice(offset, offset + max);
    return {
      stateMachines: page.map((r) => ({ stateMachineArn: r.arn, name: r.name, type: 'STANDARD', creationDate: new Date(r.creationDate) })),
      ...(offset + max < all.length ? { nextToken: pageToken(offset + max) } : {}),
    };
  }

  #compileOrThrow(text: string): CompiledMachine {
    try {
      const id = definitionId(text);
      return this.#compile(text, id);
    } catch (err) {
      if (err instanceof DefinitionError) throw new ApiError('InvalidDefinition', invalidDefinitionMessage(err, text));
      throw err;
    }
  }

  #machine(arn: string): MachineEntry {
    const entry = this.#machines.get(arn);
    if (!entry) throw new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return entry;
  }

  // ================================================================================================
  // Executions
  // ================================================================================================

  /**
   * StartExecution. The same name with the same input returns the running execution; a name already
   * used otherwise (another input, or a closed execution) is ExecutionAlreadyExists, as in the service.
   */
  startExecution(input: { stateMachineArn: string; name?: string; input?: string }): { executionArn: string; startDate: Date } {
    return this.#start(input, undefined);
  }

  #start(
    input: { stateMachineArn: string; name?: string; input?: string },
    parent: ParentLink | undefined,
  ): { executionArn: string; startDate: Date } {
    const machine = this.#machine(input.stateMachineArn);
    const name = input.name ?? (this.deterministic ? hashUuid(`${machine.record.arn}:${this.#ordinal}`) : randomUUID());
    if (!validName(name)) throw new ApiError('InvalidName', `Invalid Name: '${name}'`);
    const text = input.input ?? '{}';
    if (Buffer.byteLength(text) > MAX_PAYLOAD) throw new ApiError('InvalidExecutionInput', 'The execution input is larger than 256 KiB');
    try {
      JSON.parse(text);
    } catch (err) {
      throw new ApiError('InvalidExecutionInput', `Invalid execution input: ${(err as Error).message}`);
    }
    const arn = makeExecutionArn(this.#arnCtx, machine.record.name, name);
    const existing = this.#executions.get(arn);
    if (existing) {
      const h = existing.header;
      const sameParent = parent && h.parent && h.parent.executionArn === parent.executionArn && h.parent.frameId === parent.frameId;
      if (h.input === text && (h.status === 'RUNNING' || sameParent)) {
        if (parent && sameParent) h.parent = parent;
        return { executionArn: arn, startDate: new Date(h.startDate) };
      }
      throw new ApiError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const now = this.nowMs();
    const ordinal = this.#ordinal++;
    const compiled = machine.compiled;
    const timeoutSeconds = Math.min(compiled.timeoutSeconds ?? Infinity, this.#maxExecutionSeconds);
    const header = newExecutionHeader({
      arn,
      name,
      stateMachineArn: machine.record.arn,
      stateMachineName: machine.record.name,
      definitionId: machine.definitionId,
      roleArn: machine.record.roleArn,
      ordinal,
      input: text,
      startDate: now,
      rng: seedOf(arn),
      ...(Number.isFinite(timeoutSeconds) ? { timeoutAt: now + timeoutSeconds * 1000 } : {}),
      ...(parent ? { parent } : {}),
    });
    const exec = new Exec(header, compiled, () => this.nowMs());
    const frame = this.#interp.start(exec);
    this.checkpoint(exec);
    this.#executions.set(arn, { header, exec });
    this.#indexExecution(header);
    if (header.timeoutAt !== undefined) {
      this.#timers.push({ due: header.timeoutAt, ordinal, seq: 0, executionArn: arn, frameId: -1 });
      this.#armRealTimer();
    }
    this.schedule(exec, frame);
    // Started through the API: durable before the reply. Started by a parent's task (which may run
    // while another execution is between two writes of a transition, where no flush may happen): the
    // parent's recorded result is what makes it durable, and until then a restart invokes that task
    // again, which starts the same child (its name comes from the attempt).
    if (!parent) this.store.flush();
    return { executionArn: arn, startDate: new Date(now) };
  }

  /** The states:startExecution integration: starts the child (idempotently) and links it to the task. */
  #startChild(parentExec: Exec, frame: FrameRecord, waits: boolean, args: unknown): { ExecutionArn: string; StartDate: string } {
    if (!args || typeof args !== 'object' || Array.isArray(args))
      throw new SfnError('States.Runtime', 'The states:startExecution Arguments must be an object with StateMachineArn');
    const a = args as { StateMachineArn?: unknown; Input?: unknown; Name?: unknown };
    if (typeof a.StateMachineArn !== 'string')
      throw new SfnError('States.Runtime', 'The states:startExecution Arguments need a StateMachineArn string');
    const input = a.Input === undefined ? '{}' : typeof a.Input === 'string' ? a.Input : JSON.stringify(a.Input);
    // Without a Name, the name is derived from the attempt, so invoking it again after a crash starts nothing new.
    const name = typeof a.Name === 'string' ? a.Name : hashUuid(`${parentExec.header.arn}/${frame.id}/${frame.seq}`);
    try {
      const started = this.#start(
        { stateMachineArn: a.StateMachineArn, name, input },
        { executionArn: parentExec.header.arn, frameId: frame.id, seq: frame.seq, waits },
      );
      return { ExecutionArn: started.executionArn, StartDate: started.startDate.toISOString() };
    } catch (err) {
      if (err instanceof ApiError) throw new SfnError(`StepFunctions.${err.code}Exception`, err.message);
      throw err;
    }
  }

  #notifyParent(child: ExecutionHeader): void {
    const link = child.parent;
    if (!link?.waits) return;
    const parent = this.#executions.get(link.executionArn)?.exec;
    if (!parent?.running) return;
    const describe = this.#describeForSync(
      child,
      parent.machine.states.get(parent.frames.get(link.frameId)?.state ?? '')?.resource?.pattern === 'sync',
    );
    this.#enqueue({ exec: parent, run: () => this.#interp.childEnded(parent, parent.frames.get(link.frameId), link.seq, child, describe) });
  }

  /** DescribeExecution as `.sync:2` returns it (Input/Output parsed as JSON); `.sync` keeps them as text. */
  #describeForSync(h: ExecutionHeader, asText: boolean): Record<string, unknown> {
    const parse = (s: string | undefined) => (s === undefined ? undefined : asText ? s : parseJsonText(s));
    const d: Record<string, unknown> = {
      ExecutionArn: h.arn,
      Input: parse(h.input),
      InputDetails: { Included: true },
      Name: h.name,
      RedriveCount: h.redriveCount ?? 0,
      RedriveStatus: this.#redriveStatus(h).redriveStatus,
      StartDate: h.startDate,
      StateMachineArn: h.stateMachineArn,
      Status: h.status,
      StopDate: h.stopDate,
    };
    if (h.output !== undefined) {
      d.Output = parse(h.output);
      d.OutputDetails = { Included: true };
    }
    if (h.error !== undefined) d.Error = h.error;
    if (h.cause !== undefined) d.Cause = h.cause;
    return d;
  }

  #execution(arn: string): ExecEntry {
    const entry = this.#executions.get(arn);
    if (!entry) {
      if (!parseExecutionArn(arn)) throw new ApiError('InvalidArn', `Invalid Arn: '${arn}'`);
      throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    }
    return entry;
  }

  describeExecution(input: { executionArn: string }): DescribeExecutionOutput {
    this.store.flush();
    const h = this.#execution(input.executionArn).header;
    return {
      executionArn: h.arn,
      stateMachineArn: h.stateMachineArn,
      name: h.name,
      status: h.status,
      startDate: new Date(h.startDate),
      ...(h.stopDate !== undefined ? { stopDate: new Date(h.stopDate) } : {}),
      input: h.input,
      inputDetails: { included: true },
      ...(h.output !== undefined ? { output: h.output, outputDetails: { included: true } } : {}),
      ...(h.error !== undefined ? { error: h.error } : {}),
      ...(h.cause !== undefined ? { cause: h.cause } : {}),
      redriveCount: h.redriveCount ?? 0,
      ...this.#redriveStatus(h),
      ...(h.redriveDate !== undefined ? { redriveDate: new Date(h.redriveDate) } : {}),
    };
  }

  /** ListExecutions, most recent first. */
  listExecutions(input: { stateMachineArn: string; statusFilter?: ExecutionStatus; maxResults?: number; nextToken?: string }): {
    executions: ExecutionSummary[];
    nextToken?: string;
  } {
    this.#machine(input.stateMachineArn);
    this.store.flush();
    const all = (this.#byMachine.get(input.stateMachineArn) ?? []).filter((h) => !input.statusFilter || h.status === input.statusFilter);
    const offset = pageOffset(input.nextToken);
    const max = input.maxResults && input.maxResults > 0 ? Math.min(input.maxResults, 1000) : 100;
    const executions: ExecutionSummary[] = [];
    for (let i = all.length - 1 - offset; i >= 0 && executions.length < max; i--) {
      const h = all[i]!;
      executions.push({
        executionArn: h.arn,
        stateMachineArn: h.stateMachineArn,
        name: h.name,
        status: h.status,
        startDate: new Date(h.startDate),
        ...(h.stopDate !== undefined ? { stopDate: new Date(h.stopDate) } : {}),
      });
    }
    return { executions, ...(offset + max < all.length ? { nextToken: pageToken(offset + max) } : {}) };
  }

  getExecutionHistory(input: { executionArn: string; maxResults?: number; nextToken?: string; reverseOrder?: boolean }): {
    events: ApiHistoryEvent[];
    nextToken?: string;
  } {
    const entry = this.#execution(input.executionArn);
    this.store.flush();
    let events = this.store.history(entry.header.arn);
    const pending = entry.exec?.events ?? [];
    if (pending.length > 0) events = [...events, ...pending];
    const ordered = input.reverseOrder ? [...events].reverse() : events;
    const offset = pageOffset(input.nextToken);
    const max = input.maxResults && input.maxResults > 0 ? Math.min(input.maxResults, 1000) : 100;
    return {
      events: ordered.slice(offset, offset + max).map(apiEvent),
      ...(offset + max < ordered.length ? { nextToken: pageToken(offset + max) } : {}),
    };
  }

  /** StopExecution: the execution ends ABORTED. */
  async stopExecution(input: { executionArn: string; error?: string; cause?: string }): Promise<{ stopDate: Date }> {
    const entry = this.#execution(input.executionArn);
    const exec = entry.exec;
    if (exec?.running) {
      await this.#runJob(exec, () =>
        this.#interp.finish(exec, 'ABORTED', {
          ...(input.error ? { error: input.error } : {}),
          ...(input.cause ? { cause: input.cause } : {}),
        }),
      );
    }
    return { stopDate: new Date(entry.header.stopDate ?? this.nowMs()) };
  }

  /** Resolves with the execution's final description once it has ended. */
  waitForExecution(executionArn: string): Promise<DescribeExecutionOutput> {
    const entry = this.#execution(executionArn);
    if (entry.header.status !== 'RUNNING') return Promise.resolve(this.describeExecution({ executionArn }));
    return new Promise((resolve) => {
      const list = this.#finishWaiters.get(executionArn) ?? [];
      list.push(() => resolve(this.describeExecution({ executionArn })));
      this.#finishWaiters.set(executionArn, list);
    });
  }

  /** Runs `fn` as a job of the loop (after the jobs already queued) and resolves with its result. */
  #runJob<T>(exec: Exec, fn: () => Promise<T> | T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#enqueue({
        exec,
        run: async () => {
          try {
            const result = await fn();
            // The caller's request is answered only once its effect is durable.
            this.checkpoint(exec);
            this.store.flush();
            resolve(result);
          } catch (err) {
            reject(err);
          }
        },
      });
      // A job of an execution that ended meanwhile is skipped: settle the caller anyway.
      void this.idle().then(() => reject(new ApiError('TaskTimedOut', 'Task Timed Out: the execution has ended')));
    });
  }

  #taskOf(token: string): { exec: Exec; seq: number; frameId: number } {
    const parsed = parseTaskToken(token);
    if (!parsed) throw new ApiError('InvalidToken', `Invalid Token: '${String(token).slice(0, 64)}'`);
    const entry = this.#executions.get(parsed.e);
    if (!entry) throw new ApiError('TaskDoesNotExist', 'Task Does Not Exist: the token names no known execution');
    if (!entry.exec?.running) throw new ApiError('TaskTimedOut', 'Task Timed Out: the execution has ended');
    return { exec: entry.exec, seq: parsed.s, frameId: parsed.f };
  }

  async sendTaskSuccess(input: { taskToken: string; output: string }): Promise<Record<string, never>> {
    const { exec, seq, frameId } = this.#taskOf(input.taskToken);
    if (typeof input.output !== 'string' || Buffer.byteLength(input.output) > MAX_PAYLOAD)
      throw new ApiError('InvalidOutput', 'The output must be JSON text of at most 256 KiB');
    let value: unknown;
    try {
      value = parseJsonText(input.output);
    } catch (err) {
      throw new ApiError('InvalidOutput', `Invalid Output: ${(err as Error).message}`);
    }
    const accepted = await this.#runJob(exec, () => this.#interp.callback(exec, exec.frames.get(frameId), seq, { ok: true, value }));
    if (!accepted) throw new ApiError('TaskTimedOut', 'Task Timed Out: the task of this token is no longer waiting');
    return {};
  }

  async sendTaskFailure(input: { taskToken: string; error?: string; cause?: string }): Promise<Record<string, never>> {
    const { exec, seq, frameId } = this.#taskOf(input.taskToken);
    if (input.error !== undefined && input.error.length > 256) throw new ApiError('ValidationException', 'error: at most 256 characters');
    if (input.cause !== undefined && input.cause.length > 32768)
      throw new ApiError('ValidationException', 'cause: at most 32768 characters');
    const accepted = await this.#runJob(exec, () =>
      this.#interp.callback(exec, exec.frames.get(frameId), seq, { ok: false, error: input.error ?? '', cause: input.cause ?? '' }),
    );
    if (!accepted) throw new ApiError('TaskTimedOut', 'Task Timed Out: the task of this token is no longer waiting');
    return {};
  }

  async sendTaskHeartbeat(input: { taskToken: string }): Promise<Record<string, never>> {
    const { exec, seq, frameId } = this.#taskOf(input.taskToken);
    const accepted = await this.#runJob(exec, () => this.#interp.heartbeat(exec, exec.frames.get(frameId), seq));
    if (!accepted) throw new ApiError('TaskTimedOut', 'Task Timed Out: the task of this token is no longer waiting');
    return {};
  }

  /** The task tokens of the callback tasks waiting in an execution (handy in tests and tools). */
  waitingTaskTokens(executionArn: string): { state: string; token: string }[] {
    const exec = this.#execution(executionArn).exec;
    if (!exec) return [];
    return [...exec.frames.values()].filter((f) => f.phase === 'callback' && f.token).map((f) => ({ state: f.state, token: f.token! }));
  }

  /** Counters for benchmarks and tools. */
  stats(): { executions: number; running: number; transitions: number; pendingTimers: number } {
    let running = 0;
    let transitions = 0;
    for (const e of this.#executions.values()) {
      if (e.header.status === 'RUNNING') running++;
      transitions += e.header.transitions;
    }
    return { executions: this.#executions.size, running, transitions, pendingTimers: this.#timers.size };
  }

  registerLambda(nameOrArn: string, handler: LambdaHandler, options?: { timeoutSeconds?: number }): void {
    this.lambdas.register(nameOrArn, handler, options);
  }

  // ================================================================================================
  // API operations beyond running executions: DeleteStateMachine, DescribeStateMachineForExecution,
  // tags, RedriveExecution, ValidateStateMachineDefinition, TestState
  // ================================================================================================

  /** DeleteStateMachine: new executions are refused; running ones go on; all stay readable. Idempotent. */
  deleteStateMachine(input: { stateMachineArn: string }): Record<string, never> {
    if (!parseStateMachineArn(input.stateMachineArn)) throw new ApiError('InvalidArn', `Invalid Arn: '${input.stateMachineArn}'`);
    const entry = this.#machines.get(input.stateMachineArn);
    if (entry) {
      this.store.putStateMachine({ ...entry.record, deleted: true });
      this.store.flush();
      this.#machines.delete(input.stateMachineArn);
    }
    return {};
  }

  /** DescribeStateMachineForExecution: the definition the execution runs (not the machine's latest). */
  describeStateMachineForExecution(input: { executionArn: string }): {
    stateMachineArn: string;
    name: string;
    definition: string;
    roleArn: string;
    updateDate: Date;
    revisionId?: string;
  } {
    const h = this.#execution(input.executionArn).header;
    const definition = this.store.getDefinition(h.definitionId);
    if (definition === undefined) throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${h.arn}'`);
    const record = this.#machines.get(h.stateMachineArn)?.record;
    return {
      stateMachineArn: h.stateMachineArn,
      name: h.stateMachineName,
      definition,
      roleArn: h.roleArn,
      updateDate: new Date(record?.updateDate ?? record?.creationDate ?? h.startDate),
      ...(record && record.definition === definition ? { revisionId: String(record.revision) } : {}),
    };
  }

  #taggable(resourceArn: string): MachineEntry {
    const entry = this.#machines.get(resourceArn);
    if (!entry) {
      if (!parseStateMachineArn(resourceArn)) throw new ApiError('InvalidArn', `Invalid Arn: '${resourceArn}'`);
      throw new ApiError('ResourceNotFound', `Resource not found: '${resourceArn}'`);
    }
    return entry;
  }

  #putRecord(entry: MachineEntry, record: StateMachineRecord): void {
    this.store.putStateMachine(record);
    this.store.flush();
    this.#machines.set(record.arn, { ...entry, record });
  }

  tagResource(input: { resourceArn: string; tags: readonly { key?: string; value?: string }[] }): Record<string, never> {
    const entry = this.#taggable(input.resourceArn);
    this.#putRecord(entry, { ...entry.record, tags: checkTags(input.tags, entry.record.tags ?? {}) });
    return {};
  }

  untagResource(input: { resourceArn: string; tagKeys: readonly string[] }): Record<string, never> {
    const entry = this.#taggable(input.resourceArn);
    const tags = { ...entry.record.tags };
    for (const key of input.tagKeys) delete tags[key];
    this.#putRecord(entry, { ...entry.record, tags });
    return {};
  }

  listTagsForResource(input: { resourceArn: string }): { tags: { key: string; value: string }[] } {
    const entry = this.#taggable(input.resourceArn);
    return { tags: Object.entries(entry.record.tags ?? {}).map(([key, value]) => ({ key, value })) };
  }

  #redriveStatus(h: ExecutionHeader): { redriveStatus: 'REDRIVABLE' | 'NOT_REDRIVABLE'; redriveStatusReason?: string } {
    if (h.status === 'RUNNING')
      return { redriveStatus: 'NOT_REDRIVABLE', redriveStatusReason: 'Execution is RUNNING and cannot be redriven' };
    if (h.status === 'SUCCEEDED')
      return { redriveStatus: 'NOT_REDRIVABLE', redriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven' };
    if (!h.restart) return { redriveStatus: 'NOT_REDRIVABLE', redriveStatusReason: 'Execution has no state to restart from' };
    if (h.stopDate !== undefined && this.nowMs() - h.stopDate > REDRIVE_WINDOW_MS) {
      return {
        redriveStatus: 'NOT_REDRIVABLE',
        redriveStatusReason: 'Execution stopped more than 14 days ago and can no longer be redriven',
      };
    }
    return { redriveStatus: 'REDRIVABLE' };
  }

  /**
   * RedriveExecution: a FAILED, TIMED_OUT or ABORTED execution runs again from the state it stopped in,
   * with that state's input and the variables it had; the history goes on (ExecutionRedriven) and
   * `$states.context.Execution.RedriveCount` counts the redrives. Inside a Parallel or Map only the
   * branches and iterations that failed, were stopped or never started run again.
   */
  redriveExecution(input: { executionArn: string }): { redriveDate: Date } {
    const entry = this.#execution(input.executionArn);
    const h = entry.header;
    const status = this.#redriveStatus(h);
    if (status.redriveStatus !== 'REDRIVABLE' || !h.restart)
      throw new ApiError('ExecutionNotRedrivable', `Execution ${h.arn} is not redrivable: ${status.redriveStatusReason}`);
    const text = this.store.getDefinition(h.definitionId);
    if (text === undefined) throw new ApiError('ExecutionNotRedrivable', `Execution ${h.arn} is not redrivable: its definition is gone`);
    const compiled = this.#compile(text, h.definitionId);
    const now = this.nowMs();
    const restart = h.restart;
    h.status = 'RUNNING';
    delete h.stopDate;
    delete h.output;
    delete h.error;
    delete h.cause;
    delete h.restart;
    h.redriveCount = (h.redriveCount ?? 0) + 1;
    h.redriveDate = now;
    const timeoutSeconds = Math.min(compiled.timeoutSeconds ?? Infinity, this.#maxExecutionSeconds);
    if (Number.isFinite(timeoutSeconds)) h.timeoutAt = now + timeoutSeconds * 1000;
    const exec = new Exec(h, compiled, () => this.nowMs());
    entry.exec = exec;
    const frame: FrameRecord = {
      id: h.nextFrameId++,
      parentId: null,
      graphId: compiled.states.get(restart.state)?.graphId ?? '',
      index: 0,
      vars: restart.vars,
      state: restart.state,
      input: restart.input,
      enteredAt: now,
      phase: 'enter',
      retryCounts: null,
      retryTotal: 0,
      seq: 0,
      lastEventId: h.nextEventId - 1,
    };
    if (restart.branches) {
      // A Parallel/Map that stopped while running branches goes on with them (the interpreter restores them).
      frame.phase = 'redrive';
      frame.redo = restart.branches;
      frame.enteredAt = restart.enteredAt ?? now;
      if (restart.enteredEventId !== undefined) frame.enteredEventId = restart.enteredEventId;
    }
    exec.frames.set(frame.id, frame);
    this.#interp.emit(exec, frame, 'ExecutionRedriven', 'executionRedrivenEventDetails', { redriveCount: h.redriveCount });
    this.checkpoint(exec);
    if (h.timeoutAt !== undefined) {
      this.#timers.push({ due: h.timeoutAt, ordinal: h.ordinal, seq: 0, executionArn: h.arn, frameId: -1 });
      this.#armRealTimer();
    }
    this.schedule(exec, frame);
    this.store.flush();
    return { redriveDate: new Date(now) };
  }

  validateStateMachineDefinition(input: { definition: string; maxResults?: number; severity?: string }): ValidationResult {
    return validateDefinition(input.definition, input);
  }

  /** TestState: one state, run on its own (test-state.ts). */
  testState(input: TestStateInput): Promise<TestStateOutput> {
    return testState(this, input);
  }

  /** Stops the loop and closes the store. Tasks still in flight are abandoned (a durable store resumes them). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribeClock?.();
    if (this.#realTimer) clearTimeout(this.#realTimer);
    this.#wakeUp();
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
    await Promise.race([Promise.allSettled([...this.#pendingTasks]), new Promise((r) => setTimeout(r, 50).unref())]);
    this.store.close();
  }
}

/** Creates a runtime and resumes every RUNNING execution found in its store. */
export function createRuntime(options: RuntimeOptions = {}): Runtime {
  return new Runtime(options);
}
