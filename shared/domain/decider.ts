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
import { defaultAssignee, eligibleAssignees, whyNotAssignable } from './assignees.js';
import { milestoneDefinition, type Decision, type DecisionContext } from './context.js';
import { evidenceIssues, requiredBandwidthMbps } from './evidence.js';
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
  signoff: ['submitted'],
  replan: OPEN,
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
    return {
      ok: false,
      rejection: rejection('invalid', `invalid command: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, issues),
    };
  }
  const who = Actor.safeParse(actor);
  if (!who.success) return { ok: false, rejection: rejection('forbidden', 'unrecognised actor') };
  const cmd = parsed.data;
  const def = milestoneDefinition(ctx.program, ctx.milestone);
  if (!def)
    return { ok: false, rejection: rejection('not-found', `milestone "${ctx.milestone}" is not part of program ${ctx.program.id}`) };
  const state = stateOf(ctx, def.key, now);

  const denied = authorize(who.data, cmd.type, ctx.school, state, def);
  if (denied) return { ok: false, rejection: denied };
  if (!ALLOWED_FROM[cmd.type].includes(state.status)) {
    return { ok: false, rejection: rejection('not-allowed', `cannot ${cmd.type} milestone ${def.key} while it is ${state.status}`) };
  }
  const body = transition(ctx, def, state, cmd, who.data, now);
  if ('code' in body) return { ok: false, rejection: body };
  return commit(ctx, def, state, body, who.data, now);
}

function transition(
  ctx: DecisionContext,
  def: MilestoneDefinition,
  state: MilestoneState,
  cmd: Command,
  actor: Actor,
  now: Date,
): EventBody | Rejection {
  const today = localDate(now, ctx.program.timeZone);
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
      if (cmd.assignee !== undefined && !eligibleAssignees(def, ctx.school, ctx.contractors, today).includes(cmd.assignee)) {
        const why = whyNotAssignable(ctx.contractors, cmd.assignee, def, ctx.school, today) ?? `${cmd.assignee} is not the school`;
        return fieldRejection('invalid', 'assignee', why);
      }
      return {
        type: 'started',
        assignee: cmd.assignee ?? state.assignee ?? defaultAssignee(def, ctx.school, ctx.contractors, today),
        deadline: state.deadline,
      };
    }
    case 'submit': {
      const documents = [...(ctx.documents ?? [])];
      const issues = evidenceIssues(def, ctx.school, cmd.evidence, now, ctx.program.timeZone, documents);
      if (issues.length > 0)
        return rejection('invalid-evidence', `evidence below the standard: ${issues.map((i) => i.message).join('; ')}`, issues);
      // The audit event keeps what was submitted and the hash of each document's bytes.
      return { type: 'submitted', evidence: cmd.evidence, ...(documents.length > 0 ? { documents } : {}) };
    }
    case 'accept': {
      const missing = def.signOffs.slice(state.signOffs.length);
      if (missing.length > 0)
        return rejection(
          'not-allowed',
          `milestone ${def.key} waits for the sign-off of ${missing.join(', then ')} before it can be accepted`,
        );
      return { type: 'accepted', ...(cmd.note !== undefined ? { note: cmd.note } : {}) };
    }
    case 'reject':
      return { type: 'rejected', reason: cmd.reason };
    case 'hold':
      return { type: 'held', reason: cmd.reason };
    case 'resume':
      return { type: 'resumed', ...(cmd.note !== undefined ? { note: cmd.note } : {}) };
    case 'waive':
      return { type: 'waived', reason: cmd.reason };
    case 'reassign': {
      if (cmd.contractor === state.assignee)
        return rejection('not-allowed', `milestone ${def.key} is already assigned to ${cmd.contractor}`);
      if (!eligibleAssignees(def, ctx.school, ctx.contractors, today).includes(cmd.contractor)) {
        const why =
          whyNotAssignable(ctx.contractors, cmd.contractor, def, ctx.school, today) ?? `milestone ${def.key} is the school's own work`;
        return fieldRejection('invalid', 'contractor', why);
      }
      return { type: 'reassigned', from: state.assignee, to: cmd.contractor, ...(cmd.reason !== undefined ? { reason: cmd.reason } : {}) };
    }
    case 'reschedule': {
      if (cmd.deadline === state.deadline) return rejection('not-allowed', `the deadline of ${def.key} is already ${cmd.deadline}`);
      if (cmd.deadline < today)
        return fieldRejection('invalid', 'deadline', `new deadline ${cmd.deadline} is in the past (today is ${today})`);
      return { type: 'rescheduled', from: state.deadline, to: cmd.deadline, reason: cmd.reason };
    }
    case 'signoff':
      return signOff(ctx, def, state, cmd, actor, now);
    case 'replan':
      if (cmd.plannedStart === state.plannedStart && cmd.deadline === state.deadline) {
        return rejection('not-allowed', `milestone ${def.key} is already planned ${cmd.plannedStart} to ${cmd.deadline}`);
      }
      if (cmd.deadline < cmd.plannedStart)
        return fieldRejection('invalid', 'deadline', `deadline ${cmd.deadline} is before the planned start ${cmd.plannedStart}`);
      return {
        type: 'replanned',
        plannedStart: { from: state.plannedStart, to: cmd.plannedStart },
        deadline: { from: state.deadline, to: cmd.deadline },
        reason: cmd.reason,
      };
  }
}

/**
 * A sign-off: the next one the program asks of the submission must be the actor's role (the program's
 * order); school staff confirming a connection give the bandwidth they measured there, at the standard.
 */
function signOff(
  ctx: DecisionContext,
  def: MilestoneDefinition,
  state: MilestoneState,
  cmd: Extract<Command, { type: 'signoff' }>,
  actor: Actor,
  now: Date,
): EventBody | Rejection {
  const role = actor.role === 'school-staff' || actor.role === 'district-coordinator' ? actor.role : null;
  const next = def.signOffs[state.signOffs.length];
  if (role === null) return rejection('forbidden', `${actor.role} does not sign off submissions`);
  if (next === undefined)
    return rejection('not-allowed', `the submission of ${def.key} has every sign-off it needs; it waits for acceptance`);
  if (next !== role) {
    return rejection(
      'not-allowed',
      state.signOffs.some((s) => s.role === role)
        ? `${role} already signed off this submission`
        : `the submission of ${def.key} waits for the sign-off of ${next} first`,
    );
  }
  if (def.evidence === 'connection' && role === 'school-staff') {
    if (cmd.measuredMbps === undefined)
      return fieldRejection('invalid', 'measuredMbps', 'give the bandwidth measured at the school, Mbit/s');
    const min = requiredBandwidthMbps(ctx.school);
    if (cmd.measuredMbps < min) {
      return rejection('invalid-evidence', `${cmd.measuredMbps} Mbit/s measured at the school is below the ${min} Mbit/s standard`, [
        {
          field: 'measuredMbps',
          message: `${cmd.measuredMbps} Mbit/s is below the ${min} Mbit/s standard for ${ctx.school.urban ? 'urban' : 'rural'} schools`,
        },
      ]);
    }
  }
  return {
    type: 'signed-off',
    signOff: {
      role,
      sub: actor.sub,
      at: now.toISOString(),
      ...(cmd.measuredMbps !== undefined ? { measuredMbps: cmd.measuredMbps } : {}),
      ...(cmd.note !== undefined ? { note: cmd.note } : {}),
    },
  };
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
  if (!def)
    return { ok: false, rejection: rejection('not-found', `milestone "${ctx.milestone}" is not part of program ${ctx.program.id}`) };
  const parts = parseReminderId(reminderId);
  if (!parts) return { ok: false, rejection: fieldRejection('invalid', 'reminderId', `not a reminder id: ${reminderId}`) };
  if (parts.schoolId !== ctx.school.id || parts.milestone !== def.key) {
    return {
      ok: false,
      rejection: fieldRejection('invalid', 'reminderId', `reminder ${reminderId} is not for ${ctx.school.id}/${def.key}`),
    };
  }
  const state = stateOf(ctx, def.key, now);
  if (!hasReminders(state))
    return { ok: false, rejection: rejection('not-allowed', `no reminders while milestone ${def.key} is ${state.status}`) };
  if (parts.deadline !== state.deadline) {
    return {
      ok: false,
      rejection: rejection(
        'not-allowed',
        `reminder ${reminderId} is for deadline ${parts.deadline}; the deadline is now ${state.deadline}`,
      ),
    };
  }
  const rank = (r: { kind: string; n: number }): number => (r.kind === 'before' ? -r.n : r.n);
  for (const reminder of reminders(state, def.reminders, ctx.program.timeZone)) {
    if (rank(reminder) > rank(parts)) break;
    if (reminder.id !== reminderId) continue;
    if (Date.parse(reminder.at) > now.getTime())
      return { ok: false, rejection: rejection('not-allowed', `reminder ${reminderId} is not due until ${reminder.at}`) };
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
    return {
      ok: true,
      events: [event],
      notifications: reminderNotifications(def, ctx.school, state, reminder, now),
      state: evolve(state, event),
    };
  }
  return {
    ok: false,
    rejection: rejection('not-allowed', `reminder ${reminderId} is not part of the schedule of ${ctx.school.id}/${def.key}`),
  };
}
