/**
 * `loadProgram(data)`: the only way a program definition enters the system. The zod schema checks the
 * shape; the checks here refuse a program that is well-formed but cannot be run (duplicate keys, unknown
 * or cyclic dependencies, same-as rules that lead nowhere, impossible dates), naming what is wrong.
 */
import { isTimeZone } from '../calendar.js';
import { CohortYear, ProgramDefinition } from './model.js';
import { resolveDate, type DateField } from './plan.js';

/** One thing wrong with a program: the field it is about (a dotted path, `(program)` for the whole) and why. */
export interface ProgramProblem {
  field: string;
  reason: string;
}

export class ProgramError extends Error {
  /** `field: reason`, one per problem. */
  readonly problems: readonly string[];
  constructor(readonly issues: readonly ProgramProblem[]) {
    const problems = issues.map((i) => `${i.field}: ${i.reason}`);
    super(`invalid program: ${problems.join('; ')}`);
    this.name = 'ProgramError';
    this.problems = problems;
  }
}

const COHORT_YEARS: readonly number[] = (() => {
  const years: number[] = [];
  for (let y = CohortYear.minValue ?? 2021; y <= (CohortYear.maxValue ?? 2024); y++) years.push(y);
  return years;
})();

/** Validates `data` and returns the parsed program; throws a ProgramError listing every problem found. */
export function loadProgram(data: unknown): ProgramDefinition {
  const parsed = ProgramDefinition.safeParse(data);
  if (!parsed.success) {
    throw new ProgramError(parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(program)', reason: i.message })));
  }
  const program = parsed.data;
  const problems = [...structureProblems(program), ...dependencyCycles(program)];
  if (problems.length === 0) problems.push(...dateProblems(program));
  if (problems.length > 0) throw new ProgramError(problems);
  return program;
}

function structureProblems(program: ProgramDefinition): ProgramProblem[] {
  const problems: ProgramProblem[] = [];
  if (!isTimeZone(program.timeZone)) problems.push({ field: 'timeZone', reason: `unknown time zone: ${program.timeZone}` });
  const keys = new Set<string>();
  program.milestones.forEach((m, i) => {
    if (keys.has(m.key)) problems.push({ field: `milestones.${i}.key`, reason: `duplicate milestone key: ${m.key}` });
    keys.add(m.key);
  });
  program.milestones.forEach((m, i) => {
    m.dependsOn.forEach((dep, j) => {
      if (!keys.has(dep))
        problems.push({ field: `milestones.${i}.dependsOn.${j}`, reason: `unknown dependency: ${m.key} depends on "${dep}"` });
    });
    for (const field of ['plannedStart', 'deadline'] as const) {
      const rule = m[field];
      if (rule.kind === 'same-as' && !keys.has(rule.milestone)) {
        problems.push({
          field: `milestones.${i}.${field}.milestone`,
          reason: `same-as to unknown milestone: ${m.key}.${field} same-as "${rule.milestone}"`,
        });
      }
    }
  });
  program.targets.forEach((t, i) => {
    if (!keys.has(t.milestone))
      problems.push({ field: `targets.${i}.milestone`, reason: `target for unknown milestone: "${t.milestone}" on ${t.date}` });
  });
  return problems;
}

/** Every dependency cycle, as `a -> b -> a` (a self-dependency is `a -> a`). */
function dependencyCycles(program: ProgramDefinition): ProgramProblem[] {
  const deps = new Map(program.milestones.map((m) => [m.key, m.dependsOn]));
  const index = new Map(program.milestones.map((m, i) => [m.key, i]));
  const done = new Set<string>();
  const cycles: ProgramProblem[] = [];
  const visit = (key: string, path: string[]): void => {
    if (done.has(key)) return;
    const at = path.indexOf(key);
    if (at >= 0) {
      cycles.push({
        field: `milestones.${index.get(key)}.dependsOn`,
        reason: `dependency cycle: ${[...path.slice(at), key].join(' -> ')}`,
      });
      return;
    }
    for (const dep of deps.get(key) ?? []) visit(dep, [...path, key]);
    done.add(key);
  };
  for (const m of program.milestones) visit(m.key, []);
  return cycles;
}

/** Rules that cannot be resolved, or a planned start after the deadline, in any cohort year. */
function dateProblems(program: ProgramDefinition): ProgramProblem[] {
  const problems = new Map<string, ProgramProblem>();
  const add = (problem: ProgramProblem) => problems.set(`${problem.field}\n${problem.reason}`, problem);
  for (const year of COHORT_YEARS) {
    program.milestones.forEach((m, i) => {
      const dates: Partial<Record<DateField, string>> = {};
      for (const field of ['plannedStart', 'deadline'] as const) {
        try {
          dates[field] = resolveDate(program, m.key, field, year);
        } catch (e) {
          add({ field: `milestones.${i}.${field}`, reason: (e as Error).message });
        }
      }
      if (dates.plannedStart && dates.deadline && dates.plannedStart > dates.deadline) {
        add({
          field: `milestones.${i}.plannedStart`,
          reason: `${m.key}: planned start ${dates.plannedStart} is after the deadline ${dates.deadline} (cohort ${year})`,
        });
      }
    });
  }
  return [...problems.values()];
}
