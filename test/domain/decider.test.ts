import { describe, expect, it } from 'vitest';
import { decide, evolve, initialState, isOverdue, daysOverdue, REJECTION_HTTP_STATUS, type Decision } from '../../shared/domain/index.js';
import {
  MilestoneEvent,
  MilestoneState,
  Notification,
  type Actor,
  type Command,
  type MilestoneStatus,
} from '../../shared/program/model.js';
import {
  contractorActor,
  context,
  coordinator,
  goodEvidence,
  manager,
  otherCoordinator,
  program,
  ruralSchool,
  stateWith,
  system,
  T0,
  TZ,
  urbanSchool,
  viewer,
} from './fixtures.js';

const active = (key = 'connection', extra: Partial<MilestoneState> = {}) =>
  stateWith(key, { status: 'active', version: 1, assignee: 'omsk-net', startedAt: T0.toISOString(), ...extra });
const submitted = (key = 'connection') =>
  stateWith(key, {
    status: 'submitted',
    version: 2,
    assignee: 'omsk-net',
    startedAt: T0.toISOString(),
    submittedAt: T0.toISOString(),
    evidence: goodEvidence.connection,
  });
/** A connection submission the school's staff signed off (the reference program asks for it before acceptance). */
const signedOff = (key = 'connection') => ({
  ...submitted(key),
  version: 3,
  signOffs: [
    { role: 'school-staff' as const, sub: 'director-17', at: T0.toISOString(), ...(key === 'connection' ? { measuredMbps: 120 } : {}) },
  ],
});
const completed = stateWith('connection', { ...submitted(), status: 'completed', version: 3, closedAt: T0.toISOString() });

function run(key: string, state: MilestoneState | undefined, command: Command, actor: Actor, now = T0): Decision {
  return decide(context(key, state ? { [key]: state } : {}), command, actor, now);
}

function accepted(d: Decision) {
  if (!d.ok) throw new Error(`rejected: ${d.rejection.code} ${d.rejection.message}`);
  for (const e of d.events) MilestoneEvent.parse(e);
  for (const n of d.notifications) Notification.parse(n);
  MilestoneState.parse(d.state);
  return d;
}

function refused(d: Decision) {
  if (d.ok) throw new Error(`accepted: ${JSON.stringify(d.events)}`);
  return d.rejection;
}

describe('rejection codes', () => {
  it('map to HTTP statuses', () => {
    expect(REJECTION_HTTP_STATUS).toEqual({
      forbidden: 403,
      'not-found': 404,
      'not-allowed': 409,
      dependency: 409,
      'invalid-evidence': 422,
      invalid: 400,
    });
  });
});

describe('start', () => {
  it('pending -> active, assigning the default contractor under contract for the school, version 1', () => {
    const d = accepted(run('connection', undefined, { type: 'start' }, system));
    expect(d.events).toEqual([
      {
        type: 'started',
        schoolId: urbanSchool.id,
        milestone: 'connection',
        at: T0.toISOString(),
        actor: system,
        version: 1,
        assignee: 'omsk-net',
        deadline: '2021-12-31',
      },
    ]);
    expect(d.state).toMatchObject({ status: 'active', assignee: 'omsk-net', version: 1, startedAt: T0.toISOString() });
  });

  it('a rural school outside the district contractor’s area gets the region-wide provider', () => {
    const d = accepted(decide(context('connection', {}, ruralSchool), { type: 'start' }, system, T0));
    expect(d.state.assignee).toBe('rostelecom');
  });

  it('keeps a contractor assigned before the start, and takes an eligible explicit one', () => {
    expect(
      accepted(run('connection', stateWith('connection', { assignee: 'rostelecom' }), { type: 'start' }, manager)).state.assignee,
    ).toBe('rostelecom');
    expect(accepted(run('connection', undefined, { type: 'start', assignee: 'rostelecom' }, manager)).state.assignee).toBe('rostelecom');
  });

  it('refuses an explicit assignee of the wrong kind or district (invalid, field assignee)', () => {
    for (const assignee of ['supplier-1', 'far-provider', 'nobody']) {
      const r = refused(run('connection', undefined, { type: 'start', assignee }, manager));
      expect(r.code).toBe('invalid');
      expect(r.issues[0]!.field).toBe('assignee');
    }
  });

  it('starts unassigned when no contractor qualifies', () => {
    const ctx = { ...context('equipment'), contractors: [] };
    expect(accepted(decide(ctx, { type: 'start' }, system, T0)).state.assignee).toBeNull();
  });

  it('a school-confirmed milestone is assigned to the school itself', () => {
    const ctx = context('onboarding', {
      connection: completed,
      equipment: stateWith('equipment', { status: 'waived', version: 1, closedAt: T0.toISOString() }),
    });
    expect(accepted(decide(ctx, { type: 'start' }, system, T0)).state.assignee).toBe(urbanSchool.id);
  });

  it('is not allowed twice', () => {
    const r = refused(run('connection', active(), { type: 'start' }, system));
    expect(r.code).toBe('not-allowed');
    expect(r.message).toBe('cannot start milestone connection while it is active');
  });
});

describe('dependencies', () => {
  it('start is refused until every dependency is completed or waived, naming each', () => {
    const r = refused(decide(context('onboarding', { connection: active() }), { type: 'start' }, manager, T0));
    expect(r.code).toBe('dependency');
    expect(r.issues).toEqual([
      { field: 'dependsOn.connection', message: 'connection is active' },
      { field: 'dependsOn.equipment', message: 'equipment is pending' },
    ]);
  });

  it('one done dependency is not enough', () => {
    const r = refused(decide(context('onboarding', { connection: completed }), { type: 'start' }, manager, T0));
    expect(r.issues.map((i) => i.field)).toEqual(['dependsOn.equipment']);
  });

  it('a dependency on hold or submitted still blocks', () => {
    for (const status of ['on-hold', 'submitted'] as MilestoneStatus[]) {
      const equipment = stateWith('equipment', { status, version: 2, resumeTo: status === 'on-hold' ? 'active' : null });
      expect(refused(decide(context('onboarding', { connection: completed, equipment }), { type: 'start' }, manager, T0)).code).toBe(
        'dependency',
      );
    }
  });

  it('missing dependency states count as pending', () => {
    const ctx = { ...context('onboarding'), states: {} };
    expect(refused(decide(ctx, { type: 'start' }, system, T0)).code).toBe('dependency');
  });
});

describe('who may do what', () => {
  const cases: [string, Actor, Command, MilestoneState, string | null][] = [
    ['viewer cannot start', viewer, { type: 'start' }, stateWith('connection', {}), 'forbidden'],
    ['viewer cannot waive', viewer, { type: 'waive', reason: 'not needed' }, active(), 'forbidden'],
    ['system may start', system, { type: 'start' }, stateWith('connection', {}), null],
    ['system cannot accept', system, { type: 'accept' }, submitted(), 'forbidden'],
    ['system cannot hold', system, { type: 'hold', reason: 'pause it' }, active(), 'forbidden'],
    ['manager may accept after the sign-off', manager, { type: 'accept' }, signedOff(), null],
    ['manager cannot submit', manager, { type: 'submit', evidence: goodEvidence.connection }, active(), 'forbidden'],
    ['coordinator may accept in its district after the sign-off', coordinator, { type: 'accept' }, signedOff(), null],
    ['coordinator cannot accept in another district', otherCoordinator, { type: 'accept' }, submitted(), 'forbidden'],
    ['coordinator of another district cannot start', otherCoordinator, { type: 'start' }, stateWith('connection', {}), 'forbidden'],
    ['coordinator cannot submit', coordinator, { type: 'submit', evidence: goodEvidence.connection }, active(), 'forbidden'],
    ['assigned contractor may submit', contractorActor('omsk-net'), { type: 'submit', evidence: goodEvidence.connection }, active(), null],
    [
      'another contractor cannot submit',
      contractorActor('rostelecom'),
      { type: 'submit', evidence: goodEvidence.connection },
      active(),
      'forbidden',
    ],
    ['contractor cannot accept its own work', contractorActor('omsk-net'), { type: 'accept' }, submitted(), 'forbidden'],
    ['contractor cannot reject', contractorActor('omsk-net'), { type: 'reject', reason: 'not mine' }, submitted(), 'forbidden'],
    ['contractor cannot waive its own work', contractorActor('omsk-net'), { type: 'waive', reason: 'too hard' }, active(), 'forbidden'],
    [
      'contractor cannot start',
      contractorActor('omsk-net'),
      { type: 'start' },
      stateWith('connection', { assignee: 'omsk-net' }),
      'forbidden',
    ],
  ];
  for (const [name, actor, command, state, code] of cases) {
    it(name, () => {
      const d = run('connection', state, command, actor);
      if (code === null) accepted(d);
      else expect(refused(d).code).toBe(code);
    });
  }

  it('the forbidden check comes before the status check', () => {
    expect(refused(run('connection', completed, { type: 'accept' }, viewer)).code).toBe('forbidden');
  });

  it('the school confirms its own onboarding, signed in as the school organisation', () => {
    const onboarding = active('onboarding', { assignee: urbanSchool.id });
    const ctx = context('onboarding', { onboarding });
    expect(
      accepted(decide(ctx, { type: 'submit', evidence: goodEvidence.onboarding }, contractorActor(urbanSchool.id), T0)).state.status,
    ).toBe('submitted');
    expect(refused(decide(ctx, { type: 'submit', evidence: goodEvidence.onboarding }, manager, T0)).code).toBe('forbidden');
  });

  it('an actor that does not parse is forbidden', () => {
    expect(refused(run('connection', undefined, { type: 'start' }, { role: 'admin', sub: 'x' } as unknown as Actor)).code).toBe(
      'forbidden',
    );
  });
});

describe('transitions', () => {
  it('submit: active -> submitted with the evidence; the district coordinator is told', () => {
    const d = accepted(run('connection', active(), { type: 'submit', evidence: goodEvidence.connection }, contractorActor('omsk-net')));
    expect(d.state).toMatchObject({ status: 'submitted', evidence: goodEvidence.connection, submittedAt: T0.toISOString(), version: 2 });
    expect(d.notifications).toHaveLength(1);
    expect(d.notifications[0]).toMatchObject({
      id: `${urbanSchool.id}:connection:v2`,
      kind: 'status',
      recipient: { type: 'district-coordinator', district: 'omsk' },
    });
  });

  it('submit is not allowed while pending or on hold', () => {
    for (const state of [
      stateWith('connection', { assignee: 'omsk-net' }),
      active('connection', { status: 'on-hold', resumeTo: 'active' }),
    ]) {
      expect(
        refused(run('connection', state, { type: 'submit', evidence: goodEvidence.connection }, contractorActor('omsk-net'))).code,
      ).toBe('not-allowed');
    }
  });

  it('accept: submitted -> completed, closed, the assignee is told', () => {
    const d = accepted(run('connection', signedOff(), { type: 'accept', note: 'ok' }, manager));
    expect(d.state).toMatchObject({ status: 'completed', closedAt: T0.toISOString(), note: 'ok', version: 4 });
    expect(d.notifications[0]!.recipient).toEqual({ type: 'contractor', org: 'omsk-net' });
  });

  it('accept is not allowed before a submission', () => {
    expect(refused(run('connection', active(), { type: 'accept' }, manager)).code).toBe('not-allowed');
  });

  it('reject: submitted -> active with the reason, counting rejections; the assignee is told why', () => {
    const d = accepted(run('connection', submitted(), { type: 'reject', reason: 'act not signed' }, coordinator));
    expect(d.state).toMatchObject({ status: 'active', note: 'act not signed', rejections: 1 });
    expect(d.notifications[0]!.body.ru).toContain('Причина: act not signed');
    expect(d.notifications[0]!.body.en).toContain('Reason: act not signed');
  });

  it('reject, waive, hold and reschedule need a reason (invalid, field reason)', () => {
    const cmds = [
      { type: 'reject', reason: ' ' },
      { type: 'waive', reason: 'no' },
      { type: 'hold' },
      { type: 'reschedule', deadline: '2022-06-01', reason: '' },
    ] as unknown as Command[];
    for (const cmd of cmds) {
      const r = refused(run('connection', submitted(), cmd, manager));
      expect(r.code).toBe('invalid');
      expect(r.issues.map((i) => i.field)).toContain('reason');
    }
  });

  it('hold remembers where to resume, from pending, active and submitted', () => {
    for (const state of [stateWith('connection', {}), active(), submitted()]) {
      const held = accepted(run('connection', state, { type: 'hold', reason: 'budget review' }, manager)).state;
      expect(held).toMatchObject({ status: 'on-hold', resumeTo: state.status, note: 'budget review' });
      const resumed = accepted(decide(context('connection', { connection: held }), { type: 'resume' }, manager, T0)).state;
      expect(resumed).toMatchObject({ status: state.status, resumeTo: null, version: state.version + 2 });
    }
  });

  it('hold is not allowed on hold or when closed; resume only on hold', () => {
    const onHold = active('connection', { status: 'on-hold', resumeTo: 'active' });
    expect(refused(run('connection', onHold, { type: 'hold', reason: 'again' }, manager)).code).toBe('not-allowed');
    expect(refused(run('connection', completed, { type: 'hold', reason: 'again' }, manager)).code).toBe('not-allowed');
    expect(refused(run('connection', active(), { type: 'resume' }, manager)).code).toBe('not-allowed');
  });

  it('waive: any open status -> waived; closed milestones stay closed', () => {
    const onHold = active('connection', { status: 'on-hold', resumeTo: 'active' });
    for (const state of [stateWith('connection', {}), active(), submitted(), onHold]) {
      expect(accepted(run('connection', state, { type: 'waive', reason: 'school closed' }, manager)).state).toMatchObject({
        status: 'waived',
        resumeTo: null,
        note: 'school closed',
      });
    }
    const waived = stateWith('connection', { status: 'waived', version: 1, closedAt: T0.toISOString() });
    for (const state of [completed, waived]) {
      for (const cmd of [
        { type: 'waive', reason: 'again' },
        { type: 'start' },
        { type: 'reschedule', deadline: '2023-01-01', reason: 'late' },
        { type: 'reassign', contractor: 'rostelecom' },
      ] as Command[]) {
        expect(refused(run('connection', state, cmd, manager)).code).toBe('not-allowed');
      }
    }
  });

  it('reassign: to an eligible contractor, with from and to in the event', () => {
    const d = accepted(run('connection', active(), { type: 'reassign', contractor: 'rostelecom', reason: 'capacity' }, coordinator));
    expect(d.events[0]).toMatchObject({ type: 'reassigned', from: 'omsk-net', to: 'rostelecom', reason: 'capacity' });
    expect(d.state).toMatchObject({ assignee: 'rostelecom', status: 'active' });
    expect(d.notifications[0]!.recipient).toEqual({ type: 'contractor', org: 'rostelecom' });
  });

  it('reassign refuses the wrong kind, another district, an unknown contractor (invalid, field contractor) and a no-op', () => {
    const messages: string[] = [];
    for (const contractor of ['supplier-1', 'far-provider', 'ghost']) {
      const r = refused(run('connection', active(), { type: 'reassign', contractor }, manager));
      expect(r.code).toBe('invalid');
      expect(r.issues[0]!.field).toBe('contractor');
      messages.push(r.message);
    }
    expect(messages).toEqual([
      'supplier-1 is of kind equipment-supplier; milestone connection needs internet-provider',
      'far-provider does not serve district omsk',
      'unknown contractor ghost',
    ]);
    expect(refused(run('connection', active(), { type: 'reassign', contractor: 'omsk-net' }, manager)).code).toBe('not-allowed');
  });

  it('reschedule: a new deadline with a reason; not in the past, not the same', () => {
    const d = accepted(run('connection', active(), { type: 'reschedule', deadline: '2022-06-30', reason: 'provider delay' }, manager));
    expect(d.events[0]).toMatchObject({ type: 'rescheduled', from: '2021-12-31', to: '2022-06-30', reason: 'provider delay' });
    expect(d.state.deadline).toBe('2022-06-30');
    const past = refused(run('connection', active(), { type: 'reschedule', deadline: '2022-02-28', reason: 'oops' }, manager));
    expect(past).toMatchObject({ code: 'invalid', issues: [{ field: 'deadline' }] });
    // Today in Omsk is fine (T0 is 2022-03-01 11:00 local).
    accepted(run('connection', active(), { type: 'reschedule', deadline: '2022-03-01', reason: 'today' }, manager));
    expect(refused(run('connection', active(), { type: 'reschedule', deadline: '2021-12-31', reason: 'same' }, manager)).code).toBe(
      'not-allowed',
    );
  });

  it('a malformed command is invalid with the field path', () => {
    const r = refused(
      run(
        'connection',
        active(),
        { type: 'submit', evidence: { ...goodEvidence.connection, actNumber: '' } } as Command,
        contractorActor('omsk-net'),
      ),
    );
    expect(r.code).toBe('invalid');
    expect(r.issues[0]!.field).toBe('evidence.actNumber');
    expect(refused(run('connection', active(), { type: 'teleport' } as unknown as Command, manager)).code).toBe('invalid');
  });

  it('a milestone the program does not have is not-found', () => {
    expect(refused(decide(context('sports'), { type: 'start' }, manager, T0)).code).toBe('not-found');
  });

  it('every event carries the next version and decision.state is evolve of the state', () => {
    const state = active('connection', { version: 41 });
    const d = accepted(run('connection', state, { type: 'hold', reason: 'wait' }, manager));
    expect(d.events.map((e) => e.version)).toEqual([42]);
    expect(d.state).toEqual(evolve(state, d.events[0]!));
  });
});

describe('evolve', () => {
  it('refuses an event that skips a version or belongs to another milestone', () => {
    const state = initialState(program, urbanSchool, 'connection', T0);
    const event: MilestoneEvent = {
      type: 'held',
      schoolId: urbanSchool.id,
      milestone: 'connection',
      at: T0.toISOString(),
      actor: manager,
      version: 2,
      reason: 'x',
    };
    expect(() => evolve(state, event)).toThrow(/version 2 does not follow/);
    expect(() => evolve(state, { ...event, version: 1, milestone: 'equipment' })).toThrow(/applied to/);
  });

  it('initialState is pending at version 0 with the planned dates', () => {
    expect(MilestoneState.parse(initialState(program, urbanSchool, 'training', T0))).toMatchObject({
      status: 'pending',
      version: 0,
      plannedStart: '2022-01-01',
      deadline: '2022-12-01',
      assignee: null,
    });
    expect(() => initialState(program, urbanSchool, 'sports', T0)).toThrow(/not part of program/);
  });
});

describe('overdue', () => {
  const state = active();
  it('starts at the end of the due day in Omsk (18:00 UTC): a deadline on a day off runs to the next working day', () => {
    // 2021-12-31 and 1–9 January 2022 were days off: the deadline ends with 2022-01-10.
    expect(isOverdue(state, new Date('2021-12-31T18:00:00.000Z'), TZ)).toBe(false);
    expect(isOverdue(state, new Date('2022-01-10T17:59:59.999Z'), TZ)).toBe(false);
    expect(isOverdue(state, new Date('2022-01-10T18:00:00.000Z'), TZ)).toBe(true);
    expect(daysOverdue(state, new Date('2022-01-10T18:00:00.000Z'), TZ)).toBe(1);
    expect(daysOverdue(state, new Date('2022-01-24T18:00:00.000Z'), TZ)).toBe(15);
    expect(daysOverdue(state, new Date('2022-01-10T12:00:00.000Z'), TZ)).toBe(0);
    // A deadline on a working day ends with that day.
    const thursday = { ...state, deadline: '2021-12-30' };
    expect(isOverdue(thursday, new Date('2021-12-30T17:59:59.999Z'), TZ)).toBe(false);
    expect(isOverdue(thursday, new Date('2021-12-30T18:00:00.000Z'), TZ)).toBe(true);
  });

  it('depends on the zone: the same instant is not yet overdue in Moscow', () => {
    expect(isOverdue(state, new Date('2022-01-10T18:00:00.000Z'), 'Europe/Moscow')).toBe(false);
  });

  it('covers pending and on-hold milestones but never closed ones', () => {
    const late = new Date('2022-02-01T00:00:00Z');
    expect(isOverdue(stateWith('connection', {}), late, TZ)).toBe(true);
    expect(isOverdue(active('connection', { status: 'on-hold', resumeTo: 'active' }), late, TZ)).toBe(true);
    expect(isOverdue(completed, late, TZ)).toBe(false);
    expect(isOverdue(stateWith('connection', { status: 'waived', closedAt: T0.toISOString() }), late, TZ)).toBe(false);
  });
});
