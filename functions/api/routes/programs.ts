/**
 * Program versions: a program manager drafts a version, sees its problems, rewrites it, and publishes it.
 * Everyone signed in may read them; only a program manager writes. A published version never changes.
 */
import { createRoute } from '@hono/zod-openapi';
import {
  ProgramDraftBody,
  ProgramVersionList,
  ProgramVersionParams,
  ProgramVersionRef,
  ProgramVersionView,
} from '../../../shared/api/program-versions.js';
import type { FieldError } from '../../../shared/api/schemas.js';
import type { ProgramProblem } from '../../../shared/program/load-program.js';
import type { Actor } from '../../../shared/program/model.js';
import { validateProgram, type ProgramVersion } from '../../../shared/program/versions.js';
import { nextVersionNumber, publishDraft } from '../../../shared/programs/index.js';
import { StoreError } from '../../../shared/store/errors.js';
import { ApiProblem, PROBLEM_TYPES } from '../problem.js';
import { COMMON_ERRORS, forbidden, notFound, problem, router, security, type RouteContext } from './common.js';

/** A definition's problems as the request's fields: under `definition`. */
const atDefinition = (problems: readonly ProgramProblem[]): FieldError[] =>
  problems.map((p) => ({ field: p.field === '(program)' ? 'definition' : `definition.${p.field}`, reason: p.reason }));

/** The problems of a version's definition (none for a published version). */
function problemsOf(v: ProgramVersion): FieldError[] {
  if (v.status === 'published') return [];
  const checked = validateProgram(v.programId, v.definition);
  return checked.ok ? [] : atDefinition(checked.problems);
}

const view = (v: ProgramVersion): ProgramVersionView => ({ ...v, problems: problemsOf(v) });

function managerOnly(actor: Actor): void {
  if (actor.role !== 'program-manager') throw forbidden('Only a program manager drafts and publishes program versions.');
}

const versionNotFound = (programId: string, version: number) => notFound(`Program ${programId} has no version ${version}.`);
const published = (programId: string, version: number) =>
  new ApiProblem(409, `Version ${version} of ${programId} is published and cannot change; draft a new version.`, {
    type: PROBLEM_TYPES.conflict,
    code: 'version-published',
  });

const json = <T>(schema: T) => ({ 'application/json': { schema } });

export function programRoutes({ deps, now }: RouteContext) {
  const { store } = deps;
  const app = router();

  /** Writes a draft; a published version, or a number another draft just took, is a 409. */
  async function saveDraft(draft: ProgramVersion, create: boolean): Promise<void> {
    try {
      await store.saveProgramDraft(draft, { create });
    } catch (e) {
      if (!(e instanceof StoreError)) throw e;
      if (e.code === 'version-published') throw published(draft.programId, draft.version);
      throw new ApiProblem(409, `${e.message}; ask again.`, { type: PROBLEM_TYPES.conflict, code: e.code });
    }
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/programs/{programId}/versions',
      tags: ['programs'],
      summary: 'Every version of a program, oldest first, with the problems of each draft',
      security,
      request: { params: ProgramVersionParams },
      responses: { 200: { description: 'The versions', content: json(ProgramVersionList) }, ...COMMON_ERRORS },
    }),
    async (c) => {
      const { programId } = c.req.valid('param');
      const versions = await store.listProgramVersions(programId);
      return c.json({ items: versions.map(view) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/programs/{programId}/versions',
      tags: ['programs'],
      summary: 'A new draft, numbered after the latest version; it may have problems until it is published',
      security,
      request: { params: ProgramVersionParams, body: { required: true, content: json(ProgramDraftBody) } },
      responses: {
        201: { description: 'The draft', content: json(ProgramVersionView) },
        409: problem('Another draft took that number at the same time'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const actor = c.get('principal').actor;
      managerOnly(actor);
      const { programId } = c.req.valid('param');
      const { definition } = c.req.valid('json');
      const at = now().toISOString();
      const draft: ProgramVersion = {
        programId,
        version: await nextVersionNumber(store, programId),
        status: 'draft',
        definition,
        author: actor.sub,
        createdAt: at,
        updatedAt: at,
        publishedAt: null,
      };
      await saveDraft(draft, true);
      return c.json(view(draft), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/programs/{programId}/versions/{version}',
      tags: ['programs'],
      summary: 'One version, with its definition and, for a draft, its problems',
      security,
      request: { params: ProgramVersionRef },
      responses: {
        200: { description: 'The version', content: json(ProgramVersionView) },
        404: problem('No such version'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const { programId, version } = c.req.valid('param');
      const v = await store.getProgramVersion(programId, version);
      if (!v) throw versionNotFound(programId, version);
      return c.json(view(v), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/programs/{programId}/versions/{version}',
      tags: ['programs'],
      summary: 'Rewrites a draft (a published version never changes)',
      security,
      request: { params: ProgramVersionRef, body: { required: true, content: json(ProgramDraftBody) } },
      responses: {
        200: { description: 'The draft as stored, with its problems', content: json(ProgramVersionView) },
        404: problem('No such version'),
        409: problem('The version is published'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const actor = c.get('principal').actor;
      managerOnly(actor);
      const { programId, version } = c.req.valid('param');
      const { definition } = c.req.valid('json');
      const current = await store.getProgramVersion(programId, version);
      if (!current) throw versionNotFound(programId, version);
      if (current.status === 'published') throw published(programId, version);
      const draft: ProgramVersion = { ...current, definition, updatedAt: now().toISOString() };
      await saveDraft(draft, false);
      return c.json(view(draft), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/programs/{programId}/versions/{version}/publish',
      tags: ['programs'],
      summary: 'Publishes a draft that has no problem; otherwise names every problem and changes nothing',
      security,
      request: { params: ProgramVersionRef },
      responses: {
        200: { description: 'The published version', content: json(ProgramVersionView) },
        404: problem('No such version'),
        409: problem('The version is already published'),
        422: problem('The draft has problems: every one is listed in `errors`, at its field'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const actor = c.get('principal').actor;
      managerOnly(actor);
      const { programId, version } = c.req.valid('param');
      const outcome = await publishDraft(store, programId, version, actor, now());
      if (outcome.ok) return c.json(view(outcome.version), 200);
      if (outcome.reason === 'not-found') throw versionNotFound(programId, version);
      if (outcome.reason === 'not-draft') throw published(programId, version);
      const errors = atDefinition(outcome.problems);
      throw new ApiProblem(422, `Version ${version} of ${programId} has ${errors.length} problem(s); nothing was published.`, {
        type: PROBLEM_TYPES.validation,
        title: 'The program cannot be published',
        code: 'invalid-program',
        errors,
      });
    },
  );

  return app;
}
