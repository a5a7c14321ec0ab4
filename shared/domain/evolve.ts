/**
 * `evolve(state, event)`: the only way a milestone state changes. Folding a milestone's audit events over
 * its `initialState` gives the stored state back.
 */
import type { MilestoneEvent, MilestoneKey, MilestoneState, ProgramDefinition, School } from '../program/model.js';
import { planMilestones } from '../program/plan.js';

/** A milestone nobody has touched yet: pending, unassigned, version 0, dates from the school's plan. */
export function initialState(program: ProgramDefinition, school: School, key: MilestoneKey, now: Date): MilestoneState {
  const plan = planMilestones(program, school)[key];
  if (!plan) throw new RangeError(`milestone "${key}" is not part of program ${program.id}`);
  return {
    schoolId: school.id,
    key,
    status: 'pending',
    version: 0,
    assignee: null,
    plannedStart: plan.plannedStart,
    deadline: plan.deadline,
    evidence: null,
    resumeTo: null,
    note: null,
    startedAt: null,
    submittedAt: null,
    closedAt: null,
    updatedAt: now.toISOString(),
    rejections: 0,
    signOffs: [],
  };
}

/**
 * Applies one event. Throws when the event belongs to another milestone or does not carry the next
 * version: that is a corrupt log or a programming error, never a user mistake.
 */
export function evolve(state: MilestoneState, event: MilestoneEvent): MilestoneState {
  if (event.schoolId !== state.schoolId || event.milestone !== state.key) {
    throw new Error(`event for ${event.schoolId}/${event.milestone} applied to ${state.schoolId}/${state.key}`);
  }
  if (event.version !== state.version + 1) {
    throw new Error(`event version ${event.version} does not follow ${state.schoolId}/${state.key} version ${state.version}`);
  }
  const next: MilestoneState = { ...state, version: event.version, updatedAt: event.at };
  switch (event.type) {
    case 'started':
      return { ...next, status: 'active', assignee: event.assignee, deadline: event.deadline, startedAt: event.at };
    case 'submitted':
      return { ...next, status: 'submitted', evidence: event.evidence, submittedAt: event.at, signOffs: [] };
    case 'accepted':
      return { ...next, status: 'completed', closedAt: event.at, note: event.note ?? state.note };
    case 'rejected':
      // The rejected evidence stays on the item for the contractor to see; the audit log keeps every version.
      return { ...next, status: 'active', note: event.reason, rejections: state.rejections + 1, signOffs: [] };
    case 'held':
      return { ...next, status: 'on-hold', resumeTo: resumable(state), note: event.reason };
    case 'resumed':
      if (state.status !== 'on-hold' || state.resumeTo === null)
        throw new Error(`${state.schoolId}/${state.key} resumed while ${state.status}`);
      return { ...next, status: state.resumeTo, resumeTo: null, note: event.note ?? state.note };
    case 'waived':
      return { ...next, status: 'waived', resumeTo: null, closedAt: event.at, note: event.reason };
    case 'reassigned':
      return { ...next, assignee: event.to };
    case 'rescheduled':
      return { ...next, deadline: event.to, note: event.reason };
    case 'replanned':
      return { ...next, plannedStart: event.plannedStart.to, deadline: event.deadline.to, note: event.reason };
    case 'signed-off':
      return { ...next, signOffs: [...state.signOffs, event.signOff] };
    case 'reminded':
      return next;
  }
}

function resumable(state: MilestoneState): 'pending' | 'active' | 'submitted' {
  if (state.status === 'pending' || state.status === 'active' || state.status === 'submitted') return state.status;
  throw new Error(`${state.schoolId}/${state.key} cannot be held from ${state.status}`);
}
