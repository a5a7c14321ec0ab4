/** The signed-in user: who the token says they are, their open work and their notifications. */
import { createRoute } from '@hono/zod-openapi';
import { AssignmentList, AssignmentQuery, Me, NotificationList, NotificationQuery, type Assignment } from '../../../shared/api/schemas.js';
import { toView } from '../views.js';
import { canRead } from '../../../shared/domain/index.js';
import { COMMON_ERRORS, refuse, router, security, type RouteContext } from './common.js';

export function meRoutes({ deps, reads, now }: RouteContext) {
  const { store, program } = deps;
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/me',
      tags: ['me'],
      summary: 'Who the token says you are',
      security,
      responses: { 200: { description: 'The signed-in user', content: { 'application/json': { schema: Me } } }, ...COMMON_ERRORS },
    }),
    (c) => {
      const p = c.get('principal');
      return c.json(
        {
          sub: p.actor.sub,
          role: p.actor.role,
          name: p.name,
          email: p.email,
          district: p.actor.role === 'district-coordinator' ? p.actor.district : null,
          org: p.actor.role === 'contractor' ? p.actor.org : null,
          school: p.actor.role === 'school-staff' ? p.actor.school : null,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/me/assignments',
      tags: ['me'],
      summary: "A contractor's open work, soonest deadline first",
      security,
      request: { query: AssignmentQuery },
      responses: {
        200: { description: 'Open milestones assigned to your organization', content: { 'application/json': { schema: AssignmentList } } },
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const p = c.get('principal');
      refuse(canRead(p.actor, { kind: 'assignments' }));
      // School staff do the school's own work: it is assigned to the school's id.
      const assignee = p.actor.role === 'contractor' ? p.actor.org : p.actor.role === 'school-staff' ? p.actor.school : '';
      const { limit, cursor } = c.req.valid('query');
      const page = await store.listAssignments(assignee, { limit, cursor: cursor ?? null });
      const at = now();
      const schools = await reads.profiles(page.items.map((s) => s.schoolId));
      const items: Assignment[] = page.items.flatMap((s) => {
        const school = schools.get(s.schoolId);
        if (!school) return [];
        const view = toView(program, s, at);
        return [
          {
            schoolId: s.schoolId,
            schoolName: school.name,
            district: school.district,
            milestone: s.key,
            title: view.title,
            status: s.status,
            deadline: s.deadline,
            overdue: view.overdue,
            version: s.version,
          },
        ];
      });
      return c.json({ items, nextCursor: page.cursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/notifications',
      tags: ['me'],
      summary: 'Your reminders, escalations and weekly digests, newest first',
      security,
      request: { query: NotificationQuery },
      responses: {
        200: { description: 'A page of notifications', content: { 'application/json': { schema: NotificationList } } },
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const p = c.get('principal');
      const { limit, cursor } = c.req.valid('query');
      const a = p.actor;
      const recipient =
        a.role === 'contractor' || a.role === 'school-staff'
          ? ({ type: 'contractor', org: a.role === 'contractor' ? a.org : a.school } as const)
          : a.role === 'district-coordinator'
            ? ({ type: 'district-coordinator', district: a.district } as const)
            : a.role === 'program-manager'
              ? ({ type: 'program-manager' } as const)
              : ({ type: 'viewer' } as const);
      const page = await store.listNotificationsFor(recipient, { limit, cursor: cursor ?? null });
      return c.json({ items: page.items.map((e) => ({ ...e.notification, deliveredAt: e.deliveredAt })), nextCursor: page.cursor }, 200);
    },
  );

  return app;
}
