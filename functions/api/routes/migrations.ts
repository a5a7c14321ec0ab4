/**
 * Migration of schools to a published program version: a preview that writes nothing, and the job that
 * moves them (resumable, one outcome per school; GET /api/jobs/{jobId}). Program managers only.
 */
import { createRoute } from '@hono/zod-openapi';
import { MigrationPreview, MigrationScope, ProgramVersionRef } from '../../../shared/api/program-versions.js';
import { Job, type BulkFilter } from '../../../shared/api/schemas.js';
import { mayAdminister } from '../../../shared/domain/index.js';
import { ProgramVersionUnavailable } from '../../../shared/programs/resolver.js';
import type { SchoolMigration } from '../../../shared/domain/index.js';
import { ApiProblem, PROBLEM_TYPES, validationProblem } from '../problem.js';
import { previewSchool } from '../migrate.js';
import { selectSchools } from '../jobs.js';
import { mapLimit } from '../../../shared/map-limit.js';
import { COMMON_ERRORS, notFound, problem, refuse, router, security, type RouteContext } from './common.js';

export function migrationRoutes({ deps, programs, now }: RouteContext) {
  const app = router();

  function filterOf(scope: MigrationScope['scope']): BulkFilter {
    switch (scope.kind) {
      case 'all':
        return {};
      case 'district':
        if (!deps.districts.some((d) => d.id === scope.district))
          throw validationProblem([{ field: 'body.scope.district', reason: `unknown district ${scope.district}` }]);
        return { district: scope.district };
      case 'schools':
        return { schoolIds: scope.schoolIds };
    }
  }

  /** The published version, or a 404 (none) / 409 (a draft) problem. */
  async function publishedVersion(programId: string, version: number): Promise<void> {
    if (programId !== programs.programId) throw notFound(`No program ${programId}.`);
    try {
      await programs.version(version);
    } catch (error) {
      if (!(error instanceof ProgramVersionUnavailable)) throw error;
      const stored = await deps.store.getProgramVersion(programId, version);
      if (!stored) throw notFound(`No version ${version} of program ${programId}.`);
      throw new ApiProblem(409, `${error.message}: publish it before migrating schools to it.`, {
        type: PROBLEM_TYPES.conflict,
        code: 'not-published',
      });
    }
  }

  const request = { params: ProgramVersionRef, body: { content: { 'application/json': { schema: MigrationScope } }, required: true } };

  app.openapi(
    createRoute({
      method: 'post',
      path: '/programs/{programId}/versions/{version}/migration-preview',
      tags: ['programs'],
      summary: 'What moving the schools in scope to this version would change, school by school (nothing is written)',
      description:
        'Per school: milestones added and removed, dates moved (old and new), evidence rules changed, and open work the change would invalidate. Program managers only.',
      security,
      request,
      responses: {
        200: { description: 'The preview', content: { 'application/json': { schema: MigrationPreview } } },
        404: problem('No such program or version'),
        409: problem('The version is a draft'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      refuse(mayAdminister(c.get('principal').actor, { kind: 'program-migration' }));
      const { programId, version } = c.req.valid('param');
      const { scope } = c.req.valid('json');
      const filter = filterOf(scope);
      await publishedVersion(programId, version);
      const schools = (await selectSchools(deps, filter)).filter((s) => !s.archived);
      const at = now();
      const records = await mapLimit(schools, 8, (s) => deps.store.getSchool(s.id));
      const previews = await mapLimit(records, 8, async (r) => (r ? previewSchool(programs, r, version, at) : null));
      const moving = previews.filter((p): p is SchoolMigration => p !== null);
      const unchanged = schools.filter((_, i) => records[i] && previews[i] === null).map((s) => s.id);
      return c.json({ programId, version, unchanged, schools: moving }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/programs/{programId}/versions/{version}/migrations',
      tags: ['programs'],
      summary: 'Move the schools in scope to this version: a job with an outcome per school',
      description:
        "Answers 202 with the job; GET /api/jobs/{jobId} shows each school's outcome. Each school gets its added milestones (their workflows start when ready), its moved dates (reminders follow), " +
        'the version recorded with the audit event programVersionChanged (from/to); nothing of its history is removed. Program managers only.',
      security,
      request,
      responses: {
        202: { description: 'The job, queued', content: { 'application/json': { schema: Job } } },
        404: problem('No such program or version'),
        409: problem('The version is a draft'),
        503: problem('Jobs are not configured here'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const actor = c.get('principal').actor;
      refuse(mayAdminister(actor, { kind: 'program-migration' }));
      const { programId, version } = c.req.valid('param');
      const { scope } = c.req.valid('json');
      const filter = filterOf(scope);
      await publishedVersion(programId, version);
      if (!deps.queue) throw new ApiProblem(503, 'Jobs are not configured (no function to run them).', { type: PROBLEM_TYPES.unavailable });
      const job = await deps.jobs.createMigration({ filter, body: { programId, version }, createdBy: actor });
      await deps.queue.enqueue(job.id);
      c.header('location', `/api/jobs/${job.id}`);
      return c.json(job, 202);
    },
  );

  return app;
}
