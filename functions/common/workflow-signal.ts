/**
 * Telling the school's workflow that a command was committed (DESIGN.md §3.1: DynamoDB is the source of
 * truth, an execution is a re-creatable driver). Called after the commit, never before; a failed signal
 * is logged and never fails the caller, because the stored state wins: the next execution, or the next
 * wait of the running one, reads it.
 *
 * The contract with the state machines:
 * - the milestone's waiting step gets the command. Its task token is the one the signal carries (the
 *   step waiting when the command read the milestone); when it carries none, or that step is gone, it is
 *   read from the milestone item after the commit, so a wait that stored its token after the command read
 *   the school (and found the milestone unchanged) is signalled too:
 *   - `hold`   → SendTaskFailure, error `Milestone.Held`
 *   - `waive`  → SendTaskFailure, error `Milestone.Waived`
 *   - anything else accepted → SendTaskSuccess, output `{"event": <event type>, "version": <new version>, "status": <new status>}`,
 *     with `"committed": {"state": <the milestone at that version>, "programVersion": <n>}` when the
 *     signal carries that state (the lifecycle's `Refresh` then starts from it without a read)
 *   (the failures carry the same JSON, without `committed`, as their `cause`);
 * - `TaskDoesNotExist`, `InvalidToken`, `TaskTimedOut` mean the step is gone: not an error;
 * - when no waiting step answered, the milestone's own lifecycle must run (it reads the stored state at
 *   its next step): its stored execution, then its deterministic names `ms-<id>-<key>-g<n>` are asked.
 *   If none runs, the school program plans again and starts the lifecycles that are missing: its
 *   waiting step (the token stored on `SCHOOL#<id>` / `PROGRAM`) is woken, or, when it is not waiting,
 *   the program must run: the first RUNNING generation `school-<id>-<n>` is live, else the first name
 *   not used yet is started with input `{"schoolId": "<id>"}`. A successor started by the workflow
 *   itself ("continue as new") takes the next generation's name (see executions.ts).
 * Without the lifecycle state machine configured, any running execution of the school counts as live.
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
import type { PendingSignal, StoredMilestone, WaitingTask } from '../../shared/store/marshall.js';
import type { MilestoneStore } from '../../shared/store/store.js';
import { executionArnOf, findLifecycle, MAX_GENERATIONS, programExecutionName } from './executions.js';
import { serviceLog, type Log } from './log.js';
import type { ProgramWaits } from '../../shared/store/program-wait.js';

export { executionArnOf, MAX_GENERATIONS };
/** `school-<id>-<generation>` (executions.ts). */
export const executionName = programExecutionName;

export const HELD_ERROR = 'Milestone.Held';
export const WAIVED_ERROR = 'Milestone.Waived';

export type SignalResult =
  | { kind: 'task-success' | 'task-failure'; executionArn: string }
  | { kind: 'program-woken'; executionArn: string }
  | { kind: 'execution-running'; executionArn: string }
  | { kind: 'execution-started'; executionArn: string }
  | { kind: 'already-seen'; executionArn: string }
  | { kind: 'skipped'; reason: string }
  | { kind: 'failed'; error: string };

export interface WorkflowSignalOptions {
  sfn: SFNClient;
  store: Pick<MilestoneStore, 'getMilestone' | 'getSignal' | 'clearTaskToken' | 'clearSignal'>;
  /** The school-program state machine; without it no execution is started (logged). */
  stateMachineArn: string | undefined;
  /** The milestone-lifecycle state machine: with it (and `programWaits`), a lost lifecycle is re-created by the next command. */
  lifecycleStateMachineArn?: string | undefined;
  /** Where the school program waits (shared/store/program-wait.ts). */
  programWaits?: Pick<ProgramWaits, 'get' | 'clear'>;
  log?: Log;
}

export interface DeliverOptions {
  /**
   * The signal as its command's commit returned it, not as the outbox holds it (the dispatcher and the
   * sweep deliver what they read): one that names no step may be stored with the step of an earlier,
   * undelivered signal (see `MilestoneStore.commit`), read when the milestone holds no token.
   */
  asCommitted?: boolean;
}

export interface WorkflowSignal {
  /**
   * Delivers a pending signal of the outbox: signals the waiting step, or makes sure something will read
   * the stored state, then removes the signal from the outbox. Never throws: `failed` leaves the signal
   * pending for the next attempt (the stream dispatcher's retries, then the sweep). The step the signal
   * carries (`task`: the one waiting when the command read the milestone) is signalled without reading
   * the milestone again, which is read only when the signal carries none or that step is gone.
   */
  deliver(signal: PendingSignal, options?: DeliverOptions): Promise<SignalResult>;
  /** The school's live program execution: an existing RUNNING one, or a newly started one. Throws on AWS errors. */
  ensureExecution(schoolId: string, knownExecutionArns?: readonly string[]): Promise<{ executionArn: string; started: boolean }>;
  /** The school program plans again now (its plan changed: a migration): its waiting step is woken, or its live (or next) generation runs. */
  wakeProgram(schoolId: string): Promise<SignalResult>;
}

const STALE_TASK = [TaskDoesNotExist, InvalidToken, TaskTimedOut];
const STALE_TASK_NAMES = ['TaskDoesNotExist', 'InvalidToken', 'TaskTimedOut'];

function isStale(error: unknown): boolean {
  return STALE_TASK.some((type) => error instanceof type) || STALE_TASK_NAMES.includes((error as { name?: string } | null)?.name ?? '');
}

export function createWorkflowSignal(options: WorkflowSignalOptions): WorkflowSignal {
  const { sfn, store, stateMachineArn, lifecycleStateMachineArn, programWaits } = options;
  const log = options.log ?? serviceLog('workflow-signal');
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
      const name = programExecutionName(schoolId, generation);
      const arn = executionArnOf(stateMachineArn, name);
      const current = await status(arn);
      if (current === 'RUNNING') return { executionArn: arn, started: false };
      if (current !== null) continue; // ended (succeeded, failed, timed out, aborted): its successor's name is next
      try {
        const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify({ schoolId }) }));
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

  /**
   * Signals the step waiting on the milestone; `gone` when none is stored or it no longer waits (then its
   * execution, as a hint). `taken`: the commit took the step's token off the item, nothing to clear.
   */
  async function signalWaitingStep(
    signal: PendingSignal,
    stored: { task: WaitingTask | null; state: { version: number; status: string } },
    where: Record<string, unknown>,
    cleanUp: Promise<unknown>[],
    taken = false,
  ): Promise<SignalResult | { gone: string | null }> {
    const { task, state } = stored;
    if (!task) return { gone: null };
    const reported = { event: signal.event, version: state.version, status: state.status };
    const payload = JSON.stringify(reported);
    try {
      let kind: 'task-success' | 'task-failure';
      const failure = state.status === 'waived' ? WAIVED_ERROR : state.status === 'on-hold' && signal.event === 'held' ? HELD_ERROR : null;
      if (failure) {
        await sfn.send(new SendTaskFailureCommand({ taskToken: task.token, error: failure, cause: payload }));
        kind = 'task-failure';
      } else {
        // The state as committed, when the signal carries the one it reports: the lifecycle's next step
        // starts from it instead of reading the school again.
        const output =
          signal.committed?.state.version === state.version ? JSON.stringify({ ...reported, committed: signal.committed }) : payload;
        await sfn.send(new SendTaskSuccessCommand({ taskToken: task.token, output }));
        kind = 'task-success';
      }
      // The token is used up: drop it, unless the workflow has already stored its next one (beside the
      // signal's own removal from the outbox, which waits for nothing else), or the commit took it off
      // the item already (the signal's own task).
      if (!taken) {
        cleanUp.push(
          store.clearTaskToken(signal.schoolId, signal.milestone, { token: task.token }).catch((error: unknown) => {
            log('warn', 'could not clear a used task token', { ...where, error: String(error) });
          }),
        );
      }
      log('info', 'workflow signalled', { ...where, kind, executionArn: task.executionArn });
      return { kind, executionArn: task.executionArn };
    } catch (error) {
      if (!isStale(error)) throw error;
      log('info', 'the waiting step is gone; the stored state will be read by the workflow', { ...where, error: (error as Error).name });
      if (!taken) await store.clearTaskToken(signal.schoolId, signal.milestone, { token: task.token }).catch(() => undefined);
      return { gone: task.executionArn };
    }
  }

  /** The school program plans again: its waiting step is woken, or its live (or next) generation runs. */
  async function wakeProgram(
    input: { schoolId: string; milestone: string; status: string },
    where: Record<string, unknown>,
  ): Promise<SignalResult> {
    const wait = programWaits ? await programWaits.get(input.schoolId) : null;
    if (wait) {
      let delivered = true;
      try {
        await sfn.send(
          new SendTaskSuccessCommand({
            taskToken: wait.token,
            output: JSON.stringify({ milestone: input.milestone, status: input.status }),
          }),
        );
      } catch (error) {
        if (!isStale(error)) throw error;
        delivered = false;
      }
      await programWaits!.clear(input.schoolId, wait.token);
      if (delivered) {
        log('info', 'school program woken: it plans again', { ...where, executionArn: wait.executionArn });
        return { kind: 'program-woken', executionArn: wait.executionArn };
      }
    }
    const live = await ensureExecution(input.schoolId);
    log(
      live.started ? 'warn' : 'info',
      live.started ? 'school program was not running: started its next generation' : 'school program is running',
      {
        ...where,
        executionArn: live.executionArn,
      },
    );
    return { kind: live.started ? 'execution-started' : 'execution-running', executionArn: live.executionArn };
  }

  /** Tells the workflow of the stored state: the waiting step, else the running lifecycle, else the program. */
  async function notify(
    signal: PendingSignal,
    stored: StoredMilestone,
    where: Record<string, unknown>,
    cleanUp: Promise<unknown>[],
  ): Promise<SignalResult> {
    const { state, task } = stored;
    if (task && task.version !== undefined && task.version >= state.version) {
      // The step waiting now started after this state was committed: it has read it.
      return { kind: 'already-seen', executionArn: task.executionArn };
    }
    const signalled = await signalWaitingStep(signal, stored, where, cleanUp);
    if (!('gone' in signalled)) return signalled;
    const hint = signalled.gone ?? task?.executionArn ?? null;
    if (!stateMachineArn) {
      if (!warnedUnconfigured) log('warn', 'no school-program state machine configured: committed commands reach no workflow', where);
      warnedUnconfigured = true;
      return { kind: 'skipped', reason: 'no school-program state machine configured' };
    }
    if (!lifecycleStateMachineArn) {
      // Without the lifecycle's state machine: any running execution of the school counts as live.
      const live = await ensureExecution(signal.schoolId, hint ? [hint] : []);
      log('info', live.started ? 'workflow execution started' : 'workflow execution is running', {
        ...where,
        executionArn: live.executionArn,
      });
      return { kind: live.started ? 'execution-started' : 'execution-running', executionArn: live.executionArn };
    }
    // No step waited: the milestone's lifecycle, if it runs, reads the stored state at its next step.
    const lifecycle = await findLifecycle(sfn, lifecycleStateMachineArn, signal.schoolId, signal.milestone, hint ?? undefined);
    if (lifecycle.running) {
      log('info', 'the milestone lifecycle is running: it reads the stored state at its next step', {
        ...where,
        executionArn: lifecycle.executionArn,
      });
      return { kind: 'execution-running', executionArn: lifecycle.executionArn };
    }
    return wakeProgram({ schoolId: signal.schoolId, milestone: signal.milestone, status: state.status }, where);
  }

  async function deliver(signal: PendingSignal, options: DeliverOptions = {}): Promise<SignalResult> {
    const where = { schoolId: signal.schoolId, milestone: signal.milestone, event: signal.event, version: signal.version };
    const cleanUp: Promise<unknown>[] = [];
    /** The step a signal (this one, or the one stored) holds, signalled; null when it holds none or that step is gone. */
    const toHeldStep = async (held: PendingSignal | null): Promise<SignalResult | null> => {
      if (!held?.task) return null;
      const committed = { task: held.task, state: { version: signal.version, status: signal.status } };
      const signalled = await signalWaitingStep(signal, committed, where, cleanUp, held.taskTaken === true);
      return 'gone' in signalled ? null : signalled;
    };
    try {
      let result = await toHeldStep(signal);
      if (!result) {
        const stored = await store.getMilestone(signal.schoolId, signal.milestone);
        if (options.asCommitted && stored && !stored.task && !signal.task) {
          // No step named and none on the item: the commit may have carried on the token an earlier,
          // undelivered signal held (its step still waits for it), into the stored signal.
          const kept = await store.getSignal(signal.schoolId, signal.milestone);
          if (kept?.version === signal.version) result = await toHeldStep(kept);
        }
        result ??= stored ? await notify(signal, stored, where, cleanUp) : { kind: 'skipped', reason: 'the milestone does not exist' };
      }
      // Delivered: out of the outbox, unless a later commit replaced it (that one is delivered on its own).
      await Promise.all([...cleanUp, store.clearSignal(signal.schoolId, signal.milestone, signal.version)]);
      return result;
    } catch (error) {
      log('error', 'workflow signal failed; it stays in the outbox', {
        ...where,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
      return { kind: 'failed', error: String(error) };
    }
  }

  return {
    deliver,
    ensureExecution,
    wakeProgram: (schoolId) => wakeProgram({ schoolId, milestone: '', status: 'replanned' }, { schoolId, event: 'program-changed' }),
  };
}
