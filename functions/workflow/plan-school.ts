/**
 * School program step `Plan`: reads the school and its milestones and decides what the program does now.
 *
 * - Every milestone that is ready — pending, its dependencies completed or waived, its planned start
 *   reached (00:00 of that day in the program's time zone) — is started with the system's `start`
 *   command, through the same command orchestration as the API; the decider assigns the default
 *   contractor (`defaultAssignee`: an active one of the milestone's kind under contract for the school
 *   that day; the school itself for the milestones it does).
 * - Every open milestone (active, submitted, on hold) must have a running lifecycle: the ones started
 *   now, and any whose lifecycle was lost, are returned in `toStart` with the execution name to start
 *   (the program's Map starts them; a running one is left alone).
 * - `done` when every milestone is completed or waived; otherwise the program waits `waitSeconds`: until
 *   the next planned start, or until it must hand over to its successor (`continueAsNew`, with
 *   `successorName`), whichever comes first — or until a lifecycle wakes it.
 * - `fingerprint` (the statuses seen) lets `AwaitChange` notice a change that happened in between.
 *
 * Milestone items that do not exist yet are created in their initial state first.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { zonedInstant } from '../../shared/calendar.js';
import { executeCommand } from '../../shared/commands/execute.js';
import { initialState, isTerminal } from '../../shared/domain/index.js';
import { Id, MilestoneState, programVersionOf, SYSTEM, type Contractor, type ProgramDefinition } from '../../shared/program/model.js';
import type { CommittedMilestone, SchoolRecord } from '../../shared/store/index.js';
import {
  classified,
  ExecutionFields,
  instantClock,
  handsOver,
  latestWake,
  plannedWake,
  parseEvent,
  PERMANENT_ERROR,
  requireArn,
  secondsUntil,
  workflowContext,
  WorkflowError,
  WORKFLOW_ENV,
  type WorkflowContext,
} from './common.js';
import { findLifecycle, programExecutionName, successorName } from '../common/executions.js';
import { WAIT_PHASE } from './milestone-view.js';

export const PlanEvent = z.object({ schoolId: Id, ...ExecutionFields }).strict();
export type PlanEvent = z.infer<typeof PlanEvent>;

export interface LifecycleToStart {
  key: string;
  name: string;
  /**
   * The milestone as this step knows it stored (read, or as its start committed it), and the school's
   * program version: the lifecycle's first `Refresh` starts from it instead of reading the school (its
   * wait is conditional on that version, so a change since is read then).
   */
  committed: CommittedMilestone;
}

export interface Plan {
  schoolId: string;
  toStart: LifecycleToStart[];
  done: boolean;
  waitSeconds: number;
  continueAsNew: boolean;
  successorName: string | null;
  fingerprint: string;
  /** Milestones started by this step (for logs and tests). */
  started: string[];
}

const logger = new Logger();

/** The statuses of a school's milestones in program order: what the program's decisions depend on. */
export function fingerprintOf(program: ProgramDefinition, states: Readonly<Record<string, Pick<MilestoneState, 'status'>>>): string {
  return program.milestones.map((m) => `${m.key}=${states[m.key]?.status ?? 'pending'}`).join(';');
}

/** The planned start of a milestone: 00:00 of its day in the program's time zone. */
export function plannedStartMs(program: ProgramDefinition, state: Pick<MilestoneState, 'plannedStart'>): number {
  return zonedInstant(state.plannedStart, '00:00', program.timeZone).getTime();
}

/** The milestones that are ready to start at `nowMs`: pending, dependencies closed, planned start reached. */
export function readyToStart(program: ProgramDefinition, states: Readonly<Record<string, MilestoneState>>, nowMs: number): string[] {
  return program.milestones
    .filter((def) => {
      const state = states[def.key];
      if (!state || state.status !== 'pending' || plannedStartMs(program, state) > nowMs) return false;
      return def.dependsOn.every((dep) => states[dep] !== undefined && isTerminal(states[dep]));
    })
    .map((def) => def.key);
}

async function loadSchool(
  ctx: WorkflowContext,
  event: PlanEvent,
): Promise<{ record: SchoolRecord; states: Record<string, MilestoneState>; program: ProgramDefinition }> {
  const store = ctx.storeAt(event.now);
  const record = await store.getSchool(event.schoolId);
  if (!record) throw new WorkflowError(PERMANENT_ERROR, `school ${event.schoolId} does not exist`);
  const program = await ctx.programs.forSchool(record.school);
  const states: Record<string, MilestoneState> = Object.fromEntries(record.milestones.map((m) => [m.state.key, m.state]));
  const missing = program.milestones
    .filter((m) => !states[m.key])
    .map((m) => initialState(program, record.school, m.key, new Date(event.now)));
  if (missing.length > 0) {
    const { created } = await store.initMilestones(missing);
    if (created === missing.length) {
      // All of them created by this step, as given: the school need not be read again.
      const milestones = [...record.milestones, ...missing.map((state) => ({ state: MilestoneState.parse(state), task: null }))].sort(
        (a, b) => (a.state.key < b.state.key ? -1 : a.state.key > b.state.key ? 1 : 0),
      );
      return { record: { ...record, milestones }, states: Object.fromEntries(milestones.map((m) => [m.state.key, m.state])), program };
    }
    // Another step created some in between: read what is stored.
    const again = await store.getSchool(event.schoolId);
    if (!again) throw new WorkflowError(PERMANENT_ERROR, `school ${event.schoolId} does not exist`);
    return { record: again, states: Object.fromEntries(again.milestones.map((m) => [m.state.key, m.state])), program };
  }
  return { record, states, program };
}

export async function planSchool(ctx: WorkflowContext, event: PlanEvent): Promise<Plan> {
  const nowMs = Date.parse(event.now);
  const store = ctx.storeAt(event.now);
  const lifecycleArn = requireArn(ctx.env, WORKFLOW_ENV.milestoneLifecycle);
  const { record, states, program } = await loadSchool(ctx, event);
  const tasks = new Map(record.milestones.flatMap((m) => (m.task ? [[m.state.key, m.task] as const] : [])));

  const started: string[] = [];
  const ready = readyToStart(program, states, nowMs);
  // What is stored, as far as this step knows: the school it read, with the starts it committed since.
  // Each start decides against it instead of reading the school again (a start that meets a concurrent
  // change is refused by the commit's version check and reads it then); the contractors are read once
  // for all the starts of this step, which act at the same instant.
  let known: SchoolRecord | undefined = record;
  let contractors: Contractor[] | null = null;
  for (const key of ready) {
    const def = program.milestones.find((m) => m.key === key)!;
    contractors ??= await store.listContractors();
    const { outcome, context } = await executeCommand(
      { store, program, programs: ctx.programs, clock: instantClock(event.now) },
      // The program starts the lifecycle itself: the start owes no workflow signal.
      {
        schoolId: event.schoolId,
        milestone: def.key,
        command: { type: 'start' },
        actor: SYSTEM,
        signal: false,
        contractors,
        ...(known ? { school: known } : {}),
      },
    );
    // Accepted: the school it was decided against, with this start, is what is stored; refused: the next
    // start reads the school.
    known = outcome.ok && context.record ? withState(context.record, outcome.state) : undefined;
    if (outcome.ok) {
      states[def.key] = outcome.state;
      started.push(def.key);
      logger.info('milestone started', {
        schoolId: event.schoolId,
        key: def.key,
        assignee: outcome.state.assignee,
        deadline: outcome.state.deadline,
      });
    } else {
      // Decided against a newer state (a manager acted in between): plan with what is stored now.
      logger.info('milestone not started', { schoolId: event.schoolId, key: def.key, code: outcome.code, message: outcome.message });
      const current = await store.getMilestone(event.schoolId, def.key);
      if (current) states[def.key] = current.state;
    }
  }

  const done = program.milestones.every((m) => isTerminal(states[m.key]!));
  const continueAsNew = !done && handsOver(event.executionStartTime, event.schoolId, nowMs);

  const toStart: LifecycleToStart[] = [];
  if (!done && !continueAsNew) {
    for (const def of program.milestones) {
      const state = states[def.key]!;
      if (!WAIT_PHASE[state.status]) continue;
      const lifecycle = await findLifecycle(ctx.sfn, lifecycleArn, event.schoolId, def.key, tasks.get(def.key)?.executionArn);
      if (!lifecycle.running) {
        toStart.push({ key: def.key, name: lifecycle.name, committed: { state, programVersion: programVersionOf(record.school) } });
      }
    }
  }

  const nextStart = Math.min(
    ...program.milestones
      .map((m) => states[m.key]!)
      .filter((s) => s.status === 'pending')
      .map((s) => plannedStartMs(program, s))
      .filter((ms) => ms > nowMs),
  );
  const programArn = requireArn(ctx.env, WORKFLOW_ENV.schoolProgram);
  const plan: Plan = {
    schoolId: event.schoolId,
    toStart,
    done,
    waitSeconds: secondsUntil(
      Math.min(
        Number.isFinite(nextStart) ? plannedWake(nextStart, event.schoolId) : nextStart,
        latestWake(event.executionStartTime, event.schoolId),
      ),
      nowMs,
    ),
    continueAsNew,
    successorName: continueAsNew
      ? await successorName(ctx.sfn, programArn, (g) => programExecutionName(event.schoolId, g), event.executionName)
      : null,
    fingerprint: fingerprintOf(program, states),
    started,
  };
  logger.info('school planned', { ...plan, toStart: toStart.map((t) => t.name) });
  return plan;
}

export async function handler(event: unknown, context?: Context): Promise<Plan> {
  if (context) logger.addContext(context);
  return classified('plan school', logger, () => planSchool(workflowContext(), parseEvent(PlanEvent, event, 'plan school')));
}

function withState(record: SchoolRecord, state: MilestoneState): SchoolRecord {
  return { ...record, milestones: record.milestones.map((m) => (m.state.key === state.key ? { ...m, state } : m)) };
}
