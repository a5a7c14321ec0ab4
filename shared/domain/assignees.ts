/**
 * Who can be assigned a milestone of a school: the contractors of the milestone's assignee kind that serve
 * the school's district (a contractor with no districts serves the whole region). For a milestone whose
 * assignee kind is `school`, the school itself comes first: its staff sign in as the organisation whose id
 * is the school's id.
 */
import type { Contractor, Id, MilestoneDefinition, School } from '../program/model.js';

export function servesDistrict(contractor: Contractor, district: Id): boolean {
  return contractor.districts.length === 0 || contractor.districts.includes(district);
}

/** Eligible assignee ids, best first: the school itself (kind `school`), then district contractors, then region-wide ones, each by id. */
export function eligibleAssignees(def: MilestoneDefinition, school: School, contractors: readonly Contractor[]): Id[] {
  const serving = contractors
    .filter((c) => c.kind === def.assignee && servesDistrict(c, school.district))
    .sort((a, b) => Number(a.districts.length === 0) - Number(b.districts.length === 0) || a.id.localeCompare(b.id));
  const ids = serving.map((c) => c.id);
  return def.assignee === 'school' ? [school.id, ...ids.filter((id) => id !== school.id)] : ids;
}

/** The assignee a start picks when none is given, or null when nobody qualifies (a manager reassigns later). */
export function defaultAssignee(def: MilestoneDefinition, school: School, contractors: readonly Contractor[]): Id | null {
  return eligibleAssignees(def, school, contractors)[0] ?? null;
}
