/**
 * Who may do what (DESIGN.md §2):
 *
 * | actor                | may                                                                     |
 * |----------------------|-------------------------------------------------------------------------|
 * | program-manager      | every command except `submit`                                           |
 * | district-coordinator | the same, only for schools of its own district                          |
 * | contractor           | `submit`, only on a milestone assigned to its organisation              |
 * | viewer               | nothing (read-only)                                                     |
 * | system               | `start` (and reminders, see `remind`)                                   |
 *
 * Reading contractor scorecards (`scorecardScope`):
 *
 * | actor                | reads                                                                   |
 * |----------------------|-------------------------------------------------------------------------|
 * | program-manager      | every contractor's rows                                                 |
 * | viewer               | every contractor's rows                                                 |
 * | contractor           | its own organisation's rows only                                        |
 * | district-coordinator | nothing (a scorecard spans the region, not one district)                |
 * | system               | nothing                                                                 |
 *
 * Submitting is the assignee's alone: managers and coordinators never submit, so whoever accepts is never
 * whoever submitted, and a contractor can never accept, reject or waive its own work. A school that
 * confirms its own milestone (assignee kind `school`) signs in as the organisation with the school's id.
 */
import type { Actor, CommandType, MilestoneState, School } from '../program/model.js';
import { rejection, type Rejection } from './rejection.js';

/** The rules of the table above for a milestone that exists (the same rules as `authorizeFirst`). */
export function authorize(actor: Actor, command: CommandType, school: School, state: MilestoneState): Rejection | null {
  return authorizeFirst(actor, command, school, state);
}

function managerMay(command: CommandType): Rejection | null {
  return command === 'submit' ? rejection('forbidden', 'only the assignee submits evidence; managers accept or reject it') : null;
}

/**
 * Authorisation before anything is read that could answer differently (DESIGN.md §2, §3.6): a caller who
 * may not act on a milestone learns nothing of whether the school or the milestone exists, or at which
 * version it is. `school` and `state` are what the store holds (null when absent): a scoped caller (a
 * coordinator, a contractor) is refused for a school outside its scope and for one that does not exist
 * alike; a program manager (who may see everything) is not refused here, and learns of a missing school
 * from the caller's 404.
 */
export function authorizeFirst(actor: Actor, command: CommandType, school: School | null, state: MilestoneState | null): Rejection | null {
  switch (actor.role) {
    case 'viewer':
      return rejection('forbidden', 'viewers have read-only access');
    case 'system':
      return command === 'start' ? null : rejection('forbidden', `the system may only start milestones, not ${command}`);
    case 'contractor':
      if (command !== 'submit') return rejection('forbidden', `contractors only submit their work; ${command} is for program managers and district coordinators`);
      if (!school || !state || state.assignee !== actor.org) return rejection('forbidden', 'this milestone is not assigned to your organisation');
      return null;
    case 'district-coordinator':
      if (!school || school.district !== actor.district) return rejection('forbidden', `you coordinate ${actor.district}; this school is not one of its schools`);
      return managerMay(command);
    case 'program-manager':
      return managerMay(command);
  }
}

/** Which contractors' scorecards an actor reads (the second table above), or why not. */
export function scorecardScope(actor: Actor): { contractor: string | null } | Rejection {
  switch (actor.role) {
    case 'program-manager':
    case 'viewer':
      return { contractor: null };
    case 'contractor':
      return { contractor: actor.org };
    case 'district-coordinator':
      return rejection('forbidden', 'contractor scorecards span the region; they are for program managers, viewers and each contractor for itself');
    case 'system':
      return rejection('forbidden', 'the system reads no scorecards');
  }
}
