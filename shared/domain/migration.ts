/**
 * Moving a school from one version of the program to another, pure: what changes for it (the preview a
 * program manager reviews) is exactly what the migration then does.
 *
 * - added: milestones of the new version the old one lacks (created with their plan; the school's
 *   workflow starts them when they are ready);
 * - removed: milestones the new version lacks (an open one is waived; history stays);
 * - moved: open milestones whose planned start or deadline the new rules derive differently (a `replan`,
 *   so the reminders follow; a date moved by hand and not by the rules keeps its value);
 * - evidence: milestones whose evidence kind or sign-offs changed;
 * - invalidated: open work the change would invalidate: a submission that falls below the new standard,
 *   or open work on a removed milestone.
 */
import { planMilestones } from '../program/plan.js';
import type {
  EvidenceKind,
  MilestoneKey,
  MilestoneState,
  MilestoneStatus,
  ProgramDefinition,
  School,
  SignOffRole,
} from '../program/model.js';
import { evidenceIssues } from './evidence.js';
import { isTerminal } from './overdue.js';
import type { Replan } from './school-profile.js';

export interface MilestoneAdded {
  milestone: MilestoneKey;
  plannedStart: string;
  deadline: string;
}
export interface MilestoneRemoved {
  milestone: MilestoneKey;
  status: MilestoneStatus;
}
export interface DatesMoved {
  milestone: MilestoneKey;
  plannedStart: { from: string; to: string };
  deadline: { from: string; to: string };
}
export interface EvidenceRuleChanged {
  milestone: MilestoneKey;
  evidence: { from: EvidenceKind; to: EvidenceKind };
  signOffs: { from: SignOffRole[]; to: SignOffRole[] };
}
export interface WorkInvalidated {
  milestone: MilestoneKey;
  status: MilestoneStatus;
  reason: string;
}

export interface SchoolMigration {
  schoolId: string;
  from: number;
  to: number;
  added: MilestoneAdded[];
  removed: MilestoneRemoved[];
  moved: DatesMoved[];
  evidence: EvidenceRuleChanged[];
  invalidated: WorkInvalidated[];
}

export interface VersionedProgram {
  version: number;
  program: ProgramDefinition;
}

/**
 * What moving `school` (its stored milestone `states`) from `from` to `to` changes. A milestone never
 * stored counts as planned from the program (as the school's views show it).
 */
export function migrationPreview(
  from: VersionedProgram,
  to: VersionedProgram,
  school: School,
  states: Readonly<Partial<Record<MilestoneKey, MilestoneState>>>,
  now: Date,
): SchoolMigration {
  const oldKeys = new Set(from.program.milestones.map((m) => m.key));
  const newKeys = new Set(to.program.milestones.map((m) => m.key));
  const oldPlan = planMilestones(from.program, school);
  const newPlan = planMilestones(to.program, school);
  const out: SchoolMigration = {
    schoolId: school.id,
    from: from.version,
    to: to.version,
    added: [],
    removed: [],
    moved: [],
    evidence: [],
    invalidated: [],
  };
  for (const def of to.program.milestones) {
    if (!oldKeys.has(def.key)) out.added.push({ milestone: def.key, ...newPlan[def.key]! });
  }
  for (const def of from.program.milestones) {
    const state = states[def.key];
    const status = state?.status ?? 'pending';
    if (!newKeys.has(def.key)) {
      out.removed.push({ milestone: def.key, status });
      if (state && !isTerminal(state) && status !== 'pending')
        out.invalidated.push({
          milestone: def.key,
          status,
          reason: `${def.key} is not part of version ${to.version}: its open work is waived`,
        });
      continue;
    }
    const next = to.program.milestones.find((m) => m.key === def.key)!;
    if (next.evidence !== def.evidence || JSON.stringify(next.signOffs) !== JSON.stringify(def.signOffs)) {
      out.evidence.push({
        milestone: def.key,
        evidence: { from: def.evidence, to: next.evidence },
        signOffs: { from: [...def.signOffs], to: [...next.signOffs] },
      });
    }
    if (!state || isTerminal(state)) continue;
    const was = oldPlan[def.key]!;
    const will = newPlan[def.key]!;
    const plannedStart = was.plannedStart !== will.plannedStart ? will.plannedStart : state.plannedStart;
    const deadline = was.deadline !== will.deadline ? will.deadline : state.deadline;
    if (plannedStart !== state.plannedStart || deadline !== state.deadline) {
      out.moved.push({
        milestone: def.key,
        plannedStart: { from: state.plannedStart, to: plannedStart },
        deadline: { from: state.deadline, to: deadline },
      });
    }
    if (state.evidence && (state.status === 'submitted' || state.status === 'on-hold')) {
      // Only what the new version raises: a submission that the old rules already found short (for
      // example of documents this pure preview does not see) is not invalidated by the migration.
      const before = new Set(
        evidenceIssues(def, school, state.evidence, now, from.program.timeZone).map((i) => `${i.field}\n${i.message}`),
      );
      const issues = evidenceIssues(next, school, state.evidence, now, to.program.timeZone).filter(
        (i) => !before.has(`${i.field}\n${i.message}`),
      );
      if (issues.length > 0)
        out.invalidated.push({
          milestone: def.key,
          status: state.status,
          reason: issues.map((i) => `${i.field}: ${i.message}`).join('; '),
        });
    }
  }
  return out;
}

/** The `replan` commands a migration runs: one per moved milestone. */
export function migrationReplans(migration: SchoolMigration): Replan[] {
  return migration.moved.map((m) => ({
    milestone: m.milestone,
    command: {
      type: 'replan',
      plannedStart: m.plannedStart.to,
      deadline: m.deadline.to,
      reason: `Программа: версия ${migration.from} → ${migration.to}`,
    },
  }));
}

/** True when the migration changes nothing for the school but the version it records. */
export function changesNothing(m: SchoolMigration): boolean {
  return m.added.length + m.removed.length + m.moved.length + m.evidence.length + m.invalidated.length === 0;
}
