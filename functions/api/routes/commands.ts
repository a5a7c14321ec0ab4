/** Commands on one milestone of one school: each a thin adapter over the command service. */
import { createRoute, z } from '@hono/zod-openapi';
import { CommandResult } from '../../../shared/api/schemas.js';
import { type CommandOutcome, type Rejected } from '../../../shared/commands/execute.js';
import { CommandBody, CommandType, Id, MilestoneKey, type Command } from '../../../shared/program/model.js';
import { ApiProblem, PROBLEM_TYPES } from '../problem.js';
import { toView } from '../views.js';
import { COMMON_ERRORS, IdempotencyKey, IfMatch, parseIfMatch, problem, router, security, type RouteContext } from './common.js';

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
  signoff:
    'Whoever the program asks to sign a submission off, in its order (school staff: the connection works at the school, with the bandwidth measured there; the equipment arrived). Acceptance waits for every sign-off (409 before).',
  replan: 'Not a route: a profile change re-plans the milestones (PATCH /api/schools/{schoolId}).',
};

/** The commands a caller sends; `replan` follows from a profile change, never from a request of its own. */
export const HTTP_COMMANDS = CommandType.options.filter((c): c is Exclude<CommandType, 'replan'> => c !== 'replan');

const BODY_REQUIRED: ReadonlySet<CommandType> = new Set(['submit', 'reject', 'hold', 'waive', 'reassign', 'reschedule']);

export function commandRoutes({ deps, commands, now }: RouteContext) {
  const { program } = deps;
  const app = router();
  for (const action of HTTP_COMMANDS) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/schools/{schoolId}/milestones/{milestone}/${action}`,
        tags: ['commands'],
        summary: `${action[0]!.toUpperCase()}${action.slice(1)} a milestone`,
        description: COMMAND_DOCS[action],
        security,
        request: {
          params: z.object({ schoolId: Id, milestone: MilestoneKey }).strict(),
          headers: z.object({ 'idempotency-key': IdempotencyKey, 'if-match': IfMatch }),
          body: { content: { 'application/json': { schema: CommandBody[action] } }, required: BODY_REQUIRED.has(action) },
        },
        responses: {
          200: {
            description: 'The milestone after the command (ETag: its version)',
            content: { 'application/json': { schema: CommandResult } },
          },
          404: problem('No such school, or the milestone is not part of the program'),
          409: problem(
            'The milestone is not in a status that allows this, a dependency is not done, or its version is not the If-Match one',
          ),
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
        const { outcome } = await commands.execute({
          schoolId,
          milestone,
          command: { type: action, ...body } as Command,
          actor: p.actor,
          ...(headers['idempotency-key'] ? { idempotencyKey: headers['idempotency-key'] } : {}),
          ...(expectedVersion !== undefined ? { expectedVersion } : {}),
        });
        // Committed with its workflow signal, which the stream-fed dispatcher delivers after this answer.
        if (!outcome.ok) throw outcomeProblem(outcome);
        c.header('etag', `"${outcome.state.version}"`);
        if (outcome.replayed) c.header('idempotent-replayed', 'true');
        return c.json({ milestone: toView(program, outcome.state, now()), events: outcome.events }, 200);
      },
    );
  }
  return app;
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

export function outcomeProblem(outcome: Extract<CommandOutcome, { ok: false }>): ApiProblem {
  // Dependencies and attached documents are not part of the body: their fields are named as they are.
  const errors = outcome.issues.map((i) => ({
    field: /^(dependsOn|documents)\./.test(i.field) ? i.field : `body.${i.field}`,
    reason: i.message,
  }));
  return new ApiProblem(outcome.status, outcome.message, {
    type: OUTCOME_TYPE[outcome.code],
    code: outcome.code,
    ...(errors.length ? { errors } : {}),
    ...(outcome.code === 'version-conflict' && typeof outcome.currentVersion === 'number'
      ? { headers: { etag: `"${outcome.currentVersion}"` } }
      : {}),
  });
}
