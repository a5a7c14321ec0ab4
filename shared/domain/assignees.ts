/**
 * Who can be assigned a milestone of a school on a date: the active contractors of the milestone's
 * assignee kind that serve the school's district (no districts: the whole region) and hold a contract for
 * that milestone covering the school on that date. For a milestone whose assignee kind is `school`, the
 * school itself: its own staff do the work.
 *
 * The default assignee (a start that names nobody, the school program's own starts, the demo and the
 * simulation alike) is one of the eligible, picked by a stable hash of the school and the milestone so
 * that the work is spread over the contractors and the choice never changes between runs.
 */
import type { Contract, Contractor, Id, IsoDate, MilestoneDefinition, School } from '../program/model.js';
import { hash32 } from '../region/prng.js';

export function servesDistrict(contractor: Pick<Contractor, 'districts'>, district: Id): boolean {
  return contractor.districts.length === 0 || contractor.districts.includes(district);
}

/** True when the contract is for the milestone, covers the school (listed, or in a listed district, or the whole region) and runs on `on`. */
export function contractCovers(contract: Contract, milestone: string, school: Pick<School, 'id' | 'district'>, on: IsoDate): boolean {
  if (contract.milestone !== milestone || on < contract.date || on > contract.endDate) return false;
  if (contract.districts.length === 0 && contract.schools.length === 0) return true;
  return contract.schools.includes(school.id) || contract.districts.includes(school.district);
}

/** True when the contractor may take the milestone of the school on `on`. */
export function mayBeAssigned(
  contractor: Contractor,
  def: Pick<MilestoneDefinition, 'key' | 'assignee'>,
  school: Pick<School, 'id' | 'district'>,
  on: IsoDate,
): boolean {
  return (
    contractor.active &&
    contractor.kind === def.assignee &&
    servesDistrict(contractor, school.district) &&
    contractor.contracts.some((c) => contractCovers(c, def.key, school, on))
  );
}

/** Eligible assignee ids, by id: the school itself for kind `school`, otherwise the contractors that may be assigned on `on`. */
export function eligibleAssignees(def: MilestoneDefinition, school: School, contractors: readonly Contractor[], on: IsoDate): Id[] {
  if (def.assignee === 'school') return [school.id];
  return contractors
    .filter((c) => mayBeAssigned(c, def, school, on))
    .map((c) => c.id)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The assignee a start picks when none is given, or null when nobody qualifies (a manager reassigns later). */
export function defaultAssignee(def: MilestoneDefinition, school: School, contractors: readonly Contractor[], on: IsoDate): Id | null {
  const eligible = eligibleAssignees(def, school, contractors, on);
  if (eligible.length === 0) return null;
  return eligible[hash32(`${school.id}|${def.assignee}`) % eligible.length]!;
}

/** Why a contractor may not take the milestone of the school on `on` (null when it may). */
export function whyNotAssignable(
  contractors: readonly Contractor[],
  id: Id,
  def: MilestoneDefinition,
  school: School,
  on: IsoDate,
): string | null {
  const known = contractors.find((c) => c.id === id);
  if (!known) return `unknown contractor ${id}`;
  if (!known.active) return `${id} is deactivated`;
  if (known.kind !== def.assignee) return `${id} is of kind ${known.kind}; milestone ${def.key} needs ${def.assignee}`;
  if (!servesDistrict(known, school.district)) return `${id} does not serve district ${school.district}`;
  if (!known.contracts.some((c) => contractCovers(c, def.key, school, on)))
    return `${id} has no contract for ${def.key} covering school ${school.id} on ${on}`;
  return null;
}
