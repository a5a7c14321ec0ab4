import { describe, expect, it } from 'vitest';
import { loadProgram, ProgramError } from '../../shared/program/load-program.js';
import { ProgramDefinition } from '../../shared/program/model.js';
import { planMilestones } from '../../shared/program/plan.js';
import { REFERENCE_PROGRAM, REFERENCE_PROGRAM_DATA } from '../../shared/program/reference-program.js';
import { expectedShareOfAll, inTargetScope } from '../../shared/program/targets.js';
import { ruralSchool, urbanSchool } from './fixtures.js';

/** A deep copy of the reference data to break in one place. */
function referenceData(): { milestones: Record<string, unknown>[] } & Record<string, unknown> {
  return structuredClone(REFERENCE_PROGRAM_DATA) as never;
}

function issuesOf(data: unknown): ProgramError['issues'] {
  try {
    loadProgram(data);
  } catch (e) {
    expect(e).toBeInstanceOf(ProgramError);
    const error = e as ProgramError;
    expect(error.problems).toEqual(error.issues.map((i) => `${i.field}: ${i.reason}`));
    return error.issues;
  }
  throw new Error('program was accepted');
}

/** The reasons only. */
const problemsOf = (data: unknown): string[] => issuesOf(data).map((i) => i.reason);

describe('reference program', () => {
  it('has the four milestones of the design, in order, with ru/en texts', () => {
    expect(REFERENCE_PROGRAM.milestones.map((m) => m.key)).toEqual(['connection', 'equipment', 'training', 'onboarding']);
    expect(REFERENCE_PROGRAM.timeZone).toBe('Asia/Omsk');
    for (const m of REFERENCE_PROGRAM.milestones) {
      expect(m.title.ru).toMatch(/[А-Яа-я]/);
      expect(m.doneWhen.en.length).toBeGreaterThan(20);
      expect(m.evidence).toBe(m.key);
    }
    expect(REFERENCE_PROGRAM.milestones.map((m) => m.assignee)).toEqual([
      'internet-provider',
      'equipment-supplier',
      'training-provider',
      'school',
    ]);
    expect(REFERENCE_PROGRAM.milestones[3]!.dependsOn).toEqual(['connection', 'equipment']);
  });

  it('uses the default reminder policy (30/7/1 days at 09:00, escalation on day 1 and day 14)', () => {
    const policy = REFERENCE_PROGRAM.milestones[0]!.reminders;
    expect(policy.daysBefore).toEqual([30, 7, 1]);
    expect(policy.localTime).toBe('09:00');
    expect(policy.escalation).toEqual([
      { afterDaysOverdue: 1, to: 'district-coordinator' },
      { afterDaysOverdue: 14, to: 'program-manager' },
    ]);
  });

  it('parses as a ProgramDefinition and round-trips through loadProgram', () => {
    expect(ProgramDefinition.parse(REFERENCE_PROGRAM)).toEqual(REFERENCE_PROGRAM);
    expect(loadProgram(JSON.parse(JSON.stringify(REFERENCE_PROGRAM)))).toEqual(REFERENCE_PROGRAM);
  });

  it('targets: 100% connected by 2021-12-31, equipment and training by 1 December per cohort, onboarding by 2024-12-31', () => {
    const t = REFERENCE_PROGRAM.targets;
    expect(t).toContainEqual({ milestone: 'connection', date: '2021-12-31', share: 1, scope: 'all' });
    expect(t).toContainEqual({ milestone: 'onboarding', date: '2024-12-31', share: 1, scope: 'all' });
    for (const year of [2021, 2022, 2023, 2024]) {
      for (const milestone of ['equipment', 'training']) {
        expect(t).toContainEqual({ milestone, date: `${year}-12-01`, share: 1, scope: 'cohorts-due' });
      }
    }
  });

  it('a cohorts-due target counts the cohorts due by its year: the cumulative share of cohorts', () => {
    const target = REFERENCE_PROGRAM.targets.find((x) => x.milestone === 'equipment' && x.date === '2022-12-01')!;
    expect(inTargetScope(target, { cohortYear: 2022 })).toBe(true);
    expect(inTargetScope(target, { cohortYear: 2023 })).toBe(false);
    const schools = [2021, 2021, 2022, 2023, 2024].map((cohortYear) => ({ cohortYear }));
    expect(expectedShareOfAll(target, schools)).toBeCloseTo(3 / 5);
    expect(expectedShareOfAll(REFERENCE_PROGRAM.targets[0]!, schools)).toBe(1);
    expect(expectedShareOfAll(target, [])).toBe(0);
  });
});

describe('planMilestones', () => {
  it('derives the dates of a 2022-cohort school', () => {
    expect(planMilestones(REFERENCE_PROGRAM, urbanSchool)).toEqual({
      connection: { plannedStart: '2021-01-01', deadline: '2021-12-31' },
      equipment: { plannedStart: '2022-01-01', deadline: '2022-12-01' },
      training: { plannedStart: '2022-01-01', deadline: '2022-12-01' },
      onboarding: { plannedStart: '2022-01-01', deadline: '2024-12-31' },
    });
  });

  it('moves cohort dates with the cohort year and keeps fixed dates', () => {
    const plan = planMilestones(REFERENCE_PROGRAM, ruralSchool);
    expect(plan.equipment).toEqual({ plannedStart: '2021-01-01', deadline: '2021-12-01' });
    expect(plan.training).toEqual(plan.equipment);
    expect(plan.connection!.deadline).toBe('2021-12-31');
    expect(planMilestones(REFERENCE_PROGRAM, { ...urbanSchool, cohortYear: 2024 }).equipment!.deadline).toBe('2024-12-01');
  });

  it('applies a cohort-start offset', () => {
    const data = referenceData();
    data.milestones[1]!.plannedStart = { kind: 'cohort-start', offsetDays: 31 };
    expect(planMilestones(loadProgram(data), urbanSchool).equipment!.plannedStart).toBe('2022-02-01');
    expect(planMilestones(loadProgram(data), urbanSchool).training!.plannedStart).toBe('2022-02-01');
  });
});

describe('loadProgram refuses a program that cannot run, naming the problem', () => {
  it('a dependency cycle', () => {
    const data = referenceData();
    data.milestones[0]!.dependsOn = ['onboarding'];
    expect(problemsOf(data)).toContain('dependency cycle: connection -> onboarding -> connection');
    expect(() => loadProgram(data)).toThrow(/dependency cycle: connection -> onboarding -> connection/);
  });

  it('a milestone depending on itself', () => {
    const data = referenceData();
    data.milestones[2]!.dependsOn = ['training'];
    expect(problemsOf(data)).toEqual(['dependency cycle: training -> training']);
  });

  it('an unknown dependency', () => {
    const data = referenceData();
    data.milestones[3]!.dependsOn = ['connection', 'equipmnt'];
    expect(issuesOf(data)).toEqual([{ field: 'milestones.3.dependsOn.1', reason: 'unknown dependency: onboarding depends on "equipmnt"' }]);
  });

  it('a duplicate key', () => {
    const data = referenceData();
    data.milestones.push({ ...data.milestones[2]! });
    expect(issuesOf(data)).toEqual([{ field: 'milestones.4.key', reason: 'duplicate milestone key: training' }]);
  });

  it('a same-as rule to an unknown milestone', () => {
    const data = referenceData();
    data.milestones[2]!.deadline = { kind: 'same-as', milestone: 'supply' };
    expect(problemsOf(data)).toEqual(['same-as to unknown milestone: training.deadline same-as "supply"']);
  });

  it('a same-as cycle', () => {
    const data = referenceData();
    data.milestones[1]!.deadline = { kind: 'same-as', milestone: 'training' };
    expect(problemsOf(data)).toContain('same-as cycle: equipment.deadline -> training.deadline -> equipment.deadline');
  });

  it('a cohort date that does not exist in some cohort year', () => {
    const data = referenceData();
    data.milestones[1]!.deadline = { kind: 'cohort-year', month: 2, day: 29 };
    expect(problemsOf(data)).toContain('equipment.deadline: 2021-2-29 is not a calendar date');
  });

  it('a planned start after the deadline', () => {
    const data = referenceData();
    data.milestones[0]!.plannedStart = { kind: 'fixed', date: '2022-01-10' };
    expect(problemsOf(data)).toContain('connection: planned start 2022-01-10 is after the deadline 2021-12-31 (cohort 2021)');
  });

  it('a target for an unknown milestone and an unknown time zone', () => {
    const data = referenceData();
    data.timeZone = 'Asia/Nowhere';
    (data.targets as unknown[]).push({ milestone: 'sports', date: '2022-01-01', share: 0.5 });
    expect(issuesOf(data)).toEqual([
      { field: 'timeZone', reason: 'unknown time zone: Asia/Nowhere' },
      {
        field: `targets.${(data.targets as unknown[]).length - 1}.milestone`,
        reason: 'target for unknown milestone: "sports" on 2022-01-01',
      },
    ]);
  });

  it('a malformed program, with the path of each field', () => {
    const data = referenceData();
    data.milestones[0]!.key = 'Connection!';
    delete (data as Record<string, unknown>).timeZone;
    const fields = issuesOf(data).map((i) => i.field);
    expect(fields).toContain('milestones.0.key');
    expect(fields).toContain('timeZone');
  });
});
