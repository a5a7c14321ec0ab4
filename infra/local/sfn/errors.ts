/**
 * Errors of the local Step Functions runtime.
 *
 * - `SfnError`: an error raised while an execution runs (a state's error name and cause, as the service
 *   reports them in TaskFailed/ExecutionFailed events and in `$states.errorOutput`).
 * - `DefinitionError`: a definition refused when it is loaded (CreateStateMachine → InvalidDefinition).
 * - `ApiError`: an error of the Step Functions API (`__type` on the wire, e.g. ExecutionDoesNotExist).
 */

/** Error names defined by the Amazon States Language / the service. */
export const StatesErrors = {
  ALL: 'States.ALL',
  TaskFailed: 'States.TaskFailed',
  Timeout: 'States.Timeout',
  HeartbeatTimeout: 'States.HeartbeatTimeout',
  QueryEvaluationError: 'States.QueryEvaluationError',
  Runtime: 'States.Runtime',
  BranchFailed: 'States.BranchFailed',
  NoChoiceMatched: 'States.NoChoiceMatched',
  DataLimitExceeded: 'States.DataLimitExceeded',
  ExceedToleratedFailureThreshold: 'States.ExceedToleratedFailureThreshold',
  Permissions: 'States.Permissions',
  ItemReaderFailed: 'States.ItemReaderFailed',
  ResultWriterFailed: 'States.ResultWriterFailed',
} as const;

export class SfnError extends Error {
  /** The error name as Step Functions reports it (e.g. `States.Timeout`, `ConflictError`). */
  readonly error: string;
  /** The cause text (may be empty). */
  readonly causeText: string;
  constructor(error: string, cause = '') {
    super(`${error}: ${cause}`);
    this.name = 'SfnError';
    this.error = error;
    this.causeText = cause;
  }
}

/** True when a Retrier's or Catcher's ErrorEquals list matches an error name (service rules). */
export function errorMatches(errorEquals: readonly string[], error: string): boolean {
  // States.Runtime and States.DataLimitExceeded end the execution: no retrier or catcher applies.
  if (error === StatesErrors.Runtime || error === StatesErrors.DataLimitExceeded) return false;
  for (const name of errorEquals) {
    if (name === error) return true;
    if (name === StatesErrors.ALL) return true;
    // "States.TaskFailed ... matches any known error name except for States.Timeout" (concepts-error-handling).
    if (name === StatesErrors.TaskFailed && error !== StatesErrors.Timeout) return true;
  }
  return false;
}

export class DefinitionError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.length === 1 ? problems[0]! : `${problems.length} problems in the definition:\n- ${problems.join('\n- ')}`);
    this.name = 'DefinitionError';
    this.problems = problems;
  }
}

/** An error of the Step Functions API, serialised as `{"__type": code, "message": ...}` with HTTP 400. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status = 400) {
    super(message);
    this.name = code;
    this.code = code;
    this.status = status;
  }
}

/** An error raised inside a JSONata evaluation, with JSONata's code (T0410, D3137, …) as the service reports it. */
export class JsonataError extends Error {
  readonly code: string;
  /** What JSONata fills its message template with (`Argument {{index}} of function {{token}} …`). */
  readonly index?: number;
  readonly token?: string;
  constructor(code: string, message: string, details: { index?: number; token?: string } = {}) {
    super(message);
    this.name = 'JsonataError';
    this.code = code;
    if (details.index !== undefined) this.index = details.index;
    if (details.token !== undefined) this.token = details.token;
  }
}
