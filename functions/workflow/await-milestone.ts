/**
 * Lifecycle step `AwaitChange` (`lambda:invoke.waitForTaskToken`): stores the step's task token on the
 * milestone item, where a command's workflow signal finds it (functions/common/workflow-signal.ts).
 *
 * It follows `Refresh` and `Remind` directly (no Choice state in between: one state transition less for
 * every command and every reminder). When there is nothing to wait for, it says so on its own token and
 * the state machine's catchers route: `Lifecycle.End` (completed, waived, or back to pending) → Close,
 * `Lifecycle.Renew` (the execution is old enough to hand over) → Renew.
 *
 * The lifecycle read the milestone at version `version` before it started waiting. If a command was
 * committed since — before the token was stored, so its signal found no token — the wait must not
 * start: the token is stored only at that version and status (the store refuses it otherwise, and the
 * step completes itself at once and the lifecycle refreshes). A command committed after the token was
 * stored reads the milestone after its commit (functions/common/workflow-signal.ts) and finds the
 * token. A signal is therefore never lost between `Refresh` and `AwaitChange`. The refusal returns the
 * milestone as stored, which the step hands to the next `Refresh` (with the program version it was given).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { Id, MilestoneKey, MilestoneStatus } from '../../shared/program/model.js';
import { IsoInstant } from '../../shared/program/model.js';
import { classified, parseEvent, sendTaskFailure, sendTaskSuccess, workflowContext, type WorkflowContext } from './common.js';
import { LIFECYCLE_END_ERROR, LIFECYCLE_RENEW_ERROR } from './contract.js';
import { WAIT_PHASE } from './milestone-view.js';
import type { StoredMilestone, TaskTokenRejectedError } from '../../shared/store/index.js';

export const AwaitMilestoneEvent = z
  .object({
    token: z.string().min(1),
    schoolId: Id,
    key: MilestoneKey,
    executionArn: z.string().min(1),
    /** What Refresh (or Remind) saw. */
    status: MilestoneStatus,
    version: z.number().int().min(0),
    /** The execution is old enough to hand over to its successor. */
    continueAsNew: z.boolean(),
    /** The school's program version as Refresh (or Remind) knew it; absent from events of definitions before it was passed. */
    programVersion: z.number().int().min(1).nullable().optional(),
    now: IsoInstant,
  })
  .strict();
export type AwaitMilestoneEvent = z.infer<typeof AwaitMilestoneEvent>;

export type AwaitOutcome =
  | { waiting: true }
  | { waiting: false; reason: string }
  | { waiting: false; ended: typeof LIFECYCLE_END_ERROR | typeof LIFECYCLE_RENEW_ERROR };

const logger = new Logger();

export async function awaitMilestone(ctx: WorkflowContext, event: AwaitMilestoneEvent): Promise<AwaitOutcome> {
  const { schoolId, key, token } = event;
  const phase = WAIT_PHASE[event.status];
  if (!phase || event.continueAsNew) {
    const error = phase ? LIFECYCLE_RENEW_ERROR : LIFECYCLE_END_ERROR;
    await sendTaskFailure(ctx.sfn, token, error, { status: event.status, version: event.version });
    return { waiting: false, ended: error };
  }
  const store = ctx.storeAt(event.now);

  const proceed = async (reason: string, current: StoredMilestone | null): Promise<AwaitOutcome> => {
    // The refused write stored nothing; only a token of this very step (an invocation repeated with it) is cleared.
    if (current?.task?.token === token) await store.clearTaskToken(schoolId, key, { token });
    const programVersion = event.programVersion ?? null;
    await sendTaskSuccess(ctx.sfn, token, {
      event: 'changed',
      version: current?.state.version ?? event.version,
      status: current?.state.status ?? event.status,
      // The milestone as the refusal returned it: the lifecycle's Refresh starts from it without a read.
      ...(current && programVersion !== null ? { committed: { state: current.state, programVersion } } : {}),
    });
    logger.info('milestone changed before the wait began: continuing at once', { schoolId, key, reason });
    return { waiting: false, reason };
  };

  try {
    // The write is conditional on the status and the version Refresh saw: once it succeeds, a command
    // committed after it finds the token when it reads the milestone after its commit, so no second
    // read is needed here.
    await store.setTaskToken(schoolId, key, { token, executionArn: event.executionArn, phase, expectedVersion: event.version });
  } catch (error) {
    if ((error as { code?: string }).code !== 'task-token-rejected') throw error;
    const rejected = error as TaskTokenRejectedError;
    return proceed(rejected.message, rejected.current ?? null);
  }
  return { waiting: true };
}

export async function handler(event: unknown, context?: Context): Promise<AwaitOutcome> {
  if (context) logger.addContext(context);
  return classified('await milestone change', logger, () =>
    awaitMilestone(workflowContext(), parseEvent(AwaitMilestoneEvent, event, 'await milestone change')),
  );
}
