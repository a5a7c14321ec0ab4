/**
 * Lifecycle step `AwaitChange` (`lambda:invoke.waitForTaskToken`): stores the step's task token on the
 * milestone item, where a command's workflow signal finds it (functions/common/workflow-signal.ts).
 *
 * The lifecycle read the milestone at version `version` before it started waiting. If a command was
 * committed since — before the token was stored, so its signal found no token — the wait must not
 * start: the token is stored only at that version (the store refuses it otherwise), and the milestone is
 * read once more after storing; in both cases the step completes itself at once and the lifecycle
 * refreshes. A signal is therefore never lost between `Refresh` and `AwaitChange`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { Id, MilestoneKey, MilestoneStatus } from '../../shared/program/model.js';
import { classified, parseEvent, PERMANENT_ERROR, sendTaskSuccess, workflowContext, WorkflowError, type WorkflowContext } from './common.js';
import { IsoInstant } from '../../shared/program/model.js';
import { WAIT_PHASE } from './milestone-view.js';

export const AwaitMilestoneEvent = z
  .object({
    token: z.string().min(1),
    schoolId: Id,
    key: MilestoneKey,
    executionArn: z.string().min(1),
    /** What Refresh saw. */
    status: MilestoneStatus,
    version: z.number().int().min(0),
    now: IsoInstant,
  })
  .strict();
export type AwaitMilestoneEvent = z.infer<typeof AwaitMilestoneEvent>;

export type AwaitOutcome = { waiting: true } | { waiting: false; reason: string };

const logger = new Logger();

export async function awaitMilestone(ctx: WorkflowContext, event: AwaitMilestoneEvent): Promise<AwaitOutcome> {
  const phase = WAIT_PHASE[event.status];
  if (!phase) throw new WorkflowError(PERMANENT_ERROR, `a lifecycle does not wait while a milestone is ${event.status}`);
  const store = ctx.storeAt(event.now);
  const { schoolId, key, token } = event;

  const proceed = async (reason: string, current: { status: string; version: number } | null): Promise<AwaitOutcome> => {
    await store.clearTaskToken(schoolId, key, { token });
    await sendTaskSuccess(ctx.sfn, token, { event: 'changed', version: current?.version ?? event.version, status: current?.status ?? event.status });
    logger.info('milestone changed before the wait began: continuing at once', { schoolId, key, reason });
    return { waiting: false, reason };
  };

  try {
    await store.setTaskToken(schoolId, key, { token, executionArn: event.executionArn, phase, expectedVersion: event.version });
  } catch (error) {
    if ((error as { code?: string }).code !== 'task-token-rejected') throw error;
    const current = await store.getMilestone(schoolId, key);
    return proceed((error as Error).message, current?.state ?? null);
  }
  const current = await store.getMilestone(schoolId, key);
  if (!current || current.state.version !== event.version || current.state.status !== event.status) {
    return proceed(`version ${event.version} → ${current?.state.version ?? 'gone'}`, current?.state ?? null);
  }
  return { waiting: true };
}

export async function handler(event: unknown, context?: Context): Promise<AwaitOutcome> {
  if (context) logger.addContext(context);
  return classified('await milestone change', logger, () => awaitMilestone(workflowContext(), parseEvent(AwaitMilestoneEvent, event, 'await milestone change')));
}
