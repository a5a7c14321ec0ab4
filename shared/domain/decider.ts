/**
 * The decider (DESIGN.md principle 4): `decide(ctx, command, actor, now)` says which events a command
 * produces, or why it is refused; `remind(ctx, reminderId, now)` does the same for a due reminder. Pure:
 * the time is a parameter, nothing is read or written. The caller appends the events and the
 * notifications in one transaction, conditional on the state's version.
 *
 * Checks, in order: the command's shape (`invalid`), the milestone exists (`not-found`), the actor may do
 * it (`forbidden`), the status allows it (`not-allowed`), then the command's own rules (`dependency`,
 * `invalid`, `invalid-evidence`).
 */
import { localDate } from '../calendar.js';
import {
  Actor,
  Command,
  type CommandType,
  type MilestoneDefinition,
  type MilestoneEvent,
  type MilestoneKey,
  type MilestoneState,
  type MilestoneStatus,
} from '../program/model.js';
import { eligibleAssignees } from './assignees.js';
import { milestoneDefinition, type Decision, type DecisionContext } from './context.js';
import { evidenceIssues } from './evidence.js';
import { evolve, initialState } from './evolve.js';
import { reminderNotifications, statusNotification } from './notifications.js';
import { authorize } from './permissions.js';
import { fieldRejection, rejection, type Rejection } from './rejection.js';
import { hasReminders, parseReminderId, reminders } from './reminders.js';

const OPEN: readonly MilestoneStatus[] = ['pending', 'active', 'submitted', 'on-hold'];

/** The statuses each command may be applied in. */
export const ALLOWED_FROM: Readonly<Record<CommandType, readonly MilestoneStatus[]>> = {
  start: ['pending'],
  submit: ['active'],
  accept: ['submitted'],
  reject: ['submitted'],
  hold: ['pending', 'active', 'submitted'],
  resume: ['on-hold'],
  waive: OPEN,
  reassign: OPEN,
  reschedule: OPEN,
};

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An event without the fields every event has. */
type EventBody = DistributiveOmit<MilestoneEvent, 'schoolId' | 'milestone' | 'at' | 'actor' | 'version'>;

/** The stored state of a milestone of the context's school, or its initial state when none is stored yet. */
export function stateOf(ctx: DecisionContext, key: MilestoneKey, now: Date): MilestoneState {
  return ctx.states[key] ?? initialState(ctx.program, ctx.school, key, now);
}

export function decide(ctx: DecisionContext, command: Command, actor: Actor, now: Date): Decision {
  const parsed = Command.safeParse(command);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ field: i.path.join('.') || 'type', message: i.message }));
    return { ok: false, rejection: rejection('invalid', `invalid command: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, issues) };
  }
  const who = Actor.safeParse(actor);
  if (!who.success) return { ok: false, rejection: rejection('forbidden', 'unrecognised actor') };
  const cmd = parsed.data;
  const def = milestoneDefinition(ctx.program, ctx.milestone);
  if (!def) return { ok: false, rejection: rejection('not-found', `milestone "${ctx.milestone}" is not part of program ${ctx.program.id}`) };
  const state = stateOf(ctx, def.key, now);

  const denied = authorize(who.data, cmd.type, ctx.school, state);
  if (denied) return { ok: false, rejection: denied };
  if (!ALLOWED_FROM[cmd.type].includes(state.status)) {
    return { ok: false, rejection: rejection('not-allowed', `cannot ${cmd.type} milestone ${def.key} while it is ${state.status}`) };
  }
  const body = transition(ctx, def, state, cmd, now);
  if ('code' in body) return { ok: false, rejection: body };
  return commit(ctx, def, state, body, who.data, now);
}

function transition(ctx: DecisionContext, def: MilestoneDefinition, state: MilestoneState, cmd: Command, now: Date): EventBody | Rejection {
  switch (cmd.type) {
    case 'start': {
      const blocked = def.dependsOn.filter((dep) => {
        const status = stateOf(ctx, dep, now).status;
        return status !== 'completed' && status !== 'waived';
      });
      if (blocked.length > 0) {
        const issues = blocked.map((dep) => ({ field: `dependsOn.${dep}`, message: `${dep} is ${stateOf(ctx, dep, now).status}` }));
        return rejection('dependency', `${def.key} needs ${blocked.join(', ')} completed or waived first`, issues);
      }
      const eligible = eligibleAssignees(def, ctx.school, ctx.contractors);
      if (cmd.assignee !== undefined && !eligible.includes(cmd.assignee)) {
        return fieldRejection('invalid', 'assignee', `${cmd.assignee} is not an eligible ${def.assignee} for district ${ctx.school.district}`);
      }
      return { type: 'started', assignee: cmd.assignee ?? state.assignee ?? eligible[0] ?? null, deadline: state.deadline };
    }
    case 'submit': {
      const documents = [...(ctx.documents ?? [])];
      const issues = evidenceIssues(def, ctx.school, cmd.evidence, now, ctx.program.timeZone, documents);
      if (issues.length > 0) return rejection('invalid-evidence', `evidence below the standard: ${issues.map((i) => i.message).join('; ')}`, issues);
      // The audit event keeps what was submitted and the hash of each document's bytes.
      return { type: 'submitted', evidence: cmd.evidence, ...(documents.length > 0 ? { documents } : {}) };
    }
    case 'accept':
      return { type: 'accepted', ...(cmd.note !== undefined ? { note: cmd.note } : {}) };
    case 'reject':
      return { type: 'rejected', reason: cmd.reason };
    case 'hold':
      return { type: 'held', reason: cmd.reason };
    case 'resume':
      return { type: 'resumed', ...(cmd.note !== undefined ? { note: cmd.note } : {}) };
    case 'waive':
      return { type: 'waived', reason: cmd.reason };
    case 'reassign': {
      if (cmd.contractor === state.assignee) return rejection('not-allowed', `milestone ${def.key} is already assigned to ${cmd.contractor}`);
      if (!eligibleAssignees(def, ctx.school, ctx.contractors).includes(cmd.contractor)) {
        const known = ctx.contractors.find((c) => c.id === cmd.contractor);
        const why = !known
          ? `unknown contractor ${cmd.contractor}`
          : known.kind !== def.assignee
            ? `${cmd.contractor} is of kind ${known.kind}; milestone ${def.key} needs ${def.assignee}`
            : `${cmd.contractor} does not serve district ${ctx.school.district}`;
        return fieldRejection('invalid', 'contractor', why);
      }
      return { type: 'reassigned', from: state.assignee, to: cmd.contractor, ...(cmd.reason !== undefined ? { reason: cmd.reason } : {}) };
    }
    case 'reschedule': {
      if (cmd.deadline === state.deadline) return rejection('not-allowed', `the deadline of ${def.key} is already ${cmd.deadline}`);
      const today = localDate(now, ctx.program.timeZone);
      if (cmd.deadline < today) return fieldRejection('invalid', 'deadline', `new deadline ${cmd.deadline} is in the past (today is ${today})`);
      return { type: 'rescheduled', from: state.deadline, to: cmd.deadline, reason: cmd.reason };
    }
  }
}

function commit(ctx: DecisionContext, def: MilestoneDefinition, state: MilestoneState, body: EventBody, actor: Actor, now: Date): Decision {
  const event = {
    ...body,
    schoolId: state.schoolId,
    milestone: state.key,
    at: now.toISOString(),
    actor,
    version: state.version + 1,
  } as MilestoneEvent;
  const after = evolve(state, event);
  const notification = statusNotification(def, ctx.school, event, after, now);
  return { ok: true, events: [event], notifications: notification ? [notification] : [], state: after };
}

/**
 * A due reminder (from `nextReminder`/`reminderSchedule`) going out: a `reminded` event by the system and
 * one notification per recipient. Refused when the id is malformed or for another milestone (`invalid`),
 * or when the reminder is no longer or not yet part of the schedule: the milestone closed or paused, the
 * deadline moved, or it is not due at `now` (`not-allowed`).
 */
export function remind(ctx: DecisionContext, reminderId: string, now: Date): Decision {
  const def = milestoneDefinition(ctx.program, ctx.milestone);
  if (!def) return { ok: false, rejection: rejection('not-found', `milestone "${ctx.milestone}" is not part of program ${ctx.program.id}`) };
  const parts = parseReminderId(reminderId);
  if (!parts) return { ok: false, rejection: fieldRejection('invalid', 'reminderId', `not a reminder id: ${reminderId}`) };
  if (parts.schoolId !== ctx.school.id || parts.milestone !== def.key) {
    return { ok: false, rejection: fieldRejection('invalid', 'reminderId', `reminder ${reminderId} is not for ${ctx.school.id}/${def.key}`) };
  }
  const state = stateOf(ctx, def.key, now);
  if (!hasReminders(state)) return { ok: false, rejection: rejection('not-allowed', `no reminders while milestone ${def.key} is ${state.status}`) };
  if (parts.deadline !== state.deadline) {
    return { ok: false, rejection: rejection('not-allowed', `reminder ${reminderId} is for deadline ${parts.deadline}; the deadline is now ${state.deadline}`) };
  }
  const rank = (r: { kind: string; n: number }): number => (r.kind === 'before' ? -r.n : r.n);
  for (const reminder of reminders(state, def.reminders, ctx.program.timeZone)) {
    if (rank(reminder) > rank(parts)) break;
    if (reminder.id !== reminderId) continue;
    if (Date.parse(reminder.at) > now.getTime()) return { ok: false, rejection: rejection('not-allowed', `reminder ${reminderId} is not due until ${reminder.at}`) };
    const event: MilestoneEvent = {
      type: 'reminded',
      schoolId: state.schoolId,
      milestone: state.key,
      at: now.toISOString(),
      actor: { role: 'system', sub: 'system' },
      version: state.version + 1,
      reminderId,
      level: reminder.level,
      daysToDeadline: reminder.daysToDeadline,
    };
    return { ok: true, events: [event], notifications: reminderNotifications(def, ctx.school, state, reminder, now), state: evolve(state, event) };
  }
  return { ok: false, rejection: rejection('not-allowed', `reminder ${reminderId} is not part of the schedule of ${ctx.school.id}/${def.key}`) };
}
