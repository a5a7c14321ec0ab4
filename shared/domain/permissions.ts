/**
 * Who may do what (DESIGN.md §2), in one place: the milestone commands (`authorize`), reading (`canRead`)
 * and administration (`mayAdminister`).
 *
 * | actor                | commands                                                                 |
 * |----------------------|--------------------------------------------------------------------------|
 * | program-manager      | every command except `submit` and the sign-offs of others                |
 * | district-coordinator | the same, only for schools of its own district; its own sign-off there   |
 * | contractor           | `submit`, only on a milestone assigned to its organisation               |
 * | school-staff         | `submit` on the school's own milestones; `signoff` where the program asks the school to sign |
 * | viewer               | nothing (read-only)                                                      |
 * | system               | `start` and `replan` (and reminders, see `remind`)                        |
 *
 * Reading contractor scorecards (`scorecardScope`):
 *
 * | actor                | reads                                                                   |
 * |----------------------|-------------------------------------------------------------------------|
 * | program-manager      | every contractor's rows                                                 |
 * | viewer               | every contractor's rows                                                 |
 * | contractor           | its own organisation's rows only                                        |
 * | district-coordinator | nothing (a scorecard spans the region, not one district)                |
 * | school-staff         | nothing                                                                 |
 * | system               | nothing                                                                 |
 *
 * Submitting is the assignee's alone: managers and coordinators never submit, so whoever accepts is never
 * whoever submitted, and a contractor can never accept, reject or waive its own work. Which roles sign a
 * submission off, and in which order, is the program's (`MilestoneDefinition.signOffs`); whether it is
 * that role's turn now is the decider's (a 409, not a 403).
 */
import type { Actor, CommandType, MilestoneDefinition, MilestoneState, School, SignOffRole } from '../program/model.js';
import { rejection, type Rejection } from './rejection.js';

/** The rules of the table above for a milestone that exists (the same rules as `authorizeFirst`). */
export function authorize(
  actor: Actor,
  command: CommandType,
  school: School,
  state: MilestoneState,
  def: Pick<MilestoneDefinition, 'signOffs'>,
): Rejection | null {
  return authorizeFirst(actor, command, school, state, def);
}

/**
 * Authorisation before anything is read that could answer differently (DESIGN.md §2, §3.6): a caller who
 * may not act on a milestone learns nothing of whether the school or the milestone exists, or at which
 * version it is. `school`, `state` and `def` are what the store and the program hold (null when absent):
 * a scoped caller (a coordinator, a contractor, school staff) is refused for a school outside its scope
 * and for one that does not exist alike; a program manager (who may see everything) is not refused here,
 * and learns of a missing school from the caller's 404.
 */
export function authorizeFirst(
  actor: Actor,
  command: CommandType,
  school: School | null,
  state: MilestoneState | null,
  def: Pick<MilestoneDefinition, 'signOffs'> | null,
): Rejection | null {
  switch (actor.role) {
    case 'viewer':
      return rejection('forbidden', 'viewers have read-only access');
    case 'system':
      return command === 'start' || command === 'replan'
        ? null
        : rejection('forbidden', `the system may only start and re-plan milestones, not ${command}`);
    case 'contractor':
      if (command !== 'submit')
        return rejection('forbidden', `contractors only submit their work; ${command} is for program managers and district coordinators`);
      if (!school || !state || state.assignee !== actor.org)
        return rejection('forbidden', 'this milestone is not assigned to your organisation');
      return null;
    case 'school-staff':
      if (!school || school.id !== actor.school)
        return rejection('forbidden', `you are staff of school ${actor.school}; this is not your school`);
      if (command === 'submit') {
        if (!state) return rejection('forbidden', 'this milestone is not the work of the school');
        return state.assignee === actor.school
          ? null
          : rejection('forbidden', `milestone ${state.key} is the work of ${state.assignee ?? 'a contractor'}, not of the school`);
      }
      if (command === 'signoff') return signs(def, 'school-staff', state);
      return rejection(
        'forbidden',
        `school staff submit the school's own work and sign off deliveries; ${command} is for program managers and district coordinators`,
      );
    case 'district-coordinator':
      if (!school || school.district !== actor.district)
        return rejection('forbidden', `you coordinate ${actor.district}; this school is not one of its schools`);
      if (command === 'signoff') return signs(def, 'district-coordinator', state);
      return managerMay(command);
    case 'program-manager':
      if (command === 'signoff')
        return rejection(
          'forbidden',
          `program managers accept; the sign-offs${state ? ` of ${state.key}` : ''} are for ${def?.signOffs.join(', ') || 'nobody'}`,
        );
      return managerMay(command);
  }
}

function signs(def: Pick<MilestoneDefinition, 'signOffs'> | null, role: SignOffRole, state: MilestoneState | null): Rejection | null {
  return def && state && def.signOffs.includes(role)
    ? null
    : rejection('forbidden', `the program asks no ${role} sign-off of ${state ? `milestone ${state.key}` : 'this milestone'}`);
}

function managerMay(command: CommandType): Rejection | null {
  return command === 'submit' ? rejection('forbidden', 'only the assignee submits evidence; managers accept or reject it') : null;
}

// ---------- reading ----------

/** What a caller may ask to read. */
export type ReadResource =
  /** A school's profile, milestones and history; `assignees`: its milestones' current assignees. */
  | { kind: 'school'; school: Pick<School, 'id' | 'district'>; assignees: readonly (string | null)[] }
  /** A list of schools (of a district, when given) or a progress report over them. */
  | { kind: 'schools' | 'reports'; district?: string | undefined }
  /** The contractor organisations and their contracts. */
  | { kind: 'contractors' }
  /** One's own open work (contractors and school staff). */
  | { kind: 'assignments' }
  /** Submissions waiting for the caller's sign-off or acceptance. */
  | { kind: 'review-queue' };

/** Null when the actor may read the resource, otherwise why not (a `forbidden` rejection). */
export function canRead(actor: Actor, resource: ReadResource): Rejection | null {
  const no = (message: string) => rejection('forbidden', message);
  switch (resource.kind) {
    case 'school': {
      const { school } = resource;
      if (actor.role === 'district-coordinator' && actor.district !== school.district)
        return no(`school ${school.id} is in district ${school.district}; you coordinate ${actor.district}`);
      if (actor.role === 'school-staff' && actor.school !== school.id)
        return no(`you are staff of school ${actor.school}, not ${school.id}`);
      if (actor.role === 'contractor' && !resource.assignees.includes(actor.org))
        return no(`no milestone of school ${school.id} is assigned to ${actor.org}`);
      return null;
    }
    case 'schools':
    case 'reports':
      if (actor.role === 'contractor')
        return no(
          resource.kind === 'schools'
            ? 'Contractors see their own work at /api/me/assignments.'
            : 'Reports are for managers, coordinators and viewers.',
        );
      if (actor.role === 'school-staff') return no(`School staff see their own school at /api/schools/${actor.school}.`);
      if (actor.role === 'district-coordinator' && resource.district !== undefined && resource.district !== actor.district)
        return no(`You coordinate ${actor.district}, not ${resource.district}.`);
      return null;
    case 'contractors':
      return actor.role === 'program-manager' || actor.role === 'district-coordinator' || actor.role === 'viewer' || actor.role === 'system'
        ? null
        : no('The contractor register is for managers, coordinators and viewers.');
    case 'assignments':
      return actor.role === 'contractor' || actor.role === 'school-staff'
        ? null
        : no('Only contractors and school staff have assignments; see /api/schools.');
    case 'review-queue':
      return actor.role === 'program-manager' || actor.role === 'district-coordinator' || actor.role === 'school-staff'
        ? null
        : no('The review queue is for program managers, coordinators and school staff.');
  }
}

/** Which milestones of a school the actor sees: all of them, except a contractor, who sees those assigned to it. */
export function visibleTo<T extends Pick<MilestoneState, 'assignee'>>(actor: Actor, states: readonly T[]): T[] {
  return actor.role === 'contractor' ? states.filter((s) => s.assignee === actor.org) : [...states];
}

// ---------- administration ----------

export type AdminAction =
  /** Create, edit, deactivate or import contractors and their contracts. */
  | { kind: 'contractors' }
  /** Edit a school's profile (its district before and after the change). */
  | { kind: 'school-profile'; districts: readonly string[] }
  /** Archive a school, or import schools (new ones or updates). */
  | { kind: 'school-archive' | 'school-import' }
  /** Preview or run the migration of schools to another version of the program. */
  | { kind: 'program-migration' };

export function mayAdminister(actor: Actor, action: AdminAction): Rejection | null {
  if (actor.role === 'program-manager') return null;
  if (action.kind === 'school-profile' && actor.role === 'district-coordinator') {
    const outside = action.districts.filter((d) => d !== actor.district);
    return outside.length === 0 ? null : rejection('forbidden', `you coordinate ${actor.district}, not ${outside.join(', ')}`);
  }
  const what = {
    contractors: 'manage contractors',
    'school-profile': 'edit school profiles',
    'school-archive': 'archive schools',
    'school-import': 'import schools',
    'program-migration': 'migrate schools to another program version',
  }[action.kind];
  return rejection(
    'forbidden',
    `Only program managers ${what}${action.kind === 'school-profile' ? ' (and coordinators, in their district)' : ''}.`,
  );
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
      return rejection(
        'forbidden',
        'contractor scorecards span the region; they are for program managers, viewers and each contractor for itself',
      );
    case 'school-staff':
      return rejection('forbidden', 'contractor scorecards are for program managers, viewers and each contractor for itself');
    case 'system':
      return rejection('forbidden', 'the system reads no scorecards');
  }
}
