/**
 * `loadProgram(data)`: the only way a program definition enters the system. The zod schema checks the
 * shape; the checks here refuse a program that is well-formed but cannot be run (duplicate keys, unknown
 * or cyclic dependencies, same-as rules that lead nowhere, impossible dates), naming what is wrong.
 */
import { isTimeZone } from '../calendar.js';
import { CohortYear, ProgramDefinition } from './model.js';
import { resolveDate, type DateField } from './plan.js';

export class ProgramError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid program: ${problems.join('; ')}`);
    this.name = 'ProgramError';
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
    throw new ProgramError(parsed.error.issues.map((i) => `${i.path.join('.') || '(program)'}: ${i.message}`));
  }
  const program = parsed.data;
  const problems = [...structureProblems(program), ...dependencyCycles(program)];
  if (problems.length === 0) problems.push(...dateProblems(program));
  if (problems.length > 0) throw new ProgramError(problems);
  return program;
}

function structureProblems(program: ProgramDefinition): string[] {
  const problems: string[] = [];
  if (!isTimeZone(program.timeZone)) problems.push(`unknown time zone: ${program.timeZone}`);
  const keys = new Set<string>();
  for (const m of program.milestones) {
    if (keys.has(m.key)) problems.push(`duplicate milestone key: ${m.key}`);
    keys.add(m.key);
  }
  for (const m of program.milestones) {
    for (const dep of m.dependsOn) {
      if (!keys.has(dep)) problems.push(`unknown dependency: ${m.key} depends on "${dep}"`);
    }
    for (const field of ['plannedStart', 'deadline'] as const) {
      const rule = m[field];
      if (rule.kind === 'same-as' && !keys.has(rule.milestone)) {
        problems.push(`same-as to unknown milestone: ${m.key}.${field} same-as "${rule.milestone}"`);
      }
    }
  }
  for (const t of program.targets) {
    if (!keys.has(t.milestone)) problems.push(`target for unknown milestone: "${t.milestone}" on ${t.date}`);
  }
  return problems;
}

/** Every dependency cycle, as `a -> b -> a` (a self-dependency is `a -> a`). */
function dependencyCycles(program: ProgramDefinition): string[] {
  const deps = new Map(program.milestones.map((m) => [m.key, m.dependsOn]));
  const done = new Set<string>();
  const cycles: string[] = [];
  const visit = (key: string, path: string[]): void => {
    if (done.has(key)) return;
    const at = path.indexOf(key);
    if (at >= 0) {
      cycles.push(`dependency cycle: ${[...path.slice(at), key].join(' -> ')}`);
      return;
    }
    for (const dep of deps.get(key) ?? []) visit(dep, [...path, key]);
    done.add(key);
  };
  for (const m of program.milestones) visit(m.key, []);
  return cycles;
}

/** Rules that cannot be resolved, or a planned start after the deadline, in any cohort year. */
function dateProblems(program: ProgramDefinition): string[] {
  const problems = new Set<string>();
  for (const year of COHORT_YEARS) {
    for (const m of program.milestones) {
      const dates: Partial<Record<DateField, string>> = {};
      for (const field of ['plannedStart', 'deadline'] as const) {
        try {
          dates[field] = resolveDate(program, m.key, field, year);
        } catch (e) {
          problems.add((e as Error).message);
        }
      }
      if (dates.plannedStart && dates.deadline && dates.plannedStart > dates.deadline) {
        problems.add(`${m.key}: planned start ${dates.plannedStart} is after the deadline ${dates.deadline} (cohort ${year})`);
      }
    }
  }
  return [...problems];
}
