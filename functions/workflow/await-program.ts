/**
 * School program step `AwaitChange` (`lambda:invoke.waitForTaskToken`): stores the program's task token
 * (shared/store/program-wait.ts) so that a lifecycle that ends can wake it (close-milestone.ts).
 *
 * `Plan` read the school before this step. A lifecycle that ended in between found no token (or the old
 * one), so after storing the token the school is read again; if the milestone statuses differ from
 * what `Plan` saw (`fingerprint`), the step completes itself at once and the program plans again.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { Id, IsoInstant } from '../../shared/program/model.js';
import {
  classified,
  parseEvent,
  PERMANENT_ERROR,
  sendTaskSuccess,
  workflowContext,
  WorkflowError,
  type WorkflowContext,
} from './common.js';
import { fingerprintOf } from './plan-school.js';
import { programWaits } from '../../shared/store/program-wait.js';

export const AwaitProgramEvent = z
  .object({
    token: z.string().min(1),
    schoolId: Id,
    executionArn: z.string().min(1),
    /** What Plan saw. */
    fingerprint: z.string(),
    now: IsoInstant,
  })
  .strict();
export type AwaitProgramEvent = z.infer<typeof AwaitProgramEvent>;

const logger = new Logger();

export async function awaitProgram(ctx: WorkflowContext, event: AwaitProgramEvent): Promise<{ waiting: boolean }> {
  const waits = programWaits(ctx.dynamodb, ctx.env.TABLE_NAME);
  await waits.put({ schoolId: event.schoolId, token: event.token, executionArn: event.executionArn, since: event.now });
  const record = await ctx.storeAt(event.now).getSchool(event.schoolId);
  if (!record) throw new WorkflowError(PERMANENT_ERROR, `school ${event.schoolId} does not exist`);
  const fingerprint = fingerprintOf(
    await ctx.programs.forSchool(record.school),
    Object.fromEntries(record.milestones.map((m) => [m.state.key, m.state])),
  );
  if (fingerprint === event.fingerprint) return { waiting: true };
  await waits.clear(event.schoolId, event.token);
  await sendTaskSuccess(ctx.sfn, event.token, { changed: true });
  logger.info('school changed before the program began to wait: planning again at once', {
    schoolId: event.schoolId,
    before: event.fingerprint,
    now: fingerprint,
  });
  return { waiting: false };
}

export async function handler(event: unknown, context?: Context): Promise<{ waiting: boolean }> {
  if (context) logger.addContext(context);
  return classified('await school change', logger, () =>
    awaitProgram(workflowContext(), parseEvent(AwaitProgramEvent, event, 'await school change')),
  );
}
