import { describe, expect, it } from 'vitest';
import { endOfLocalDay, localDate } from '../../shared/calendar.js';
import { isWorkingDay } from '../../shared/working-days/index.js';
import { defaultAssignee, eligibleAssignees, evidenceIssues } from '../../shared/domain/index.js';
import { planMilestones, REFERENCE_PROGRAM } from '../../shared/program/index.js';
import { generateRegion } from '../../shared/region/index.js';
import { zonedInstant } from '../../shared/calendar.js';
import { BehaviourModel, DAY_MS, type ActiveMilestone, type ActivationPlan } from '../../infra/local/simulation/behaviour.js';

const program = REFERENCE_PROGRAM;
const TZ = program.timeZone;
const region = generateRegion({ seed: 7, schools: 200 });

function model(seed: number | string = 1): BehaviourModel {
  return new BehaviourModel({ seed, timeZone: TZ, contractors: region.contractors });
}

/** Every milestone of every school as it would be activated on its planned start, assigned as the domain does. */
function activations(): ActiveMilestone[] {
  return region.schools.flatMap((school) => {
    const plan = planMilestones(program, school);
    return program.milestones.map((def) => ({
      schoolId: school.id,
      key: def.key,
      assignee: defaultAssignee(def, school, region.contractors, plan[def.key]!.plannedStart),
      deadline: plan[def.key]!.deadline,
      startedAt: zonedInstant(plan[def.key]!.plannedStart, '00:05', TZ).getTime(),
    }));
  });
}

function localWorkingTime(ms: number): boolean {
  const date = localDate(new Date(ms), TZ);
  const hour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: TZ, hour: '2-digit', hourCycle: 'h23' }).format(new Date(ms)));
  return isWorkingDay(date) && hour >= 9 && hour < 18;
}

describe('behaviour model', () => {
  it('draws the same plans from the same seed, whatever the order of the questions', () => {
    const all = activations();
    const a = all.map((m) => model(1).onActivated(m));
    const b = model(1);
    const reversed = [...all]
      .reverse()
      .map((m) => b.onActivated(m))
      .reverse();
    expect(reversed).toEqual(a);
    const other = all.map((m) => model(2).onActivated(m));
    expect(other).not.toEqual(a);
  });

  it('gives every kind of contractor exactly one chronically late member, and the seed decides which', () => {
    const kinds = ['internet-provider', 'equipment-supplier', 'training-provider'] as const;
    const lateBySeed = [1, 2, 3, 4, 5].map((seed) => {
      const m = model(seed);
      return kinds.map((kind) => {
        const late = region.contractors.filter((c) => c.kind === kind && m.profile(c.id).punctuality === 'late');
        expect(late).toHaveLength(1);
        return late[0]!.id;
      });
    });
    expect(new Set(lateBySeed.map((ids) => ids.join(','))).size).toBeGreaterThan(1);
  });

  it('acts on working days during working hours, after the activation', () => {
    const m = model(3);
    for (const a of activations()) {
      const plan = m.onActivated(a);
      const times =
        plan.kind === 'waive'
          ? [plan.at]
          : [plan.submitAt, ...(plan.hold ? [plan.hold.at, plan.hold.resumeAt] : []), ...(plan.reassignAt ? [plan.reassignAt] : [])];
      for (const t of times) {
        expect(t).toBeGreaterThan(a.startedAt);
        expect(localWorkingTime(t)).toBe(true);
      }
      if (plan.kind === 'work' && plan.hold) {
        expect(plan.hold.at).toBeLessThan(plan.submitAt);
        expect(plan.hold.resumeAt).toBeGreaterThan(plan.hold.at);
      }
    }
  });

  it('makes late contractors late: most of their work comes after the deadline, and only theirs is reassigned', () => {
    const m = model(1);
    const plans: { a: ActiveMilestone; plan: ActivationPlan }[] = activations().map((a) => ({ a, plan: m.onActivated(a) }));
    const work = plans.filter((p): p is { a: ActiveMilestone; plan: Extract<ActivationPlan, { kind: 'work' }> } => p.plan.kind === 'work');
    const lateShare = (punctuality: string) => {
      const mine = work.filter((p) => m.profile(p.a.assignee).punctuality === punctuality && p.a.key !== 'onboarding');
      const late = mine.filter((p) => p.plan.submitAt >= endOfLocalDay(p.a.deadline, TZ).getTime());
      return late.length / mine.length;
    };
    expect(lateShare('late')).toBeGreaterThan(0.4);
    expect(lateShare('reliable')).toBeLessThan(0.1);
    expect(lateShare('late')).toBeGreaterThan(lateShare('average'));
    const reassigned = work.filter((p) => p.plan.reassignAt !== null);
    expect(reassigned.length).toBeGreaterThan(0);
    for (const p of reassigned) {
      expect(m.profile(p.a.assignee).punctuality).toBe('late');
      expect(p.plan.reassignAt!).toBeGreaterThan(endOfLocalDay(p.a.deadline, TZ).getTime());
      expect(p.plan.reassignAt!).toBeLessThan(p.plan.submitAt);
    }
    // A few waivers and holds, not many.
    const waived = plans.filter((p) => p.plan.kind === 'waive').length;
    const held = work.filter((p) => p.plan.hold !== null).length;
    expect(waived).toBeGreaterThan(0);
    expect(waived / plans.length).toBeLessThan(0.05);
    expect(held).toBeGreaterThan(0);
    expect(held / plans.length).toBeLessThan(0.1);
  });

  it('rejects first submissions at about the profile rate and fewer resubmissions; reviews take working days', () => {
    const m = model(5);
    const late = region.contractors.find((c) => c.kind === 'equipment-supplier' && m.profile(c.id).punctuality === 'late')!;
    const submittedAt = Date.parse('2022-05-10T05:00:00Z');
    const rate = (attempt: number) => {
      let rejected = 0;
      for (let i = 0; i < 2000; i++) {
        const r = m.review({ schoolId: `s-${i}`, key: 'equipment', assignee: late.id }, submittedAt, attempt);
        expect(r.at).toBeGreaterThan(submittedAt);
        expect(r.at - submittedAt).toBeLessThan(16 * DAY_MS);
        if (r.verdict === 'reject') {
          rejected++;
          expect(r.reason).toBeTruthy();
        }
      }
      return rejected / 2000;
    };
    const first = rate(0);
    expect(first).toBeGreaterThan(0.2);
    expect(first).toBeLessThan(0.3);
    expect(rate(1)).toBeLessThan(first * 0.7);
  });

  it('replaces a late contractor by another one that serves the school, reliable ones first', () => {
    const m = model(1);
    const school = region.schools[0]!;
    const def = program.milestones.find((d) => d.key === 'connection')!;
    const eligible = eligibleAssignees(def, school, region.contractors, '2021-06-01');
    const current = eligible[0]!;
    const next = m.replacement({ schoolId: school.id, key: 'connection', assignee: current }, eligible);
    expect(next).not.toBeNull();
    expect(next).not.toBe(current);
    expect(eligible).toContain(next);
    const best = Math.min(
      ...eligible.filter((id) => id !== current).map((id) => ['reliable', 'average', 'late'].indexOf(m.profile(id).punctuality)),
    );
    expect(['reliable', 'average', 'late'].indexOf(m.profile(next).punctuality)).toBe(best);
    expect(m.replacement({ schoolId: school.id, key: 'connection', assignee: current }, [current])).toBeNull();
  });

  it('submits evidence that meets the program standard for every school and milestone', () => {
    const m = model(9);
    const at = Date.parse('2023-03-15T06:00:00Z');
    for (const school of region.schools) {
      for (const def of program.milestones) {
        const evidence = m.evidence(def, school, at, 0);
        // The documents are generated beside the evidence (shared/documents/generated.ts): one per required type.
        const documents = def.documents
          .filter((r) => r.required)
          .map((r) => ({ id: `d-${r.type}`, type: r.type, contentType: 'application/pdf' as const, size: 1, sha256: '0'.repeat(64) }));
        expect(evidenceIssues(def, school, evidence, new Date(at), TZ, documents)).toEqual([]);
        expect(evidence.kind === 'content-filter' ? evidence.enabledOn : evidence.actDate).toBe('2023-03-15');
      }
    }
  });
});
