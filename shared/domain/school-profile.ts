/**
 * School profiles after import, pure: what an edit changes (field by field, for the audit and the CSV
 * import's dry run), and how it re-plans the school's open milestones. A change of the cohort year moves
 * the equipment, training and onboarding dates the program derives from it; each open milestone whose
 * derived date moved gets a `replan` command with the new dates (a date moved by hand and not by the
 * profile keeps its value). Closed milestones keep their history as it is.
 */
import {
  SchoolProfileFields,
  type Command,
  type MilestoneKey,
  type MilestoneState,
  type ProgramDefinition,
  type School,
} from '../program/model.js';
import { planMilestones } from '../program/plan.js';
import { requiredBandwidthMbps } from './evidence.js';
import { isTerminal } from './overdue.js';

export interface FieldChange {
  field: (typeof SchoolProfileFields)[number];
  from: unknown;
  to: unknown;
}

/** The profile fields whose values differ, in the order of `SchoolProfileFields`. */
export function profileChanges(before: School, after: School): FieldChange[] {
  return SchoolProfileFields.filter((f) => JSON.stringify(canonical(before[f])) !== JSON.stringify(canonical(after[f]))).map((field) => ({
    field,
    from: before[field] ?? null,
    to: after[field] ?? null,
  }));
}

/** Kits compare equal whatever the order of their keys, and a 0 quantity equals an absent one. */
function canonical(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value ?? null;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== 0 && v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
}

export interface Replan {
  milestone: MilestoneKey;
  command: Extract<Command, { type: 'replan' }>;
}

/**
 * The `replan` commands a profile change implies for the school's open milestones (`states`: the stored
 * ones; a milestone not stored yet is planned from the new profile when it is created).
 */
export function replansFor(
  program: ProgramDefinition,
  before: School,
  after: School,
  states: Readonly<Partial<Record<MilestoneKey, MilestoneState>>>,
): Replan[] {
  const old = planMilestones(program, before);
  const now = planMilestones(program, after);
  const reason = replanReason(before, after);
  const out: Replan[] = [];
  for (const def of program.milestones) {
    const state = states[def.key];
    const was = old[def.key];
    const will = now[def.key];
    if (!state || !was || !will || isTerminal(state)) continue;
    const plannedStart = was.plannedStart !== will.plannedStart ? will.plannedStart : state.plannedStart;
    const deadline = was.deadline !== will.deadline ? will.deadline : state.deadline;
    if (plannedStart === state.plannedStart && deadline === state.deadline) continue;
    out.push({ milestone: def.key, command: { type: 'replan', plannedStart, deadline, reason } });
  }
  return out;
}

/** The reason a re-plan carries: what in the profile moved the plan. */
export function replanReason(before: School, after: School): string {
  const parts: string[] = [];
  if (before.cohortYear !== after.cohortYear) parts.push(`год поставки оборудования ${before.cohortYear} → ${after.cohortYear}`);
  if (requiredBandwidthMbps(before) !== requiredBandwidthMbps(after))
    parts.push(`норматив скорости ${requiredBandwidthMbps(before)} → ${requiredBandwidthMbps(after)} Мбит/с`);
  return `Изменён профиль школы${parts.length ? `: ${parts.join(', ')}` : ''}`;
}
