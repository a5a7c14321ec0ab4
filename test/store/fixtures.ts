/** Small, valid values of the program model for the store tests. */
import type {
  Contractor,
  MilestoneEvent,
  MilestoneState,
  MilestoneNotification as Notification,
  School,
} from '../../shared/program/model.js';
import { SYSTEM } from '../../shared/program/model.js';

export function school(id: string, district = 'omsk', overrides: Partial<School> = {}): School {
  return {
    id,
    name: `Школа ${id}`,
    district,
    locality: 'Омск',
    urban: true,
    cohortYear: 2022,
    plannedKit: { 'teacher-laptop': 3, mfp: 1 },
    teachersToTrain: 5,
    ...overrides,
  };
}

export function contractor(id: string, overrides: Partial<Contractor> = {}): Contractor {
  return { id, name: `Contractor ${id}`, kind: 'internet-provider', districts: [], emails: [], active: true, contracts: [], ...overrides };
}

export function pending(schoolId: string, key = 'connection', overrides: Partial<MilestoneState> = {}): MilestoneState {
  return {
    schoolId,
    key,
    status: 'pending',
    version: 0,
    assignee: null,
    plannedStart: '2021-01-01',
    deadline: '2021-12-31',
    evidence: null,
    resumeTo: null,
    note: null,
    startedAt: null,
    submittedAt: null,
    closedAt: null,
    updatedAt: '2021-01-01T00:00:00.000Z',
    rejections: 0,
    signOffs: [],
    ...overrides,
  };
}

/** `started`: pending → active, assigned. */
export function start(
  state: MilestoneState,
  assignee: string,
  at = '2021-02-01T09:00:00.000Z',
): { state: MilestoneState; event: MilestoneEvent } {
  const version = state.version + 1;
  return {
    state: { ...state, status: 'active', version, assignee, startedAt: at, updatedAt: at },
    event: {
      type: 'started',
      schoolId: state.schoolId,
      milestone: state.key,
      at,
      actor: SYSTEM,
      version,
      assignee,
      deadline: state.deadline,
    },
  };
}

/** `waived`: any open status → waived (terminal). */
export function waive(state: MilestoneState, at = '2021-03-01T09:00:00.000Z'): { state: MilestoneState; event: MilestoneEvent } {
  const version = state.version + 1;
  return {
    state: { ...state, status: 'waived', version, note: 'not needed', closedAt: at, updatedAt: at },
    event: { type: 'waived', schoolId: state.schoolId, milestone: state.key, at, actor: SYSTEM, version, reason: 'not needed' },
  };
}

/** `rescheduled`: a new deadline, status unchanged. */
export function reschedule(
  state: MilestoneState,
  deadline: string,
  at = '2021-03-01T09:00:00.000Z',
): { state: MilestoneState; event: MilestoneEvent } {
  const version = state.version + 1;
  return {
    state: { ...state, deadline, version, updatedAt: at },
    event: {
      type: 'rescheduled',
      schoolId: state.schoolId,
      milestone: state.key,
      at,
      actor: SYSTEM,
      version,
      from: state.deadline,
      to: deadline,
      reason: 'moved',
    },
  };
}

export function notification(id: string, schoolId: string, overrides: Partial<Notification> = {}): Notification {
  return {
    id,
    schoolId,
    milestone: 'connection',
    kind: 'reminder',
    level: 'assignee',
    recipient: { type: 'contractor', org: 'rostelecom' },
    subject: { ru: 'Напоминание', en: 'Reminder' },
    body: { ru: 'Срок скоро', en: 'Deadline soon' },
    createdAt: '2021-12-01T03:00:00.000Z',
    deadline: '2021-12-31',
    ...overrides,
  };
}
