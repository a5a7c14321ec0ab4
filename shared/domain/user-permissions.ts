/**
 * Who may manage which users (DESIGN.md §2, "Administration"):
 *
 * | actor                | sees                                                  | invites, disables, enables          |
 * |----------------------|-------------------------------------------------------|-------------------------------------|
 * | program-manager      | every user                                            | every role (never disables itself)  |
 * | district-coordinator | coordinators of its district, staff of its schools    | school staff of its district's schools |
 * | anyone else          | nobody                                                | nobody                              |
 *
 * `schoolDistrict` is the district of the user's school (school staff), looked up by the caller.
 */
import type { Actor, Role } from '../program/model.js';
import { rejection, type Rejection } from './rejection.js';

export type UserAction = 'see' | 'invite' | 'disable' | 'enable';

export interface ManagedUser {
  role: Role | null;
  /** A coordinator's district. */
  district?: string | null;
  /** The district of a school staff member's school. */
  schoolDistrict?: string | null;
  /** The directory's user name, when the user exists. */
  username?: string;
}

export function authorizeUserAction(actor: Actor, action: UserAction, user: ManagedUser): Rejection | null {
  switch (actor.role) {
    case 'program-manager':
      if (action === 'disable' && user.username === actor.sub)
        return rejection('not-allowed', 'you cannot disable your own account; another program manager can');
      return null;
    case 'district-coordinator': {
      const ownStaff = user.role === 'school-staff' && user.schoolDistrict === actor.district;
      if (action === 'see' && (ownStaff || (user.role === 'district-coordinator' && user.district === actor.district))) return null;
      if (ownStaff) return null;
      return rejection(
        'forbidden',
        `district coordinators ${action === 'see' ? 'see' : `${action}`} only school staff of district ${actor.district}`,
      );
    }
    default:
      return rejection('forbidden', 'only program managers and district coordinators manage users');
  }
}
