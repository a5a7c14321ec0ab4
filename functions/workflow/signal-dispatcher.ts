/**
 * The workflow-signal dispatcher, fed by the table's stream (the signal items a commit writes: INSERT,
 * or MODIFY when a later commit of the same milestone replaces one; and their removals, REMOVE, once
 * delivered). It is how the API's commands reach the workflow: they answer after their commit and leave
 * the signal to it. For each milestone of a batch only its last record counts: a removal means that
 * whoever removed the signal delivered it (its command, a bulk job, the sweep), so there is nothing to
 * do; after a write, the signal is read (a later commit may have replaced it, or someone delivered and
 * removed it since: then there is nothing to do) and delivered with `WorkflowSignal.deliver`, which
 * signals the step the signal carries (the one the command saw waiting) and is idempotent on the
 * workflow's side. The read is what keeps a busy milestone cheap: the record's own image would signal
 * a replaced signal's step once more for every record, each then finding it gone. A delivery that
 * fails is reported as the failure of the milestone's records (`batchItemFailures`), so Lambda retries
 * them; whatever still fails after the retries is delivered by the daily workflow sweep.
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
 * Delivers the latest signal of each milestone the records name; answers the records whose delivery
 * failed. Milestones are delivered side by side (a burst of commands must not wait for one another's
 * round trips), each once.
 */
export async function dispatchSignals(deps: SignalDispatchDeps, records: readonly DynamoDBRecord[]): Promise<DynamoDBBatchResponse> {
  const failed = new Set<string>();
  const recordId = (r: DynamoDBRecord) => r.dynamodb?.SequenceNumber ?? r.eventID ?? '';
  const byMilestone = new Map<string, { ids: string[]; key: { schoolId: string; milestone: string }; last: DynamoDBRecord }>();
  for (const record of records) {
    const key = keyOf.signal(record.dynamodb?.Keys as Record<string, { S?: string }> | undefined);
    if (!key) continue;
    const group = `${key.schoolId}#${key.milestone}`;
    const entry = byMilestone.get(group) ?? { ids: [], key, last: record };
    entry.ids.push(recordId(record));
    entry.last = record;
    byMilestone.set(group, entry);
  }
  await mapLimit([...byMilestone.values()], DISPATCH_CONCURRENCY, async ({ ids, key, last }) => {
    // Removed after the records before it: delivered (by its command, a bulk job, the sweep), nothing to do.
    if (last.eventName === 'REMOVE') return;
    try {
      const pending = await deps.store.getSignal(key.schoolId, key.milestone);
      if (!pending) return; // delivered already (by its command, or an earlier batch) and removed
      const result = await deps.signal.deliver(pending);
      if (result.kind !== 'failed') return;
    } catch (error) {
      logger.error('could not read a pending workflow signal', { ...key, error: error as Error });
    }
    // All the milestone's records go back to the stream: its retry delivers the latest again.
    for (const id of ids) failed.add(id);
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
