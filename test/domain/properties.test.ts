/**
 * Invariants under random use: random commands (and reminders) from random actors at increasing times,
 * on every milestone of a school, never reach an illegal state.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { localDate, zonedInstant } from '../../shared/calendar.js';
import { dueDay, isWorkingDay } from '../../shared/working-days/index.js';
import {
  decide,
  evidenceIssues,
  evolve,
  initialState,
  isOverdue,
  isTerminal,
  nextReminder,
  reminderOffsetMs,
  remind,
  reminderSchedule,
  type Decision,
  type DecisionContext,
} from '../../shared/domain/index.js';
import {
  MilestoneEvent,
  MilestoneState,
  Notification,
  ReminderPolicy,
  type Actor,
  type Command,
  type Evidence,
  type KitItem,
  type MilestoneKey,
  type School,
} from '../../shared/program/model.js';
import {
  contractorActor,
  contractors,
  coordinator,
  manager,
  otherCoordinator,
  program,
  requiredDocuments,
  ruralSchool,
  schoolStaff,
  system,
  TZ,
  urbanSchool,
  viewer,
} from './fixtures.js';

const KEYS = program.milestones.map((m) => m.key);
const ORGS = ['omsk-net', 'rostelecom', 'supplier-1', 'irooo', urbanSchool.id, ruralSchool.id, 'stranger'];

const actorArb: fc.Arbitrary<Actor> = fc.oneof(
  fc.constantFrom(manager, coordinator, otherCoordinator, viewer, system),
  fc.constantFrom(...ORGS).map(contractorActor),
  fc.constantFrom(urbanSchool.id, ruralSchool.id).map(schoolStaff),
);

const dateArb = (from: number, to: number) =>
  fc.integer({ min: Date.UTC(from, 0, 1), max: Date.UTC(to, 11, 31) }).map((ms) => new Date(ms).toISOString().slice(0, 10));

const actArb = fc.record({
  actNumber: fc.constantFrom('A-1', 'ТН-25/2022'),
  actDate: fc.oneof(fc.constantFrom('2018-12-31', '2019-01-01'), dateArb(2020, 2026)),
});

const PLANNED: KitItem[] = ['teacher-laptop', 'student-laptop', 'mfp', 'interactive-panel', 'network-equipment'];

const evidenceArb: fc.Arbitrary<Evidence> = fc.oneof(
  fc
    .record({ kind: fc.constant('connection' as const), bandwidthMbps: fc.constantFrom(10, 49, 50, 99, 100, 1000) })
    .chain((e) => actArb.map((a) => ({ ...e, ...a }))),
  fc
    .record({
      kind: fc.constant('equipment' as const),
      items: fc.array(fc.record({ item: fc.constantFrom(...PLANNED), quantity: fc.integer({ min: 0, max: 16 }) }), {
        minLength: 1,
        maxLength: 8,
      }),
      full: fc.boolean(),
    })
    .chain(({ full, ...e }) =>
      actArb.map((a) => ({
        ...e,
        ...a,
        // Half the time, deliver the whole planned kit so that equipment can complete.
        items: full
          ? Object.entries(urbanSchool.plannedKit).map(([item, quantity]) => ({ item: item as KitItem, quantity: quantity! }))
          : e.items,
      })),
    ),
  fc
    .record({ kind: fc.constant('training' as const), teachersTrained: fc.constantFrom(0, 11, 12, 40) })
    .chain((e) => actArb.map((a) => ({ ...e, ...a }))),
  fc
    .record({
      kind: fc.constant('onboarding' as const),
      teacherAccounts: fc.constantFrom(0, 12, 50),
      studentAccounts: fc.constantFrom(0, 599, 600, 900),
    })
    .chain((e) => actArb.map((a) => ({ ...e, ...a }))),
);

const reasonArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('budget review', 'act not signed') },
  { weight: 1, arbitrary: fc.constantFrom('no', '   ') },
);

/** Evidence that meets the standard for the milestone (resolved when the step runs). */
const GOOD = 'good-evidence' as const;
function goodEvidenceFor(key: MilestoneKey, school: School): Evidence {
  const act = { actNumber: 'A-7', actDate: '2020-12-30' };
  switch (key) {
    case 'connection':
      return { kind: 'connection', ...act, bandwidthMbps: school.urban ? 100 : 50 };
    case 'equipment':
      return {
        kind: 'equipment',
        ...act,
        items: Object.entries(school.plannedKit).map(([item, quantity]) => ({ item: item as KitItem, quantity: quantity! })),
      };
    case 'training':
      return { kind: 'training', ...act, teachersTrained: school.teachersToTrain };
    default:
      return { kind: 'onboarding', ...act, teacherAccounts: school.teachersToTrain, studentAccounts: school.students ?? 1 };
  }
}

type StepCommand = Command | { type: 'submit'; evidence: typeof GOOD };
function resolve(command: StepCommand, key: MilestoneKey, school: School): Command {
  return command.type === 'submit' && command.evidence === GOOD
    ? { type: 'submit', evidence: goodEvidenceFor(key, school) }
    : (command as Command);
}

const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });
const commandArb: fc.Arbitrary<StepCommand> = fc.oneof(
  w(3, fc.record({ type: fc.constant('start' as const) })),
  w(1, fc.record({ type: fc.constant('start' as const), assignee: fc.constantFrom(...ORGS) })),
  w(3, fc.record({ type: fc.constant('submit' as const), evidence: fc.constant(GOOD) })),
  w(1, fc.record({ type: fc.constant('submit' as const), evidence: evidenceArb })),
  w(3, fc.record({ type: fc.constant('accept' as const) })),
  w(1, fc.record({ type: fc.constant('reject' as const), reason: reasonArb })),
  w(1, fc.record({ type: fc.constant('hold' as const), reason: reasonArb })),
  w(1, fc.record({ type: fc.constant('resume' as const) })),
  w(1, fc.record({ type: fc.constant('waive' as const), reason: reasonArb })),
  w(1, fc.record({ type: fc.constant('reassign' as const), contractor: fc.constantFrom(...ORGS) })),
  w(1, fc.record({ type: fc.constant('reschedule' as const), deadline: dateArb(2021, 2025), reason: reasonArb })),
  w(
    3,
    fc
      .option(fc.constantFrom(30, 50, 99, 100, 250), { nil: undefined })
      .map((mbps) => ({ type: 'signoff' as const, ...(mbps !== undefined ? { measuredMbps: mbps } : {}) })),
  ),
);

/** The milestone's current assignee, signed in (resolved when the step runs). */
const ASSIGNEE = 'assignee' as const;
/** The staff of the school under test (resolved when the step runs). */
const STAFF = 'staff' as const;
const stepActorArb: fc.Arbitrary<Actor | typeof ASSIGNEE | typeof STAFF> = fc.oneof(
  w(3, fc.constant(ASSIGNEE)),
  w(3, fc.constantFrom(manager, system)),
  w(2, fc.constant(STAFF)),
  w(2, actorArb),
);

type Step =
  | { kind: 'command'; minutes: number; key: MilestoneKey; command: StepCommand; actor: Actor | typeof ASSIGNEE | typeof STAFF }
  | { kind: 'remind'; minutes: number; key: MilestoneKey; pick: number };

const minutesArb = fc.integer({ min: 0, max: 30 * 24 * 60 });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  w(
    4,
    fc.record({
      kind: fc.constant('command' as const),
      minutes: minutesArb,
      key: fc.constantFrom(...KEYS),
      command: commandArb,
      actor: stepActorArb,
    }),
  ),
  w(1, fc.record({ kind: fc.constant('remind' as const), minutes: minutesArb, key: fc.constantFrom(...KEYS), pick: fc.nat() })),
);

/** Status and fields agree; a started milestone had its dependencies done; accepted evidence met the standard. */
function checkConsistent(ctx: DecisionContext, state: MilestoneState): void {
  const def = program.milestones.find((m) => m.key === state.key)!;
  MilestoneState.parse(state);
  expect(state.status === 'on-hold').toBe(state.resumeTo !== null);
  expect(isTerminal(state)).toBe(state.closedAt !== null);
  if (['active', 'submitted', 'completed'].includes(state.status) || (state.resumeTo !== null && state.resumeTo !== 'pending')) {
    expect(state.startedAt).not.toBeNull();
  }
  if (state.status === 'submitted' || state.status === 'completed' || state.resumeTo === 'submitted') {
    expect(state.evidence?.kind).toBe(def.evidence);
    expect(state.submittedAt).not.toBeNull();
    expect(evidenceIssues(def, ctx.school, state.evidence!, new Date(state.submittedAt!), TZ, ctx.documents)).toEqual([]);
  }
  if (state.startedAt !== null) {
    for (const dep of def.dependsOn) expect(['completed', 'waived']).toContain(ctx.states[dep]?.status);
  }
  // Sign-offs come in the program's order, only on a submission, and all of them before an acceptance.
  const roles = state.signOffs.map((s) => s.role);
  expect(roles).toEqual(def.signOffs.slice(0, roles.length));
  if (roles.length > 0) expect(['submitted', 'completed', 'waived', 'on-hold']).toContain(state.status);
  if (state.status === 'completed') expect(roles).toEqual(def.signOffs);
  for (const s of state.signOffs) {
    if (s.role === 'school-staff' && def.evidence === 'connection')
      expect(s.measuredMbps).toBeGreaterThanOrEqual(ctx.school.urban ? 100 : 50);
  }
}

describe('decider invariants', () => {
  it('no sequence of commands and reminders reaches an illegal state', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(urbanSchool, ruralSchool),
        fc.array(stepArb, { minLength: 10, maxLength: 80, size: 'max' }),
        (school, steps) => {
          let now = Date.UTC(2021, 0, 1, 2, 0);
          const start = new Date(now);
          const states: Record<MilestoneKey, MilestoneState> = {};
          const logs: Record<MilestoneKey, MilestoneEvent[]> = {};
          for (const key of KEYS) {
            states[key] = initialState(program, school, key, start);
            logs[key] = [];
          }
          for (const step of steps) {
            now += step.minutes * 60_000;
            const at = new Date(now);
            const ctx: DecisionContext = {
              program,
              school,
              milestone: step.key,
              states: { ...states },
              contractors,
              documents: requiredDocuments(step.key),
            };
            const before = states[step.key]!;
            let decision: Decision;
            if (step.kind === 'command') {
              const actor =
                step.actor === ASSIGNEE
                  ? contractorActor(before.assignee ?? 'stranger')
                  : step.actor === STAFF
                    ? schoolStaff(school.id)
                    : step.actor;
              decision = decide(ctx, resolve(step.command, step.key, school), actor, at);
            } else {
              const policy = program.milestones.find((m) => m.key === step.key)!.reminders;
              const due = reminderSchedule(before, policy, TZ, at);
              const upcoming = nextReminder(before, policy, TZ, at);
              const pickable = [...due.map((r) => r.id), ...(upcoming ? [upcoming.id] : [])];
              if (pickable.length === 0) {
                expect(remind(ctx, `${school.id}:${step.key}:${before.deadline}:overdue:1`, at).ok).toBe(false);
                continue;
              }
              const id = pickable[step.pick % pickable.length]!;
              decision = remind(ctx, id, at);
              // Only reminders that are due go out.
              expect(decision.ok).toBe(due.some((r) => r.id === id));
            }
            if (!decision.ok) {
              expect(decision.rejection.message.length).toBeGreaterThan(0);
              continue;
            }
            // A closed milestone never changes again.
            expect(isTerminal(before)).toBe(false);
            expect(decision.events.length).toBeGreaterThan(0);
            let folded = before;
            for (const event of decision.events) {
              MilestoneEvent.parse(event);
              expect(event.version).toBe(folded.version + 1);
              folded = evolve(folded, event);
            }
            for (const n of decision.notifications) Notification.parse(n);
            expect(decision.state).toEqual(folded);
            expect(folded.version).toBeGreaterThan(before.version);
            states[step.key] = folded;
            logs[step.key]!.push(...decision.events);
            checkConsistent({ ...ctx, states }, folded);
          }
          // The audit log alone rebuilds every state.
          for (const key of KEYS) {
            expect(logs[key]!.reduce(evolve, initialState(program, school, key, start))).toEqual(states[key]);
            expect(states[key]!.version).toBe(logs[key]!.length);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a completed or waived milestone refuses every command from every actor', () => {
    const closed = [
      { status: 'completed', evidence: null, closedAt: '2022-01-01T00:00:00.000Z' },
      { status: 'waived', closedAt: '2022-01-01T00:00:00.000Z' },
    ] as const;
    fc.assert(
      fc.property(
        fc.constantFrom(...closed),
        fc.constantFrom(...KEYS),
        commandArb,
        actorArb,
        fc.date({ min: new Date('2021-01-01'), max: new Date('2026-01-01'), noInvalidDate: true }),
        (extra, key, command, actor, at) => {
          const state: MilestoneState = { ...initialState(program, urbanSchool, key, at), version: 7, assignee: 'omsk-net', ...extra };
          const d = decide(
            { program, school: urbanSchool, milestone: key, states: { [key]: state }, contractors },
            resolve(command, key, urbanSchool),
            actor,
            at,
          );
          expect(d.ok).toBe(false);
          expect(isOverdue(state, at, TZ)).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('reminder schedule invariants', () => {
  const policyArb = fc
    .tuple(
      fc.record({
        daysBefore: fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { minLength: 0, maxLength: 4 }),
        overdueEveryDays: fc.integer({ min: 1, max: 14 }),
        onWorkingDays: fc.boolean(),
      }),
      // The window must end on the reminder's day.
      fc.oneof(
        fc.record({ localTime: fc.constantFrom('00:00', '09:00'), spreadMinutes: fc.constantFrom(0, 1, 120, 360) }),
        fc.record({ localTime: fc.constant('23:59'), spreadMinutes: fc.constant(0) }),
      ),
    )
    .map(([rules, timing]) => ({ ...rules, ...timing }));
  /** A connection milestone started on 2020-01-01 and open (active or submitted) against `deadline`. */
  const openMilestone = (deadline: string, status: 'active' | 'submitted'): MilestoneState => ({
    ...initialState(program, urbanSchool, 'connection', new Date('2020-01-01')),
    status,
    version: status === 'active' ? 1 : 2,
    deadline,
    startedAt: '2020-01-01T00:00:00.000Z',
  });

  it('ordered, unique, at local time, never on a day off when moved, split by the due day; nextReminder agrees', () => {
    fc.assert(
      fc.property(
        policyArb,
        dateArb(2021, 2026),
        fc.constantFrom('Asia/Omsk', 'Europe/Moscow', 'Europe/Berlin', 'America/New_York'),
        fc.integer({ min: 0, max: 400 * 24 * 60 }),
        (p, deadline, tz, offsetMinutes) => {
          const policy = ReminderPolicy.parse(p);
          const state = openMilestone(deadline, 'active');
          const until = new Date(Date.parse(`${deadline}T00:00:00Z`) + 120 * 86_400_000);
          const list = reminderSchedule(state, policy, tz, until);
          expect(new Set(list.map((r) => r.id)).size).toBe(list.length);
          expect(new Set(list.map((r) => r.date)).size).toBe(list.length);
          list.forEach((r, i) => {
            if (i > 0) expect(Date.parse(r.at)).toBeGreaterThan(Date.parse(list[i - 1]!.at));
            // At the milestone's own second of the window after the local time, on the reminder's date.
            const offset = Date.parse(r.at) - zonedInstant(r.date, policy.localTime, tz).getTime();
            expect(offset).toBe(reminderOffsetMs(state.schoolId, state.key, policy));
            expect(offset).toBeGreaterThanOrEqual(0);
            expect(offset).toBeLessThan(Math.max(1, policy.spreadMinutes * 60) * 1000);
            expect(localDate(new Date(r.at), tz)).toBe(r.date);
            if (policy.onWorkingDays) expect(isWorkingDay(r.date), r.date).toBe(true);
            expect(r.due).toBe(dueDay(deadline));
            if (r.kind === 'before') expect(r.date <= r.due).toBe(true);
            else expect(r.date > r.due).toBe(true);
            expect(Date.parse(r.at)).toBeLessThanOrEqual(until.getTime());
          });
          const now = new Date(Date.parse(`${deadline}T00:00:00Z`) - 60 * 86_400_000 + offsetMinutes * 60_000);
          const next = nextReminder(state, policy, tz, now);
          const expected = list.find((r) => Date.parse(r.at) > now.getTime());
          if (expected) expect(next).toEqual(expected);
          else expect(next === null || Date.parse(next.at) > until.getTime()).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('nextReminder long after the deadline is the first reminder after now of the whole schedule', () => {
    fc.assert(
      fc.property(
        policyArb,
        dateArb(2021, 2026),
        fc.constantFrom('Asia/Omsk', 'America/New_York', 'Pacific/Kiritimati'),
        fc.integer({ min: -40 * 24 * 60, max: 6 * 366 * 24 * 60 }),
        (p, deadline, tz, offsetMinutes) => {
          const policy = ReminderPolicy.parse(p);
          const state = openMilestone(deadline, 'submitted');
          const now = new Date(Date.parse(`${deadline}T00:00:00Z`) + offsetMinutes * 60_000);
          // The whole schedule, walked from its first reminder, up to two months after now (the next
          // reminder is at most 41 days away here: the deadline is at most 40 days ahead).
          const list = reminderSchedule(state, policy, tz, new Date(now.getTime() + 60 * 86_400_000));
          const expected = list.find((r) => Date.parse(r.at) > now.getTime());
          expect(expected).toBeDefined();
          expect(nextReminder(state, policy, tz, now)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
