/**
 * The rules of the contractor register, pure: what makes a contractor's record consistent with the
 * program and the region, and when a contractor may be deactivated (never while it holds open work,
 * unless every piece of that work goes to another contractor that may take it, in the same step).
 */
import type { Contractor, Id, IsoDate, ProgramDefinition, School } from '../program/model.js';
import { mayBeAssigned } from './assignees.js';
import { rejection, type Rejection, type RejectionIssue } from './rejection.js';

/** Every way a contractor's record does not fit the program and the region (empty when it fits). */
export function contractorIssues(contractor: Contractor, program: ProgramDefinition, districtIds: readonly string[]): RejectionIssue[] {
  const issues: RejectionIssue[] = [];
  const known = new Set(districtIds);
  contractor.districts.forEach((d, i) => {
    if (!known.has(d)) issues.push({ field: `districts.${i}`, message: `unknown district ${d}` });
  });
  const numbers = new Set<string>();
  contractor.contracts.forEach((c, i) => {
    const at = `contracts.${i}`;
    const def = program.milestones.find((m) => m.key === c.milestone);
    if (!def)
      issues.push({
        field: `${at}.milestone`,
        message: `${c.milestone} is not a milestone of the program (${program.milestones.map((m) => m.key).join(', ')})`,
      });
    else if (def.assignee !== contractor.kind)
      issues.push({
        field: `${at}.milestone`,
        message: `milestone ${c.milestone} is done by a ${def.assignee}, not by a ${contractor.kind}`,
      });
    if (numbers.has(c.number)) issues.push({ field: `${at}.number`, message: `contract number ${c.number} is listed twice` });
    numbers.add(c.number);
    c.districts.forEach((d, j) => {
      if (!known.has(d)) issues.push({ field: `${at}.districts.${j}`, message: `unknown district ${d}` });
      else if (contractor.districts.length > 0 && !contractor.districts.includes(d)) {
        issues.push({ field: `${at}.districts.${j}`, message: `the contractor does not serve district ${d}` });
      }
    });
  });
  return issues;
}

/** A piece of open work (a milestone not completed or waived) and the school it is at. */
export interface OpenWork {
  school: School;
  milestone: string;
}

export interface Reassignment {
  schoolId: Id;
  milestone: string;
  contractor: Id;
}

export interface DeactivationInput {
  program: ProgramDefinition;
  /** Every contractor of the register (the targets are looked up here). */
  contractors: readonly Contractor[];
  /** The one to deactivate. */
  contractor: Contractor;
  /** Its open work. */
  openWork: readonly OpenWork[];
  /** Where named pieces of the work go. */
  reassign: readonly Reassignment[];
  /** Where the rest of the work goes, if anywhere. */
  reassignRestTo?: Id | undefined;
  /** The decision date (contracts must cover it). */
  on: IsoDate;
}

export type DeactivationDecision =
  { ok: true; reassignments: Reassignment[] } | { ok: false; rejection: Rejection; unassigned: OpenWork[] };

const workKey = (schoolId: string, milestone: string) => `${schoolId}/${milestone}`;

/**
 * Deactivating a contractor: refused (409, with the list of the work) while open work would be left with
 * it; refused (400) when a reassignment names work it does not hold or a contractor that may not take
 * that work. Otherwise the reassignments to run, one per piece of open work, in the order of the work.
 */
export function decideDeactivation(input: DeactivationInput): DeactivationDecision {
  const { contractor, openWork, program } = input;
  if (!contractor.active) return { ok: false, rejection: rejection('not-allowed', `${contractor.id} is already inactive`), unassigned: [] };
  const held = new Map(openWork.map((w) => [workKey(w.school.id, w.milestone), w]));
  const issues: RejectionIssue[] = [];
  const chosen = new Map<string, Id>();
  input.reassign.forEach((r, i) => {
    const key = workKey(r.schoolId, r.milestone);
    if (!held.has(key))
      issues.push({ field: `reassign.${i}`, message: `${contractor.id} holds no open ${r.milestone} at school ${r.schoolId}` });
    else if (chosen.has(key)) issues.push({ field: `reassign.${i}`, message: `${key} is reassigned twice` });
    else chosen.set(key, r.contractor);
  });
  const reassignments: Reassignment[] = [];
  const unassigned: OpenWork[] = [];
  for (const w of openWork) {
    const key = workKey(w.school.id, w.milestone);
    const to = chosen.get(key) ?? input.reassignRestTo;
    if (to === undefined) {
      unassigned.push(w);
      continue;
    }
    const def = program.milestones.find((m) => m.key === w.milestone);
    const target = input.contractors.find((c) => c.id === to);
    const field = chosen.has(key)
      ? `reassign.${input.reassign.findIndex((r) => workKey(r.schoolId, r.milestone) === key)}.contractor`
      : 'reassignRestTo';
    if (to === contractor.id) issues.push({ field, message: `${key} cannot go to the contractor being deactivated` });
    else if (!def || !target || !mayBeAssigned(target, def, w.school, input.on)) {
      issues.push({
        field,
        message: `${to} may not take ${key} on ${input.on} (not an active ${def?.assignee ?? 'contractor'} under contract for the school)`,
      });
    } else reassignments.push({ schoolId: w.school.id, milestone: w.milestone, contractor: to });
  }
  if (issues.length > 0) {
    return {
      ok: false,
      rejection: rejection('invalid', `the reassignments do not fit: ${issues.map((i) => i.message).join('; ')}`, issues),
      unassigned: [],
    };
  }
  if (unassigned.length > 0) {
    const list = unassigned.map((w) => workKey(w.school.id, w.milestone));
    return {
      ok: false,
      rejection: rejection(
        'not-allowed',
        `${contractor.id} still holds ${unassigned.length} open milestone(s): ${list.slice(0, 20).join(', ')}${list.length > 20 ? ', …' : ''}; reassign them in the same request`,
        list.map((w) => ({ field: 'openWork', message: w })),
      ),
      unassigned,
    };
  }
  return { ok: true, reassignments };
}
