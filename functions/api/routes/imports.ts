/** CSV imports of schools: the file checked as a whole, then imported by a resumable job. */
import { createRoute, z } from '@hono/zod-openapi';
import { Job } from '../../../shared/api/schemas.js';
import { parseSchoolsCsv } from '../../../shared/region/csv-import.js';
import { ApiProblem, PROBLEM_TYPES } from '../problem.js';
import { COMMON_ERRORS, csvBody, csvProblem, forbidden, problem, router, security, type RouteContext } from './common.js';

export function importRoutes({ deps, reads }: RouteContext) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/imports/schools',
      tags: ['imports'],
      summary: 'Add schools from a CSV file, as a job',
      description:
        'A file with bad rows is refused whole: every bad row is listed (line, column, reason) and nothing is imported. ' +
        'A good file is imported by a job (202, GET /api/jobs/{jobId}): each school is created with its milestones and its workflow, ' +
        "exactly once; a school id another import created first is that row's `rejected` outcome (409, already-exists). " +
        'A job stopped part way is resumed where it stopped.',
      security,
      request: {
        body: {
          content: { 'text/csv': { schema: z.string().describe('UTF-8 CSV, header line first, "," or ";" separated') } },
          required: true,
        },
      },
      responses: {
        202: { description: 'The import job, queued', content: { 'application/json': { schema: Job } } },
        415: problem('Not text/csv'),
        503: problem('Jobs are not configured here'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const p = c.get('principal');
      if (p.actor.role !== 'program-manager') throw forbidden('Only program managers import schools.');
      const text = await csvBody(c.req);
      const existing = await reads.allSchools();
      const parsed = parseSchoolsCsv(text, { districts: deps.districts, existingIds: existing.map((s) => s.id) });
      if (!parsed.ok) throw csvProblem(parsed.errors);
      if (!deps.queue)
        throw new ApiProblem(503, 'Imports are not configured (no function to run them).', { type: PROBLEM_TYPES.unavailable });
      const job = await deps.jobs.createImport({ schools: parsed.schools, createdBy: p.actor });
      await deps.queue.enqueue(job.id);
      c.header('location', `/api/jobs/${job.id}`);
      return c.json(job, 202);
    },
  );

  return app;
}
