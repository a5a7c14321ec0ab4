/**
 * Lifecycle step `Refresh` and `Remind`: read the milestone and say what the lifecycle does next (see
 * milestone-view.ts); `Remind` first sends the reminder or escalation its wait timed out for, `Refresh`
 * one that fell due while nothing sent it.
 *
 * Both send through the decider (`remind`): a `reminded` event and the outbox notifications in one
 * transaction with the version check. The reminder id is the one computed before the wait (or the missed
 * one's), and the notification ids are derived from it, so a retried or repeated step finds them in the
 * outbox (the store refuses the whole commit) and nothing goes out twice. A reminder that stopped being due in
 * the meantime (the milestone was submitted, held, rescheduled) is refused by the decider and skipped.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { milestoneDefinition, missedReminder, remind } from '../../shared/domain/index.js';
import { Id, MilestoneKey, programVersionOf, type MilestoneState, type ProgramDefinition } from '../../shared/program/model.js';
import { CommittedMilestone, type MilestoneStore, type SchoolRecord } from '../../shared/store/index.js';
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
import { milestoneView, WAIT_PHASE, type MilestoneView } from './milestone-view.js';

const StepEvent = z.object({ schoolId: Id, key: MilestoneKey, ...ExecutionFields }).strict();

/** The milestone as handed on (shared/store/marshall.ts); null: read the school. */
export const RefreshEvent = StepEvent.extend({ committed: CommittedMilestone.nullable().optional() }).strict();
export type RefreshEvent = z.infer<typeof RefreshEvent>;

export const RemindEvent = StepEvent.extend({ reminderId: z.string().min(1).nullable() }).strict();
export type RemindEvent = z.infer<typeof RemindEvent>;

const logger = new Logger();

/** One read of the school (one Query, with its milestones) and the program the school follows. */
interface SchoolRead {
  record: SchoolRecord;
  program: ProgramDefinition;
  programVersion: number;
}

/** The milestone as this step knows it stored, with the program (and its version) the school follows. */
interface Known {
  state: MilestoneState;
  program: ProgramDefinition;
  programVersion: number;
}

/** What `Refresh` and `Remind` answer: the view, the reminder they sent, and the school's program version (for the wait). */
export type StepOutput = MilestoneView & { reminder: ReminderOutcome; programVersion: number };

async function readSchool(ctx: WorkflowContext, store: MilestoneStore, schoolId: string): Promise<SchoolRead> {
  const record = await store.getSchool(schoolId);
  if (!record) throw new WorkflowError(PERMANENT_ERROR, `school ${schoolId} does not exist`);
  return { record, program: await ctx.programs.forSchool(record.school), programVersion: programVersionOf(record.school) };
}

/** The same read, with the milestone's state in it. */
async function readState(
  ctx: WorkflowContext,
  store: MilestoneStore,
  schoolId: string,
  key: string,
): Promise<SchoolRead & { state: MilestoneState }> {
  const read = await readSchool(ctx, store, schoolId);
  const state = read.record.milestones.find((m) => m.state.key === key)?.state;
  if (!state) throw new WorkflowError(PERMANENT_ERROR, `milestone ${schoolId}/${key} does not exist`);
  return { ...read, state };
}

async function view(
  ctx: WorkflowContext,
  { state, program }: { state: MilestoneState; program: ProgramDefinition },
  event: RefreshEvent,
): Promise<MilestoneView> {
  const v = milestoneView(program, state, event.now, event.executionStartTime);
  if (!v.continueAsNew) return v;
  const machine = requireArn(ctx.env, WORKFLOW_ENV.milestoneLifecycle);
  const name = await successorName(ctx.sfn, machine, (g) => lifecycleExecutionName(event.schoolId, event.key, g), event.executionName);
  return { ...v, successorName: name };
}

export type ReminderOutcome = 'sent' | 'already-sent' | 'not-due' | 'none';

/**
 * Sends reminder `reminderId` at `now`, at most once: through the decider, committed with the version
 * check, decided again against a newer state after a conflict. Starts from `first` (the caller's read of
 * the school) when given. Returns what happened and the milestone as stored now when this step knows it
 * (null after `already-sent`: the caller reads again).
 */
async function sendReminder(
  ctx: WorkflowContext,
  store: MilestoneStore,
  event: RefreshEvent,
  reminderId: string,
  first?: SchoolRead,
): Promise<{ outcome: ReminderOutcome; known: Known | null }> {
  const now = new Date(event.now);
  for (let attempt = 1; ; attempt++) {
    const { record, program, programVersion } = attempt === 1 && first ? first : await readSchool(ctx, store, event.schoolId);
    const states = Object.fromEntries(record.milestones.map((m) => [m.state.key, m.state]));
    const decision = remind({ program, school: record.school, milestone: event.key, states, contractors: [] }, reminderId, now);
    const current = states[event.key];
    if (!decision.ok) {
      logger.info('reminder not sent', { schoolId: event.schoolId, key: event.key, reminderId, reason: decision.rejection.message });
      return { outcome: 'not-due', known: current ? { state: current, program, programVersion } : null };
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
      logger.info('reminder sent', { schoolId: event.schoolId, key: event.key, reminderId, notifications: decision.notifications.length });
      return { outcome: 'sent', known: { state: decision.state, program, programVersion } };
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'duplicate-notification') return { outcome: 'already-sent', known: null };
      // Someone committed in between: decide again against the new state.
      if (code === 'version-conflict' && attempt < 5) continue;
      if (code === 'version-conflict')
        throw new WorkflowError(TRANSIENT_ERROR, `reminder ${reminderId}: the milestone kept changing`, { cause: error });
      throw error;
    }
  }
}

/**
 * Reads the milestone and says what the lifecycle does next. A reminder that fell due since the
 * milestone last changed and was not sent (`missedReminder`: the lifecycle was down when it was due, or
 * begins at the very instant it is due) is sent here and now, once, then the schedule goes on: the same
 * reminder at the same instant as a wait that timed out for it would have sent, whichever way the
 * lifecycle got here.
 */
export async function refreshMilestone(ctx: WorkflowContext, event: RefreshEvent): Promise<StepOutput> {
  const store = ctx.storeAt(event.now);
  const { committed } = event;
  // After a command, the state its signal brought, as stored at its version: no read. Were the milestone
  // changed again since, the wait that follows is refused at that version and the lifecycle reads it.
  const read: Known & { record?: SchoolRecord } =
    committed && committed.state.schoolId === event.schoolId && committed.state.key === event.key
      ? {
          state: committed.state,
          program: await ctx.programs.forSchool({ programVersion: committed.programVersion }),
          programVersion: committed.programVersion,
        }
      : await readState(ctx, store, event.schoolId, event.key);
  const def = milestoneDefinition(read.program, event.key);
  const missed =
    def && WAIT_PHASE[read.state.status] ? missedReminder(read.state, def.reminders, read.program.timeZone, new Date(event.now)) : null;
  if (!missed) return { ...(await view(ctx, read, event)), reminder: 'none', programVersion: read.programVersion };
  const { outcome, known } = await sendReminder(
    ctx,
    store,
    event,
    missed.id,
    read.record ? { record: read.record, program: read.program, programVersion: read.programVersion } : undefined,
  );
  const latest = known ?? (await readState(ctx, store, event.schoolId, event.key));
  return { ...(await view(ctx, latest, event)), reminder: outcome, programVersion: latest.programVersion };
}

/** Sends the due reminder (at most once), then refreshes. */
export async function remindMilestone(ctx: WorkflowContext, event: RemindEvent): Promise<StepOutput> {
  const store = ctx.storeAt(event.now);
  const { outcome, known } =
    event.reminderId !== null ? await sendReminder(ctx, store, event, event.reminderId) : { outcome: 'none' as const, known: null };
  const latest = known ?? (await readState(ctx, store, event.schoolId, event.key));
  return { ...(await view(ctx, latest, event)), reminder: outcome, programVersion: latest.programVersion };
}

export async function refreshHandler(event: unknown, context?: Context): Promise<StepOutput> {
  if (context) logger.addContext(context);
  return classified('refresh', logger, () => refreshMilestone(workflowContext(), parseEvent(RefreshEvent, event, 'refresh')));
}

export async function remindHandler(event: unknown, context?: Context): Promise<StepOutput> {
  if (context) logger.addContext(context);
  return classified('remind', logger, () => remindMilestone(workflowContext(), parseEvent(RemindEvent, event, 'remind')));
}
