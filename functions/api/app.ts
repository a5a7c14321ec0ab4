/**
 * The HTTP API as a Hono app with OpenAPI routes (`@hono/zod-openapi`): every request part is validated
 * by the zod schemas of `shared/api`, and `/openapi.json` is generated from the same schemas.
 *
 * Order of checks on `/api/*`: body size (413) → sign-in (401/403) → throttling (429) → media type (415)
 * → request validation (400, every field listed, unknown fields refused) → the route. Nothing is written
 * before all of them passed. Errors are RFC 9457 problems.
 */
import { createRoute } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { Health } from '../../shared/api/schemas.js';
import { createCommandService } from '../../shared/commands/execute.js';
import { serviceLog } from '../common/log.js';
import { AuthError } from './auth.js';
import { renderDocs } from './docs.js';
import type { WebRequest, WebResponse } from '../web/serve.js';
import { ApiProblem, PROBLEM_TYPES, problemResponse, validationProblem } from './problem.js';
import { createRateLimiter } from './rate-limit.js';
import { bulkRoutes } from './routes/bulk.js';
import { commandRoutes } from './routes/commands.js';
import { documentRoutes } from './routes/documents.js';
import { router, schoolReads, tooLarge, type ApiDeps, type RouteContext } from './routes/common.js';
import { importRoutes } from './routes/imports.js';
import { meRoutes } from './routes/me.js';
import { programRoutes } from './routes/programs.js';
import { reportRoutes } from './routes/reports.js';
import { schoolRoutes } from './routes/schools.js';
import { signInRoutes } from './routes/sign-in.js';
import { userRoutes } from './routes/users.js';
import { contractorRoutes } from './routes/contractors.js';
import { schoolProfileRoutes } from './routes/school-profiles.js';
import { reviewRoutes } from './routes/review.js';
import { migrationRoutes } from './routes/migrations.js';
import { createProgramResolver } from '../../shared/programs/resolver.js';

export type { ApiDeps, WebRequest, WebResponse };

/** JSON bodies: 64 KiB; CSV imports: 5 MiB (under Lambda's 6 MB request payload limit). */
export const JSON_BODY_LIMIT = 64 * 1024;
export const CSV_BODY_LIMIT = 5 * 1024 * 1024;

export function createApp(deps: ApiDeps) {
  const log = deps.log ?? serviceLog('api');
  const limiter = deps.rateLimit ? createRateLimiter(deps.rateLimit, Date.now) : null;
  const { program, store } = deps;
  const now = () => deps.clock.now();

  const app = router();
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });

  // ---------- errors ----------

  app.onError((error, c) => {
    const instance = new URL(c.req.url).pathname;
    if (error instanceof ApiProblem) return problemResponse(error, instance);
    if (error instanceof AuthError) return problemResponse(authProblem(error), instance);
    if (error instanceof HTTPException) {
      const status = error.status;
      if (status === 400) {
        return problemResponse(
          validationProblem([{ field: 'body', reason: error.message || 'malformed JSON' }], 'The request body is not valid JSON.'),
          instance,
        );
      }
      if (status === 413) return problemResponse(tooLarge(), instance);
      if (status === 415) {
        return problemResponse(
          new ApiProblem(415, 'Send the body as application/json.', {
            type: PROBLEM_TYPES.unsupportedMediaType,
            errors: [{ field: 'header.content-type', reason: 'must be application/json' }],
          }),
          instance,
        );
      }
      return problemResponse(new ApiProblem(status, error.message || 'Request failed'), instance);
    }
    const mapped = storeProblem(error);
    if (mapped) return problemResponse(mapped, instance);
    log('error', 'unhandled error', {
      path: instance,
      method: c.req.method,
      error: error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error),
    });
    return problemResponse(
      new ApiProblem(500, 'Something went wrong on our side; it has been logged.', { type: PROBLEM_TYPES.internal }),
      instance,
    );
  });

  app.notFound(async (c) => {
    const path = new URL(c.req.url).pathname;
    if (deps.web && (c.req.method === 'GET' || c.req.method === 'HEAD') && !path.startsWith('/api/')) {
      const res = await deps.web({
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
    const maxSize = path.startsWith('/api/imports/') ? CSV_BODY_LIMIT : JSON_BODY_LIMIT;
    return bodyLimit({ maxSize, onError: () => problemResponse(tooLarge(maxSize), path) })(c, next);
  });
  app.use('/api/*', async (c, next) => {
    const principal = await deps.authenticate(c.req.header('authorization'));
    c.set('principal', principal);
    if (limiter) {
      const wait = limiter.take(principal.actor.sub);
      if (wait > 0) {
        throw new ApiProblem(429, 'Too many requests; slow down.', {
          type: PROBLEM_TYPES.throttled,
          headers: { 'retry-after': String(Math.ceil(wait / 1000)) },
        });
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
    c.header(
      'content-security-policy',
      "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    c.header('x-content-type-options', 'nosniff');
    return c.html(renderDocs(document() as never));
  });

  // ---------- one route module per resource ----------

  const programs = deps.programs ?? createProgramResolver(store);
  // A command answers after its read and its commit; the workflow signal committed with it is delivered
  // after the answer by the dispatcher the table's stream feeds (bulk jobs and migrations deliver theirs).
  const commands = createCommandService({ store, program, programs, clock: deps.clock, signals: null });
  const context: RouteContext = { deps, commands, reads: schoolReads(store, programs), programs, log, now };
  app.route('/api', meRoutes(context));
  app.route('/api', schoolRoutes(context));
  app.route('/api', commandRoutes(context));
  app.route('/api', bulkRoutes(context));
  app.route('/api', importRoutes(context));
  app.route('/api', reportRoutes(context));
  app.route('/api', programRoutes(context));
  app.route('/api', userRoutes(context));
  app.route('/', signInRoutes(context));
  app.route('/api', contractorRoutes(context));
  app.route('/api', schoolProfileRoutes(context));
  app.route('/api', reviewRoutes(context));
  app.route('/api', documentRoutes(context));
  app.route('/api', migrationRoutes(context));

  return app;
}

// ---------- module helpers ----------

function authProblem(error: AuthError): ApiProblem {
  return error.status === 401
    ? new ApiProblem(401, error.message, {
        type: PROBLEM_TYPES.unauthorized,
        headers: { 'www-authenticate': 'Bearer realm="cos", error="invalid_token"' },
      })
    : new ApiProblem(403, error.message, { type: PROBLEM_TYPES.forbidden });
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
      return new ApiProblem(422, (error as Error).message, {
        type: PROBLEM_TYPES.conflict,
        code: 'idempotency-conflict',
        errors: [{ field: 'header.idempotency-key', reason: 'already used with another request' }],
      });
    case 'idempotency-in-progress':
      return new ApiProblem(409, (error as Error).message, {
        type: PROBLEM_TYPES.conflict,
        code: 'idempotency-in-progress',
        headers: { 'retry-after': '1' },
      });
  }
  if (name === 'ProvisionedThroughputExceededException' || name === 'ThrottlingException' || name === 'RequestLimitExceeded') {
    return new ApiProblem(429, 'The database is busy; retry shortly.', { type: PROBLEM_TYPES.throttled, headers: { 'retry-after': '1' } });
  }
  return null;
}
