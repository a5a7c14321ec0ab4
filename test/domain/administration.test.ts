/**
 * The administration rules of the domain: contracts decide who may be assigned, a contractor with open
 * work is deactivated only with its work reassigned, the school's staff sign off in the program's order,
 * and a profile change re-plans the open milestones. Examples first, then properties.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canRead,
  contractCovers,
  contractorIssues,
  decide,
  decideDeactivation,
  defaultAssignee,
  eligibleAssignees,
  mayAdminister,
  mayBeAssigned,
  planMilestones,
  profileChanges,
  replansFor,
  type OpenWork,
} from '../../shared/domain/index.js';
import type { Contract, Contractor, MilestoneState, School } from '../../shared/program/model.js';
import {
  context,
  contractorActor,
  contractors,
  coordinator,
  goodEvidence,
  manager,
  otherCoordinator,
  program,
  regionContract,
  ruralSchool,
  schoolStaff,
  stateWith,
  T0,
  urbanSchool,
  viewer,
} from './fixtures.js';

const connection = program.milestones.find((m) => m.key === 'connection')!;
const ON = '2022-03-01';

const submitted = (key: string, extra: Partial<MilestoneState> = {}) =>
  stateWith(key, {
    status: 'submitted',
    version: 2,
    assignee: key === 'connection' ? 'omsk-net' : 'supplier-1',
    startedAt: T0.toISOString(),
    submittedAt: T0.toISOString(),
    evidence: goodEvidence[key as 'connection'],
    ...extra,
  });

describe('contracts decide who may be assigned', () => {
  it('an active contractor of the kind, serving the district, with a contract for the milestone covering the school on the date', () => {
    expect(eligibleAssignees(connection, urbanSchool, contractors, ON)).toEqual(['omsk-net', 'rostelecom']);
    const inactive = contractors.map((c) => (c.id === 'omsk-net' ? { ...c, active: false } : c));
    expect(eligibleAssignees(connection, urbanSchool, inactive, ON)).toEqual(['rostelecom']);
    const expired = contractors.map((c) =>
      c.id === 'rostelecom' ? { ...c, contracts: [regionContract('connection', { endDate: '2022-02-28' })] } : c,
    );
    expect(eligibleAssignees(connection, urbanSchool, expired, ON)).toEqual(['omsk-net']);
    const otherSchools = contractors.map((c) =>
      c.id === 'rostelecom' ? { ...c, contracts: [regionContract('connection', { schools: ['another-school'] })] } : c,
    );
    expect(eligibleAssignees(connection, urbanSchool, otherSchools, ON)).toEqual(['omsk-net']);
    const otherMilestone = contractors.map((c) => (c.id === 'rostelecom' ? { ...c, contracts: [regionContract('training')] } : c));
    expect(eligibleAssignees(connection, urbanSchool, otherMilestone, ON)).toEqual(['omsk-net']);
  });

  it('reassign to a contractor whose contract does not cover the school is a 400 that says why', () => {
    const noContract = contractors.map((c) => (c.id === 'rostelecom' ? { ...c, contracts: [] } : c));
    const ctx = {
      ...context('connection', { connection: stateWith('connection', { status: 'active', version: 1, assignee: 'omsk-net' }) }),
      contractors: noContract,
    };
    const d = decide(ctx, { type: 'reassign', contractor: 'rostelecom' }, manager, T0);
    expect(d.ok).toBe(false);
    if (!d.ok) {
      expect(d.rejection.code).toBe('invalid');
      expect(d.rejection.message).toContain('no contract for connection covering school');
    }
  });

  it('the default assignee is eligible, and the same whatever the order of the register', () => {
    fc.assert(
      fc.property(fc.uniqueArray(contractorArb, { selector: (c) => c.id, maxLength: 4 }), schoolArb, dateArb, (register, school, on) => {
        const chosen = defaultAssignee(connection, school, register, on);
        const eligible = eligibleAssignees(connection, school, register, on);
        if (eligible.length === 0) expect(chosen).toBeNull();
        else expect(eligible).toContain(chosen);
        expect(defaultAssignee(connection, school, [...register].reverse(), on)).toBe(chosen);
        for (const id of eligible) {
          const c = register.find((x) => x.id === id)!;
          expect(c.active && c.contracts.some((k) => contractCovers(k, 'connection', school, on))).toBe(true);
        }
      }),
    );
  });
});

describe('the contractor register', () => {
  it('checks contracts against the program and the districts', () => {
    const c: Contractor = {
      id: 'isp-x',
      name: 'ISP X',
      kind: 'internet-provider',
      districts: ['omsk'],
      emails: [],
      active: true,
      contracts: [
        regionContract('connection', { districts: ['tarsky'] }),
        regionContract('equipment'),
        regionContract('connection', { number: 'connection-1' }),
        regionContract('nothing', { number: 'n-2' }),
      ],
    };
    const fields = contractorIssues(c, program, ['omsk', 'tarsky']).map((i) => i.field);
    expect(fields).toEqual(['contracts.0.districts.0', 'contracts.1.milestone', 'contracts.2.number', 'contracts.3.milestone']);
    expect(contractorIssues(contractors[0]!, program, ['omsk', 'tarsky'])).toEqual([]);
  });

  it('deactivation with open work is refused with the list of that work, unless all of it is reassigned', () => {
    const work: OpenWork[] = [
      { school: urbanSchool, milestone: 'connection' },
      { school: ruralSchool, milestone: 'connection' },
    ];
    const omskNet = contractors.find((c) => c.id === 'omsk-net')!;
    const base = { program, contractors, contractor: omskNet, openWork: work, reassign: [], on: ON };
    const refused = decideDeactivation(base);
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.rejection.code).toBe('not-allowed');
      expect(refused.unassigned.map((w) => w.school.id)).toEqual([urbanSchool.id, ruralSchool.id]);
      expect(refused.rejection.issues.map((i) => i.message)).toEqual([`${urbanSchool.id}/connection`, `${ruralSchool.id}/connection`]);
    }
    const partly = decideDeactivation({
      ...base,
      reassign: [{ schoolId: urbanSchool.id, milestone: 'connection', contractor: 'rostelecom' }],
    });
    expect(partly.ok).toBe(false);
    const toFar = decideDeactivation({ ...base, reassignRestTo: 'far-provider' });
    expect(toFar.ok).toBe(false);
    if (!toFar.ok) expect(toFar.rejection.code).toBe('invalid');
    const all = decideDeactivation({
      ...base,
      reassign: [{ schoolId: urbanSchool.id, milestone: 'connection', contractor: 'rostelecom' }],
      reassignRestTo: 'rostelecom',
    });
    expect(all).toEqual({
      ok: true,
      reassignments: [
        { schoolId: urbanSchool.id, milestone: 'connection', contractor: 'rostelecom' },
        { schoolId: ruralSchool.id, milestone: 'connection', contractor: 'rostelecom' },
      ],
    });
    expect(decideDeactivation({ ...base, openWork: [] })).toEqual({ ok: true, reassignments: [] });
  });

  it('property: a deactivation goes through exactly when every piece of work goes to someone who may take it', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(contractorArb, { selector: (c) => c.id, minLength: 1, maxLength: 4 }),
        fc.array(schoolArb, { maxLength: 6 }),
        fc.option(fc.constantFrom('c0', 'c1', 'c2', 'c3'), { nil: undefined }),
        (register, schools, restTo) => {
          const target = { ...register[0]!, active: true };
          const all = [target, ...register.slice(1)];
          const openWork = schools.map((school) => ({ school, milestone: 'connection' }));
          const d = decideDeactivation({
            program,
            contractors: all,
            contractor: target,
            openWork,
            reassign: [],
            reassignRestTo: restTo,
            on: ON,
          });
          const taker = all.find((c) => c.id === restTo);
          const possible =
            restTo !== undefined &&
            restTo !== target.id &&
            taker !== undefined &&
            schools.every((s) => mayBeAssigned(taker, connection, s, ON));
          expect(d.ok).toBe(openWork.length === 0 || possible);
          if (d.ok) {
            expect(d.reassignments).toHaveLength(openWork.length);
            for (const r of d.reassignments) expect(r.contractor).not.toBe(target.id);
          }
        },
      ),
    );
  });
});

describe('the school signs off before a manager accepts', () => {
  const staff = schoolStaff(urbanSchool.id);
  const run = (key: string, state: MilestoneState, cmd: Parameters<typeof decide>[1], actor: Parameters<typeof decide>[2]) =>
    decide(context(key, { [key]: state }), cmd, actor, T0);

  it('accept waits for the school staff; only the school’s own staff sign, with the bandwidth they measured at the standard', () => {
    const s = submitted('connection');
    const early = run('connection', s, { type: 'accept' }, manager);
    expect(!early.ok && early.rejection.code).toBe('not-allowed');
    expect(!early.ok && early.rejection.message).toContain('school-staff');
    const other = run('connection', s, { type: 'signoff', measuredMbps: 120 }, schoolStaff(ruralSchool.id));
    expect(!other.ok && other.rejection.code).toBe('forbidden');
    for (const actor of [manager, viewer, contractorActor('omsk-net'), coordinator, otherCoordinator]) {
      const d = run('connection', s, { type: 'signoff', measuredMbps: 120 }, actor);
      expect(!d.ok && d.rejection.code, actor.role).toBe('forbidden');
    }
    const noMeasure = run('connection', s, { type: 'signoff' }, staff);
    expect(!noMeasure.ok && noMeasure.rejection.issues[0]?.field).toBe('measuredMbps');
    const slow = run('connection', s, { type: 'signoff', measuredMbps: 60 }, staff);
    expect(!slow.ok && slow.rejection.code).toBe('invalid-evidence');
    const signed = run('connection', s, { type: 'signoff', measuredMbps: 120, note: 'Проверено в кабинете информатики' }, staff);
    expect(signed.ok).toBe(true);
    if (!signed.ok) return;
    expect(signed.state.signOffs).toEqual([
      { role: 'school-staff', sub: staff.sub, at: T0.toISOString(), measuredMbps: 120, note: 'Проверено в кабинете информатики' },
    ]);
    const twice = run('connection', signed.state, { type: 'signoff', measuredMbps: 120 }, staff);
    expect(!twice.ok && twice.rejection.code).toBe('not-allowed');
    const done = run('connection', signed.state, { type: 'accept' }, manager);
    expect(done.ok && done.state.status).toBe('completed');
  });

  it('a rejection starts the sign-offs over; the school signs for equipment without a measurement', () => {
    const signed = decide(context('equipment', { equipment: submitted('equipment') }), { type: 'signoff' }, staff, T0);
    expect(signed.ok).toBe(true);
    if (!signed.ok) return;
    const rejected = decide(
      context('equipment', { equipment: signed.state }),
      { type: 'reject', reason: 'Не хватает ноутбуков' },
      manager,
      T0,
    );
    expect(rejected.ok && rejected.state.signOffs).toEqual([]);
  });

  it('school staff submit the school’s own work, and nothing else', () => {
    const onboarding = stateWith('onboarding', { status: 'active', version: 1, assignee: urbanSchool.id, startedAt: T0.toISOString() });
    const ctx = context('onboarding', { onboarding });
    expect(decide(ctx, { type: 'submit', evidence: goodEvidence.onboarding }, staff, T0).ok).toBe(true);
    const hold = decide(ctx, { type: 'hold', reason: 'Ремонт' }, staff, T0);
    expect(!hold.ok && hold.rejection.code).toBe('forbidden');
    const active = stateWith('connection', { status: 'active', version: 1, assignee: 'omsk-net', startedAt: T0.toISOString() });
    const theirs = decide(context('connection', { connection: active }), { type: 'submit', evidence: goodEvidence.connection }, staff, T0);
    expect(!theirs.ok && theirs.rejection.code).toBe('forbidden');
  });

  it('a program whose definition orders the coordinator after the school: the order is data', () => {
    const twoStep = {
      ...program,
      milestones: program.milestones.map((m) =>
        m.key === 'equipment' ? { ...m, signOffs: ['school-staff' as const, 'district-coordinator' as const] } : m,
      ),
    };
    const ctx = (state: MilestoneState) => ({ ...context('equipment', { equipment: state }), program: twoStep });
    const first = decide(ctx(submitted('equipment')), { type: 'signoff' }, coordinator, T0);
    expect(!first.ok && first.rejection.code).toBe('not-allowed');
    const school = decide(ctx(submitted('equipment')), { type: 'signoff' }, staff, T0);
    if (!school.ok) throw new Error(school.rejection.message);
    expect(decide(ctx(school.state), { type: 'accept' }, manager, T0).ok).toBe(false);
    const coord = decide(ctx(school.state), { type: 'signoff' }, coordinator, T0);
    if (!coord.ok) throw new Error(coord.rejection.message);
    expect(decide(ctx(coord.state), { type: 'accept' }, manager, T0).ok).toBe(true);
  });
});

describe('reading and administering', () => {
  it('school staff read their own school only; contractors what is assigned to them', () => {
    const school = { kind: 'school' as const, school: urbanSchool, assignees: ['omsk-net', null] };
    expect(canRead(schoolStaff(urbanSchool.id), school)).toBeNull();
    expect(canRead(schoolStaff(ruralSchool.id), school)?.code).toBe('forbidden');
    expect(canRead(contractorActor('omsk-net'), school)).toBeNull();
    expect(canRead(contractorActor('rostelecom'), school)?.code).toBe('forbidden');
    expect(canRead(otherCoordinator, school)?.code).toBe('forbidden');
    expect(canRead(schoolStaff(urbanSchool.id), { kind: 'schools' })?.code).toBe('forbidden');
    expect(canRead(schoolStaff(urbanSchool.id), { kind: 'review-queue' })).toBeNull();
    expect(canRead(viewer, { kind: 'review-queue' })?.code).toBe('forbidden');
  });

  it('only program managers manage contractors; coordinators edit profiles within their district', () => {
    expect(mayAdminister(manager, { kind: 'contractors' })).toBeNull();
    expect(mayAdminister(coordinator, { kind: 'contractors' })?.code).toBe('forbidden');
    expect(mayAdminister(coordinator, { kind: 'school-profile', districts: ['omsk'] })).toBeNull();
    expect(mayAdminister(coordinator, { kind: 'school-profile', districts: ['omsk', 'tarsky'] })?.code).toBe('forbidden');
    expect(mayAdminister(coordinator, { kind: 'school-archive' })?.code).toBe('forbidden');
  });
});

describe('a profile change re-plans the open milestones', () => {
  it('a new cohort year moves equipment and training, not the closed connection', () => {
    const after: School = { ...urbanSchool, cohortYear: 2023 };
    const states = {
      connection: stateWith('connection', { status: 'completed', version: 4, closedAt: T0.toISOString() }),
      equipment: stateWith('equipment', { status: 'active', version: 1, assignee: 'supplier-1' }),
      training: stateWith('training', {}),
      onboarding: stateWith('onboarding', {}),
    };
    const replans = replansFor(program, urbanSchool, after, states);
    expect(replans.map((r) => [r.milestone, r.command.plannedStart, r.command.deadline])).toEqual([
      ['equipment', '2023-01-01', '2023-12-01'],
      ['training', '2023-01-01', '2023-12-01'],
      ['onboarding', '2023-01-01', '2024-12-31'],
    ]);
    expect(replans[0]!.command.reason).toContain('2022 → 2023');
    expect(profileChanges(urbanSchool, after)).toEqual([{ field: 'cohortYear', from: 2022, to: 2023 }]);
  });

  it('property: after the re-plans every open milestone follows the new plan where the profile moved it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2021, max: 2024 }), fc.integer({ min: 2021, max: 2024 }), fc.boolean(), (from, to, urban) => {
        const before: School = { ...urbanSchool, cohortYear: from };
        const after: School = { ...before, cohortYear: to, urban };
        const states = Object.fromEntries(program.milestones.map((m) => [m.key, stateWith(m.key, {}, before)]));
        const replans = replansFor(program, before, after, states);
        const plan = planMilestones(program, after);
        for (const m of program.milestones) {
          const r = replans.find((x) => x.milestone === m.key);
          const dates = r
            ? { plannedStart: r.command.plannedStart, deadline: r.command.deadline }
            : { plannedStart: states[m.key]!.plannedStart, deadline: states[m.key]!.deadline };
          expect(dates).toEqual({ plannedStart: plan[m.key]!.plannedStart, deadline: plan[m.key]!.deadline });
          if (r) expect(decide(context(m.key, states, before), r.command, manager, T0).ok).toBe(true);
        }
        expect(replans.length === 0).toBe(from === to);
      }),
    );
  });
});

// ---------- arbitraries ----------

const DISTRICT_IDS = ['omsk', 'tarsky', 'azovsky'];

const dateArb = fc.integer({ min: Date.UTC(2020, 6, 1), max: Date.UTC(2026, 5, 30) }).map((ms) => new Date(ms).toISOString().slice(0, 10));

const contractArb: fc.Arbitrary<Contract> = fc
  .record({
    date: dateArb,
    days: fc.integer({ min: 0, max: 1500 }),
    milestone: fc.constantFrom('connection', 'equipment'),
    districts: fc.subarray(DISTRICT_IDS, { maxLength: 2 }),
    schools: fc.subarray([urbanSchool.id, ruralSchool.id], { maxLength: 1 }),
  })
  .map(({ date, days, ...rest }) => ({
    number: 'K',
    date,
    endDate: new Date(Date.parse(date) + days * 86_400_000).toISOString().slice(0, 10),
    ...rest,
  }));

const contractorArb: fc.Arbitrary<Contractor> = fc.record({
  id: fc.constantFrom('c0', 'c1', 'c2', 'c3'),
  name: fc.constant('C'),
  kind: fc.constantFrom('internet-provider' as const, 'equipment-supplier' as const),
  districts: fc.subarray(DISTRICT_IDS, { maxLength: 2 }),
  emails: fc.constant([]),
  active: fc.boolean(),
  contracts: fc.array(contractArb, { maxLength: 3 }),
});

const schoolArb: fc.Arbitrary<School> = fc.constantFrom(urbanSchool, ruralSchool, { ...urbanSchool, id: 'omsk-school-18' });
