/**
 * Users: invite, list, disable and re-enable the people who sign in (the user directory), each change
 * audited. Program managers manage everyone; a district coordinator sees the coordinators and school
 * staff of its district and invites, disables and enables school staff of its district's schools
 * (shared/domain/user-permissions.ts).
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { Actor } from '../../../shared/program/model.js';
import { authorizeUserAction, type ManagedUser, type UserAction } from '../../../shared/domain/user-permissions.js';
import type { UserAudit } from '../../../shared/users/audit.js';
import { UserExistsError, type UserDirectory } from '../../../shared/users/directory.js';
import {
  DirectoryUser,
  InvitedUser,
  Invitation,
  Role,
  scopeOf,
  UserDetail,
  UserList,
  type UserEventType,
} from '../../../shared/users/index.js';
import { ApiProblem, PROBLEM_TYPES, validationProblem } from '../problem.js';
import { COMMON_ERRORS, notFound, problem, router, security, type RouteContext } from './common.js';

/** The directory and its audit; absent where no directory is configured (the users routes answer 503). */
export interface UsersDeps {
  directory: UserDirectory;
  audit: UserAudit;
}

const Username = z
  .string()
  .regex(/^[\w.@+-]{1,128}$/, 'a user name of the directory')
  .openapi({ param: { name: 'username', in: 'path' } });
const UserParams = z.object({ username: Username });
const UserQuery = z.object({ role: Role.optional() }).strict();

export function userRoutes({ deps, reads, now }: RouteContext) {
  const app = router();

  function users(): UsersDeps {
    if (!deps.users) throw new ApiProblem(503, 'No user directory is configured.', { type: PROBLEM_TYPES.unavailable });
    return deps.users;
  }

  /** The user as the permission rules see it: school staff with their school's district. */
  async function managed(user: Pick<DirectoryUser, 'role' | 'district' | 'school'> & { username?: string }): Promise<ManagedUser> {
    let schoolDistrict: string | null = null;
    if (user.role === 'school-staff' && user.school) schoolDistrict = (await deps.store.getSchool(user.school))?.school.district ?? null;
    return { role: user.role, district: user.district ?? null, schoolDistrict, ...(user.username ? { username: user.username } : {}) };
  }

  /** Contractors, school staff and viewers manage nobody: refused before anything is read. */
  function gate(actor: Actor): void {
    if (actor.role !== 'program-manager' && actor.role !== 'district-coordinator') {
      throw new ApiProblem(403, 'Only program managers and district coordinators manage users.', { type: PROBLEM_TYPES.forbidden });
    }
  }

  function allow(actor: Actor, action: UserAction, user: ManagedUser): void {
    const refused = authorizeUserAction(actor, action, user);
    if (refused?.code === 'forbidden') throw new ApiProblem(403, refused.message, { type: PROBLEM_TYPES.forbidden });
    if (refused) throw new ApiProblem(409, refused.message, { type: PROBLEM_TYPES.conflict, code: refused.code });
  }

  async function audit(actor: Actor, type: UserEventType, user: DirectoryUser): Promise<void> {
    await users().audit.record({
      type,
      at: now().toISOString(),
      username: user.username,
      email: user.email,
      role: user.role,
      scope: scopeOf(user),
      actor: { role: actor.role, sub: actor.sub, ...(actor.name ? { name: actor.name } : {}) },
    });
  }

  /** What an invitation refers to must exist: the district, the organisation, the school. */
  async function checkReferences(invitation: Invitation): Promise<void> {
    const errors: { field: string; reason: string }[] = [];
    if (invitation.district && !deps.districts.some((d) => d.id === invitation.district))
      errors.push({ field: 'body.district', reason: `no district ${invitation.district}` });
    if (invitation.org && !(await deps.store.getContractor(invitation.org)))
      errors.push({ field: 'body.org', reason: `no contractor ${invitation.org}` });
    if (invitation.school && !(await deps.store.getSchool(invitation.school)))
      errors.push({ field: 'body.school', reason: `no school ${invitation.school}` });
    if (errors.length > 0) throw validationProblem(errors);
  }

  async function existing(username: string): Promise<DirectoryUser> {
    const user = await users().directory.get(username);
    if (!user) throw notFound(`No user ${username}.`);
    return user;
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/users',
      tags: ['users'],
      summary: 'The users you may see (program managers: everyone; district coordinators: their district)',
      security,
      request: { query: UserQuery },
      responses: {
        200: { description: 'Users, by name', content: { 'application/json': { schema: UserList } } },
        ...COMMON_ERRORS,
        503: problem('No user directory'),
      },
    }),
    async (c) => {
      const { actor } = c.get('principal');
      gate(actor);
      const { role } = c.req.valid('query');
      let items = await users().directory.list(role);
      if (actor.role === 'district-coordinator') {
        const schools = new Set((await reads.allSchools(actor.district)).map((s) => s.id));
        items = items.filter(
          (u) =>
            (u.role === 'district-coordinator' && u.district === actor.district) ||
            (u.role === 'school-staff' && u.school !== null && schools.has(u.school)),
        );
      }
      items.sort((a, b) => (a.name ?? a.email).localeCompare(b.name ?? b.email, 'ru') || a.email.localeCompare(b.email));
      return c.json({ items }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/users',
      tags: ['users'],
      summary: 'Invite a user: the directory makes the account with a temporary password, changed at the first sign-in',
      security,
      request: { body: { required: true, content: { 'application/json': { schema: Invitation } } } },
      responses: {
        201: {
          description: 'Invited (the temporary password is returned only where the directory sends no e-mail)',
          content: { 'application/json': { schema: InvitedUser } },
        },
        ...COMMON_ERRORS,
        409: problem('A user with this e-mail exists'),
        503: problem('No user directory'),
      },
    }),
    async (c) => {
      const { actor } = c.get('principal');
      gate(actor);
      const invitation = c.req.valid('json');
      await checkReferences(invitation);
      allow(
        actor,
        'invite',
        await managed({ role: invitation.role, district: invitation.district ?? null, school: invitation.school ?? null }),
      );
      let result;
      try {
        result = await users().directory.invite(invitation);
      } catch (error) {
        if (error instanceof UserExistsError) {
          throw new ApiProblem(409, error.message, {
            type: PROBLEM_TYPES.conflict,
            code: 'user-exists',
            errors: [{ field: 'body.email', reason: 'already a user' }],
          });
        }
        throw error;
      }
      await audit(actor, 'user-invited', result.user);
      return c.json({ user: result.user, temporaryPassword: result.temporaryPassword ?? null }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/users/{username}',
      tags: ['users'],
      summary: 'A user and the history of changes to the account',
      security,
      request: { params: UserParams },
      responses: {
        200: { description: 'The user', content: { 'application/json': { schema: UserDetail } } },
        ...COMMON_ERRORS,
        404: problem('No such user'),
        503: problem('No user directory'),
      },
    }),
    async (c) => {
      const { actor } = c.get('principal');
      gate(actor);
      const user = await existing(c.req.valid('param').username);
      allow(actor, 'see', await managed(user));
      return c.json({ user, history: await users().audit.history(user.username) }, 200);
    },
  );

  for (const action of ['disable', 'enable'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/users/{username}/${action}`,
        tags: ['users'],
        summary:
          action === 'disable' ? 'Disable an account: it can no longer sign in (its history stays)' : 'Enable a disabled account again',
        security,
        request: { params: UserParams },
        responses: {
          200: { description: 'The user as it is now', content: { 'application/json': { schema: DirectoryUser } } },
          ...COMMON_ERRORS,
          404: problem('No such user'),
          409: problem('Not now (a program manager cannot disable itself)'),
          503: problem('No user directory'),
        },
      }),
      async (c) => {
        const { actor } = c.get('principal');
        gate(actor);
        const user = await existing(c.req.valid('param').username);
        allow(actor, action, await managed(user));
        const enabled = action === 'enable';
        if (!(await users().directory.setEnabled(user.username, enabled))) throw notFound(`No user ${user.username}.`);
        const changed = { ...user, enabled };
        if (user.enabled !== enabled) await audit(actor, enabled ? 'user-enabled' : 'user-disabled', changed);
        return c.json(changed, 200);
      },
    );
  }

  return app;
}
