/**
 * The workflow-signal dispatcher, fed by the table's stream (the signal items a commit writes: INSERT,
 * or MODIFY when a later commit of the same milestone replaces one). It is how the API's commands reach
 * the workflow: they answer after their commit and leave the signal to it. For each record it reads the
 * signal again (a bulk job or an earlier record may have delivered it and removed it: then there is
 * nothing to do) and delivers it with `WorkflowSignal.deliver`, which signals the step the signal carries
 * (the one the command saw waiting) and is idempotent on the workflow's side. A
 * delivery that fails is reported as that record's failure (`batchItemFailures`), so Lambda retries it;
 * whatever still fails after the retries is delivered by the daily workflow sweep.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { z } from 'zod';
import { SystemClock } from '../../shared/clock.js';
import { keyOf, type MilestoneStore } from '../../shared/store/index.js';
import { programWaits } from '../../shared/store/program-wait.js';
import { createWorkflowSignal, type WorkflowSignal } from '../common/workflow-signal.js';
import { requireArn, workflowContext, WORKFLOW_ENV } from './common.js';
import { mapLimit } from '../../shared/map-limit.js';

const logger = new Logger();

const StreamEvent = z.object({ Records: z.array(z.record(z.string(), z.unknown())) });

export interface SignalDispatchDeps {
  store: Pick<MilestoneStore, 'getSignal'>;
  signal: Pick<WorkflowSignal, 'deliver'>;
}

/** How many milestones' signals one invocation delivers at once (each milestone's records in their order). */
export const DISPATCH_CONCURRENCY = 16;

/**
 * Delivers the pending signal each record names; answers the records whose delivery failed. Records of
 * different milestones are delivered side by side (a burst of commands must not wait for one another's
 * round trips); those of one milestone one after the other, in stream order.
 */
export async function dispatchSignals(deps: SignalDispatchDeps, records: readonly DynamoDBRecord[]): Promise<DynamoDBBatchResponse> {
  const failed = new Set<string>();
  const recordId = (r: DynamoDBRecord) => r.dynamodb?.SequenceNumber ?? r.eventID ?? '';
  const byMilestone = new Map<string, { id: string; key: { schoolId: string; milestone: string } }[]>();
  for (const record of records) {
    const key = keyOf.signal(record.dynamodb?.Keys as Record<string, { S?: string }> | undefined);
    if (!key) continue;
    const group = `${key.schoolId}#${key.milestone}`;
    const list = byMilestone.get(group) ?? [];
    list.push({ id: recordId(record), key });
    byMilestone.set(group, list);
  }
  await mapLimit([...byMilestone.values()], DISPATCH_CONCURRENCY, async (group) => {
    for (const [i, { id, key }] of group.entries()) {
      try {
        const pending = await deps.store.getSignal(key.schoolId, key.milestone);
        if (!pending) continue; // delivered already (by its command, or an earlier record of the same milestone)
        const result = await deps.signal.deliver(pending);
        if (result.kind === 'failed') failed.add(id);
      } catch (error) {
        logger.error('could not read a pending workflow signal', { ...key, error: error as Error });
        failed.add(id);
      }
      // The milestone's later records wait for the retry of this one (its signal is the latest anyway).
      if (failed.has(id)) {
        for (const later of group.slice(i + 1)) failed.add(later.id);
        return;
      }
    }
  });
  const failures = records.filter((r) => failed.has(recordId(r))).map((r) => ({ itemIdentifier: recordId(r) }));
  if (failures.length > 0)
    logger.warn('workflow signals not delivered; the stream retries them', { failed: failures.length, of: records.length });
  return { batchItemFailures: failures };
}

export async function handler(event: unknown, context?: Context): Promise<DynamoDBBatchResponse> {
  if (context) logger.addContext(context);
  const { Records } = StreamEvent.parse(event);
  const ctx = workflowContext();
  const store = ctx.storeAt(new SystemClock().now().toISOString());
  const signal = createWorkflowSignal({
    sfn: ctx.sfn,
    store,
    stateMachineArn: requireArn(ctx.env, WORKFLOW_ENV.schoolProgram),
    lifecycleStateMachineArn: requireArn(ctx.env, WORKFLOW_ENV.milestoneLifecycle),
    programWaits: programWaits(ctx.dynamodb, ctx.env.TABLE_NAME),
    log: (level, message, data) => logger[level](message, data),
  });
  return dispatchSignals({ store, signal }, Records as unknown as DynamoDBRecord[]);
}
