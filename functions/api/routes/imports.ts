/** CSV imports of schools, all or nothing. */
import { createRoute, z } from '@hono/zod-openapi';
import { ImportResult } from '../../../shared/api/schemas.js';
import { initialState } from '../../../shared/domain/index.js';
import { parseSchoolsCsv } from '../../../shared/region/csv-import.js';
import { mapLimit } from '../views.js';
import { COMMON_ERRORS, csvBody, csvProblem, forbidden, problem, router, security, type RouteContext } from './common.js';

export function importRoutes({ deps, reads, log, now }: RouteContext) {
  const { store, program } = deps;
  const app = router();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/imports/schools',
      tags: ['imports'],
      summary: 'Add schools from a CSV file, all or nothing',
      description: 'Every bad row is listed (line, column, reason) and nothing is imported. The new schools get their milestones and their workflows.',
      security,
      request: { body: { content: { 'text/csv': { schema: z.string().describe('UTF-8 CSV, header line first, "," or ";" separated') } }, required: true } },
      responses: { 201: { description: 'Imported', content: { 'application/json': { schema: ImportResult } } }, 415: problem('Not text/csv'), ...COMMON_ERRORS },
    }),
    async (c) => {
      const p = c.get('principal');
      if (p.actor.role !== 'program-manager') throw forbidden('Only program managers import schools.');
      const text = await csvBody(c.req);
      const existing = await reads.allSchools();
      const parsed = parseSchoolsCsv(text, { districts: deps.districts, existingIds: existing.map((s) => s.id) });
      if (!parsed.ok) throw csvProblem(parsed.errors);
      const at = now();
      await store.putSchools(parsed.schools);
      await store.initMilestones(parsed.schools.flatMap((s) => program.milestones.map((m) => initialState(program, s, m.key, at))));
      await mapLimit(parsed.schools, 4, async (s) => {
        try {
          await deps.signal.ensureExecution(s.id);
        } catch (error) {
          log('warn', 'imported school: workflow not started; the daily sweep will start it', { schoolId: s.id, error: String(error) });
        }
      });
      return c.json({ imported: parsed.schools.length, schoolIds: parsed.schools.map((s) => s.id) }, 201);
    },
  );

  return app;
}
