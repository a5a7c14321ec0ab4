/**
 * Overview targets: which schools a target counts. A report compares, at the target's date, the share of
 * the counted schools that completed (or were waived from) the milestone with `target.share`.
 */
import type { ProgramTarget, School } from './model.js';

/** True while a school counts in the region's figures: always, or until the date it was archived (closed or merged). */
export function countsOn(school: Pick<School, 'archived'>, date: string): boolean {
  return school.archived === undefined || date < school.archived.on;
}

/** True when `school` is counted by `target` (every school for scope `all`; due cohorts for `cohorts-due`). */
export function inTargetScope(target: ProgramTarget, school: Pick<School, 'cohortYear'>): boolean {
  return target.scope === 'all' || school.cohortYear <= Number(target.date.slice(0, 4));
}

/** The share of *all* the given schools that the target expects done by its date (0 when there are none). */
export function expectedShareOfAll(target: ProgramTarget, schools: readonly Pick<School, 'cohortYear'>[]): number {
  if (schools.length === 0) return 0;
  const counted = schools.filter((s) => inTargetScope(target, s)).length;
  return (target.share * counted) / schools.length;
}
