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
      if (scope === needed && v[scope] === undefined)
        ctx.addIssue({ code: 'custom', path: [scope], message: `a ${v.role} needs a ${scope}` });
      if (scope !== needed && v[scope] !== undefined)
        ctx.addIssue({ code: 'custom', path: [scope], message: `a ${v.role} has no ${scope}` });
    }
  })
  .meta({ id: 'Invitation' });
export type Invitation = z.infer<typeof Invitation>;

/** The scope value of a user or an invitation, for its role. */
export function scopeOf(user: { role: Role | null } & Partial<Record<Scope, string | null | undefined>>): string | null {
  const scope = user.role ? ROLE_SCOPE[user.role] : null;
  return scope ? (user[scope] ?? null) : null;
}

// ---------- the audit of the directory ----------

export const UserEventType = z.enum(['user-invited', 'user-disabled', 'user-enabled']);
export type UserEventType = z.infer<typeof UserEventType>;

/** One change of the directory: who changed which user, when, and the user as it then was. */
export const UserEvent = z
  .object({
    id: z.string().min(1),
    type: UserEventType,
    at: IsoInstant,
    username: z.string().min(1),
    email: z.string(),
    role: Role.nullable(),
    scope: z.string().nullable(),
    /** The author: a signed-in user, or the administration command (`system`). */
    actor: z.object({ role: z.string(), sub: z.string(), name: z.string().optional() }).strict(),
  })
  .strict()
  .meta({ id: 'UserEvent' });
export type UserEvent = z.infer<typeof UserEvent>;

// ---------- API bodies ----------

export const UserList = z
  .object({ items: z.array(DirectoryUser) })
  .strict()
  .meta({ id: 'UserList' });
export type UserList = z.infer<typeof UserList>;

export const InvitedUser = z
  .object({
    user: DirectoryUser,
    /** Only where the directory sends no invitation itself (the local system): shown once. */
    temporaryPassword: z.string().nullable(),
  })
  .strict()
  .meta({ id: 'InvitedUser' });
export type InvitedUser = z.infer<typeof InvitedUser>;

export const UserDetail = z
  .object({ user: DirectoryUser, history: z.array(UserEvent) })
  .strict()
  .meta({ id: 'UserDetail' });
export type UserDetail = z.infer<typeof UserDetail>;

/** Where the dashboard signs in (Cognito's managed login in AWS, the local sign-in pages locally). */
export const SignInConfig = z
  .object({
    authorizeUrl: z.string(),
    tokenUrl: z.string(),
    logoutUrl: z.string(),
    clientId: z.string(),
    scope: z.string(),
  })
  .strict()
  .meta({ id: 'SignInConfig' });
export type SignInConfig = z.infer<typeof SignInConfig>;
