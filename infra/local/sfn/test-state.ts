/**
 * TestState: runs one state on its own, as the service's TestState API does, at any rate.
 *
 * The state is given alone (`definition` is the state) or inside a state machine (`stateName` picks
 * it). It runs once with `input` and `variables`, through the same interpreter as executions: its
 * Arguments, task, Output and Assign, then its Retry and Catch are looked at without waiting:
 *
 * - `status` SUCCEEDED with `output` and `nextState` (none for an end state);
 * - CAUGHT_ERROR: a Catcher matched; `output` is the catcher's, `nextState` its Next, `error`/`cause` the error;
 * - RETRIABLE: a Retrier matched with attempts left; `error`/`cause`, and the retry index and backoff in
 *   `inspectionData.errorDetails` (DEBUG and TRACE);
 * - FAILED: `error` and `cause`.
 *
 * `mock.result` (JSON text) or `mock.errorOutput` ({error, cause}) stands in for the task's service
 * call; without a mock the task really runs (Lambda handlers, DynamoDB, StartExecution of this
 * runtime). As in the service, `.sync`/`.waitForTaskToken` tasks, Parallel and Map states need a mock
 * (it is their result). `inspectionLevel` INFO returns the outcome; DEBUG and TRACE add
 * `inspectionData`: `input`, `afterArguments`, `result`, `variables` and `errorDetails` (TRACE adds
 * the HTTP request and response of HTTP tasks in the service; this runtime has none, so TRACE equals
 * DEBUG). A Wait state does not wait.
 */
import type { CompiledState } from './definition.js';
import { compileDefinition } from './definition.js';
import { ApiError, DefinitionError, errorMatches, SfnError, StatesErrors } from './errors.js';
import { invokeDynamoDb, invokeLambda } from './integrations.js';
import { Exec, Interpreter, type Engine } from './interpreter.js';
import { newExecutionHeader, type FrameRecord, type Outcome } from './model.js';
import type { Runtime } from './runtime.js';
import { stringifyJson } from './json-text.js';
import { invalidDefinitionMessage } from './validation.js';

export type InspectionLevel = 'INFO' | 'DEBUG' | 'TRACE';

export interface TestStateInput {
  definition: string;
  input?: string;
  inspectionLevel?: InspectionLevel;
  roleArn?: string;
  stateName?: string;
  variables?: string;
  mock?: { result?: string; errorOutput?: { error?: string; cause?: string }; fieldValidationMode?: string };
}

export interface TestStateOutput {
  status: 'SUCCEEDED' | 'FAILED' | 'RETRIABLE' | 'CAUGHT_ERROR';
  output?: string;
  error?: string;
  cause?: string;
  nextState?: string;
  inspectionData?: {
    input?: string;
    afterArguments?: string;
    result?: string;
    variables?: string;
    errorDetails?: { catchIndex?: number; retryIndex?: number; retryBackoffIntervalSeconds?: number };
  };
}

/** The service's TestState runs at most five minutes; so many interpreter jobs are far more than one state needs. */
const MAX_JOBS = 100_000;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function parseJson(text: string, what: string, code: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ApiError(code, `Invalid ${what}: ${(err as Error).message}`);
  }
}

/** The names a state transitions to (Next, Default, Choices[].Next, Catch[].Next). */
function targets(state: Record<string, unknown>): string[] {
  const out: unknown[] = [state.Next, state.Default];
  if (Array.isArray(state.Choices)) for (const r of state.Choices) if (isObject(r)) out.push(r.Next);
  if (Array.isArray(state.Catch)) for (const c of state.Catch) if (isObject(c)) out.push(c.Next);
  return out.filter((t): t is string => typeof t === 'string');
}

/**
 * A state machine that holds the tested state, its transition targets as Succeed states (so that the
 * state compiles alone), and the task it runs with a mock (`.sync` suffixes dropped: the mock is the
 * result; Parallel and Map become a task whose result is the mock).
 */
function wrapperFor(input: TestStateInput): { text: string; name: string; raw: Record<string, unknown> } {
  const parsed = parseJson(input.definition, 'State Machine Definition', 'InvalidDefinition');
  if (!isObject(parsed)) throw new ApiError('InvalidDefinition', "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Definition must be a valid JSON object'");
  let name: string;
  let state: Record<string, unknown>;
  let queryLanguage: unknown;
  if (isObject(parsed.States)) {
    name = input.stateName ?? (typeof parsed.StartAt === 'string' ? parsed.StartAt : '');
    const found = parsed.States[name];
    if (!isObject(found)) throw new ApiError('ValidationException', `The state '${name}' is not a state of the definition (stateName)`);
    state = { ...found };
    queryLanguage = parsed.QueryLanguage;
  } else {
    if (input.stateName !== undefined) throw new ApiError('ValidationException', 'stateName is only allowed with a state machine definition');
    name = 'TestState';
    state = { ...parsed };
  }
  const mocked = input.mock !== undefined;
  const needsMock = state.Type === 'Parallel' || state.Type === 'Map' || (typeof state.Resource === 'string' && /\.(sync(:2)?|waitForTaskToken)$/.test(state.Resource));
  if (needsMock && !mocked) throw new ApiError('ValidationException', `TestState needs a mock to test ${state.Type === 'Task' ? `the resource ${String(state.Resource)}` : `a ${String(state.Type)} state`}`);
  if (mocked && state.Type !== 'Task' && state.Type !== 'Parallel' && state.Type !== 'Map') throw new ApiError('ValidationException', `A mock is only allowed for a Task, Parallel or Map state, not ${String(state.Type)}`);
  if (state.Type === 'Parallel' || state.Type === 'Map') {
    const task: Record<string, unknown> = { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke' };
    for (const key of ['Comment', 'QueryLanguage', 'Next', 'End', 'Output', 'Assign', 'Retry', 'Catch']) if (state[key] !== undefined) task[key] = state[key];
    if (state.Type === 'Parallel' && state.Arguments !== undefined) task.Arguments = state.Arguments;
    state = task;
  } else if (typeof state.Resource === 'string' && /\.sync(:2)?$/.test(state.Resource)) {
    state.Resource = state.Resource.replace(/\.sync(:2)?$/, '');
  }
  const states: Record<string, unknown> = { [name]: state };
  for (const t of targets(state)) if (t !== name) states[t] = { Type: 'Succeed', QueryLanguage: 'JSONata' };
  const raw = { ...(queryLanguage !== undefined ? { QueryLanguage: queryLanguage } : {}), StartAt: name, States: states };
  return { text: JSON.stringify(raw), name, raw };
}

/** The interpreter's engine for one state: no store, no timers (a Wait fires at once, a retry is reported). */
class OneStateEngine implements Engine {
  readonly region: string;
  readonly maxHistoryEvents = 25_000;
  readonly jobs: (() => Promise<void> | void)[] = [];
  interp!: Interpreter;
  /** The frame left the tested state for `nextState`. */
  transition: { state: string; input: unknown } | undefined;
  retrying = false;
  retryDelaySeconds = 0;
  ended = false;
  lastError: SfnError | undefined;
  readonly #now: number;

  constructor(
    private readonly runtime: Runtime,
    private readonly mock: Outcome | undefined,
  ) {
    this.region = runtime.region;
    this.#now = runtime.nowMs();
  }

  nowMs(): number {
    return this.#now;
  }
  checkpoint(): void {}
  dropped(): void {}
  finished(): void {
    this.ended = true;
  }
  stateError(_exec: Exec, _frame: FrameRecord, error: SfnError): void {
    this.lastError = error;
  }

  schedule(exec: Exec, frame: FrameRecord): void {
    if (frame.phase === 'enter') this.transition = { state: frame.state, input: frame.input };
    else this.jobs.push(() => this.interp.run(exec, frame));
  }

  setTimer(exec: Exec, frame: FrameRecord, due: number): void {
    const seq = ++exec.header.seq;
    frame.timer = { due, seq };
    if (frame.phase === 'wait') this.jobs.push(() => this.interp.timerFired(exec, frame, seq));
    else if (frame.phase === 'retry') {
      this.retrying = true;
      this.retryDelaySeconds = (due - this.#now) / 1000;
    }
    // Task timeouts and heartbeats do not fire: the state runs once.
  }

  invoke(exec: Exec, frame: FrameRecord, state: CompiledState): void {
    const seq = frame.seq;
    const resource = state.resource!;
    const args = frame.args;
    this.jobs.push(async () => {
      let outcome: Outcome;
      if (this.mock) outcome = this.mock;
      else {
        try {
          const value =
            resource.kind === 'lambda:invoke' || resource.kind === 'lambda:function'
              ? await invokeLambda({ registry: this.runtime.lambdas, kind: resource.kind, args, ...(resource.functionArn ? { functionArn: resource.functionArn } : {}), attemptKey: `test-state/${exec.header.arn}/${seq}`, nowMs: () => this.runtime.nowMs() })
              : resource.kind === 'states:startExecution'
                ? startExecution(this.runtime, args)
                : await invokeDynamoDb(this.runtime.dynamodb, resource.kind, args);
          outcome = { ok: true, value };
        } catch (err) {
          const e = err instanceof SfnError ? err : new SfnError(StatesErrors.TaskFailed, err instanceof Error ? err.message : String(err));
          outcome = { ok: false, error: e.error, cause: e.causeText };
        }
      }
      if (frame.phase === 'callback') await this.interp.callback(exec, frame, seq, outcome);
      else await this.interp.taskReturned(exec, frame, seq, outcome);
    });
  }
}

function startExecution(runtime: Runtime, args: unknown): { ExecutionArn: string; StartDate: string } {
  const a = (isObject(args) ? args : {}) as { StateMachineArn?: unknown; Input?: unknown; Name?: unknown };
  if (typeof a.StateMachineArn !== 'string') throw new SfnError(StatesErrors.Runtime, 'The states:startExecution Arguments need a StateMachineArn string');
  try {
    const started = runtime.startExecution({
      stateMachineArn: a.StateMachineArn,
      ...(typeof a.Name === 'string' ? { name: a.Name } : {}),
      input: a.Input === undefined ? '{}' : typeof a.Input === 'string' ? a.Input : stringifyJson(a.Input),
    });
    return { ExecutionArn: started.executionArn, StartDate: started.startDate.toISOString() };
  } catch (err) {
    if (err instanceof ApiError) throw new SfnError(`StepFunctions.${err.code}Exception`, err.message);
    throw err;
  }
}

function mockOutcome(mock: TestStateInput['mock']): Outcome | undefined {
  if (!mock) return undefined;
  const hasResult = mock.result !== undefined;
  const hasError = mock.errorOutput !== undefined;
  if (hasResult === hasError) throw new ApiError('ValidationException', 'A mock must have exactly one of result and errorOutput');
  if (hasResult) return { ok: true, value: parseJson(mock.result!, 'mock result', 'ValidationException') };
  return { ok: false, error: mock.errorOutput!.error ?? '', cause: mock.errorOutput!.cause ?? '' };
}

export async function testState(runtime: Runtime, input: TestStateInput): Promise<TestStateOutput> {
  const level = input.inspectionLevel ?? 'INFO';
  if (!['INFO', 'DEBUG', 'TRACE'].includes(level)) throw new ApiError('ValidationException', `1 validation error detected: Value '${level}' at 'inspectionLevel' failed to satisfy constraint: Member must satisfy enum value set: [INFO, DEBUG, TRACE]`);
  const stateInput = parseJson(input.input ?? '{}', 'input', 'InvalidExecutionInput');
  const variables = input.variables === undefined ? undefined : parseJson(input.variables, 'variables', 'ValidationException');
  if (variables !== undefined && !isObject(variables)) throw new ApiError('ValidationException', 'variables must be a JSON object of variable names and values');
  const mock = mockOutcome(input.mock);
  const { text, name } = wrapperFor(input);
  let compiled;
  try {
    compiled = compileDefinition(text);
  } catch (err) {
    if (err instanceof DefinitionError) throw new ApiError('InvalidDefinition', invalidDefinitionMessage(err, text));
    throw err;
  }
  const state = compiled.states.get(name)!;

  const engine = new OneStateEngine(runtime, mock);
  const interp = new Interpreter(engine);
  engine.interp = interp;
  const now = runtime.nowMs();
  const header = newExecutionHeader({
    arn: `arn:aws:states:${runtime.region}:${runtime.accountId}:execution:TestState:test-state`,
    name: 'test-state',
    stateMachineArn: `arn:aws:states:${runtime.region}:${runtime.accountId}:stateMachine:TestState`,
    stateMachineName: 'TestState',
    definitionId: '',
    roleArn: input.roleArn ?? `arn:aws:iam::${runtime.accountId}:role/TestState`,
    ordinal: 0,
    input: stringifyJson(stateInput),
    startDate: now,
    rng: now >>> 0,
  });
  const exec = new Exec(header, compiled, () => now);
  const frame = interp.start(exec);
  if (variables) frame.vars = { ...variables };
  engine.jobs.push(() => interp.run(exec, frame));
  for (let n = 0; engine.jobs.length > 0 && !engine.transition && !engine.ended && !engine.retrying; n++) {
    if (n >= MAX_JOBS) throw new ApiError('ValidationException', 'The state did not settle');
    await engine.jobs.shift()!();
  }

  const out: TestStateOutput = { status: 'SUCCEEDED' };
  const err = engine.lastError;
  if (engine.retrying && err) {
    out.status = 'RETRIABLE';
  } else if (engine.ended && header.status !== 'SUCCEEDED') {
    out.status = 'FAILED';
    if (header.error !== undefined) out.error = header.error;
    if (header.cause !== undefined) out.cause = header.cause;
  } else {
    if (err) out.status = 'CAUGHT_ERROR';
    const result = engine.transition ? engine.transition.input : header.output !== undefined ? (JSON.parse(header.output) as unknown) : undefined;
    if (result !== undefined) out.output = stringifyJson(result);
    if (engine.transition) out.nextState = engine.transition.state;
  }
  if (err && out.status !== 'FAILED') {
    out.error = err.error;
    out.cause = err.causeText;
  }
  if (level === 'INFO') return out;

  // DEBUG / TRACE: the data flow of the state.
  const events = exec.events;
  const scheduled = events.find((e) => e.type === 'TaskScheduled' || e.type === 'LambdaFunctionScheduled');
  const succeeded = events.find((e) => e.type === 'TaskSucceeded' || e.type === 'LambdaFunctionSucceeded');
  const details = (e: typeof scheduled, key: string): unknown => (e ? (Object.values(e).find((v) => isObject(v) && key in v) as Record<string, unknown> | undefined)?.[key] : undefined);
  const data: NonNullable<TestStateOutput['inspectionData']> = { input: stringifyJson(stateInput) };
  const afterArguments = scheduled ? (details(scheduled, 'parameters') ?? details(scheduled, 'input')) : undefined;
  if (afterArguments !== undefined) data.afterArguments = stringifyJson(afterArguments);
  const result = details(succeeded, 'output') ?? (mock?.ok ? mock.value : undefined);
  if (result !== undefined) data.result = stringifyJson(result);
  const vars = exec.frames.get(frame.id)?.vars ?? (engine.ended ? header.restart?.vars : undefined) ?? frame.vars;
  if (vars && Object.keys(vars).length > 0) data.variables = stringifyJson(vars);
  if (err) {
    const errorDetails = errorDetailsOf(state, err, out.status, engine.retryDelaySeconds);
    if (errorDetails) data.errorDetails = errorDetails;
  }
  out.inspectionData = data;
  return out;
}

function errorDetailsOf(state: CompiledState, err: SfnError, status: TestStateOutput['status'], delaySeconds: number): NonNullable<TestStateOutput['inspectionData']>['errorDetails'] {
  if (status === 'RETRIABLE') {
    const retryIndex = state.retry.findIndex((r) => errorMatches(r.errorEquals, err.error));
    return { retryIndex, retryBackoffIntervalSeconds: delaySeconds };
  }
  if (status === 'CAUGHT_ERROR') return { catchIndex: state.catch.findIndex((c) => errorMatches(c.errorEquals, err.error)) };
  return undefined;
}
