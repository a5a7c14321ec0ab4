/** Reports: the share of schools that reached each milestone, by district, as of a date. */
import { createRoute, z } from '@hono/zod-openapi';
import { ProgressQuery, ProgressReport } from '../../../shared/api/schemas.js';
import { progressCsv, progressReport } from '../reports.js';
import { canRead } from '../../../shared/domain/index.js';
import { COMMON_ERRORS, negotiate, problem, refuse, router, security, type RouteContext } from './common.js';

export function reportRoutes({ deps, reads, now }: RouteContext) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/reports/progress',
      tags: ['reports'],
      summary: 'Share of schools that reached each milestone, by district, as of a date (JSON or CSV)',
      description: 'CSV with `Accept: text/csv` or `format=csv`. District coordinators get their district.',
      security,
      request: { query: ProgressQuery },
      responses: {
        200: { description: 'The report', content: { 'application/json': { schema: ProgressReport }, 'text/csv': { schema: z.string() } } },
        406: problem('Neither JSON nor CSV is acceptable to the client'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const p = c.get('principal');
      refuse(canRead(p.actor, { kind: 'reports' }));
      const query = c.req.valid('query');
      const format = query.format ?? negotiate(c.req.header('accept'));
      const districtIds = p.actor.role === 'district-coordinator' ? [p.actor.district] : deps.districts.map((d) => d.id);
      const summaries = await reads.allSummaries(p.actor.role === 'district-coordinator' ? p.actor.district : undefined);
      const report = progressReport(deps.program, districtIds, summaries, query.asOf, now());
      if (format === 'csv') {
        c.header('content-type', 'text/csv; charset=utf-8');
        c.header('content-disposition', `attachment; filename="progress-${report.asOf}.csv"`);
        return c.body(progressCsv(report, deps.districts), 200) as never;
      }
      return c.json(report, 200);
    },
  );

  return app;
}
