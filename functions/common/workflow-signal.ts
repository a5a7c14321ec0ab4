/**
 * Telling the school's workflow that a command was committed (DESIGN.md §3.1: DynamoDB is the source of
 * truth, an execution is a re-creatable driver). Called after the commit, never before; a failed signal
 * is logged and never fails the caller, because the stored state wins: the next execution, or the next
 * wait of the running one, reads it.
 *
 * The contract with the state machines:
 * - the milestone's waiting step (its task token, stored on the milestone item by the workflow) gets
 *   - `hold`   → SendTaskFailure, error `Milestone.Held`
 *   - `waive`  → SendTaskFailure, error `Milestone.Waived`
 *   - anything else accepted → SendTaskSuccess, output `{"event": <event type>, "version": <new version>, "status": <new status>}`
 *   (the failures carry the same JSON as their `cause`);
 * - `TaskDoesNotExist`, `InvalidToken`, `TaskTimedOut` mean the step is gone: not an error;
 * - when no waiting step answered, the school must have a live execution: the executions named in the
 *   school's stored tasks are asked first, then the deterministic names `school-<id>-<generation>`
 *   (generation 1, 2, …): the first RUNNING one is live; the first name that does not exist yet is started
 *   with input `{"schoolId": "<id>"}`. A successor started by the workflow itself ("continue as new") takes
 *   the next generation's name (see `executionName`).
 */
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { createHash } from 'node:crypto';
import type { MilestoneEvent, MilestoneState } from '../../shared/program/model.js';
import type { WaitingTask } from '../../shared/store/marshall.js';
import type { MilestoneStore } from '../../shared/store/store.js';

export const HELD_ERROR = 'Milestone.Held';
export const WAIVED_ERROR = 'Milestone.Waived';
/** How many generations of a school's execution are looked at before giving up. */
export const MAX_GENERATIONS = 64;

export interface SignalInput {
  schoolId: string;
  milestone: string;
  /** The milestone after the commit. */
  state: MilestoneState;
  /** The events the command committed (the last one is reported). */
  events: MilestoneEvent[];
  /** The step that was waiting on this milestone when the command was decided (read before the commit). */
  task: WaitingTask | null;
  /** Every waiting step of the school (their executions are candidates for the live one). */
  tasks: WaitingTask[];
}

export type SignalResult =
  | { kind: 'task-success' | 'task-failure'; executionArn: string }
  | { kind: 'execution-running'; executionArn: string }
  | { kind: 'execution-started'; executionArn: string }
  | { kind: 'skipped'; reason: string }
  | { kind: 'failed'; error: string };

export interface WorkflowSignalOptions {
  sfn: SFNClient;
  store: Pick<MilestoneStore, 'clearTaskToken'>;
  /** The school-program state machine; without it no execution is started (logged). */
  stateMachineArn: string | undefined;
  log?: (level: 'info' | 'warn' | 'error', message: string, data: Record<string, unknown>) => void;
}

export interface WorkflowSignal {
  /** After a committed command: signal the waiting step, or make sure the school has a live execution. Never throws. */
  afterCommit(input: SignalInput): Promise<SignalResult>;
  /** The school's live execution: an existing RUNNING one, or a newly started one. Throws on AWS errors. */
  ensureExecution(schoolId: string, knownExecutionArns?: readonly string[]): Promise<{ executionArn: string; started: boolean }>;
}

/** `school-<id>-<generation>`; ids too long for the 80-character limit are shortened with a hash. */
export function executionName(schoolId: string, generation: number): string {
  const name = `school-${schoolId}-${generation}`;
  if (name.length <= 80) return name;
  const digest = createHash('sha256').update(schoolId).digest('hex').slice(0, 12);
  return `school-${schoolId.slice(0, 80 - 8 - 13 - String(generation).length - 1)}~${digest}-${generation}`;
}

/** The ARN of an execution of a state machine: `arn:aws:states:<region>:<account>:execution:<machine>:<name>`. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  const parts = stateMachineArn.split(':');
  if (parts.length < 7 || parts[5] !== 'stateMachine') throw new Error(`not a state machine ARN: ${stateMachineArn}`);
  return [...parts.slice(0, 5), 'execution', parts[6], name].join(':');
}

const STALE_TASK = [TaskDoesNotExist, InvalidToken, TaskTimedOut];

const defaultLog: NonNullable<WorkflowSignalOptions['log']> = (level, message, data) => {
  const line = JSON.stringify({ level: level.toUpperCase(), message, ...data });
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
};

export function createWorkflowSignal(options: WorkflowSignalOptions): WorkflowSignal {
  const { sfn, store, stateMachineArn } = options;
  const log = options.log ?? defaultLog;
  let warnedUnconfigured = false;

  async function status(executionArn: string): Promise<string | null> {
    try {
      const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      return out.status ?? null;
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist || (error as { name?: string }).name === 'ExecutionDoesNotExist') return null;
      throw error;
    }
  }

  async function ensureExecution(schoolId: string, known: readonly string[] = []): Promise<{ executionArn: string; started: boolean }> {
    for (const arn of new Set(known)) {
      if ((await status(arn)) === 'RUNNING') return { executionArn: arn, started: false };
    }
    if (!stateMachineArn) throw new Error('no school-program state machine configured (SCHOOL_PROGRAM_STATE_MACHINE_ARN)');
    for (let generation = 1; generation <= MAX_GENERATIONS; generation++) {
      const name = executionName(schoolId, generation);
      const arn = executionArnOf(stateMachineArn, name);
      const current = await status(arn);
      if (current === 'RUNNING') return { executionArn: arn, started: false };
      if (current !== null) continue; // ended (succeeded, failed, timed out, aborted): its successor's name is next
      try {
        const out = await sfn.send(
          new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify({ schoolId }) }),
        );
        return { executionArn: out.executionArn ?? arn, started: true };
      } catch (error) {
        // Someone else started it a moment ago: that one is the live execution.
        if (error instanceof ExecutionAlreadyExists || (error as { name?: string }).name === 'ExecutionAlreadyExists') {
          return { executionArn: arn, started: false };
        }
        throw error;
      }
    }
    throw new Error(`school ${schoolId} has ${MAX_GENERATIONS} ended executions and none running`);
  }

  async function afterCommit(input: SignalInput): Promise<SignalResult> {
    const last = input.events.at(-1);
    if (!last) return { kind: 'skipped', reason: 'no events' };
    const payload = JSON.stringify({ event: last.type, version: input.state.version, status: input.state.status });
    const where = { schoolId: input.schoolId, milestone: input.milestone, event: last.type, version: input.state.version };
    try {
      if (input.task) {
        const task = input.task;
        try {
          let kind: 'task-success' | 'task-failure';
          if (last.type === 'held' || last.type === 'waived') {
            const error = last.type === 'held' ? HELD_ERROR : WAIVED_ERROR;
            await sfn.send(new SendTaskFailureCommand({ taskToken: task.token, error, cause: payload }));
            kind = 'task-failure';
          } else {
            await sfn.send(new SendTaskSuccessCommand({ taskToken: task.token, output: payload }));
            kind = 'task-success';
          }
          // The token is used up: drop it, unless the workflow has already stored its next one.
          await store.clearTaskToken(input.schoolId, input.milestone, { token: task.token }).catch((error: unknown) => {
            log('warn', 'could not clear a used task token', { ...where, error: String(error) });
          });
          log('info', 'workflow signalled', { ...where, kind, executionArn: task.executionArn });
          return { kind, executionArn: task.executionArn };
        } catch (error) {
          if (!STALE_TASK.some((type) => error instanceof type) && !['TaskDoesNotExist', 'InvalidToken', 'TaskTimedOut'].includes((error as { name?: string }).name ?? '')) {
            throw error;
          }
          log('info', 'the waiting step is gone; the stored state will be read by the workflow', { ...where, error: (error as Error).name });
          await store.clearTaskToken(input.schoolId, input.milestone, { token: task.token }).catch(() => undefined);
        }
      }
      if (!stateMachineArn) {
        if (!warnedUnconfigured) log('warn', 'no school-program state machine configured: committed commands reach no workflow', where);
        warnedUnconfigured = true;
        return { kind: 'skipped', reason: 'no school-program state machine configured' };
      }
      const known = [...input.tasks.map((t) => t.executionArn), ...(input.task ? [input.task.executionArn] : [])];
      const live = await ensureExecution(input.schoolId, known);
      log('info', live.started ? 'workflow execution started' : 'workflow execution is running', { ...where, executionArn: live.executionArn });
      return { kind: live.started ? 'execution-started' : 'execution-running', executionArn: live.executionArn };
    } catch (error) {
      log('error', 'workflow signal failed; the stored state stays authoritative', { ...where, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
      return { kind: 'failed', error: String(error) };
    }
  }

  return { afterCommit, ensureExecution };
}
