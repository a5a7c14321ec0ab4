/**
 * What a milestone lifecycle needs to know to take its next step, computed from the stored milestone:
 * where to go (`status`), how long to wait (`waitSeconds`: until the next reminder or escalation, or
 * until the execution must hand over to its successor), and which reminder is due when that wait
 * times out. Returned by `Refresh` and by `Remind` (which refreshes after sending); the state machine
 * goes from either straight to its wait step, which ends or hands over when there is nothing to wait for.
 */
import { z } from 'zod';
import { milestoneDefinition, nextReminder } from '../../shared/domain/index.js';
import { MilestoneStatus, type MilestoneState, type ProgramDefinition } from '../../shared/program/model.js';
import { TaskPhase } from '../../shared/store/index.js';
import { latestWake, secondsUntil, WorkflowError, PERMANENT_ERROR } from './common.js';

/** The waiting phase of each status a lifecycle waits in; the other statuses end the lifecycle. */
export const WAIT_PHASE: Partial<Record<MilestoneStatus, TaskPhase>> = {
  active: 'submission',
  submitted: 'acceptance',
  'on-hold': 'resume',
};

export const MilestoneView = z
  .object({
    schoolId: z.string(),
    key: z.string(),
    status: MilestoneStatus,
    version: z.number().int().min(0),
    /** The waiting phase, or null when the lifecycle ends (completed, waived, or back to pending). */
    phase: TaskPhase.nullable(),
    /** The task timeout of the next wait. */
    waitSeconds: z.number().int().min(1),
    /** The reminder the wait's timeout is for; null when it is for the hand-over. */
    reminderId: z.string().nullable(),
    /** When the next reminder goes out (ISO), for logs and tests. */
    reminderAt: z.string().nullable(),
    /** The execution is old enough to hand over to its successor now. */
    continueAsNew: z.boolean(),
    /** When `continueAsNew`: the execution name of the successor. */
    successorName: z.string().nullable(),
  })
  .strict();
export type MilestoneView = z.infer<typeof MilestoneView>;

/**
 * The view without the successor's name (which needs a look at the executions, see `withSuccessor`).
 * The wait is for the next reminder strictly after `now`: a reminder that fell due while nothing sent it
 * (`missedReminder`) is sent by `Refresh` before it computes this view, not after a wait.
 */
export function milestoneView(
  program: ProgramDefinition,
  state: MilestoneState,
  nowIso: string,
  executionStartTime: string,
): MilestoneView {
  const def = milestoneDefinition(program, state.key);
  if (!def) throw new WorkflowError(PERMANENT_ERROR, `milestone "${state.key}" is not part of program ${program.id}`);
  const now = new Date(nowIso);
  const latest = latestWake(executionStartTime, `${state.schoolId}#${state.key}`);
  const phase = WAIT_PHASE[state.status] ?? null;
  const next = phase ? nextReminder(state, def.reminders, program.timeZone, now) : null;
  const nextAt = next ? Date.parse(next.at) : Number.POSITIVE_INFINITY;
  const wakeAt = Math.min(nextAt, latest);
  return {
    schoolId: state.schoolId,
    key: state.key,
    status: state.status,
    version: state.version,
    phase,
    waitSeconds: secondsUntil(wakeAt, now.getTime()),
    reminderId: next && nextAt <= latest ? next.id : null,
    reminderAt: next ? next.at : null,
    continueAsNew: phase !== null && now.getTime() >= latest,
    successorName: null,
  };
}
