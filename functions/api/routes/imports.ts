/** CSV imports of schools, all or nothing. */
import { createRoute, z } from '@hono/zod-openapi';
import { ImportResult } from '../../../shared/api/schemas.js';
import { initialState } from '../../../shared/domain/index.js';
import { parseSchoolsCsv } from '../../../shared/region/csv-import.js';
import { ApiProblem, PROBLEM_TYPES, validationProblem } from '../problem.js';
import { mapLimit } from '../views.js';
import { COMMON_ERRORS, forbidden, problem, router, security, type RouteContext } from './common.js';

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
      const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'text/csv') {
        throw new ApiProblem(415, 'Send the file as text/csv.', { type: PROBLEM_TYPES.unsupportedMediaType, errors: [{ field: 'header.content-type', reason: 'must be text/csv' }] });
      }
      const text = await c.req.text();
      const existing = await reads.allSchools();
      const parsed = parseSchoolsCsv(text, { districts: deps.districts, existingIds: existing.map((s) => s.id) });
      if (!parsed.ok) {
        throw validationProblem(
          parsed.errors.map((e) => ({ field: e.column ? `line ${e.line}, column ${e.column}` : `line ${e.line}`, reason: e.reason, line: e.line, ...(e.column ? { column: e.column } : {}) })),
          `The file has ${parsed.errors.length} problem(s); nothing was imported.`,
        );
      }
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
