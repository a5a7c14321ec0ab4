/**
 * Lifecycle step `Close`: the lifecycle ends (its milestone was completed or waived, or went back to
 * pending), so the school program must plan again — dependants may be ready now, or the school is done.
 *
 * It sends success to the token the program waits with (shared/store/program-wait.ts). When the program is not
 * waiting (between two steps, or gone), it makes sure the school has a live program execution, using the
 * same `ensureExecution` as the API's workflow signal: a running generation is left alone (it will read
 * the stored state before it waits again), a lost one is replaced by the next generation.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { Id, IsoInstant, MilestoneKey, MilestoneStatus } from '../../shared/program/model.js';
import { createWorkflowSignal } from '../common/workflow-signal.js';
import { logTo } from '../common/log.js';
import { classified, parseEvent, requireArn, sendTaskSuccess, workflowContext, WORKFLOW_ENV, type WorkflowContext } from './common.js';
import { programWaits } from '../../shared/store/program-wait.js';

export const CloseEvent = z
  .object({
    schoolId: Id,
    key: MilestoneKey,
    /** The status the lifecycle ended on (from Refresh), or null when a waive ended the wait. */
    status: MilestoneStatus.nullable(),
    now: IsoInstant,
  })
  .strict();
export type CloseEvent = z.infer<typeof CloseEvent>;

export type CloseOutcome =
  { signalled: 'program-token'; executionArn: string } | { signalled: 'execution-running' | 'execution-started'; executionArn: string };

const logger = new Logger();

export async function closeMilestone(ctx: WorkflowContext, event: CloseEvent): Promise<CloseOutcome> {
  const waits = programWaits(ctx.dynamodb, ctx.env.TABLE_NAME);
  const wait = await waits.get(event.schoolId);
  if (wait) {
    const delivered = await sendTaskSuccess(ctx.sfn, wait.token, { milestone: event.key, status: event.status });
    await waits.clear(event.schoolId, wait.token);
    if (delivered) {
      logger.info('school program woken', { schoolId: event.schoolId, key: event.key, executionArn: wait.executionArn });
      return { signalled: 'program-token', executionArn: wait.executionArn };
    }
  }
  const store = ctx.storeAt(event.now);
  const signal = createWorkflowSignal({
    sfn: ctx.sfn,
    store,
    stateMachineArn: requireArn(ctx.env, WORKFLOW_ENV.schoolProgram),
    log: logTo(logger),
  });
  const live = await signal.ensureExecution(event.schoolId);
  logger[live.started ? 'warn' : 'info'](
    live.started ? 'school program was not running: started the next generation' : 'school program is running',
    {
      schoolId: event.schoolId,
      key: event.key,
      executionArn: live.executionArn,
    },
  );
  return { signalled: live.started ? 'execution-started' : 'execution-running', executionArn: live.executionArn };
}

export async function handler(event: unknown, context?: Context): Promise<CloseOutcome> {
  if (context) logger.addContext(context);
  return classified('close milestone', logger, () => closeMilestone(workflowContext(), parseEvent(CloseEvent, event, 'close milestone')));
}
