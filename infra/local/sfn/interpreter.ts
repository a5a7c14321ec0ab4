/**
 * The interpreter: what each state does, Retry and Catch, variables and their scopes, Parallel
 * branches and Map iterations, and the history events the service writes.
 *
 * An execution is a tree of frames: the execution's own frame runs the state machine's states; each
 * Parallel branch and Map iteration runs in a child frame with its own variable scope. A frame is
 * always in one `Phase` (model.ts); the runtime runs a job for a frame whose phase is `enter`,
 * `attempt` or `outcome`, and calls the interpreter back when a task returns, a timer fires or a
 * callback arrives. Every transition is checkpointed (`engine.checkpoint`).
 */
import type { CompiledMachine, CompiledState, NumberField } from './definition.js';
import { parseTimestamp } from './definition.js';
import { errorMatches, SfnError, StatesErrors } from './errors.js';
import { evaluateTemplate, executionFunctions, SeededRandom, type Template } from './expressions.js';
import { ExactInteger, parseJsonText, stringifyJson } from './json-text.js';
import type { BranchesPoint, ExecutionHeader, ExecutionStatus, FrameRecord, HistoryEvent, Outcome, RestartPoint } from './model.js';

/** A running execution as the interpreter sees it (the runtime keeps one per RUNNING execution). */
export class Exec {
  readonly header: ExecutionHeader;
  readonly machine: CompiledMachine;
  readonly frames = new Map<number, FrameRecord>();
  readonly dirty = new Set<FrameRecord>();
  deleted: number[] = [];
  events: HistoryEvent[] = [];
  readonly rng: SeededRandom;
  readonly fns: Record<string, unknown>;
  readonly scopes = new Map<number, object>();
  readonly ctxExecution: Record<string, unknown>;
  readonly ctxStateMachine: Record<string, unknown>;
  /** TestState's `context`: the context object the state sees instead of the execution's own. */
  contextOverride?: Record<string, unknown>;

  constructor(header: ExecutionHeader, machine: CompiledMachine, nowMs: () => number) {
    this.header = header;
    this.machine = machine;
    this.rng = new SeededRandom(header.rng);
    this.fns = executionFunctions(nowMs, this.rng);
    this.ctxExecution = {
      Id: header.arn,
      Input: parseJsonText(header.input),
      Name: header.name,
      RoleArn: header.roleArn,
      StartTime: new Date(header.startDate).toISOString(),
      RedriveCount: header.redriveCount ?? 0,
    };
    this.ctxStateMachine = { Id: header.stateMachineArn, Name: header.stateMachineName };
  }

  get running(): boolean {
    return this.header.status === 'RUNNING';
  }

  touch(frame: FrameRecord): void {
    this.dirty.add(frame);
  }
}

/** What the interpreter needs from the runtime. */
export interface Engine {
  readonly region: string;
  /** The service fails an execution whose history passes 25,000 events. */
  readonly maxHistoryEvents: number;
  nowMs(): number;
  /** Writes the execution's changes (header, changed frames, new events) as one checkpoint. */
  checkpoint(exec: Exec): void;
  /** Queues a job for a frame in phase enter/attempt/outcome. */
  schedule(exec: Exec, frame: FrameRecord): void;
  /** Arms the frame's timer (replacing any previous one). */
  setTimer(exec: Exec, frame: FrameRecord, due: number): void;
  /** Starts the task's invocation; its end comes back through `taskReturned`. */
  invoke(exec: Exec, frame: FrameRecord, state: CompiledState): void;
  /** A frame is dropped (its branch failed, the execution ended): stop what it started. */
  dropped(exec: Exec, frame: FrameRecord): void;
  /** The execution reached a terminal status. */
  finished(exec: Exec): void;
  /** A state's error, before its Retry and Catch apply (TestState reports it). */
  stateError?(exec: Exec, frame: FrameRecord, error: SfnError): void;
}

export function makeTaskToken(executionArn: string, frameId: number, seq: number): string {
  return Buffer.from(JSON.stringify({ e: executionArn, f: frameId, s: seq })).toString('base64url');
}

export function parseTaskToken(token: string): { e: string; f: number; s: number } | undefined {
  if (typeof token !== 'string' || token.length === 0 || token.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { e?: unknown; f?: unknown; s?: unknown };
    if (typeof v.e === 'string' && typeof v.f === 'number' && typeof v.s === 'number') return { e: v.e, f: v.f, s: v.s };
  } catch {
    /* not ours */
  }
  return undefined;
}

/** `arn:aws:states:::lambda:invoke.waitForTaskToken` → resourceType `lambda`, resource `invoke.waitForTaskToken`. */
function resourceParts(state: CompiledState): { resourceType: string; resource: string } {
  const r = state.resource!;
  if (r.kind === 'lambda:function') return { resourceType: 'lambda', resource: r.arn };
  const m = /^arn:[a-z-]+:states:::([a-z]+):(.+)$/.exec(r.arn)!;
  return { resourceType: m[1]!, resource: m[2]! };
}

function jsonType(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : v instanceof ExactInteger ? 'number' : typeof v;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function asSfnError(err: unknown): SfnError {
  if (err instanceof SfnError) return err;
  return new SfnError(StatesErrors.Runtime, err instanceof Error ? err.message : String(err));
}

export class Interpreter {
  constructor(private readonly engine: Engine) {}

  // ------------------------------------------------------------------------------------------------
  // Events, scopes, evaluation
  // ------------------------------------------------------------------------------------------------

  emit(exec: Exec, frame: FrameRecord | null, type: string, detailsKey?: string, details?: Record<string, unknown>): HistoryEvent {
    const h = exec.header;
    const id = h.nextEventId++;
    const event: HistoryEvent = { id, previousEventId: frame ? frame.lastEventId : id - 1, timestamp: this.engine.nowMs(), type };
    if (detailsKey) event[detailsKey] = details ?? {};
    exec.events.push(event);
    if (frame) {
      frame.lastEventId = id;
      exec.touch(frame);
    }
    return event;
  }

  private scope(exec: Exec, frame: FrameRecord): object {
    let s = exec.scopes.get(frame.id);
    if (s) return s;
    const parentFrame = frame.parentId === null ? undefined : exec.frames.get(frame.parentId);
    const parentScope = parentFrame ? this.scope(exec, parentFrame) : exec.fns;
    s = frame.vars ? Object.assign(Object.create(parentScope) as object, frame.vars) : parentScope;
    exec.scopes.set(frame.id, s);
    return s;
  }

  private bindings(exec: Exec, frame: FrameRecord, states: Record<string, unknown>): object {
    const b = Object.create(this.scope(exec, frame)) as Record<string, unknown>;
    b.states = states;
    return b;
  }

  private context(exec: Exec, frame: FrameRecord, extra?: Record<string, unknown>): Record<string, unknown> {
    if (exec.contextOverride) return extra ? { ...extra, ...exec.contextOverride } : exec.contextOverride;
    const ctx: Record<string, unknown> = {
      Execution: exec.ctxExecution,
      State: { EnteredTime: iso(frame.enteredAt), Name: frame.state, RetryCount: frame.retryTotal },
      StateMachine: exec.ctxStateMachine,
    };
    if (extra) Object.assign(ctx, extra);
    return ctx;
  }

  /** How the service names the state in a cause: `'Name' (entered at the event id #N)`. */
  private at(frame: FrameRecord, state: CompiledState): string {
    return frame.enteredEventId === undefined ? `'${state.name}'` : `'${state.name}' (entered at the event id #${frame.enteredEventId})`;
  }

  private async evalOptional(t: Template | undefined, b: object, frame: FrameRecord, state: CompiledState): Promise<unknown> {
    return t ? evaluateTemplate(t, b, this.at(frame, state)) : undefined;
  }

  private async evalNumber(
    field: NumberField | undefined,
    b: object,
    frame: FrameRecord,
    state: CompiledState,
    name: string,
    min: number,
  ): Promise<number | undefined> {
    if (!field) return undefined;
    if (field.k === 'number') return field.v;
    const v = await evaluateTemplate(field.t, b, this.at(frame, state));
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 99999999) {
      throw new SfnError(
        StatesErrors.QueryEvaluationError,
        `An error occurred while executing the state '${state.name}'. The value of the field '${name}' must be an integer between ${min} and 99999999, but the JSONata expression returned ${JSON.stringify(v)}.`,
      );
    }
    return v;
  }

  private applyAssign(exec: Exec, frame: FrameRecord, values: unknown): Record<string, unknown> | undefined {
    if (values === undefined) return undefined;
    const assigned = values as Record<string, unknown>;
    frame.vars = { ...(frame.vars ?? {}), ...assigned };
    exec.scopes.delete(frame.id);
    exec.touch(frame);
    return assigned;
  }

  private stateOf(exec: Exec, frame: FrameRecord): CompiledState {
    const s = exec.machine.states.get(frame.state);
    if (!s) throw new SfnError(StatesErrors.Runtime, `The state '${frame.state}' does not exist in the definition`);
    return s;
  }

  // ------------------------------------------------------------------------------------------------
  // Jobs
  // ------------------------------------------------------------------------------------------------

  /** Runs the job of a frame in phase enter/attempt/outcome. */
  async run(exec: Exec, frame: FrameRecord): Promise<void> {
    try {
      if (frame.phase === 'enter') await this.enter(exec, frame);
      else if (frame.phase === 'attempt') await this.attempt(exec, frame, this.stateOf(exec, frame));
      else if (frame.phase === 'outcome') await this.outcome(exec, frame);
      else if (frame.phase === 'redrive') await this.restoreBranches(exec, frame);
    } catch (err) {
      // Anything not handled by the state's own error handling ends the execution (States.Runtime).
      if (!exec.running) return;
      const e = asSfnError(err);
      this.finish(exec, 'FAILED', {
        error: e.error === StatesErrors.Runtime ? e.error : StatesErrors.Runtime,
        cause: e.causeText || e.message,
      });
    }
  }

  private async enter(exec: Exec, frame: FrameRecord): Promise<void> {
    const state = this.stateOf(exec, frame);
    if (exec.header.nextEventId > this.engine.maxHistoryEvents) {
      return this.finish(exec, 'FAILED', {
        error: StatesErrors.Runtime,
        cause: `The execution reached the limit of ${this.engine.maxHistoryEvents} history events (before entering '${state.name}'); continue as a new execution instead`,
      });
    }
    frame.enteredAt = this.engine.nowMs();
    frame.retryCounts = null;
    frame.retryTotal = 0;
    exec.header.transitions++;
    frame.enteredEventId = this.emit(exec, frame, `${state.type}StateEntered`, 'stateEnteredEventDetails', {
      name: state.name,
      input: frame.input,
      inputDetails: { truncated: false },
    }).id;
    try {
      switch (state.type) {
        case 'Pass':
        case 'Succeed': {
          const b = this.bindings(exec, frame, { input: frame.input, context: this.context(exec, frame) });
          const assign = state.type === 'Pass' ? await this.evalOptional(state.assign, b, frame, state) : undefined;
          const output = state.output ? await evaluateTemplate(state.output, b, this.at(frame, state)) : frame.input;
          return this.exit(exec, frame, state, output, assign);
        }
        case 'Choice':
          return await this.choice(exec, frame, state);
        case 'Wait': {
          const b = this.bindings(exec, frame, { input: frame.input, context: this.context(exec, frame) });
          const due = await this.waitDue(frame, state, b);
          frame.phase = 'wait';
          exec.touch(frame);
          this.engine.setTimer(exec, frame, due);
          this.engine.checkpoint(exec);
          return;
        }
        case 'Fail': {
          const b = this.bindings(exec, frame, { input: frame.input, context: this.context(exec, frame) });
          const error = await this.evalOptional(state.error, b, frame, state);
          const cause = await this.evalOptional(state.cause, b, frame, state);
          if ((error !== undefined && typeof error !== 'string') || (cause !== undefined && typeof cause !== 'string')) {
            throw new SfnError(StatesErrors.QueryEvaluationError, `The Error and Cause of the Fail state '${state.name}' must be strings`);
          }
          return this.frameFailed(exec, frame, (error as string | undefined) ?? '', (cause as string | undefined) ?? '');
        }
        default:
          frame.phase = 'attempt';
          return await this.attempt(exec, frame, state);
      }
    } catch (err) {
      return this.handleError(exec, frame, state, asSfnError(err));
    }
  }

  private async waitDue(frame: FrameRecord, state: CompiledState, b: object): Promise<number> {
    const now = this.engine.nowMs();
    if (state.seconds) {
      const v = await evaluateTemplate(state.seconds, b, this.at(frame, state));
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 99999999) {
        throw new SfnError(
          StatesErrors.QueryEvaluationError,
          `The Seconds of the Wait state '${state.name}' must be an integer between 0 and 99999999, not ${JSON.stringify(v)}`,
        );
      }
      return now + v * 1000;
    }
    const v = await evaluateTemplate(state.timestamp!, b, this.at(frame, state));
    const ms = typeof v === 'string' ? parseTimestamp(v) : undefined;
    if (ms === undefined) {
      throw new SfnError(
        StatesErrors.QueryEvaluationError,
        `The Timestamp of the Wait state '${state.name}' must be an ISO 8601 timestamp, not ${JSON.stringify(v)}`,
      );
    }
    return Math.max(now, ms);
  }

  private async choice(exec: Exec, frame: FrameRecord, state: CompiledState): Promise<void> {
    const b = this.bindings(exec, frame, { input: frame.input, context: this.context(exec, frame) });
    for (const rule of state.choices ?? []) {
      const v = await evaluateTemplate(rule.condition, b, this.at(frame, state));
      if (typeof v !== 'boolean') {
        throw new SfnError(
          StatesErrors.QueryEvaluationError,
          `The Condition of a rule of the Choice state '${state.name}' returned ${JSON.stringify(v)}, not a boolean`,
        );
      }
      if (v) {
        // A matched rule's Output/Assign take the place of the state's top-level ones.
        const assign = await this.evalOptional(rule.assign, b, frame, state);
        const output = rule.output ? await evaluateTemplate(rule.output, b, this.at(frame, state)) : frame.input;
        return this.exit(exec, frame, state, output, assign, rule.next);
      }
    }
    if (state.default === undefined) {
      throw new SfnError(
        StatesErrors.NoChoiceMatched,
        `No Choice Rule matched and no Default is specified in the Choice state '${state.name}'`,
      );
    }
    const assign = await this.evalOptional(state.assign, b, frame, state);
    const output = state.output ? await evaluateTemplate(state.output, b, this.at(frame, state)) : frame.input;
    return this.exit(exec, frame, state, output, assign, state.default);
  }

  /** Starts (or, after a retry delay, restarts) the work of a Task, Parallel or Map state. */
  private async attempt(exec: Exec, frame: FrameRecord, state: CompiledState): Promise<void> {
    try {
      if (state.type === 'Task') return await this.startTask(exec, frame, state);
      if (state.type === 'Parallel') return await this.startParallel(exec, frame, state);
      if (state.type === 'Map') return await this.startMap(exec, frame, state);
      throw new SfnError(StatesErrors.Runtime, `A ${state.type} state has no work to attempt`);
    } catch (err) {
      return this.handleError(exec, frame, state, asSfnError(err));
    }
  }

  private async startTask(exec: Exec, frame: FrameRecord, state: CompiledState): Promise<void> {
    const h = exec.header;
    const resource = state.resource!;
    const seq = ++h.seq;
    frame.seq = seq;
    const token = resource.pattern === 'callback' ? makeTaskToken(h.arn, frame.id, seq) : undefined;
    const b = this.bindings(exec, frame, {
      input: frame.input,
      context: this.context(exec, frame, token ? { Task: { Token: token } } : undefined),
    });
    const args = state.arguments ? await evaluateTemplate(state.arguments, b, this.at(frame, state)) : frame.input;
    const timeout = await this.evalNumber(state.timeoutSeconds, b, frame, state, 'TimeoutSeconds', 1);
    const heartbeat = await this.evalNumber(state.heartbeatSeconds, b, frame, state, 'HeartbeatSeconds', 1);
    if (timeout !== undefined && heartbeat !== undefined && heartbeat >= timeout) {
      throw new SfnError(
        StatesErrors.QueryEvaluationError,
        `The HeartbeatSeconds (${heartbeat}) of the state '${state.name}' must be smaller than its TimeoutSeconds (${timeout})`,
      );
    }
    const now = this.engine.nowMs();
    frame.args = args;
    frame.token = token;
    frame.timeoutAt = timeout !== undefined ? now + timeout * 1000 : undefined;
    frame.heartbeatSeconds = heartbeat;
    frame.heartbeatAt = heartbeat !== undefined ? now + heartbeat * 1000 : undefined;
    frame.invoked = false;
    frame.child = undefined;
    frame.phase =
      resource.pattern === 'callback' ? 'callback' : resource.pattern === 'sync' || resource.pattern === 'sync2' ? 'sync' : 'task';
    const { resourceType, resource: res } = resourceParts(state);
    if (resource.kind === 'lambda:function') {
      this.emit(exec, frame, 'LambdaFunctionScheduled', 'lambdaFunctionScheduledEventDetails', {
        resource: res,
        input: args,
        inputDetails: { truncated: false },
        ...(timeout !== undefined ? { timeoutInSeconds: timeout } : {}),
      });
      this.emit(exec, frame, 'LambdaFunctionStarted');
    } else {
      this.emit(exec, frame, 'TaskScheduled', 'taskScheduledEventDetails', {
        resourceType,
        resource: res,
        region: this.engine.region,
        parameters: args,
        ...(timeout !== undefined ? { timeoutInSeconds: timeout } : {}),
        ...(heartbeat !== undefined ? { heartbeatInSeconds: heartbeat } : {}),
      });
      this.emit(exec, frame, 'TaskStarted', 'taskStartedEventDetails', { resourceType, resource: res });
    }
    this.armTaskTimer(exec, frame);
    // The attempt is checkpointed before the invocation starts: a crash from here on invokes it again.
    this.engine.checkpoint(exec);
    this.engine.invoke(exec, frame, state);
  }

  private armTaskTimer(exec: Exec, frame: FrameRecord): void {
    const due = Math.min(frame.timeoutAt ?? Infinity, frame.heartbeatAt ?? Infinity);
    if (Number.isFinite(due)) this.engine.setTimer(exec, frame, due);
    else frame.timer = undefined;
  }

  private async startParallel(exec: Exec, frame: FrameRecord, state: CompiledState): Promise<void> {
    const b = this.bindings(exec, frame, { input: frame.input, context: this.context(exec, frame) });
    const input = state.arguments ? await evaluateTemplate(state.arguments, b, this.at(frame, state)) : frame.input;
    const branches = state.branches ?? [];
    frame.redo = undefined;
    this.emit(exec, frame, 'ParallelStateStarted');
    frame.phase = 'children';
    frame.pending = branches.length;
    exec.touch(frame);
    const children = branches.map((graphId, index) => this.newFrame(exec, frame, graphId, index, input));
    this.engine.checkpoint(exec);
    for (const child of children) this.engine.schedule(exec, child);
  }

  private async startMap(exec: Exec, frame: FrameRecord, state: CompiledState): Promise<void> {
    const b = this.bindings(exec, frame, { input: frame.input, context: this.context(exec, frame) });
    const items = state.items ? await evaluateTemplate(state.items, b, this.at(frame, state)) : frame.input;
    if (!Array.isArray(items)) {
      const text = state.items?.k === 'expr' ? state.items.e.text : JSON.stringify(items);
      throw new SfnError(
        StatesErrors.QueryEvaluationError,
        `An error occurred while executing the state ${this.at(frame, state)}. The JSONata expression '${text}' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '${jsonType(items)}' for value: ${JSON.stringify(items)}`,
      );
    }
    const maxConcurrency = (await this.evalNumber(state.maxConcurrency, b, frame, state, 'MaxConcurrency', 0)) ?? 0;
    frame.redo = undefined;
    this.emit(exec, frame, 'MapStateStarted', 'mapStateStartedEventDetails', { length: items.length });
    if (items.length === 0) {
      this.emit(exec, frame, 'MapStateSucceeded');
      frame.outcome = { ok: true, value: [] };
      frame.phase = 'outcome';
      return this.outcome(exec, frame);
    }
    frame.phase = 'children';
    frame.items = items;
    frame.pending = items.length;
    frame.running = 0;
    frame.nextIndex = 0;
    frame.maxConcurrency = maxConcurrency;
    exec.touch(frame);
    const first = maxConcurrency > 0 ? Math.min(maxConcurrency, items.length) : items.length;
    const started: FrameRecord[] = [];
    for (let i = 0; i < first; i++) started.push(await this.startIteration(exec, frame, state));
    this.engine.checkpoint(exec);
    for (const child of started) this.engine.schedule(exec, child);
  }

  private async startIteration(exec: Exec, frame: FrameRecord, state: CompiledState): Promise<FrameRecord> {
    const index = frame.nextIndex!;
    const item = frame.items![index];
    let input = item;
    if (state.itemSelector) {
      const b = this.bindings(exec, frame, {
        input: frame.input,
        context: this.context(exec, frame, { Map: { Item: { Index: index, Value: item } } }),
      });
      input = await evaluateTemplate(state.itemSelector, b, this.at(frame, state));
    }
    frame.nextIndex = index + 1;
    frame.running = (frame.running ?? 0) + 1;
    this.emit(exec, frame, 'MapIterationStarted', 'mapIterationStartedEventDetails', { name: state.name, index });
    return this.newFrame(exec, frame, state.processor!, index, input);
  }

  private newFrame(exec: Exec, parent: FrameRecord, graphId: string, index: number, input: unknown): FrameRecord {
    const graph = exec.machine.graphs.get(graphId)!;
    const frame: FrameRecord = {
      id: exec.header.nextFrameId++,
      parentId: parent.id,
      graphId,
      index,
      vars: null,
      state: graph.startAt,
      input,
      enteredAt: this.engine.nowMs(),
      phase: 'enter',
      retryCounts: null,
      retryTotal: 0,
      seq: 0,
      lastEventId: parent.lastEventId,
    };
    exec.frames.set(frame.id, frame);
    exec.touch(frame);
    return frame;
  }

  /** The work of the current state ended (`frame.outcome`): Output/Assign and transition, or Retry/Catch. */
  private async outcome(exec: Exec, frame: FrameRecord): Promise<void> {
    const state = this.stateOf(exec, frame);
    const o = frame.outcome!;
    frame.outcome = undefined;
    exec.touch(frame);
    if (!o.ok) return this.handleError(exec, frame, state, new SfnError(o.error, o.cause));
    try {
      const states: Record<string, unknown> = { input: frame.input, context: this.context(exec, frame) };
      if (state.type !== 'Wait') states.result = o.value;
      const b = this.bindings(exec, frame, states);
      const assign = await this.evalOptional(state.assign, b, frame, state);
      const output = state.output
        ? await evaluateTemplate(state.output, b, this.at(frame, state))
        : state.type === 'Wait'
          ? frame.input
          : o.value;
      return this.exit(exec, frame, state, output, assign);
    } catch (err) {
      return this.handleError(exec, frame, state, asSfnError(err));
    }
  }

  private async handleError(exec: Exec, frame: FrameRecord, state: CompiledState, err: SfnError): Promise<void> {
    if (!exec.running || exec.frames.get(frame.id) !== frame) return;
    this.engine.stateError?.(exec, frame, err);
    const { error, causeText: cause } = err;
    for (let i = 0; i < state.retry.length; i++) {
      const r = state.retry[i]!;
      if (!errorMatches(r.errorEquals, error)) continue;
      const counts = (frame.retryCounts ??= state.retry.map(() => 0));
      if (counts[i]! < r.maxAttempts) {
        counts[i] = counts[i]! + 1;
        frame.retryTotal++;
        let delay = r.intervalSeconds * Math.pow(r.backoffRate, counts[i]! - 1);
        if (r.maxDelaySeconds !== undefined) delay = Math.min(delay, r.maxDelaySeconds);
        if (r.jitter === 'FULL') delay = exec.rng.next() * delay;
        exec.header.rng = exec.rng.state;
        frame.phase = 'retry';
        exec.touch(frame);
        this.engine.setTimer(exec, frame, this.engine.nowMs() + Math.round(delay * 1000));
        this.engine.checkpoint(exec);
        return;
      }
      break; // the first matching retrier decides; when it is exhausted, Catch applies
    }
    for (const c of state.catch) {
      if (!errorMatches(c.errorEquals, error)) continue;
      const errorOutput = { Error: error, Cause: cause };
      let output: unknown = errorOutput;
      let assign: unknown;
      try {
        const b = this.bindings(exec, frame, { input: frame.input, context: this.context(exec, frame), errorOutput });
        assign = await this.evalOptional(c.assign, b, frame, state);
        if (c.output) output = await evaluateTemplate(c.output, b, this.at(frame, state));
      } catch (e) {
        const se = asSfnError(e);
        return this.frameFailed(exec, frame, se.error, se.causeText);
      }
      return this.exit(exec, frame, state, output, assign, c.next);
    }
    return this.frameFailed(exec, frame, error, cause);
  }

  private exit(
    exec: Exec,
    frame: FrameRecord,
    state: CompiledState,
    output: unknown,
    assign: unknown,
    next?: string,
  ): void | Promise<void> {
    const assigned = this.applyAssign(exec, frame, assign);
    exec.header.rng = exec.rng.state;
    const details: Record<string, unknown> = { name: state.name, output, outputDetails: { truncated: false } };
    if (assigned) {
      details.assignedVariables = Object.fromEntries(Object.entries(assigned).map(([k, v]) => [k, stringifyJson(v)]));
      details.assignedVariablesDetails = { truncated: false };
    }
    this.emit(exec, frame, `${state.type}StateExited`, 'stateExitedEventDetails', details);
    const target = next ?? state.next;
    frame.args = undefined;
    frame.token = undefined;
    frame.timer = undefined;
    frame.timeoutAt = undefined;
    frame.heartbeatAt = undefined;
    frame.heartbeatSeconds = undefined;
    frame.child = undefined;
    frame.invoked = undefined;
    frame.items = undefined;
    frame.pending = undefined;
    frame.running = undefined;
    frame.nextIndex = undefined;
    frame.maxConcurrency = undefined;
    frame.redo = undefined;
    if (target === undefined) return this.frameEnded(exec, frame, output);
    frame.state = target;
    frame.input = output;
    frame.phase = 'enter';
    exec.touch(frame);
    this.engine.checkpoint(exec);
    this.engine.schedule(exec, frame);
  }

  // ------------------------------------------------------------------------------------------------
  // Frames ending
  // ------------------------------------------------------------------------------------------------

  private children(exec: Exec, parent: FrameRecord): FrameRecord[] {
    const out: FrameRecord[] = [];
    for (const f of exec.frames.values()) if (f.parentId === parent.id) out.push(f);
    return out;
  }

  private drop(exec: Exec, frame: FrameRecord): void {
    for (const child of this.children(exec, frame)) this.drop(exec, child);
    this.engine.dropped(exec, frame);
    exec.frames.delete(frame.id);
    exec.dirty.delete(frame);
    exec.scopes.delete(frame.id);
    exec.deleted.push(frame.id);
  }

  private async frameEnded(exec: Exec, frame: FrameRecord, output: unknown): Promise<void> {
    if (frame.parentId === null) return this.finish(exec, 'SUCCEEDED', { output });
    const parent = exec.frames.get(frame.parentId)!;
    const parentState = this.stateOf(exec, parent);
    frame.phase = 'done';
    frame.output = output;
    frame.vars = null; // the branch's variables vanish at its end
    exec.scopes.delete(frame.id);
    exec.touch(frame);
    if (parentState.type === 'Map')
      this.emit(exec, parent, 'MapIterationSucceeded', 'mapIterationSucceededEventDetails', { name: parentState.name, index: frame.index });
    parent.pending = parent.pending! - 1;
    if (parentState.type === 'Map') parent.running = parent.running! - 1;
    exec.touch(parent);
    if (parent.pending === 0) {
      const results: unknown[] = [];
      for (const child of this.children(exec, parent).sort((a, b) => a.index - b.index)) {
        results.push(child.output);
        this.drop(exec, child);
      }
      this.emit(exec, parent, parentState.type === 'Map' ? 'MapStateSucceeded' : 'ParallelStateSucceeded');
      parent.outcome = { ok: true, value: results };
      parent.phase = 'outcome';
      this.engine.checkpoint(exec);
      this.engine.schedule(exec, parent);
      return;
    }
    if (parentState.type === 'Map' && parent.nextIndex! < parent.items!.length) {
      let child: FrameRecord;
      try {
        child = await this.startIteration(exec, parent, parentState);
      } catch (err) {
        const e = asSfnError(err);
        return this.childrenFailed(exec, parent, parentState, e.error, e.causeText);
      }
      this.engine.checkpoint(exec);
      this.engine.schedule(exec, child);
      return;
    }
    this.engine.checkpoint(exec);
  }

  private frameFailed(exec: Exec, frame: FrameRecord, error: string, cause: string): void {
    if (frame.parentId === null) return this.finish(exec, 'FAILED', { error, cause });
    const parent = exec.frames.get(frame.parentId)!;
    const parentState = this.stateOf(exec, parent);
    if (parentState.type === 'Map')
      this.emit(exec, parent, 'MapIterationFailed', 'mapIterationFailedEventDetails', {
        name: parentState.name,
        index: frame.index,
        error,
        cause,
      });
    this.childrenFailed(exec, parent, parentState, error, cause);
  }

  /** A branch or iteration failed: the others are stopped and the Parallel/Map state fails with its error. */
  private childrenFailed(exec: Exec, parent: FrameRecord, parentState: CompiledState, error: string, cause: string): void {
    parent.redo = this.branchesPoint(exec, parent);
    for (const child of this.children(exec, parent)) this.drop(exec, child);
    this.emit(exec, parent, parentState.type === 'Map' ? 'MapStateFailed' : 'ParallelStateFailed');
    parent.outcome = { ok: false, error, cause };
    parent.phase = 'outcome';
    exec.touch(parent);
    this.engine.checkpoint(exec);
    this.engine.schedule(exec, parent);
  }

  // ------------------------------------------------------------------------------------------------
  // RedriveExecution: where each frame stopped, and restoring the branches of a Parallel or Map
  // ------------------------------------------------------------------------------------------------

  private restartPoint(exec: Exec, frame: FrameRecord): RestartPoint {
    const point: RestartPoint = {
      state: frame.state,
      input: frame.input,
      vars: frame.vars,
      graphId: frame.graphId,
      index: frame.index,
      enteredAt: frame.enteredAt,
    };
    if (frame.enteredEventId !== undefined) point.enteredEventId = frame.enteredEventId;
    const branches = frame.redo ?? (frame.phase === 'children' ? this.branchesPoint(exec, frame) : undefined);
    if (branches) point.branches = branches;
    return point;
  }

  /** What the branches of a Parallel/Map have done: finished ones with their output, the others where they are. */
  private branchesPoint(exec: Exec, parent: FrameRecord): BranchesPoint {
    const point: BranchesPoint = { done: [], open: [] };
    for (const child of this.children(exec, parent).sort((a, b) => a.index - b.index)) {
      if (child.phase === 'done') point.done.push({ index: child.index, graphId: child.graphId, output: child.output });
      else point.open.push(this.restartPoint(exec, child));
    }
    if (parent.items) {
      point.items = parent.items;
      point.nextIndex = parent.nextIndex;
      point.maxConcurrency = parent.maxConcurrency;
    }
    return point;
  }

  /**
   * A redriven Parallel/Map (phase `redrive`, its branches in `redo`): finished branches keep their
   * output and are not run again; failed and stopped ones start again in the state where they
   * stopped (a Map iteration with MapIterationStarted); Map iterations never started start as usual.
   */
  private async restoreBranches(exec: Exec, frame: FrameRecord): Promise<void> {
    const ready: FrameRecord[] = [];
    await this.restoreFrame(exec, frame, ready);
    this.engine.checkpoint(exec);
    for (const f of ready) if (exec.frames.get(f.id) === f && f.phase === 'enter') this.engine.schedule(exec, f);
  }

  private async restoreFrame(exec: Exec, frame: FrameRecord, ready: FrameRecord[]): Promise<void> {
    const point = frame.redo!;
    const state = this.stateOf(exec, frame);
    frame.redo = undefined;
    frame.phase = 'children';
    exec.touch(frame);
    for (const d of point.done) {
      const child = this.newFrame(exec, frame, d.graphId, d.index, undefined);
      child.phase = 'done';
      child.output = d.output;
    }
    const open: FrameRecord[] = [];
    for (const p of point.open) {
      if (state.type === 'Map')
        this.emit(exec, frame, 'MapIterationStarted', 'mapIterationStartedEventDetails', { name: state.name, index: p.index });
      const child = this.newFrame(exec, frame, p.graphId!, p.index!, p.input);
      child.state = p.state;
      child.vars = p.vars;
      if (p.enteredAt !== undefined) child.enteredAt = p.enteredAt;
      if (p.enteredEventId !== undefined) child.enteredEventId = p.enteredEventId;
      if (p.branches) {
        child.redo = p.branches;
        open.push(child);
      } else ready.push(child);
    }
    frame.pending = point.open.length;
    if (point.items) {
      frame.items = point.items;
      frame.nextIndex = point.nextIndex ?? point.items.length;
      frame.maxConcurrency = point.maxConcurrency ?? 0;
      frame.running = point.open.length;
      frame.pending += point.items.length - frame.nextIndex;
    }
    for (const child of open) await this.restoreFrame(exec, child, ready);
    if (!point.items) return;
    // Room left under MaxConcurrency (the Map stopped before it could start more): start them now.
    while (frame.nextIndex! < frame.items!.length && (frame.maxConcurrency === 0 || frame.running! < frame.maxConcurrency!)) {
      try {
        ready.push(await this.startIteration(exec, frame, state));
      } catch (err) {
        const e = asSfnError(err);
        return this.childrenFailed(exec, frame, state, e.error, e.causeText);
      }
    }
  }

  /** Ends the execution with a terminal status. */
  finish(exec: Exec, status: Exclude<ExecutionStatus, 'RUNNING'>, result: { output?: unknown; error?: string; cause?: string }): void {
    if (!exec.running) return;
    const h = exec.header;
    h.status = status;
    h.stopDate = this.engine.nowMs();
    h.rng = exec.rng.state;
    if (status === 'SUCCEEDED') {
      h.output = stringifyJson(result.output ?? null);
      this.emit(exec, null, 'ExecutionSucceeded', 'executionSucceededEventDetails', {
        output: result.output ?? null,
        outputDetails: { truncated: false },
      });
    } else {
      if (result.error) h.error = result.error;
      if (result.cause) h.cause = result.cause;
      const details = { ...(result.error ? { error: result.error } : {}), ...(result.cause ? { cause: result.cause } : {}) };
      const type = status === 'FAILED' ? 'ExecutionFailed' : status === 'ABORTED' ? 'ExecutionAborted' : 'ExecutionTimedOut';
      const key =
        status === 'FAILED'
          ? 'executionFailedEventDetails'
          : status === 'ABORTED'
            ? 'executionAbortedEventDetails'
            : 'executionTimedOutEventDetails';
      this.emit(exec, null, type, key, details);
    }
    if (status !== 'SUCCEEDED') {
      // RedriveExecution restarts from the state the execution was in; a Parallel/Map keeps its finished branches.
      const root = [...exec.frames.values()].find((f) => f.parentId === null);
      if (root) h.restart = this.restartPoint(exec, root);
    }
    for (const f of [...exec.frames.values()]) if (f.parentId === null) this.drop(exec, f);
    this.engine.checkpoint(exec);
    this.engine.finished(exec);
  }

  // ------------------------------------------------------------------------------------------------
  // Signals from the runtime
  // ------------------------------------------------------------------------------------------------

  private live(exec: Exec, frame: FrameRecord | undefined, seq: number): frame is FrameRecord {
    return exec.running && frame !== undefined && exec.frames.get(frame.id) === frame && frame.seq === seq;
  }

  /** A task's invocation returned (or threw). Stale results (an older attempt, a dropped frame) are ignored. */
  async taskReturned(exec: Exec, frame: FrameRecord | undefined, seq: number, outcome: Outcome): Promise<void> {
    if (!this.live(exec, frame, seq)) return;
    const state = this.stateOf(exec, frame);
    const { resourceType, resource } = resourceParts(state);
    const lambdaFn = state.resource!.kind === 'lambda:function';
    if (frame.phase === 'task') {
      if (outcome.ok) {
        if (lambdaFn)
          this.emit(exec, frame, 'LambdaFunctionSucceeded', 'lambdaFunctionSucceededEventDetails', {
            output: outcome.value,
            outputDetails: { truncated: false },
          });
        else
          this.emit(exec, frame, 'TaskSucceeded', 'taskSucceededEventDetails', {
            resourceType,
            resource,
            output: outcome.value,
            outputDetails: { truncated: false },
          });
      } else if (lambdaFn)
        this.emit(exec, frame, 'LambdaFunctionFailed', 'lambdaFunctionFailedEventDetails', { error: outcome.error, cause: outcome.cause });
      else
        this.emit(exec, frame, 'TaskFailed', 'taskFailedEventDetails', {
          resourceType,
          resource,
          error: outcome.error,
          cause: outcome.cause,
        });
      return this.recordOutcome(exec, frame, outcome);
    }
    if (frame.phase === 'callback' || frame.phase === 'sync') {
      if (!outcome.ok) {
        this.emit(exec, frame, 'TaskFailed', 'taskFailedEventDetails', {
          resourceType,
          resource,
          error: outcome.error,
          cause: outcome.cause,
        });
        if (frame.phase === 'sync') frame.child = undefined;
        return this.recordOutcome(exec, frame, outcome);
      }
      frame.invoked = true;
      this.emit(exec, frame, 'TaskSubmitted', 'taskSubmittedEventDetails', {
        resourceType,
        resource,
        output: outcome.value,
        outputDetails: { truncated: false },
      });
      if (frame.phase === 'sync') frame.child = (outcome.value as { ExecutionArn: string }).ExecutionArn;
      exec.touch(frame);
      this.engine.checkpoint(exec);
    }
  }

  /** Records the end of the state's work (checkpointed), then applies it. */
  private async recordOutcome(exec: Exec, frame: FrameRecord, outcome: Outcome): Promise<void> {
    frame.outcome = outcome;
    frame.phase = 'outcome';
    frame.timer = undefined;
    exec.touch(frame);
    this.engine.checkpoint(exec);
    return this.outcome(exec, frame);
  }

  /** SendTaskSuccess / SendTaskFailure. Returns false when the token no longer names a waiting task. */
  async callback(exec: Exec, frame: FrameRecord | undefined, seq: number, outcome: Outcome): Promise<boolean> {
    if (!this.live(exec, frame, seq) || frame.phase !== 'callback') return false;
    const state = this.stateOf(exec, frame);
    const { resourceType, resource } = resourceParts(state);
    if (outcome.ok)
      this.emit(exec, frame, 'TaskSucceeded', 'taskSucceededEventDetails', {
        resourceType,
        resource,
        output: outcome.value,
        outputDetails: { truncated: false },
      });
    else
      this.emit(exec, frame, 'TaskFailed', 'taskFailedEventDetails', {
        resourceType,
        resource,
        error: outcome.error,
        cause: outcome.cause,
      });
    await this.recordOutcome(exec, frame, outcome);
    return true;
  }

  /** SendTaskHeartbeat: pushes the heartbeat deadline. */
  heartbeat(exec: Exec, frame: FrameRecord | undefined, seq: number): boolean {
    if (!this.live(exec, frame, seq) || frame.phase !== 'callback') return false;
    if (frame.heartbeatSeconds !== undefined) {
      frame.heartbeatAt = this.engine.nowMs() + frame.heartbeatSeconds * 1000;
      exec.touch(frame);
      this.armTaskTimer(exec, frame);
      this.engine.checkpoint(exec);
    }
    return true;
  }

  /** The child execution of a `.sync` task ended. */
  async childEnded(
    exec: Exec,
    frame: FrameRecord | undefined,
    seq: number,
    child: ExecutionHeader,
    describe: Record<string, unknown>,
  ): Promise<void> {
    // The child may end before its StartExecution call has been recorded (frame.child still unset).
    if (!this.live(exec, frame, seq) || frame.phase !== 'sync' || (frame.child !== undefined && frame.child !== child.arn)) return;
    const state = this.stateOf(exec, frame);
    const { resourceType, resource } = resourceParts(state);
    if (child.status === 'SUCCEEDED') {
      this.emit(exec, frame, 'TaskSucceeded', 'taskSucceededEventDetails', {
        resourceType,
        resource,
        output: describe,
        outputDetails: { truncated: false },
      });
      return this.recordOutcome(exec, frame, { ok: true, value: describe });
    }
    const cause = JSON.stringify(describe);
    this.emit(exec, frame, 'TaskFailed', 'taskFailedEventDetails', { resourceType, resource, error: StatesErrors.TaskFailed, cause });
    return this.recordOutcome(exec, frame, { ok: false, error: StatesErrors.TaskFailed, cause });
  }

  /** A frame's timer fired. */
  async timerFired(exec: Exec, frame: FrameRecord | undefined, timerSeq: number): Promise<void> {
    if (!exec.running || !frame || exec.frames.get(frame.id) !== frame || frame.timer?.seq !== timerSeq) return;
    frame.timer = undefined;
    exec.touch(frame);
    const now = this.engine.nowMs();
    switch (frame.phase) {
      case 'wait':
        frame.outcome = { ok: true, value: frame.input };
        frame.phase = 'outcome';
        return this.run(exec, frame);
      case 'retry':
        frame.phase = 'attempt';
        return this.run(exec, frame);
      case 'task':
      case 'callback':
      case 'sync': {
        const state = this.stateOf(exec, frame);
        let error: string;
        let cause: string;
        if (
          frame.heartbeatAt !== undefined &&
          now >= frame.heartbeatAt &&
          (frame.timeoutAt === undefined || frame.heartbeatAt <= frame.timeoutAt)
        ) {
          error = StatesErrors.HeartbeatTimeout;
          cause = `The task '${state.name}' did not send a heartbeat within ${frame.heartbeatSeconds} seconds`;
        } else if (frame.timeoutAt !== undefined && now >= frame.timeoutAt) {
          error = StatesErrors.Timeout;
          cause = `The task '${state.name}' did not complete within its TimeoutSeconds`;
        } else {
          this.armTaskTimer(exec, frame);
          this.engine.checkpoint(exec);
          return;
        }
        if (frame.phase === 'sync' && frame.child) this.engine.dropped(exec, frame);
        frame.seq = ++exec.header.seq; // late results and the old token are now stale
        const { resourceType, resource } = resourceParts(state);
        if (state.resource!.kind === 'lambda:function')
          this.emit(exec, frame, 'LambdaFunctionTimedOut', 'lambdaFunctionTimedOutEventDetails', { error, cause });
        else this.emit(exec, frame, 'TaskTimedOut', 'taskTimedOutEventDetails', { resourceType, resource, error, cause });
        return this.recordOutcome(exec, frame, { ok: false, error, cause });
      }
      default:
        return;
    }
  }

  /** Starts the execution: ExecutionStarted and the first state. */
  start(exec: Exec): FrameRecord {
    const h = exec.header;
    const frame: FrameRecord = {
      id: h.nextFrameId++,
      parentId: null,
      graphId: '',
      index: 0,
      vars: null,
      state: exec.machine.root.startAt,
      input: exec.ctxExecution.Input,
      enteredAt: h.startDate,
      phase: 'enter',
      retryCounts: null,
      retryTotal: 0,
      seq: 0,
      lastEventId: 0,
    };
    exec.frames.set(frame.id, frame);
    exec.touch(frame);
    this.emit(exec, frame, 'ExecutionStarted', 'executionStartedEventDetails', {
      input: exec.ctxExecution.Input,
      inputDetails: { truncated: false },
      roleArn: h.roleArn,
    });
    return frame;
  }
}
