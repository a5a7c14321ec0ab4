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
 * token. A signal is therefore never lost between `Refresh` and `AwaitChange`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { Id, MilestoneKey, MilestoneStatus } from '../../shared/program/model.js';
import { IsoInstant } from '../../shared/program/model.js';
import { classified, parseEvent, sendTaskFailure, sendTaskSuccess, workflowContext, type WorkflowContext } from './common.js';
import { LIFECYCLE_END_ERROR, LIFECYCLE_RENEW_ERROR } from './contract.js';
import { WAIT_PHASE } from './milestone-view.js';

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

  const proceed = async (reason: string, current: { status: string; version: number } | null): Promise<AwaitOutcome> => {
    await store.clearTaskToken(schoolId, key, { token });
    await sendTaskSuccess(ctx.sfn, token, {
      event: 'changed',
      version: current?.version ?? event.version,
      status: current?.status ?? event.status,
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
    const current = await store.getMilestone(schoolId, key);
    return proceed((error as Error).message, current?.state ?? null);
  }
  return { waiting: true };
}

export async function handler(event: unknown, context?: Context): Promise<AwaitOutcome> {
  if (context) logger.addContext(context);
  return classified('await milestone change', logger, () =>
    awaitMilestone(workflowContext(), parseEvent(AwaitMilestoneEvent, event, 'await milestone change')),
  );
}
