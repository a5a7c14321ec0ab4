/** Bulk jobs: one command on one milestone of every school a filter selects, run asynchronously. */
import { createRoute, type z } from '@hono/zod-openapi';
import { Job, JobParams, bulkRequestSchema, type BulkRequest } from '../../../shared/api/schemas.js';
import { ApiProblem, PROBLEM_TYPES } from '../problem.js';
import { HTTP_COMMANDS } from './commands.js';
import { assertKnownMilestone, COMMON_ERRORS, forbidden, notFound, problem, router, security, type RouteContext } from './common.js';

export function bulkRoutes({ deps, programs }: RouteContext) {
  const app = router();

  // A sign-off is a person's own statement about their school: never sent in bulk.
  for (const action of HTTP_COMMANDS.filter((c) => c !== 'signoff')) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/bulk/${action}`,
        tags: ['bulk'],
        summary: `${action[0]!.toUpperCase()}${action.slice(1)} one milestone of every school a filter selects`,
        description: "Answers 202 with the job at once; GET /api/jobs/{jobId} shows its progress and every school's outcome.",
        security,
        request: { body: { content: { 'application/json': { schema: bulkRequestSchema(action) } }, required: true } },
        responses: {
          202: { description: 'The job, queued', content: { 'application/json': { schema: Job } } },
          503: problem('Bulk jobs are not configured here'),
          ...COMMON_ERRORS,
        },
      }),
      async (c) => {
        const p = c.get('principal');
        const request = c.req.valid('json') as z.infer<typeof BulkRequest>;
        if (p.actor.role !== 'program-manager' && p.actor.role !== 'district-coordinator') {
          throw forbidden('Bulk actions are for program managers and district coordinators.');
        }
        // A milestone of any published version; a school whose version lacks it refuses it in the job (`not-found`).
        assertKnownMilestone(await programs.catalog(), request.milestone, 'body.milestone');
        const filter = { ...request.filter };
        if (p.actor.role === 'district-coordinator') {
          if (filter.district !== undefined && filter.district !== p.actor.district)
            throw forbidden(`You coordinate ${p.actor.district}, not ${filter.district}.`);
          filter.district = p.actor.district;
        }
        if (!deps.queue)
          throw new ApiProblem(503, 'Bulk jobs are not configured (no function to run them).', { type: PROBLEM_TYPES.unavailable });
        const job = await deps.jobs.createBulk({ action, milestone: request.milestone, filter, body: request.body, createdBy: p.actor });
        await deps.queue.enqueue(job.id);
        c.header('location', `/api/jobs/${job.id}`);
        return c.json(job, 202);
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/jobs/{jobId}',
      tags: ['bulk'],
      summary: "A bulk job: progress and every school's outcome",
      security,
      request: { params: JobParams },
      responses: {
        200: { description: 'The job', content: { 'application/json': { schema: Job } } },
        404: problem('No such job'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const p = c.get('principal');
      const { jobId } = c.req.valid('param');
      const job = await deps.jobs.get(jobId);
      if (!job) throw notFound(`No job ${jobId}.`);
      if (p.actor.role !== 'program-manager' && job.createdBy.sub !== p.actor.sub)
        throw forbidden('Only its author and program managers see a job.');
      const { body: _body, ...view } = job;
      return c.json(view, 200);
    },
  );

  return app;
}
