/** Reports: the share of schools that reached each milestone, by district, as of a date. */
import { createRoute, z } from '@hono/zod-openapi';
import { ProgressQuery, ProgressReport } from '../../../shared/api/schemas.js';
import { progressCsv, progressReport } from '../reports.js';
import { COMMON_ERRORS, forbidden, negotiate, problem, router, security, type RouteContext } from './common.js';

export function reportRoutes({ deps, reads, now }: RouteContext) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/reports/progress',
      tags: ['reports'],
      summary: 'Share of schools that reached each milestone (completed or waived), by district, urban/rural or district size, as of a date (JSON or CSV)',
      description:
        'CSV with `Accept: text/csv` or `format=csv`. District coordinators get their district. `groupBy=settlement` splits urban and rural schools, `groupBy=district-size` the districts by their number of schools (small up to 15, medium 16–49, large 50 or more); both give the gap between their groups in percentage points.',
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
      if (p.actor.role === 'contractor') throw forbidden('Reports are for managers, coordinators and viewers.');
      const query = c.req.valid('query');
      const format = query.format ?? negotiate(c.req.header('accept'));
      const districtIds = p.actor.role === 'district-coordinator' ? [p.actor.district] : deps.districts.map((d) => d.id);
      const summaries = await reads.allSummaries(p.actor.role === 'district-coordinator' ? p.actor.district : undefined);
      const report = progressReport(deps.program, districtIds, summaries, query.asOf, now(), query.groupBy);
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
