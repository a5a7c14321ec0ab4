/**
 * The people who sign in: the user directory's view of them (DESIGN.md §2). The role is the directory
 * group; a scope attribute ties some roles to one district, organisation or school.
 */
import { z } from 'zod';
import { Id, IsoInstant, Role } from '../program/model.js';

/** The attribute that scopes each role, as named in the directory and in ID tokens. */
export const SCOPE_ATTRIBUTE = {
  district: 'custom:district',
  org: 'custom:org',
  school: 'custom:school',
} as const;
export type Scope = keyof typeof SCOPE_ATTRIBUTE;

/** Which scope a role needs (null: the whole region). */
export const ROLE_SCOPE: Record<Role, Scope | null> = {
  'program-manager': null,
  'district-coordinator': 'district',
  contractor: 'org',
  'school-staff': 'school',
  viewer: null,
};

/** The custom attributes of the directory, without the `custom:` prefix. */
export const CUSTOM_ATTRIBUTES = Object.keys(SCOPE_ATTRIBUTE) as Scope[];

/** E-mail addresses are the sign-in names; kept lower-case so that one person is one user. */
export const Email = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email('expected an e-mail address'))
  .transform((e) => e.toLowerCase());

/** The directory's account states that matter here: invited (temporary password), active, other. */
export const UserStatus = z.enum(['invited', 'active', 'other']);
export type UserStatus = z.infer<typeof UserStatus>;

export const DirectoryUser = z
  .object({
    /** The directory's user name (a UUID when users sign in with their e-mail). */
    username: z.string().min(1),
    email: z.string(),
    name: z.string().nullable(),
    /** Null: the account is in no role group (it cannot sign in to anything). */
    role: Role.nullable(),
    district: Id.nullable(),
    org: Id.nullable(),
    school: Id.nullable(),
    enabled: z.boolean(),
    status: UserStatus,
    createdAt: IsoInstant.nullable(),
  })
  .strict()
  .meta({ id: 'User' });
export type DirectoryUser = z.infer<typeof DirectoryUser>;

/** An invitation: who, in which role, scoped to what. */
export const Invitation = z
  .object({
    name: z.string().trim().min(1).max(200),
    email: Email,
    role: Role,
    district: Id.optional(),
    org: Id.optional(),
    school: Id.optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const needed = ROLE_SCOPE[v.role];
    for (const scope of CUSTOM_ATTRIBUTES) {
      if (scope === needed && v[scope] === undefined) ctx.addIssue({ code: 'custom', path: [scope], message: `a ${v.role} needs a ${scope}` });
      if (scope !== needed && v[scope] !== undefined) ctx.addIssue({ code: 'custom', path: [scope], message: `a ${v.role} has no ${scope}` });
    }
  })
  .meta({ id: 'Invitation' });
export type Invitation = z.infer<typeof Invitation>;

/** The scope value of a user or an invitation, for its role. */
export function scopeOf(user: { role: Role | null } & Partial<Record<Scope, string | null | undefined>>): string | null {
  const scope = user.role ? ROLE_SCOPE[user.role] : null;
  return scope ? (user[scope] ?? null) : null;
}
