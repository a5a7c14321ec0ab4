/**
 * The workflow sweep, run daily (08:15 Asia/Omsk, before the 09:00 reminders) by its schedule with
 * `{"task": "workflow-sweep", "scheduledTime": "<aws.scheduler.scheduled-time>"}`: it re-creates the
 * drivers that were lost (DESIGN.md §3.1), so that a stopped, failed or deleted execution costs at most
 * a day, not the rest of the milestone.
 *
 * For every school with an open milestone:
 * - an active, submitted or on-hold milestone whose lifecycle is not running gets its next generation
 *   (the same deterministic name the program would use; started twice, it is one execution);
 * - a milestone that is ready to start (a lost program did not start it) wakes the school program, or
 *   starts its next generation when none runs.
 *
 * - every workflow signal still in the outbox is delivered (a command whose signal failed, or whose
 *   process stopped between its commit and its signal);
 * - a lifecycle that waits on a milestone which changed since it began waiting (its waiting step read
 *   an older version: a signal that was lost) is signalled, so that it refreshes and waits in the
 *   milestone's current phase.
 *
 * Nothing is decided here: the re-created executions read the stored state and go on from there.
 * A school's program that runs and a lifecycle that waits cost one DescribeExecution each.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { SystemClock } from '../../shared/clock.js';
import { IsoInstant, type MilestoneState } from '../../shared/program/model.js';
import { createWorkflowSignal } from '../common/workflow-signal.js';
import { logTo } from '../common/log.js';
import { classified, parseEvent, requireArn, sendTaskSuccess, workflowContext, WORKFLOW_ENV, type WorkflowContext } from './common.js';
import { SWEEP_TASK } from './contract.js';
import { findLifecycle } from '../common/executions.js';
import { WAIT_PHASE } from './milestone-view.js';
import { readyToStart } from './plan-school.js';
import { programWaits } from '../../shared/store/program-wait.js';
import type { PendingSignal } from '../../shared/store/index.js';

export { SWEEP_TASK };

export const SweepEvent = z
  .object({
    task: z.literal(SWEEP_TASK),
    /** The schedule's time: "now" for this run. */
    scheduledTime: IsoInstant.optional(),
  })
  .strict();
export type SweepEvent = z.infer<typeof SweepEvent>;

export interface SweepResult {
  at: string;
  schools: number;
  lifecyclesRunning: number;
  lifecyclesStarted: number;
  /** Pending signals of the outbox delivered, and waiting lifecycles that had missed a change. */
  signalsDelivered: number;
  lifecyclesRepaired: number;
  programsWoken: number;
  programsStarted: number;
}

const logger = new Logger();
const PAGE = 500;

export async function sweep(ctx: WorkflowContext, nowIso: string): Promise<SweepResult> {
  const lifecycleArn = requireArn(ctx.env, WORKFLOW_ENV.milestoneLifecycle);
  const programArn = requireArn(ctx.env, WORKFLOW_ENV.schoolProgram);
  const store = ctx.storeAt(nowIso);
  const nowMs = Date.parse(nowIso);
  const result: SweepResult = {
    at: nowIso,
    schools: 0,
    lifecyclesRunning: 0,
    lifecyclesStarted: 0,
    signalsDelivered: 0,
    lifecyclesRepaired: 0,
    programsWoken: 0,
    programsStarted: 0,
  };
  const waits = programWaits(ctx.dynamodb, ctx.env.TABLE_NAME);
  const signal = createWorkflowSignal({
    sfn: ctx.sfn,
    store,
    stateMachineArn: programArn,
    lifecycleStateMachineArn: lifecycleArn,
    programWaits: waits,
    log: logTo(logger),
  });

  // The outbox first: a delivered signal makes its lifecycle consistent before it is compared below.
  const pending: PendingSignal[] = [];
  let signalCursor: string | null = null;
  do {
    const page = await store.listPendingSignals({ limit: PAGE, cursor: signalCursor });
    pending.push(...page.items);
    signalCursor = page.cursor;
  } while (signalCursor !== null);
  for (const item of pending) {
    const delivered = await signal.deliver(item);
    if (delivered.kind !== 'failed') result.signalsDelivered++;
  }

  const schoolIds = new Set<string>();
  let cursor: string | null = null;
  do {
    const page = await store.listOpenByDeadline({ limit: PAGE, cursor });
    for (const state of page.items) schoolIds.add(state.schoolId);
    cursor = page.cursor;
  } while (cursor !== null);

  for (const schoolId of [...schoolIds].sort()) {
    const record = await store.getSchool(schoolId);
    if (!record) continue;
    result.schools++;
    const states: Record<string, MilestoneState> = Object.fromEntries(record.milestones.map((m) => [m.state.key, m.state]));
    for (const { state, task } of record.milestones) {
      if (!WAIT_PHASE[state.status]) continue;
      const lifecycle = await findLifecycle(ctx.sfn, lifecycleArn, schoolId, state.key, task?.executionArn);
      if (lifecycle.running) {
        result.lifecyclesRunning++;
        const phase = WAIT_PHASE[state.status];
        const stale = task !== null && (task.version !== undefined ? task.version < state.version : task.phase !== phase);
        if (stale) {
          // It waits on an older state (a lost signal): tell it, so that it refreshes into the current phase.
          const repaired = await signal.deliver({
            schoolId,
            milestone: state.key,
            version: state.version,
            event: 'repaired',
            status: state.status,
            at: nowIso,
          });
          if (repaired.kind !== 'failed') result.lifecyclesRepaired++;
          logger.warn('milestone lifecycle waited on an older state: signalled', {
            schoolId,
            key: state.key,
            status: state.status,
            taskPhase: task.phase,
            result: repaired.kind,
          });
        }
        continue;
      }
      await ctx.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: lifecycleArn,
          name: lifecycle.name,
          input: JSON.stringify({ schoolId, key: state.key }),
        }),
      );
      result.lifecyclesStarted++;
      logger.warn('milestone lifecycle was not running: started its next generation', {
        schoolId,
        key: state.key,
        status: state.status,
        name: lifecycle.name,
      });
    }
    if (readyToStart(await ctx.programs.forSchool(record.school), states, nowMs).length === 0) continue;
    // A milestone is ready and not started: the program is not doing its job. Wake it, or replace it.
    const wait = await waits.get(schoolId);
    if (wait && (await sendTaskSuccess(ctx.sfn, wait.token, { sweep: nowIso }))) {
      await waits.clear(schoolId, wait.token);
      result.programsWoken++;
      continue;
    }
    const live = await signal.ensureExecution(schoolId);
    if (live.started) {
      result.programsStarted++;
      logger.warn('school program was not running: started its next generation', { schoolId, executionArn: live.executionArn });
    }
  }
  logger.info('workflow sweep finished', { ...result });
  return result;
}

export async function handler(event: unknown, context?: Context): Promise<SweepResult> {
  if (context) logger.addContext(context);
  return classified('workflow sweep', logger, async () => {
    const request = parseEvent(SweepEvent, event, 'workflow sweep');
    const now = request.scheduledTime ?? new SystemClock().now().toISOString();
    return sweep(workflowContext(), now);
  });
}
