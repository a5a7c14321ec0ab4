/**
 * Reports: the share of schools that reached each milestone, by district, urban/rural or district size, as
 * of a date; and the contractors' scorecards.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { ForecastQuery, ForecastReport, ProgressQuery, ProgressReport, ScorecardQuery, Scorecards } from '../../../shared/api/schemas.js';
import { canRead } from '../../../shared/domain/index.js';
import { scorecardScope } from '../../../shared/domain/permissions.js';
import { scorecards } from '../../../shared/domain/scorecards.js';
import { wholeHistory } from '../../../shared/store/store.js';
import { forecastReport } from '../forecast.js';
import { progressCsv, progressReport, scorecardsCsv } from '../reports.js';
import { mapLimit } from '../../../shared/map-limit.js';
import { COMMON_ERRORS, forbidden, negotiate, problem, refuse, router, security, type RouteContext } from './common.js';

export function reportRoutes({ deps, reads, programs, now }: RouteContext) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/reports/progress',
      tags: ['reports'],
      summary:
        'Share of schools that reached each milestone (completed or waived), by district, urban/rural or district size, as of a date (JSON or CSV)',
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
      refuse(canRead(p.actor, { kind: 'reports' }));
      const query = c.req.valid('query');
      const format = query.format ?? negotiate(c.req.header('accept'));
      const districtIds = p.actor.role === 'district-coordinator' ? [p.actor.district] : deps.districts.map((d) => d.id);
      const summaries = await reads.allSummaries(p.actor.role === 'district-coordinator' ? p.actor.district : undefined);
      const report = progressReport(deps.program, districtIds, summaries, query.asOf, now(), query.groupBy, await programs.catalog());
      if (format === 'csv') {
        c.header('content-type', 'text/csv; charset=utf-8');
        c.header('content-disposition', `attachment; filename="progress-${report.asOf}.csv"`);
        return c.body(progressCsv(report, deps.districts), 200) as never;
      }
      return c.json(report, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/reports/contractors',
      tags: ['reports'],
      summary:
        'Contractor scorecards: per contractor and milestone, on-time share, delay in working days, rejection rate, open and overdue work (JSON or CSV)',
      description:
        'Program managers and viewers read every contractor; a contractor reads its own rows only; district coordinators are refused. CSV with `Accept: text/csv` or `format=csv`.',
      security,
      request: { query: ScorecardQuery },
      responses: {
        200: { description: 'The scorecards', content: { 'application/json': { schema: Scorecards }, 'text/csv': { schema: z.string() } } },
        406: problem('Neither JSON nor CSV is acceptable to the client'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const scope = scorecardScope(c.get('principal').actor);
      if ('code' in scope) throw forbidden(`${scope.message[0]!.toUpperCase()}${scope.message.slice(1)}.`);
      const query = c.req.valid('query');
      const format = query.format ?? negotiate(c.req.header('accept'));
      const at = now();
      const [summaries, contractors] = await Promise.all([reads.allSummaries(), deps.store.listContractors()]);
      // Every school's history: events are credited to whoever held the milestone then, also one reassigned since.
      const histories = await mapLimit(summaries, 16, (s) => wholeHistory(deps.store, s.school.id));
      const names = new Map(contractors.map((x) => [x.id, x.name]));
      const rows = scorecards({
        milestones: summaries.flatMap((s) => s.milestones.map((m) => ({ ...m, schoolId: s.school.id }))),
        events: histories.flat(),
        now: at,
        timeZone: deps.program.timeZone,
      })
        // Registered contractors only: a school that confirms its own milestone is its assignee, not a contractor.
        .filter((r) => names.has(r.contractor) && (scope.contractor === null || r.contractor === scope.contractor))
        .map((r) => ({ ...r, name: names.get(r.contractor)! }));
      const body = { at: at.toISOString(), rows };
      if (format === 'csv') {
        c.header('content-type', 'text/csv; charset=utf-8');
        c.header('content-disposition', `attachment; filename="contractors-${body.at.slice(0, 10)}.csv"`);
        return c.body(scorecardsCsv(body), 200) as never;
      }
      return c.json(body, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/reports/forecast',
      tags: ['reports'],
      summary:
        'Forecast of the next target of each milestone, for the region and each district: the date at the pace of the last weeks, an 80 % range, and the schools holding it back',
      description:
        'The pace is the mean number of schools per week that reached the milestone over the last `weeks` weeks (default 8); the range is a bootstrap over those weekly counts. District coordinators get their district (and no region row beyond it).',
      security,
      request: { query: ForecastQuery },
      responses: { 200: { description: 'The forecast', content: { 'application/json': { schema: ForecastReport } } }, ...COMMON_ERRORS },
    }),
    async (c) => {
      const p = c.get('principal');
      refuse(canRead(p.actor, { kind: 'reports' }));
      const query = c.req.valid('query');
      const summaries = await reads.allSummaries(p.actor.role === 'district-coordinator' ? p.actor.district : undefined);
      return c.json(forecastReport(deps.program, summaries, query.asOf, now(), query.weeks, await programs.catalog()), 200);
    },
  );

  return app;
}
