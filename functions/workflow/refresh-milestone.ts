/**
 * Lifecycle step `Refresh` and `Remind`: read the milestone and say what the lifecycle does next (see
 * milestone-view.ts); `Remind` first sends the reminder or escalation its wait timed out for.
 *
 * Remind goes through the decider (`remind`): a `reminded` event and the outbox notifications in one
 * transaction with the version check. The reminder id is the one `Refresh` computed before the wait, and
 * the notification ids are derived from it, so a retried or repeated Remind finds them in the outbox
 * (the store refuses the whole commit) and nothing goes out twice. A reminder that stopped being due in
 * the meantime (the milestone was submitted, held, rescheduled) is refused by the decider and skipped.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { remind } from '../../shared/domain/index.js';
import { Id, MilestoneKey, type MilestoneState, type ProgramDefinition } from '../../shared/program/model.js';
import type { MilestoneStore } from '../../shared/store/index.js';
import {
  classified,
  ExecutionFields,
  parseEvent,
  PERMANENT_ERROR,
  requireArn,
  TRANSIENT_ERROR,
  workflowContext,
  WorkflowError,
  WORKFLOW_ENV,
  type WorkflowContext,
} from './common.js';
import { lifecycleExecutionName, successorName } from '../common/executions.js';
import { milestoneView, type MilestoneView } from './milestone-view.js';

export const RefreshEvent = z.object({ schoolId: Id, key: MilestoneKey, ...ExecutionFields }).strict();
export type RefreshEvent = z.infer<typeof RefreshEvent>;

export const RemindEvent = RefreshEvent.extend({ reminderId: z.string().min(1).nullable() }).strict();
export type RemindEvent = z.infer<typeof RemindEvent>;

const logger = new Logger();

/** The milestone's state and the program its school follows, from one read of the school. */
async function readState(
  ctx: WorkflowContext,
  store: MilestoneStore,
  schoolId: string,
  key: string,
): Promise<{ state: MilestoneState; program: ProgramDefinition }> {
  const record = await store.getSchool(schoolId);
  const state = record?.milestones.find((m) => m.state.key === key)?.state;
  if (!record || !state) throw new WorkflowError(PERMANENT_ERROR, `milestone ${schoolId}/${key} does not exist`);
  return { state, program: await ctx.programs.forSchool(record.school) };
}

async function view(
  ctx: WorkflowContext,
  { state, program }: { state: MilestoneState; program: ProgramDefinition },
  event: RefreshEvent,
  options: { catchUp?: boolean } = {},
): Promise<MilestoneView> {
  const v = milestoneView(program, state, event.now, event.executionStartTime, options);
  if (!v.continueAsNew) return v;
  const machine = requireArn(ctx.env, WORKFLOW_ENV.milestoneLifecycle);
  const name = await successorName(ctx.sfn, machine, (g) => lifecycleExecutionName(event.schoolId, event.key, g), event.executionName);
  return { ...v, successorName: name };
}

export async function refreshMilestone(ctx: WorkflowContext, event: RefreshEvent): Promise<MilestoneView> {
  const store = ctx.storeAt(event.now);
  return view(ctx, await readState(ctx, store, event.schoolId, event.key), event, { catchUp: true });
}

export type ReminderOutcome = 'sent' | 'already-sent' | 'not-due' | 'none';

/** Sends the due reminder (at most once), then refreshes. */
export async function remindMilestone(ctx: WorkflowContext, event: RemindEvent): Promise<MilestoneView & { reminder: ReminderOutcome }> {
  const store = ctx.storeAt(event.now);
  const now = new Date(event.now);
  let outcome: ReminderOutcome = 'none';
  // What this step knows to be stored now (read, or just committed by it): the view after the reminder is
  // computed from it instead of reading the school again.
  let known: { state: MilestoneState; program: ProgramDefinition } | null = null;
  if (event.reminderId !== null) {
    for (let attempt = 1; ; attempt++) {
      const record = await store.getSchool(event.schoolId);
      if (!record) throw new WorkflowError(PERMANENT_ERROR, `school ${event.schoolId} does not exist`);
      const states = Object.fromEntries(record.milestones.map((m) => [m.state.key, m.state]));
      const program = await ctx.programs.forSchool(record.school);
      const decision = remind({ program, school: record.school, milestone: event.key, states, contractors: [] }, event.reminderId, now);
      const current = states[event.key];
      if (!decision.ok) {
        known = current ? { state: current, program } : null;
        logger.info('reminder not sent', {
          schoolId: event.schoolId,
          key: event.key,
          reminderId: event.reminderId,
          reason: decision.rejection.message,
        });
        outcome = 'not-due';
        break;
      }
      try {
        await store.commit({
          schoolId: event.schoolId,
          key: event.key,
          expectedVersion: current?.version ?? 0,
          state: decision.state,
          events: decision.events,
          notifications: decision.notifications,
        });
        outcome = 'sent';
        known = { state: decision.state, program };
        logger.info('reminder sent', {
          schoolId: event.schoolId,
          key: event.key,
          reminderId: event.reminderId,
          notifications: decision.notifications.length,
        });
        break;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'duplicate-notification') {
          outcome = 'already-sent';
          break;
        }
        // Someone committed in between: decide again against the new state.
        if (code === 'version-conflict' && attempt < 5) continue;
        if (code === 'version-conflict')
          throw new WorkflowError(TRANSIENT_ERROR, `reminder ${event.reminderId}: the milestone kept changing`, { cause: error });
        throw error;
      }
    }
  }
  const after = await view(ctx, known ?? (await readState(ctx, store, event.schoolId, event.key)), event);
  return { ...after, reminder: outcome };
}

export async function refreshHandler(event: unknown, context?: Context): Promise<MilestoneView> {
  if (context) logger.addContext(context);
  return classified('refresh', logger, () => refreshMilestone(workflowContext(), parseEvent(RefreshEvent, event, 'refresh')));
}

export async function remindHandler(event: unknown, context?: Context): Promise<MilestoneView & { reminder: ReminderOutcome }> {
  if (context) logger.addContext(context);
  return classified('remind', logger, () => remindMilestone(workflowContext(), parseEvent(RemindEvent, event, 'remind')));
}
