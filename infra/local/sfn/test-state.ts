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
 *
 * With a mock, `context` replaces the context object and the mocked result is checked against the
 * integration's response shape (`mock.fieldValidationMode`, mock-shapes.ts); `stateConfiguration`
 * sets the retries already made (`retrierRetryCount`) and is checked as the service checks it.
 */
import type { CompiledState } from './definition.js';
import { compileDefinition } from './definition.js';
import { ApiError, DefinitionError, errorMatches, SfnError, StatesErrors } from './errors.js';
import { invokeDynamoDb, invokeLambda } from './integrations.js';
import { Exec, Interpreter, type Engine } from './interpreter.js';
import { newExecutionHeader, type FrameRecord, type Outcome } from './model.js';
import type { Runtime } from './runtime.js';
import { parseJsonText, stringifyJson } from './json-text.js';
import { validateMockResult, type FieldValidationMode } from './mock-shapes.js';
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
  /** The context object the state sees (`$states.context`), as JSON text; only with a mock. */
  context?: string;
  stateConfiguration?: TestStateConfiguration;
}

export interface TestStateConfiguration {
  /** Retries already made by the Retrier that matches the state's error. */
  retrierRetryCount?: number;
  /** Map/Parallel with a mocked error: the state inside it the error comes from. */
  errorCausedByState?: string;
  /** Map with a mock: iterations that failed (they count against tolerated-failure thresholds). */
  mapIterationFailureCount?: number;
  /** Distributed Map: what its ItemReader read. */
  mapItemReaderData?: string;
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
    return parseJsonText(text);
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
function wrapperFor(input: TestStateInput): { text: string; name: string; original: Record<string, unknown> } {
  const parsed = parseJson(input.definition, 'State Machine Definition', 'InvalidDefinition');
  if (!isObject(parsed))
    throw new ApiError(
      'InvalidDefinition',
      "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Definition must be a valid JSON object'",
    );
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
    if (input.stateName !== undefined)
      throw new ApiError('ValidationException', 'stateName is only allowed with a state machine definition');
    name = 'TestState';
    state = { ...parsed };
  }
  const original = state;
  const mocked = input.mock !== undefined;
  // The service's words (measured on AWS; LocalStack's test_state_mock_validation.snapshot.json).
  if (!mocked && (state.Type === 'Parallel' || state.Type === 'Map')) {
    throw new ApiError(
      'InvalidDefinition',
      'TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]',
    );
  }
  if (!mocked && isIntegrationPattern(state))
    throw new ApiError('ValidationException', `TestState needs a mock to test the resource ${String(state.Resource)}`);
  if (mocked && state.Type !== 'Task' && state.Type !== 'Parallel' && state.Type !== 'Map')
    throw new ApiError('ValidationException', `State type '${String(state.Type)}' is not supported when a mock is specified`);
  if (state.Type === 'Parallel' || state.Type === 'Map') {
    const task: Record<string, unknown> = { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke' };
    for (const key of ['Comment', 'QueryLanguage', 'Next', 'End', 'Output', 'Assign', 'Retry', 'Catch'])
      if (state[key] !== undefined) task[key] = state[key];
    if (state.Type === 'Parallel' && state.Arguments !== undefined) task.Arguments = state.Arguments;
    state = task;
  } else if (typeof state.Resource === 'string' && /\.sync(:2)?$/.test(state.Resource)) {
    state.Resource = state.Resource.replace(/\.sync(:2)?$/, '');
  }
  const states: Record<string, unknown> = { [name]: state };
  for (const t of targets(state)) if (t !== name) states[t] = { Type: 'Succeed', QueryLanguage: 'JSONata' };
  const raw = { ...(queryLanguage !== undefined ? { QueryLanguage: queryLanguage } : {}), StartAt: name, States: states };
  return { text: JSON.stringify(raw), name, original };
}

function isIntegrationPattern(state: Record<string, unknown>): boolean {
  return typeof state.Resource === 'string' && /\.(sync(:2)?|waitForTaskToken)$/.test(state.Resource);
}

/** The names of the states inside a Parallel's branches or a Map's ItemProcessor (any depth). */
function innerStateNames(state: Record<string, unknown>, out = new Set<string>()): Set<string> {
  const graphs = [...(Array.isArray(state.Branches) ? state.Branches : []), state.ItemProcessor, state.Iterator];
  for (const g of graphs) {
    if (!isObject(g) || !isObject(g.States)) continue;
    for (const [n, inner] of Object.entries(g.States)) {
      out.add(n);
      if (isObject(inner)) innerStateNames(inner, out);
    }
  }
  return out;
}

const CONTEXT_FIELDS: Record<string, Record<string, 'string' | 'integer' | 'any'>> = {
  Execution: {
    Id: 'string',
    Input: 'any',
    Name: 'string',
    RoleArn: 'string',
    StartTime: 'string',
    RedriveCount: 'integer',
    RedriveTime: 'string',
  },
  State: { EnteredTime: 'string', Name: 'string', RetryCount: 'integer' },
  StateMachine: { Id: 'string', Name: 'string' },
  Task: { Token: 'string' },
};

/**
 * TestState `context`: the context object the state sees, checked as the service checks it (its
 * words, measured on AWS: LocalStack's test_state_context_object.snapshot.json): known fields only,
 * no `Map`, `Task` only for a `.sync`/`.waitForTaskToken` task, and the types of the known fields.
 */
function contextObject(text: string, state: Record<string, unknown>): Record<string, unknown> {
  const invalid = (reason: string): ApiError => new ApiError('ValidationException', `Invalid Context object provided: ${reason}`);
  const ctx = parseJson(text, 'Context object', 'ValidationException');
  if (!isObject(ctx)) throw invalid('Context object must be a JSON object');
  for (const [key, value] of Object.entries(ctx)) {
    if (key === 'Map') throw invalid("'Map' field is not supported when mocking a Context object");
    const fields = CONTEXT_FIELDS[key];
    if (!fields) throw invalid(`Field '${key}' is not allowed`);
    if (key === 'Task' && !(state.Type === 'Task' && isIntegrationPattern(state))) {
      throw invalid(
        "Context object contains 'Task' when state is not a Task state with a '.sync' or '.waitForTaskToken' service integration pattern",
      );
    }
    if (!isObject(value)) throw invalid(`${key} must be an object`);
    for (const [field, v] of Object.entries(value)) {
      const type = fields[field];
      if (!type) throw invalid(`Field '${field}' is not allowed`);
      if (type === 'string' && typeof v !== 'string') throw invalid(`${key}.${field} must be a string`);
      if (type === 'integer' && !Number.isInteger(v)) throw invalid(`${key}.${field} must be an integer`);
    }
  }
  return ctx;
}

function nonNegative(config: TestStateConfiguration, field: 'retrierRetryCount' | 'mapIterationFailureCount'): number | undefined {
  const v = config[field];
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < 0) {
    throw new ApiError(
      'ValidationException',
      `1 validation error detected: Value '${String(v)}' at 'stateConfiguration.${field}' failed to satisfy constraint: Member must have value greater than or equal to 0`,
    );
  }
  return v;
}

/**
 * TestState `stateConfiguration`, checked as the service checks it. `mapIterationFailureCount` counts
 * only against a Map's tolerated-failure thresholds, which belong to distributed Maps (refused by this
 * runtime): for an inline Map it is checked and has no effect, as on AWS for a Map without thresholds.
 */
function checkStateConfiguration(config: TestStateConfiguration, state: Record<string, unknown>, mock: Outcome | undefined): void {
  nonNegative(config, 'retrierRetryCount');
  const failures = nonNegative(config, 'mapIterationFailureCount');
  if (failures !== undefined) {
    // The service's words (measured on AWS; LocalStack's test_state_mock_validation.snapshot.json).
    if (!mock)
      throw new ApiError('ValidationException', 'TestState does not support MapIterationFailureCount when a mock is not specified.');
    if (state.Type !== 'Map')
      throw new ApiError(
        'ValidationException',
        `TestState supports MapIterationFailureCount only for a Map state, not ${String(state.Type)}`,
      );
    if (mock.ok && Array.isArray(mock.value) && failures > mock.value.length) {
      throw new ApiError('ValidationException', 'Map iteration failure count must be less than or equal to the number of Map iterations');
    }
  }
  if (config.errorCausedByState !== undefined) {
    if (state.Type !== 'Map' && state.Type !== 'Parallel')
      throw new ApiError(
        'ValidationException',
        `TestState supports ErrorCausedByState only for a Map or Parallel state, not ${String(state.Type)}`,
      );
    if (!mock || mock.ok) throw new ApiError('ValidationException', 'TestState supports ErrorCausedByState only with a mocked errorOutput');
    if (!innerStateNames(state).has(config.errorCausedByState)) {
      throw new ApiError(
        'ValidationException',
        `ErrorCausedByState '${config.errorCausedByState}' is not a state of the ${String(state.Type)} state`,
      );
    }
  }
  if (config.mapItemReaderData !== undefined) {
    throw new ApiError(
      'ValidationException',
      'MapItemReaderData needs a Map state with an ItemReader (a distributed Map), which this runtime does not run',
    );
  }
}

function fieldValidationMode(mock: TestStateInput['mock']): FieldValidationMode {
  const mode = mock?.fieldValidationMode ?? 'STRICT';
  if (mode !== 'STRICT' && mode !== 'PRESENT' && mode !== 'NONE') {
    throw new ApiError(
      'ValidationException',
      `1 validation error detected: Value '${mode}' at 'mock.fieldValidationMode' failed to satisfy constraint: Member must satisfy enum value set: [STRICT, PRESENT, NONE]`,
    );
  }
  return mode;
}

/** A mocked result against the shape the state's work returns: Map/Parallel arrays, the task's API response. */
function checkMockResult(
  mock: Outcome | undefined,
  input: TestStateInput,
  original: Record<string, unknown>,
  resourceKind: string | undefined,
): void {
  const mode = fieldValidationMode(input.mock);
  if (!mock?.ok) return;
  // The service's words (measured on AWS; LocalStack's test_state_mock_validation.snapshot.json).
  if ((original.Type === 'Map' || original.Type === 'Parallel') && !Array.isArray(mock.value))
    throw new ApiError('ValidationException', 'Mocked result must be an array.');
  if (original.Type === 'Parallel' && Array.isArray(original.Branches) && (mock.value as unknown[]).length !== original.Branches.length) {
    throw new ApiError('ValidationException', 'Mocked result must contain the same number of items as number of Parallel branches.');
  }
  if (original.Type === 'Task' && resourceKind && !isIntegrationPattern(original)) validateMockResult(mock.value, resourceKind, mode);
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
    private readonly retrierRetryCount: number | undefined,
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
  stateError(exec: Exec, frame: FrameRecord, error: SfnError): void {
    this.lastError = error;
    // stateConfiguration.retrierRetryCount: the Retrier that matches the error has retried so often already.
    if (this.retrierRetryCount !== undefined && frame.retryCounts === null) {
      const retry = exec.machine.states.get(frame.state)?.retry ?? [];
      const i = retry.findIndex((r) => errorMatches(r.errorEquals, error.error));
      if (i >= 0) {
        frame.retryCounts = retry.map((_, j) => (j === i ? this.retrierRetryCount! : 0));
        frame.retryTotal = this.retrierRetryCount;
      }
    }
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
              ? await invokeLambda({
                  registry: this.runtime.lambdas,
                  kind: resource.kind,
                  args,
                  ...(resource.functionArn ? { functionArn: resource.functionArn } : {}),
                  attemptKey: `test-state/${exec.header.arn}/${seq}`,
                  nowMs: () => this.runtime.nowMs(),
                })
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
  if (typeof a.StateMachineArn !== 'string')
    throw new SfnError(StatesErrors.Runtime, 'The states:startExecution Arguments need a StateMachineArn string');
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
  if (hasResult && hasError)
    throw new ApiError('ValidationException', 'A test mock should have only one of the following fields: [result, errorOutput].');
  if (!hasResult && !hasError)
    throw new ApiError('ValidationException', 'A test mock needs one of the following fields: [result, errorOutput].');
  if (hasResult) return { ok: true, value: parseJson(mock.result!, 'mock result', 'ValidationException') };
  return { ok: false, error: mock.errorOutput!.error ?? '', cause: mock.errorOutput!.cause ?? '' };
}

export async function testState(runtime: Runtime, input: TestStateInput): Promise<TestStateOutput> {
  const level = input.inspectionLevel ?? 'INFO';
  if (!['INFO', 'DEBUG', 'TRACE'].includes(level))
    throw new ApiError(
      'ValidationException',
      `1 validation error detected: Value '${level}' at 'inspectionLevel' failed to satisfy constraint: Member must satisfy enum value set: [INFO, DEBUG, TRACE]`,
    );
  const stateInput = parseJson(input.input ?? '{}', 'input', 'InvalidExecutionInput');
  const variables = input.variables === undefined ? undefined : parseJson(input.variables, 'variables', 'ValidationException');
  if (variables !== undefined && !isObject(variables))
    throw new ApiError('ValidationException', 'variables must be a JSON object of variable names and values');
  const mock = mockOutcome(input.mock);
  const { text, name, original } = wrapperFor(input);
  if (input.stateConfiguration) checkStateConfiguration(input.stateConfiguration, original, mock);
  if (input.context !== undefined && !mock)
    throw new ApiError('ValidationException', 'TestState does not support Context when a mock is not specified.');
  const context = input.context === undefined ? undefined : contextObject(input.context, original);
  let compiled;
  try {
    compiled = compileDefinition(text);
  } catch (err) {
    if (err instanceof DefinitionError) throw new ApiError('InvalidDefinition', invalidDefinitionMessage(err, text));
    throw err;
  }
  const state = compiled.states.get(name)!;
  checkMockResult(mock, input, original, state.resource?.kind);

  const engine = new OneStateEngine(runtime, mock, input.stateConfiguration?.retrierRetryCount);
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
  if (context) exec.contextOverride = context;
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
    const result = engine.transition ? engine.transition.input : header.output !== undefined ? parseJsonText(header.output) : undefined;
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
  const details = (e: typeof scheduled, key: string): unknown =>
    e ? (Object.values(e).find((v) => isObject(v) && key in v) as Record<string, unknown> | undefined)?.[key] : undefined;
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

function errorDetailsOf(
  state: CompiledState,
  err: SfnError,
  status: TestStateOutput['status'],
  delaySeconds: number,
): NonNullable<TestStateOutput['inspectionData']>['errorDetails'] {
  if (status === 'RETRIABLE') {
    const retryIndex = state.retry.findIndex((r) => errorMatches(r.errorEquals, err.error));
    return { retryIndex, retryBackoffIntervalSeconds: delaySeconds };
  }
  if (status === 'CAUGHT_ERROR') return { catchIndex: state.catch.findIndex((c) => errorMatches(c.errorEquals, err.error)) };
  return undefined;
}
