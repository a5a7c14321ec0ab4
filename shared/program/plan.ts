/**
 * A school's plan: the planned start and the deadline of every milestone, derived from the program's date
 * rules and the school's cohort year. Dates are calendar dates in the program's time zone.
 */
import { addDays, calendarDate } from '../calendar.js';
import type { IsoDate, MilestoneKey, ProgramDefinition, School } from './model.js';

export interface MilestonePlan {
  plannedStart: IsoDate;
  deadline: IsoDate;
}

export type DateField = 'plannedStart' | 'deadline';

/**
 * The date of one rule of one milestone for a cohort year. A `same-as` rule takes the other milestone's
 * rule of the same field. Throws a RangeError naming the milestone for a rule that cannot be resolved
 * (unknown milestone, same-as cycle, a month/day that does not exist in that year); `loadProgram`
 * refuses such programs up front.
 */
export function resolveDate(program: ProgramDefinition, key: MilestoneKey, field: DateField, cohortYear: number): IsoDate {
  const seen: string[] = [];
  let current = key;
  for (;;) {
    seen.push(current);
    const def = program.milestones.find((m) => m.key === current);
    if (!def)
      throw new RangeError(
        `${seen
          .slice(0, -1)
          .map((k) => `${k}.${field}`)
          .join(' -> ')} same-as unknown milestone "${current}"`,
      );
    const rule = def[field];
    switch (rule.kind) {
      case 'fixed':
        return rule.date;
      case 'cohort-start':
        return addDays(`${cohortYear}-01-01`, rule.offsetDays);
      case 'cohort-year': {
        const date = calendarDate(cohortYear, rule.month, rule.day);
        if (!date) throw new RangeError(`${current}.${field}: ${cohortYear}-${rule.month}-${rule.day} is not a calendar date`);
        return date;
      }
      case 'same-as':
        if (seen.includes(rule.milestone)) {
          throw new RangeError(`same-as cycle: ${[...seen, rule.milestone].map((k) => `${k}.${field}`).join(' -> ')}`);
        }
        current = rule.milestone;
    }
  }
}

/** Planned start and deadline of every milestone of the program for this school. */
export function planMilestones(program: ProgramDefinition, school: School): Record<MilestoneKey, MilestonePlan> {
  const plan: Record<MilestoneKey, MilestonePlan> = {};
  for (const m of program.milestones) {
    plan[m.key] = {
      plannedStart: resolveDate(program, m.key, 'plannedStart', school.cohortYear),
      deadline: resolveDate(program, m.key, 'deadline', school.cohortYear),
    };
  }
  return plan;
}
