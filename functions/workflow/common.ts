/**
 * What the workflow functions share: their configuration, AWS clients, the time they act at, the
 * horizon of an execution, error classification for the state machines' Retry, and a few small
 * Step Functions helpers.
 *
 * Time is injected (DESIGN.md principle 5): every state machine passes the time its state was entered
 * (`$states.context.State.EnteredTime`) as `now`, so a handler decides at the same instant on a retry,
 * and the local runtime's virtual clock drives the handlers without them knowing.
 *
 * AWS endpoints and credentials come from the SDK's standard variables (AWS_REGION,
 * AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SFN, ...): the same code runs in Lambda and locally.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import type { Clock } from '../../shared/clock.js';
import { IsoInstant } from '../../shared/program/model.js';
import { createStore, type MilestoneStore } from '../../shared/store/index.js';
import { createProgramResolver, type ProgramResolver } from '../../shared/programs/resolver.js';
import { SystemClock } from '../../shared/clock.js';
import { spreadOffsetMs } from '../../shared/spread.js';

import { PERMANENT_ERROR, TRANSIENT_ERROR, WORKFLOW_ENV } from './contract.js';

export { PERMANENT_ERROR, TRANSIENT_ERROR, WORKFLOW_ENV };

const StateMachineArn = z.string().regex(/^arn:[\w-]+:states:[\w-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/, 'a state machine ARN');

export const WorkflowEnv = z.object({
  [WORKFLOW_ENV.table]: z.string().min(1, 'TABLE_NAME is required'),
  [WORKFLOW_ENV.schoolProgram]: StateMachineArn.optional(),
  [WORKFLOW_ENV.milestoneLifecycle]: StateMachineArn.optional(),
});
export type WorkflowEnv = z.infer<typeof WorkflowEnv>;

/**
 * Standard executions live at most a year, so every execution hands over to a successor ("continue as
 * new", DESIGN.md §3.1) at its latest wake: no wait lasts beyond it, and the step that runs at or after
 * it hands over. That instant is `LATEST_WAKE_MS` after the start less an offset of the execution's own
 * within `RENEWAL_SPREAD_MS` (whole seconds, by a hash of its identity and start: the same on a retry,
 * new for a successor). Executions that started in the same second (a whole region imported at once)
 * therefore hand over on different days, not in one second a year later, and not at a reminder they
 * share either (an execution that handed over at its first wake past a fixed age did: every lifecycle
 * of a cohort wakes for the same reminder), so their StartExecution and SendTask calls stay under Step
 * Functions' quotas at the national scale (README, "The national scale"). It costs one wake a year for
 * an execution that would otherwise have renewed at a reminder.
 */
export const LATEST_WAKE_MS = 350 * 86_400_000;
export const RENEWAL_SPREAD_MS = 14 * 86_400_000;

/** The instant an execution that started at `startTime` waits until at the latest, and hands over at. */
export function latestWake(startTime: string, execution: string): number {
  return Date.parse(startTime) + LATEST_WAKE_MS - renewalOffsetMs(`${execution}@${startTime}`);
}

/** Whether a step at `nowMs` of an execution that started at `startTime` hands over to a successor. */
export function handsOver(startTime: string, execution: string, nowMs: number): boolean {
  return nowMs >= latestWake(startTime, execution);
}

/**
 * A school program wakes for its next planned start this much after it at the latest, by a hash of the
 * school: the milestones a cohort starts on the same day start over its first hours (from local
 * midnight), not every school's in one second, whose StartExecution calls would exceed the quota's
 * burst at the national scale (README, "The national scale").
 */
export const START_SPREAD_MS = 6 * 3_600_000;

/** When the program of `schoolId` wakes for a planned start at `plannedMs`. */
export function plannedWake(plannedMs: number, schoolId: string): number {
  return plannedMs + spreadOffsetMs(`start:${schoolId}`, START_SPREAD_MS);
}

/** Whole seconds in [0, RENEWAL_SPREAD_MS), spread evenly over the window by FNV-1a of `identity`. */
export function renewalOffsetMs(identity: string): number {
  return spreadOffsetMs(identity, RENEWAL_SPREAD_MS);
}

/** Whole seconds from `nowMs` until `targetMs`, at least 1 (a task timeout of 0 is not allowed). */
export function secondsUntil(targetMs: number, nowMs: number): number {
  return Math.max(1, Math.ceil((targetMs - nowMs) / 1000));
}

/** A clock that stands still at the instant the workflow acts at. */
export function instantClock(at: string | Date): Clock {
  const ms = typeof at === 'string' ? Date.parse(at) : at.getTime();
  if (!Number.isFinite(ms)) throw new RangeError(`not an instant: ${String(at)}`);
  return { virtual: false, nowMs: () => ms, now: () => new Date(ms) };
}

/** The fields every workflow event carries about where and when it runs. */
export const ExecutionFields = {
  /** `$states.context.Execution.Name` */
  executionName: z.string().min(1).max(80),
  /** `$states.context.Execution.StartTime` */
  executionStartTime: IsoInstant,
  /** `$states.context.State.EnteredTime`: the instant the handler acts at. */
  now: IsoInstant,
};

export class WorkflowError extends Error {
  constructor(name: typeof TRANSIENT_ERROR | typeof PERMANENT_ERROR, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
  }
}

const TRANSIENT_STORE_CODES = new Set(['version-conflict', 'transaction-conflict', 'idempotency-in-progress']);
const TRANSIENT_AWS_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'InternalServerErrorException',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TransactionInProgressException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

/** True for errors a later attempt may not hit: conflicts, throttling, 5xx, network. */
export function isTransient(error: unknown): boolean {
  if (error instanceof WorkflowError) return error.name === TRANSIENT_ERROR;
  const e = error as { name?: string; code?: unknown; $retryable?: unknown; $metadata?: { httpStatusCode?: number } } | null;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.code === 'string' && (TRANSIENT_STORE_CODES.has(e.code) || NETWORK_CODES.has(e.code))) return true;
  if (e.name && TRANSIENT_AWS_NAMES.has(e.name)) return true;
  if (e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  return typeof status === 'number' && status >= 500;
}

/**
 * Runs a handler body and reports its failures under two names the state machines understand:
 * `Workflow.Transient` (retried) and `Workflow.Permanent` (caught and failed with a clear error).
 */
export async function classified<T>(what: string, logger: Logger, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof WorkflowError) {
      logger.error(`${what} failed`, { error });
      throw error;
    }
    const transient = isTransient(error);
    const name = transient ? TRANSIENT_ERROR : PERMANENT_ERROR;
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    logger[transient ? 'warn' : 'error'](`${what} failed`, { error: error as Error, transient });
    throw new WorkflowError(name, `${what}: ${detail}`, { cause: error });
  }
}

/** SendTaskSuccess/Failure errors that mean the waiting step is gone (not an error for the sender). */
export const STALE_TASK_ERRORS = new Set(['TaskDoesNotExist', 'InvalidToken', 'TaskTimedOut']);

export function isStaleTask(error: unknown): boolean {
  return STALE_TASK_ERRORS.has((error as { name?: string } | null)?.name ?? '');
}

/** Completes a waiting task; false when the task is gone already. */
export async function sendTaskSuccess(sfn: SFNClient, token: string, output: unknown): Promise<boolean> {
  try {
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) }));
    return true;
  } catch (error) {
    if (isStaleTask(error)) return false;
    throw error;
  }
}

/** Fails a waiting task with an error the state machine catches; false when the task is gone already. */
export async function sendTaskFailure(sfn: SFNClient, token: string, error: string, cause: unknown): Promise<boolean> {
  try {
    await sfn.send(new SendTaskFailureCommand({ taskToken: token, error, cause: JSON.stringify(cause) }));
    return true;
  } catch (e) {
    if (isStaleTask(e)) return false;
    throw e;
  }
}

/** Lazily built dependencies, rebuilt when the environment they were built from changes. */
export interface WorkflowContext {
  env: WorkflowEnv;
  dynamodb: DynamoDBClient;
  sfn: SFNClient;
  /** The program version each school follows, cached per version (there is no program "of every school"). */
  programs: ProgramResolver;
  /** A store whose clock is `now` (it stamps waiting tasks and idempotency records). */
  storeAt(now: string): MilestoneStore;
}

/**
 * By environment: in Lambda a process serves one function, but where several functions share this
 * module (the local runtime runs them all in one process) each keeps its own clients and connections,
 * instead of the functions taking turns at replacing one.
 */
const contexts = new Map<string, WorkflowContext>();

export function workflowContext(env: NodeJS.ProcessEnv = process.env): WorkflowContext {
  const parsed = WorkflowEnv.parse(env);
  const key = JSON.stringify([parsed, env.AWS_REGION, env.AWS_ENDPOINT_URL, env.AWS_ENDPOINT_URL_DYNAMODB, env.AWS_ENDPOINT_URL_SFN]);
  const known = contexts.get(key);
  if (known) return known;
  const dynamodb = new DynamoDBClient({});
  const sfn = new SFNClient({});
  const context: WorkflowContext = {
    env: parsed,
    dynamodb,
    sfn,
    programs: createProgramResolver(createStore({ client: dynamodb, tableName: parsed.TABLE_NAME, clock: new SystemClock() })),
    storeAt: (now) => createStore({ client: dynamodb, tableName: parsed.TABLE_NAME, clock: instantClock(now) }),
  };
  if (contexts.size >= 16) {
    // Environments come and go only in tests (a table per test): the oldest one is forgotten.
    contexts.delete(contexts.keys().next().value!);
  }
  contexts.set(key, context);
  return context;
}

/** The ARN the environment must carry for this handler. */
export function requireArn(env: WorkflowEnv, name: typeof WORKFLOW_ENV.schoolProgram | typeof WORKFLOW_ENV.milestoneLifecycle): string {
  const arn = env[name];
  if (!arn) throw new WorkflowError(PERMANENT_ERROR, `${name} is not set`);
  return arn;
}

/** Parses a handler's event; a malformed event is a permanent error naming the fields. */
export function parseEvent<S extends z.ZodType>(schema: S, event: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(event);
  if (!result.success) throw new WorkflowError(PERMANENT_ERROR, `${what}: unexpected event: ${z.prettifyError(result.error)}`);
  return result.data;
}
