/** Schools: the filtered, paginated list, one school with its milestones, and its audit history. */
import { createRoute, z } from '@hono/zod-openapi';
import { programVersionOf } from '../../../shared/program/model.js';
import { milestonesOfVersion, ProgramVersionUnavailable, type ProgramCatalog } from '../../../shared/programs/resolver.js';
import {
  HistoryPage,
  HistoryQuery,
  SchoolDetail,
  SchoolReadQuery,
  SchoolList,
  SchoolListQuery,
  SchoolParams,
  type SchoolListItem,
} from '../../../shared/api/schemas.js';
import { wholeHistory } from '../../../shared/store/store.js';
import { validationProblem } from '../problem.js';
import {
  assertDistrict,
  matchesMilestones,
  matchesText,
  milestoneLines,
  milestoneStates,
  toListItem,
  toView,
  visibleEvents,
  visibleMilestones,
} from '../views.js';
import { canRead } from '../../../shared/domain/index.js';
import { assertKnownMilestone, COMMON_ERRORS, notFound, problem, refuse, router, security, type RouteContext } from './common.js';

export function schoolRoutes({ deps, reads, programs, now }: RouteContext) {
  const { store } = deps;
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/schools',
      tags: ['schools'],
      summary: 'Schools with their milestones, filtered and paginated (opaque cursor)',
      description: 'District coordinators see their district only. Contractors use /api/me/assignments.',
      security,
      request: { query: SchoolListQuery },
      responses: { 200: { description: 'A page of schools', content: { 'application/json': { schema: SchoolList } } }, ...COMMON_ERRORS },
    }),
    async (c) => {
      const p = c.get('principal');
      const query = c.req.valid('query');
      refuse(canRead(p.actor, { kind: 'schools', district: query.district }));
      const district = p.actor.role === 'district-coordinator' ? p.actor.district : query.district;
      // A milestone of any published version: the schools on a version without it simply do not match.
      const catalog = await programs.catalog();
      if (query.milestone !== undefined) assertKnownMilestone(catalog, query.milestone, 'query.milestone');
      return c.json(await listSchools({ ...query, district }, catalog), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/schools/{schoolId}',
      tags: ['schools'],
      summary: 'A school: profile and every milestone (status, assignee, deadline, overdue, version, evidence)',
      security,
      request: { params: SchoolParams, query: SchoolReadQuery },
      responses: {
        200: { description: 'The school', content: { 'application/json': { schema: SchoolDetail } } },
        404: problem('No such school, or no published program version asOfVersion'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const { schoolId } = c.req.valid('param');
      const { asOfVersion } = c.req.valid('query');
      const record = await reads.loadSchool(schoolId);
      const at = now();
      const programVersion = asOfVersion ?? programVersionOf(record.school);
      const shown = await programs.version(programVersion).catch((error: unknown) => {
        if (error instanceof ProgramVersionUnavailable) throw notFound(`The program has no published version ${programVersion}.`);
        throw error;
      });
      const visible = visibleMilestones(c.get('principal'), record.school, milestoneStates(shown, record, at));
      c.header('etag', `"${record.version}"`);
      return c.json(
        { school: record.school, version: record.version, programVersion, milestones: visible.map((s) => toView(shown, s, at)) },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/schools/{schoolId}/history',
      tags: ['schools'],
      summary: "A school's audit events, newest first",
      security,
      request: { params: SchoolParams, query: HistoryQuery },
      responses: {
        200: { description: 'A page of events', content: { 'application/json': { schema: HistoryPage } } },
        404: problem('No such school'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const { schoolId } = c.req.valid('param');
      const { limit, cursor } = c.req.valid('query');
      const p = c.get('principal');
      if (p.actor.role === 'contractor') {
        // What a contractor may see depends on the current assignees: read the milestones.
        const record = await reads.loadSchool(schoolId);
        const visible = visibleMilestones(p, record.school, milestoneStates(await programs.forSchool(record.school), record, now()));
        const page = await store.history(schoolId, { limit, cursor: cursor ?? null });
        return c.json({ items: visibleEvents(p, visible, page.items, await wholeHistory(store, schoolId)), nextCursor: page.cursor }, 200);
      }
      // Everybody else sees the whole log of a school in their scope: the profile is enough.
      const [school, page] = await Promise.all([reads.profile(schoolId), store.history(schoolId, { limit, cursor: cursor ?? null })]);
      assertDistrict(p, school);
      return c.json({ items: page.items, nextCursor: page.cursor }, 200);
    },
  );

  /**
   * A page of schools: walks the schools index (a district's range, or all) from the cursor's position,
   * keeps those that match, and stops at `limit` matches or after scanning MAX_SCAN schools (then the
   * page may be short, and `nextCursor` continues the walk).
   */
  async function listSchools(
    query: z.infer<typeof SchoolListQuery>,
    catalog: ProgramCatalog,
  ): Promise<{ items: SchoolListItem[]; nextCursor: string | null }> {
    const milestones = milestonesOfVersion(catalog);
    const MAX_SCAN = 500;
    const needsMilestones = query.milestone !== undefined || query.status !== undefined || query.overdue !== undefined;
    // Unfiltered, a page of the index is the page asked for; filtered, bigger pages mean fewer index reads.
    const PAGE = needsMilestones || query.q !== undefined ? 100 : query.limit;
    const fingerprint = filterFingerprint(query);
    const start = query.cursor ? decodeListCursor(query.cursor, fingerprint) : { c: null, o: 0 };
    const at = now();
    const items: SchoolListItem[] = [];
    let storeCursor = start.c;
    let offset = start.o;
    let scanned = 0;
    for (;;) {
      // The index page carries each school's milestone summary: no read per school.
      const page = await store.listSchoolSummaries({
        ...(query.district ? { district: query.district } : {}),
        milestones,
        limit: PAGE,
        cursor: storeCursor,
      });
      for (let index = offset; index < page.items.length;) {
        const summary = page.items[index++]!;
        scanned++;
        reads.remember(summary.school);
        if (!matchesText(summary.school, query.q)) continue;
        const program = catalog.of(summary.school);
        const lines = milestoneLines(program, summary, at);
        if (!matchesMilestones(program, lines, query, at)) continue;
        if (query.milestone !== undefined && !lines.some((s) => s.key === query.milestone)) continue;
        items.push(toListItem(program, summary.school, lines, at));
        if (items.length === query.limit) {
          if (index < page.items.length) return { items, nextCursor: encodeListCursor({ c: storeCursor, o: index }, fingerprint) };
          return { items, nextCursor: page.cursor === null ? null : encodeListCursor({ c: page.cursor, o: 0 }, fingerprint) };
        }
      }
      if (page.cursor === null) return { items, nextCursor: null };
      storeCursor = page.cursor;
      offset = 0;
      if (scanned >= MAX_SCAN) return { items, nextCursor: encodeListCursor({ c: storeCursor, o: 0 }, fingerprint) };
    }
  }

  return app;
}

// ---------- school list cursors: the store's cursor of a page and an offset inside it ----------

const ListCursor = z.object({ c: z.string().nullable(), o: z.number().int().min(0).max(1000), f: z.string() }).strict();

function filterFingerprint(query: z.infer<typeof SchoolListQuery>): string {
  return [query.district ?? '', query.milestone ?? '', query.status ?? '', query.overdue ?? '', query.q ?? ''].join('|');
}

function encodeListCursor(position: { c: string | null; o: number }, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ ...position, f: fingerprint }), 'utf8').toString('base64url');
}

function decodeListCursor(cursor: string, fingerprint: string): { c: string | null; o: number } {
  const bad = (reason: string) => validationProblem([{ field: 'query.cursor', reason }]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad('not a cursor returned by this API');
  }
  const result = ListCursor.safeParse(parsed);
  if (!result.success) throw bad('not a cursor returned by this API');
  if (result.data.f !== fingerprint) throw bad('the cursor belongs to a listing with other filters');
  return { c: result.data.c, o: result.data.o };
}
