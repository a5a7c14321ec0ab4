/**
 * The review queue: the submissions waiting for the signed-in user, oldest submission first. School
 * staff get those of their school that wait for the school's sign-off; district coordinators those of
 * their district that wait for their sign-off or for acceptance; program managers those that wait for
 * acceptance. What waits for whom is the program's order of sign-offs (`MilestoneDefinition.signOffs`).
 */
import { createRoute } from '@hono/zod-openapi';
import { ReviewQueue, type ReviewItem } from '../../../shared/api/administration.js';
import { canRead } from '../../../shared/domain/index.js';
import type { Actor, MilestoneDefinition, MilestoneState, School } from '../../../shared/program/model.js';
import type { ProgramCatalog } from '../../../shared/programs/resolver.js';
import { COMMON_ERRORS, refuse, router, security, type RouteContext } from './common.js';

export function reviewRoutes({ deps, reads, programs }: RouteContext) {
  const { store } = deps;
  const app = router();

  /** Who the submission waits for now: the next sign-off's role (of the school's program version), or the acceptance. */
  function waitingFor(def: MilestoneDefinition | undefined, state: MilestoneState): ReviewItem['waitingFor'] | null {
    if (!def || state.status !== 'submitted') return null;
    return def.signOffs[state.signOffs.length] ?? 'acceptance';
  }

  function mine(actor: Actor, waiting: ReviewItem['waitingFor']): boolean {
    switch (actor.role) {
      case 'school-staff':
        return waiting === 'school-staff';
      case 'district-coordinator':
        return waiting === 'district-coordinator' || waiting === 'acceptance';
      case 'program-manager':
        return waiting === 'acceptance';
      default:
        return false;
    }
  }

  /** The submitted milestones the actor's scope holds, with their schools. */
  async function submitted(actor: Actor, catalog: ProgramCatalog): Promise<{ school: School; state: MilestoneState }[]> {
    if (actor.role === 'school-staff') {
      const record = await reads.loadSchool(actor.school);
      return record.milestones.filter((m) => m.state.status === 'submitted').map((m) => ({ school: record.school, state: m.state }));
    }
    // The summaries on the schools index say which schools have a submission; only those are read.
    const summaries = await reads.allSummaries(actor.role === 'district-coordinator' ? actor.district : undefined);
    const ids = summaries.filter((s) => s.milestones.some((l) => l.status === 'submitted')).map((s) => s.school.id);
    const records = await store.getSchools(ids, catalog.keys);
    return records.flatMap((r) =>
      r ? r.milestones.filter((m) => m.state.status === 'submitted').map((m) => ({ school: r.school, state: m.state })) : [],
    );
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/review-queue',
      tags: ['me'],
      summary: 'Submissions waiting for your sign-off or acceptance, oldest first',
      security,
      responses: { 200: { description: 'The queue', content: { 'application/json': { schema: ReviewQueue } } }, ...COMMON_ERRORS },
    }),
    async (c) => {
      const actor = c.get('principal').actor;
      refuse(canRead(actor, { kind: 'review-queue' }));
      const items: ReviewItem[] = [];
      const catalog = await programs.catalog();
      for (const { school, state } of await submitted(actor, catalog)) {
        const def = catalog.of(school).milestones.find((m) => m.key === state.key);
        const waiting = waitingFor(def, state);
        if (!def || waiting === null || !mine(actor, waiting) || state.submittedAt === null) continue;
        items.push({
          schoolId: school.id,
          schoolName: school.name,
          district: school.district,
          milestone: state.key,
          title: def.title,
          assignee: state.assignee,
          submittedAt: state.submittedAt,
          deadline: state.deadline,
          waitingFor: waiting,
          evidence: state.evidence,
          signOffs: state.signOffs,
          version: state.version,
        });
      }
      items.sort((a, b) => Date.parse(a.submittedAt) - Date.parse(b.submittedAt) || a.schoolId.localeCompare(b.schoolId));
      return c.json({ items }, 200);
    },
  );

  return app;
}
