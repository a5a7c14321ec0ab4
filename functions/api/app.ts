/**
 * The HTTP API as a Hono app with OpenAPI routes (`@hono/zod-openapi`): every request part is validated
 * by the zod schemas of `shared/api`, and `/openapi.json` is generated from the same schemas.
 *
 * Order of checks on `/api/*`: body size (413) → sign-in (401/403) → throttling (429) → media type (415)
 * → request validation (400, every field listed, unknown fields refused) → the route. Nothing is written
 * before all of them passed. Errors are RFC 9457 problems.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type {
  BulkRequest} from '../../shared/api/schemas.js';
import {
  AssignmentList,
  AssignmentQuery,
  CommandResult,
  Health,
  HistoryPage,
  HistoryQuery,
  ImportResult,
  Job,
  JobParams,
  Me,
  NotificationList,
  NotificationQuery,
  PROBLEM_CONTENT_TYPE,
  Problem,
  ProgressQuery,
  ProgressReport,
  SchoolDetail,
  SchoolList,
  SchoolListQuery,
  SchoolParams,
  bulkRequestSchema,
  type Assignment,
  type SchoolListItem,
} from '../../shared/api/schemas.js';
import type { Clock } from '../../shared/clock.js';
import { executeCommand, type CommandOutcome, type Rejected } from '../../shared/commands/execute.js';
import { initialState } from '../../shared/domain/index.js';
import {
  CommandBody,
  CommandType,
  Id,
  MilestoneKey,
  type Command,
  type District,
  type ProgramDefinition,
  type School,
} from '../../shared/program/model.js';
import { parseSchoolsCsv } from '../../shared/region/csv-import.js';
import type { MilestoneStore, Page, SchoolRecord, SchoolSummary } from '../../shared/store/store.js';
import type { WorkflowSignal } from '../common/workflow-signal.js';
import { AuthError, type Principal } from './auth.js';
import { renderDocs } from './docs.js';
import type { WebRequest, WebResponse } from '../web/serve.js';
import type { JobQueue, JobStore } from './jobs.js';
import { ApiProblem, PROBLEM_TYPES, fieldErrors, problemResponse, validationProblem, type ValidationTarget } from './problem.js';
import { createRateLimiter, type RateLimit } from './rate-limit.js';
import { progressCsv, progressReport } from './reports.js';
import { assertDistrict, mapLimit, matchesMilestones, matchesText, milestoneLines, milestoneStates, toListItem, toView, visibleEvents, visibleMilestones } from './views.js';

export type { WebRequest, WebResponse };

export interface ApiDeps {
  store: MilestoneStore;
  program: ProgramDefinition;
  districts: readonly District[];
  clock: Clock;
  authenticate(authorization: string | undefined): Promise<Principal>;
  signal: WorkflowSignal;
  jobs: JobStore;
  /** Runs bulk jobs asynchronously; without one, bulk actions answer 503. */
  queue: JobQueue | null;
  /** Serves the dashboard's static files (`/`, `/assets/*`); null for paths that are not its. */
  web?: (request: WebRequest) => WebResponse | null;
  rateLimit?: RateLimit | null;
  log?: (level: 'info' | 'warn' | 'error', message: string, data: Record<string, unknown>) => void;
  version?: string;
}

type Env = { Variables: { principal: Principal } };

/** JSON bodies: 64 KiB; CSV imports: 5 MiB (under Lambda's 6 MB request payload limit). */
export const JSON_BODY_LIMIT = 64 * 1024;
export const CSV_BODY_LIMIT = 5 * 1024 * 1024;

const problemContent = { [PROBLEM_CONTENT_TYPE]: { schema: Problem } };
const problem = (description: string) => ({ description, content: problemContent });
const COMMON_ERRORS = {
  400: problem('Malformed request: every field at fault is listed in `errors`'),
  401: problem('No token, or a token that is expired, not signed by the issuer, or for another audience'),
  403: problem('Signed in, but not allowed'),
  429: problem('Too many requests: retry after the `Retry-After` seconds'),
} as const;
const security = [{ bearerAuth: [] }];

const IdempotencyKey = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, '1 to 255 visible ASCII characters')
  .optional()
  .describe('Replays of the same key (same user, same request) answer with the first answer and change nothing');
const IfMatch = z
  .string()
  .regex(/^\s*(\*|(W\/)?"?\d{1,9}"?)\s*$/, 'the milestone version as an entity tag, e.g. "3"')
  .optional()
  .describe('The milestone version the change is based on (its ETag); another current version is a 409');

export function createApp(deps: ApiDeps) {
  const log = deps.log ?? ((level, message, data) => console[level === 'info' ? 'log' : level](JSON.stringify({ level: level.toUpperCase(), message, ...data })));
  const limiter = deps.rateLimit ? createRateLimiter(deps.rateLimit, Date.now) : null;
  const { program, store } = deps;
  const now = () => deps.clock.now();
  const milestoneKeys = program.milestones.map((m) => m.key);

  const app = new OpenAPIHono<Env>({
    defaultHook: (result) => {
      if (!result.success) throw validationProblem(fieldErrors(result.target as ValidationTarget, result.error));
    },
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });

  // ---------- errors ----------

  app.onError((error, c) => {
    const instance = new URL(c.req.url).pathname;
    if (error instanceof ApiProblem) return problemResponse(error, instance);
    if (error instanceof AuthError) return problemResponse(authProblem(error), instance);
    if (error instanceof HTTPException) {
      const status = error.status;
      if (status === 400) {
        return problemResponse(validationProblem([{ field: 'body', reason: error.message || 'malformed JSON' }], 'The request body is not valid JSON.'), instance);
      }
      if (status === 413) return problemResponse(tooLarge(), instance);
      if (status === 415) {
        return problemResponse(
          new ApiProblem(415, 'Send the body as application/json.', { type: PROBLEM_TYPES.unsupportedMediaType, errors: [{ field: 'header.content-type', reason: 'must be application/json' }] }),
          instance,
        );
      }
      return problemResponse(new ApiProblem(status, error.message || 'Request failed'), instance);
    }
    const mapped = storeProblem(error);
    if (mapped) return problemResponse(mapped, instance);
    log('error', 'unhandled error', { path: instance, method: c.req.method, error: error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error) });
    return problemResponse(new ApiProblem(500, 'Something went wrong on our side; it has been logged.', { type: PROBLEM_TYPES.internal }), instance);
  });

  app.notFound((c) => {
    const path = new URL(c.req.url).pathname;
    if (deps.web && (c.req.method === 'GET' || c.req.method === 'HEAD') && !path.startsWith('/api/')) {
      const res = deps.web({
        path,
        method: c.req.method,
        ...(c.req.header('accept-encoding') ? { acceptEncoding: c.req.header('accept-encoding')! } : {}),
        ...(c.req.header('if-none-match') ? { ifNoneMatch: c.req.header('if-none-match')! } : {}),
      });
      if (res) {
        const body = res.isBase64Encoded ? Buffer.from(res.body, 'base64') : res.body;
        return new Response(c.req.method === 'HEAD' || res.status === 304 ? null : body, { status: res.status, headers: res.headers });
      }
    }
    return problemResponse(new ApiProblem(404, `No route for ${c.req.method} ${path}`, { type: PROBLEM_TYPES.notFound }), path);
  });

  // ---------- /api guards ----------

  app.use('/api/*', async (c, next) => {
    const path = new URL(c.req.url).pathname;
    const maxSize = path === '/api/imports/schools' ? CSV_BODY_LIMIT : JSON_BODY_LIMIT;
    return bodyLimit({ maxSize, onError: () => problemResponse(tooLarge(maxSize), path) })(c, next);
  });
  app.use('/api/*', async (c, next) => {
    const principal = await deps.authenticate(c.req.header('authorization'));
    c.set('principal', principal);
    if (limiter) {
      const wait = limiter.take(principal.actor.sub);
      if (wait > 0) {
        throw new ApiProblem(429, 'Too many requests; slow down.', { type: PROBLEM_TYPES.throttled, headers: { 'retry-after': String(Math.ceil(wait / 1000)) } });
      }
    }
    await next();
    c.header('cache-control', 'no-store');
  });

  // ---------- open routes ----------

  app.openapi(
    createRoute({
      method: 'get',
      path: '/healthz',
      tags: ['system'],
      summary: 'Liveness: the function answers (touches nothing else)',
      responses: { 200: { description: 'Alive', content: { 'application/json': { schema: Health } } } },
    }),
    (c) => c.json({ status: 'ok' as const, time: now().toISOString() }, 200),
  );

  const documentConfig = {
    openapi: '3.1.0',
    info: {
      title: 'COS milestones API',
      version: deps.version ?? '1.0.0',
      description:
        'Drives every school of the region through the milestones of the Digital Educational Environment rollout. ' +
        'Sign in with a Bearer ID token; errors are RFC 9457 problems (application/problem+json).',
    },
  };
  let documentCache: ReturnType<typeof app.getOpenAPI31Document> | null = null;
  const document = () => (documentCache ??= app.getOpenAPI31Document(documentConfig));
  app.get('/openapi.json', (c) => c.json(document()));
  app.get('/docs', (c) => {
    c.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    c.header('x-content-type-options', 'nosniff');
    return c.html(renderDocs(document() as never));
  });

  // ---------- me ----------

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/me',
      tags: ['me'],
      summary: 'Who the token says you are',
      security,
      responses: { 200: { description: 'The signed-in user', content: { 'application/json': { schema: Me } } }, ...COMMON_ERRORS },
    }),
    (c) => {
      const p = c.get('principal');
      return c.json(
        {
          sub: p.actor.sub,
          role: p.actor.role,
          name: p.name,
          email: p.email,
          district: p.actor.role === 'district-coordinator' ? p.actor.district : null,
          org: p.actor.role === 'contractor' ? p.actor.org : null,
          school: p.actor.role === 'school-staff' ? p.actor.school : null,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/me/assignments',
      tags: ['me'],
      summary: "A contractor's open work, soonest deadline first",
      security,
      request: { query: AssignmentQuery },
      responses: { 200: { description: 'Open milestones assigned to your organization', content: { 'application/json': { schema: AssignmentList } } }, ...COMMON_ERRORS },
    }),
    async (c) => {
      const p = c.get('principal');
      if (p.actor.role !== 'contractor') throw forbidden('Only contractors have assignments; see /api/schools.');
      const { limit, cursor } = c.req.valid('query');
      const page = await store.listAssignments(p.actor.org, { limit, cursor: cursor ?? null });
      const at = now();
      const schools = await profiles(page.items.map((s) => s.schoolId));
      const items: Assignment[] = page.items.flatMap((s) => {
        const school = schools.get(s.schoolId);
        if (!school) return [];
        const view = toView(program, s, at);
        return [{ schoolId: s.schoolId, schoolName: school.name, district: school.district, milestone: s.key, title: view.title, status: s.status, deadline: s.deadline, overdue: view.overdue, version: s.version }];
      });
      return c.json({ items, nextCursor: page.cursor }, 200);
    },
  );

  // ---------- schools ----------

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/schools',
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
      if (p.actor.role === 'contractor') throw forbidden('Contractors see their own work at /api/me/assignments.');
      let district = query.district;
      if (p.actor.role === 'district-coordinator') {
        if (district !== undefined && district !== p.actor.district) throw forbidden(`You coordinate ${p.actor.district}, not ${district}.`);
        district = p.actor.district;
      }
      if (query.milestone !== undefined && !program.milestones.some((m) => m.key === query.milestone)) {
        throw validationProblem([{ field: 'query.milestone', reason: `not a milestone of the program (${program.milestones.map((m) => m.key).join(', ')})` }]);
      }
      return c.json(await listSchools({ ...query, district }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/schools/{schoolId}',
      tags: ['schools'],
      summary: 'A school: profile and every milestone (status, assignee, deadline, overdue, version, evidence)',
      security,
      request: { params: SchoolParams },
      responses: {
        200: { description: 'The school', content: { 'application/json': { schema: SchoolDetail } } },
        404: problem('No such school'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const { schoolId } = c.req.valid('param');
      const record = await loadSchool(schoolId);
      const at = now();
      const visible = visibleMilestones(c.get('principal'), record.school, milestoneStates(program, record, at));
      return c.json({ school: record.school, milestones: visible.map((s) => toView(program, s, at)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/schools/{schoolId}/history',
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
        const record = await loadSchool(schoolId);
        const visible = visibleMilestones(p, record.school, milestoneStates(program, record, now()));
        const page = await store.history(schoolId, { limit, cursor: cursor ?? null });
        return c.json({ items: visibleEvents(p, visible, page.items), nextCursor: page.cursor }, 200);
      }
      // Everybody else sees the whole log of a school in their scope: the (immutable) profile is enough.
      const [school, page] = await Promise.all([profile(schoolId), store.history(schoolId, { limit, cursor: cursor ?? null })]);
      assertDistrict(p, school);
      return c.json({ items: page.items, nextCursor: page.cursor }, 200);
    },
  );

  // ---------- commands ----------

  for (const action of HTTP_COMMANDS) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/api/schools/{schoolId}/milestones/{milestone}/${action}`,
        tags: ['commands'],
        summary: `${action[0]!.toUpperCase()}${action.slice(1)} a milestone`,
        description: COMMAND_DOCS[action],
        security,
        request: {
          params: z.object({ schoolId: Id, milestone: MilestoneKey }).strict(),
          headers: z.object({ 'idempotency-key': IdempotencyKey, 'if-match': IfMatch }),
          body: { content: { 'application/json': { schema: CommandBody[action] } }, required: action === 'submit' || action === 'reject' || action === 'hold' || action === 'waive' || action === 'reassign' || action === 'reschedule' },
        },
        responses: {
          200: { description: 'The milestone after the command (ETag: its version)', content: { 'application/json': { schema: CommandResult } } },
          404: problem('No such school, or the milestone is not part of the program'),
          409: problem('The milestone is not in a status that allows this, a dependency is not done, or its version is not the If-Match one'),
          422: problem('The evidence is below the program standard'),
          ...COMMON_ERRORS,
        },
      }),
      async (c) => {
        const p = c.get('principal');
        const { schoolId, milestone } = c.req.valid('param');
        const headers = c.req.valid('header');
        const body = c.req.valid('json') as Record<string, unknown>;
        const expectedVersion = parseIfMatch(headers['if-match']);
        const { outcome, context } = await executeCommand(deps, {
          schoolId,
          milestone,
          command: { type: action, ...body } as Command,
          actor: p.actor,
          ...(headers['idempotency-key'] ? { idempotencyKey: headers['idempotency-key'] } : {}),
          ...(expectedVersion !== undefined ? { expectedVersion } : {}),
        });
        if (!outcome.ok) throw outcomeProblem(outcome);
        // The state is committed: now the workflow may hear of it. A failed signal is logged, not answered.
        await deps.signal.afterCommit({
          schoolId,
          milestone,
          state: outcome.state,
          events: outcome.events,
          task: context.task,
          tasks: context.tasks,
          replayed: outcome.replayed,
        });
        c.header('etag', `"${outcome.state.version}"`);
        if (outcome.replayed) c.header('idempotent-replayed', 'true');
        return c.json({ milestone: toView(program, outcome.state, now()), events: outcome.events }, 200);
      },
    );
  }

  // ---------- bulk ----------

  for (const action of HTTP_COMMANDS.filter((c) => c !== 'signoff')) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/api/bulk/${action}`,
        tags: ['bulk'],
        summary: `${action[0]!.toUpperCase()}${action.slice(1)} one milestone of every school a filter selects`,
        description: 'Answers 202 with the job at once; GET /api/jobs/{jobId} shows its progress and every school\'s outcome.',
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
        if (!program.milestones.some((m) => m.key === request.milestone)) {
          throw validationProblem([{ field: 'body.milestone', reason: `not a milestone of the program (${program.milestones.map((m) => m.key).join(', ')})` }]);
        }
        const filter = { ...request.filter };
        if (p.actor.role === 'district-coordinator') {
          if (filter.district !== undefined && filter.district !== p.actor.district) throw forbidden(`You coordinate ${p.actor.district}, not ${filter.district}.`);
          filter.district = p.actor.district;
        }
        if (!deps.queue) throw new ApiProblem(503, 'Bulk jobs are not configured (no function to run them).', { type: PROBLEM_TYPES.unavailable });
        const job = await deps.jobs.create({ action, milestone: request.milestone, filter, body: request.body, createdBy: p.actor });
        await deps.queue.enqueue(job.id);
        c.header('location', `/api/jobs/${job.id}`);
        return c.json(job, 202);
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/jobs/{jobId}',
      tags: ['bulk'],
      summary: "A bulk job: progress and every school's outcome",
      security,
      request: { params: JobParams },
      responses: { 200: { description: 'The job', content: { 'application/json': { schema: Job } } }, 404: problem('No such job'), ...COMMON_ERRORS },
    }),
    async (c) => {
      const p = c.get('principal');
      const { jobId } = c.req.valid('param');
      const job = await deps.jobs.get(jobId);
      if (!job) throw notFound(`No job ${jobId}.`);
      if (p.actor.role !== 'program-manager' && job.createdBy.sub !== p.actor.sub) throw forbidden('Only its author and program managers see a job.');
      const { body: _body, ...view } = job;
      return c.json(view, 200);
    },
  );

  // ---------- imports ----------

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/imports/schools',
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
      const existing = await allSchools();
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

  // ---------- reports ----------

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/reports/progress',
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
      if (p.actor.role === 'contractor') throw forbidden('Reports are for managers, coordinators and viewers.');
      const query = c.req.valid('query');
      const format = query.format ?? negotiate(c.req.header('accept'));
      const districtIds = p.actor.role === 'district-coordinator' ? [p.actor.district] : deps.districts.map((d) => d.id);
      const summaries = await allSummaries(p.actor.role === 'district-coordinator' ? p.actor.district : undefined);
      const report = progressReport(program, districtIds, summaries, query.asOf, now());
      if (format === 'csv') {
        c.header('content-type', 'text/csv; charset=utf-8');
        c.header('content-disposition', `attachment; filename="progress-${report.asOf}.csv"`);
        return c.body(progressCsv(report, deps.districts), 200) as never;
      }
      return c.json(report, 200);
    },
  );

  // ---------- notifications ----------

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/notifications',
      tags: ['me'],
      summary: 'Your reminders and escalations, newest first',
      security,
      request: { query: NotificationQuery },
      responses: { 200: { description: 'A page of notifications', content: { 'application/json': { schema: NotificationList } } }, ...COMMON_ERRORS },
    }),
    async (c) => {
      const p = c.get('principal');
      const { limit, cursor } = c.req.valid('query');
      const a = p.actor;
      const recipient =
        a.role === 'contractor'
          ? ({ type: 'contractor', org: a.org } as const)
          : a.role === 'district-coordinator'
            ? ({ type: 'district-coordinator', district: a.district } as const)
            : a.role === 'program-manager'
              ? ({ type: 'program-manager' } as const)
              : null;
      if (!recipient) throw forbidden('Viewers receive no notifications.');
      const page = await store.listNotificationsFor(recipient, { limit, cursor: cursor ?? null });
      return c.json({ items: page.items.map((e) => ({ ...e.notification, deliveredAt: e.deliveredAt })), nextCursor: page.cursor }, 200);
    },
  );

  // ---------- helpers ----------

  async function loadSchool(schoolId: string): Promise<SchoolRecord> {
    const record = await store.getSchool(schoolId);
    if (!record) throw notFound(`No school ${schoolId}.`);
    remember(record.school);
    return record;
  }

  /** School profiles never change once imported (an import refuses known ids): they are kept in memory. */
  const profileCache = new Map<string, School>();
  function remember(school: School): void {
    if (profileCache.size >= 20_000) profileCache.delete(profileCache.keys().next().value!);
    profileCache.set(school.id, school);
  }
  async function profile(schoolId: string): Promise<School> {
    return profileCache.get(schoolId) ?? (await loadSchool(schoolId)).school;
  }
  async function profiles(ids: string[]): Promise<Map<string, School>> {
    const missing = [...new Set(ids)].filter((id) => !profileCache.has(id));
    if (missing.length > 0) for (const record of await store.getSchools(missing, [])) if (record) remember(record.school);
    return new Map(ids.flatMap((id) => (profileCache.has(id) ? [[id, profileCache.get(id)!] as const] : [])));
  }

  async function allSchools(district?: string): Promise<School[]> {
    const out: School[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: School[]; cursor: string | null } = district
        ? await store.listSchoolsByDistrict(district, { limit: 1000, cursor })
        : await store.listAllSchools({ limit: 1000, cursor });
      out.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    for (const s of out) remember(s);
    return out;
  }

  /** Every school (of a district) with its milestone summary: a few pages of the schools index. */
  async function allSummaries(district?: string): Promise<SchoolSummary[]> {
    const out: SchoolSummary[] = [];
    let cursor: string | null = null;
    do {
      const page: Page<SchoolSummary> = await store.listSchoolSummaries({ ...(district ? { district } : {}), milestones: milestoneKeys, limit: 1000, cursor });
      out.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    for (const s of out) remember(s.school);
    return out;
  }

  /**
   * A page of schools: walks the schools index (a district's range, or all) from the cursor's position,
   * keeps those that match, and stops at `limit` matches or after scanning MAX_SCAN schools (then the
   * page may be short, and `nextCursor` continues the walk).
   */
  async function listSchools(query: z.infer<typeof SchoolListQuery>): Promise<{ items: SchoolListItem[]; nextCursor: string | null }> {
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
        milestones: milestoneKeys,
        limit: PAGE,
        cursor: storeCursor,
      });
      for (let index = offset; index < page.items.length; ) {
        const summary = page.items[index++]!;
        scanned++;
        remember(summary.school);
        if (!matchesText(summary.school, query.q)) continue;
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

// ---------- module helpers ----------

/** The commands a caller sends; `replan` follows from a profile change, never from a request of its own. */
const HTTP_COMMANDS = CommandType.options.filter((c): c is Exclude<CommandType, 'replan'> => c !== 'replan');

const COMMAND_DOCS: Record<CommandType, string> = {
  start: 'Program managers and coordinators: activate a pending milestone (dependencies done), optionally naming the contractor.',
  submit: 'The assigned contractor: submit the evidence; below the standard is a 422 listing each shortfall.',
  accept: 'Program managers and coordinators: accept submitted evidence; the milestone is completed.',
  reject: 'Program managers and coordinators: send submitted evidence back to the contractor, with a reason.',
  hold: 'Program managers and coordinators: pause the milestone, with a reason.',
  resume: 'Program managers and coordinators: continue a paused milestone where it was.',
  waive: 'Program managers and coordinators: the milestone is not required for this school, with a reason.',
  reassign: 'Program managers and coordinators: give the milestone to another contractor of the right kind.',
  reschedule: 'Program managers and coordinators: move the deadline, with a reason.',
  signoff: "Whoever the program asks to sign a submission off, in its order (school staff: the connection works at the school, with the bandwidth measured there; the equipment arrived).",
  replan: 'Not a route: a profile change re-plans the milestones (PATCH /api/schools/{schoolId}).',
};

function forbidden(detail: string): ApiProblem {
  return new ApiProblem(403, detail, { type: PROBLEM_TYPES.forbidden });
}

function notFound(detail: string): ApiProblem {
  return new ApiProblem(404, detail, { type: PROBLEM_TYPES.notFound });
}

function tooLarge(limit?: number): ApiProblem {
  return new ApiProblem(413, limit ? `The body is larger than ${limit} bytes.` : 'The body is too large.', { type: PROBLEM_TYPES.tooLarge });
}

function authProblem(error: AuthError): ApiProblem {
  return error.status === 401
    ? new ApiProblem(401, error.message, { type: PROBLEM_TYPES.unauthorized, headers: { 'www-authenticate': 'Bearer realm="cos", error="invalid_token"' } })
    : new ApiProblem(403, error.message, { type: PROBLEM_TYPES.forbidden });
}

const OUTCOME_TYPE: Record<Rejected['code'], string> = {
  forbidden: PROBLEM_TYPES.forbidden,
  'not-found': PROBLEM_TYPES.notFound,
  'school-not-found': PROBLEM_TYPES.notFound,
  'not-allowed': PROBLEM_TYPES.conflict,
  dependency: PROBLEM_TYPES.dependency,
  'version-conflict': PROBLEM_TYPES.versionConflict,
  'invalid-evidence': PROBLEM_TYPES.invalidEvidence,
  invalid: PROBLEM_TYPES.validation,
};

function outcomeProblem(outcome: Extract<CommandOutcome, { ok: false }>): ApiProblem {
  const errors = outcome.issues.map((i) => ({ field: i.field.startsWith('dependsOn.') ? i.field : `body.${i.field}`, reason: i.message }));
  return new ApiProblem(outcome.status, outcome.message, {
    type: OUTCOME_TYPE[outcome.code],
    code: outcome.code,
    ...(errors.length ? { errors } : {}),
    ...(outcome.code === 'version-conflict' && typeof outcome.currentVersion === 'number' ? { headers: { etag: `"${outcome.currentVersion}"` } } : {}),
  });
}

/** Store and AWS SDK errors that are the client's business (the rest is a 500). */
function storeProblem(error: unknown): ApiProblem | null {
  const code = (error as { code?: unknown }).code;
  const name = (error as { name?: unknown }).name;
  switch (code) {
    case 'invalid-cursor':
      return validationProblem([{ field: 'query.cursor', reason: (error as Error).message }]);
    case 'version-conflict':
      return new ApiProblem(409, (error as Error).message, { type: PROBLEM_TYPES.versionConflict, code: 'version-conflict' });
    case 'transaction-conflict':
      return new ApiProblem(409, (error as Error).message, { type: PROBLEM_TYPES.conflict, code: 'transaction-conflict' });
    case 'idempotency-conflict':
      return new ApiProblem(422, (error as Error).message, { type: PROBLEM_TYPES.conflict, code: 'idempotency-conflict', errors: [{ field: 'header.idempotency-key', reason: 'already used with another request' }] });
    case 'idempotency-in-progress':
      return new ApiProblem(409, (error as Error).message, { type: PROBLEM_TYPES.conflict, code: 'idempotency-in-progress', headers: { 'retry-after': '1' } });
  }
  if (name === 'ProvisionedThroughputExceededException' || name === 'ThrottlingException' || name === 'RequestLimitExceeded') {
    return new ApiProblem(429, 'The database is busy; retry shortly.', { type: PROBLEM_TYPES.throttled, headers: { 'retry-after': '1' } });
  }
  return null;
}

function parseIfMatch(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(value);
  return m ? Number(m[1]) : undefined; // `*`: any version
}

function negotiate(accept: string | undefined): 'json' | 'csv' {
  if (!accept) return 'json';
  const types = accept
    .split(',')
    .map((part) => {
      const [type, ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((x) => x.trim()).find((x) => x.startsWith('q='));
      return { type: type!.trim(), q: q ? Number(q.slice(2)) : 1 };
    })
    .filter((t) => t.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const t of types) {
    if (t.type === 'text/csv') return 'csv';
    if (t.type === 'application/json' || t.type === 'application/*' || t.type === '*/*' || t.type === 'application/problem+json') return 'json';
    if (t.type === 'text/*') return 'csv';
  }
  throw new ApiProblem(406, 'This report is available as application/json or text/csv.', { type: PROBLEM_TYPES.notAcceptable });
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
