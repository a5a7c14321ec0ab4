/**
 * School profiles after import: edit a profile at its version (a change that moves a milestone's dates
 * re-plans the school's open milestones and reaches their running workflows), archive a school that
 * closed or merged into another (its open milestones are waived; its history stays), update many
 * profiles from a CSV file after a dry run that shows every change row by row, and read the audit.
 */
import { createRoute, z } from '@hono/zod-openapi';
import {
  AdminHistoryPage,
  AdminHistoryQuery,
  ArchiveRequest,
  ProfileResult,
  SchoolProfilePatch,
  SchoolUpdatePreview,
  SchoolUpdateQuery,
} from '../../../shared/api/administration.js';
import { SchoolParams } from '../../../shared/api/schemas.js';
import { canRead, isTerminal, mayAdminister, profileChanges, rejection, replansFor } from '../../../shared/domain/index.js';
import { School, type Actor, type AdminEvent, type MilestoneState } from '../../../shared/program/model.js';
import { parseSchoolsCsv } from '../../../shared/region/csv-import.js';
import type { SchoolRecord } from '../../../shared/store/index.js';
import { ApiProblem, PROBLEM_TYPES, validationProblem } from '../problem.js';
import { mapLimit } from '../../../shared/map-limit.js';
import { milestoneStates, toView } from '../views.js';
import { outcomeProblem } from './commands.js';
import {
  COMMON_ERRORS,
  IfMatch,
  csvBody,
  csvProblem,
  parseIfMatch,
  problem,
  refuse,
  router,
  security,
  type RouteContext,
} from './common.js';

export function schoolProfileRoutes({ deps, reads, commands, programs, log, now }: RouteContext) {
  const { store } = deps;
  const app = router();

  /** The school at the version the caller read (If-Match), or a 409 that carries the current one. */
  async function loadAt(schoolId: string, ifMatch: string | undefined): Promise<SchoolRecord> {
    const record = await reads.loadSchool(schoolId);
    const expected = parseIfMatch(ifMatch);
    if (expected !== undefined && expected !== record.version) {
      throw new ApiProblem(409, `the profile of school ${schoolId} is at version ${record.version}, not ${expected}`, {
        type: PROBLEM_TYPES.versionConflict,
        code: 'version-conflict',
        headers: { etag: `"${record.version}"` },
      });
    }
    if (record.school.archived) refuse(rejection('not-allowed', `school ${schoolId} was archived on ${record.school.archived.on}`));
    return record;
  }

  /**
   * Writes the new profile with its audit event, then runs the re-plans it implies as the actor (each a
   * milestone command, signalled to the school's workflow). A re-plan that is refused is logged: the
   * profile stands, and the milestone keeps its dates until someone reschedules it.
   */
  async function saveProfile(actor: Actor, record: SchoolRecord, after: School, type: AdminEvent['type'], reason?: string) {
    const changes = profileChanges(record.school, after);
    const version = record.version + 1;
    const event: AdminEvent = {
      subject: { type: 'school', id: after.id },
      type,
      at: now().toISOString(),
      actor,
      version,
      changes,
      ...(reason ? { reason } : {}),
    };
    await store.updateSchoolProfile(after, record.version, event);
    reads.remember(after);
    const states = Object.fromEntries(record.milestones.map((m) => [m.state.key, m.state]));
    const changed: MilestoneState[] = [];
    // The re-plans of the program version the school follows.
    const program = await programs.forSchool(record.school);
    for (const r of replansFor(program, record.school, after, states)) {
      const { outcome } = await commands.execute({ schoolId: after.id, milestone: r.milestone, command: r.command, actor });
      if (outcome.ok) changed.push(outcome.state);
      else
        log('warn', 're-plan after a profile change refused', {
          schoolId: after.id,
          milestone: r.milestone,
          code: outcome.code,
          message: outcome.message,
        });
    }
    return { school: after, version, changes, milestones: changed.map((s) => toView(program, s, now())) };
  }

  function checkDistrict(district: string, field: string): void {
    if (!deps.districts.some((d) => d.id === district)) throw validationProblem([{ field, reason: `unknown district ${district}` }]);
  }

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/schools/{schoolId}',
      tags: ['schools'],
      summary: "Edit a school's profile (name, district, urban/rural, planned kit, teachers, pupils, cohort year)",
      description:
        'Send If-Match with the profile version read (the ETag of GET /api/schools/{schoolId}); another version is a 409. ' +
        'A change that moves milestone dates (the cohort year) re-plans the open milestones, and their workflows follow the new deadlines. ' +
        'Program managers; district coordinators for schools of their district (and not out of it).',
      security,
      request: {
        params: SchoolParams,
        headers: z.object({ 'if-match': IfMatch }),
        body: { content: { 'application/json': { schema: SchoolProfilePatch } }, required: true },
      },
      responses: {
        200: {
          description: 'The profile after the change (ETag: its version) and the re-planned milestones',
          content: { 'application/json': { schema: ProfileResult } },
        },
        404: problem('No such school'),
        409: problem('Another profile version, or an archived school'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const actor = c.get('principal').actor;
      const { schoolId } = c.req.valid('param');
      const patch = c.req.valid('json');
      const record = await reads.loadSchool(schoolId);
      refuse(
        mayAdminister(actor, {
          kind: 'school-profile',
          districts: [...new Set([record.school.district, patch.district ?? record.school.district])],
        }),
      );
      const current = await loadAt(schoolId, c.req.valid('header')['if-match']);
      if (patch.district !== undefined) checkDistrict(patch.district, 'body.district');
      const { students, ...rest } = patch;
      const { students: _old, ...base } = current.school;
      const after = School.parse({ ...base, ...rest, ...(students === null ? {} : { students: students ?? current.school.students }) });
      if (profileChanges(current.school, after).length === 0) {
        c.header('etag', `"${current.version}"`);
        return c.json({ school: current.school, version: current.version, changes: [], milestones: [] }, 200);
      }
      const result = await saveProfile(actor, current, after, 'updated');
      c.header('etag', `"${result.version}"`);
      return c.json(result, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/schools/{schoolId}/archive',
      tags: ['schools'],
      summary: 'Archive a school that closed or merged into another',
      description:
        'Its history stays readable; its open milestones are waived with the reason; from the archive date it leaves the denominators of the progress report and the targets. Program managers only; If-Match as for an edit.',
      security,
      request: {
        params: SchoolParams,
        headers: z.object({ 'if-match': IfMatch }),
        body: { content: { 'application/json': { schema: ArchiveRequest } }, required: true },
      },
      responses: {
        200: { description: 'The archived profile and the waived milestones', content: { 'application/json': { schema: ProfileResult } } },
        404: problem('No such school'),
        409: problem('Already archived, or another profile version'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const actor = c.get('principal').actor;
      refuse(mayAdminister(actor, { kind: 'school-archive' }));
      const { schoolId } = c.req.valid('param');
      const archive = c.req.valid('json');
      const record = await loadAt(schoolId, c.req.valid('header')['if-match']);
      let into: School | null = null;
      if (archive.mergedInto !== undefined) {
        if (archive.mergedInto === schoolId)
          throw validationProblem([{ field: 'body.mergedInto', reason: 'a school cannot merge into itself' }]);
        into = (await store.getSchool(archive.mergedInto))?.school ?? null;
        if (!into || into.archived) throw validationProblem([{ field: 'body.mergedInto', reason: `no open school ${archive.mergedInto}` }]);
      }
      const reason = into ? `Школа присоединена к «${into.name}» с ${archive.on}` : `Школа закрыта с ${archive.on}`;
      const result = await saveProfile(actor, record, { ...record.school, archived: archive }, 'archived', reason);
      const waived: MilestoneState[] = [];
      const program = await programs.forSchool(record.school);
      for (const state of milestoneStates(program, record, now()).filter((s) => !isTerminal(s))) {
        const { outcome } = await commands.execute({ schoolId, milestone: state.key, command: { type: 'waive', reason }, actor });
        if (!outcome.ok) throw outcomeProblem(outcome);
        waived.push(outcome.state);
      }
      c.header('etag', `"${result.version}"`);
      return c.json({ ...result, milestones: waived.map((s) => toView(program, s, now())) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/schools/{schoolId}/profile-history',
      tags: ['schools'],
      summary: "Every change to a school's profile, newest first",
      security,
      request: { params: SchoolParams, query: AdminHistoryQuery },
      responses: {
        200: { description: 'A page of changes', content: { 'application/json': { schema: AdminHistoryPage } } },
        404: problem('No such school'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const { schoolId } = c.req.valid('param');
      const { limit, cursor } = c.req.valid('query');
      const record = await reads.loadSchool(schoolId);
      refuse(
        canRead(c.get('principal').actor, {
          kind: 'school',
          school: record.school,
          assignees: record.milestones.map((m) => m.state.assignee),
        }),
      );
      const page = await store.adminHistory({ type: 'school', id: schoolId }, { limit, cursor: cursor ?? null });
      return c.json({ items: page.items, nextCursor: page.cursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/imports/schools/updates',
      tags: ['imports'],
      summary: 'Update existing school profiles from a CSV file (the schools import format); a dry run by default',
      description:
        'With dryRun=true (the default) nothing is written: the answer lists, row by row, the fields that would change and the milestones that would be re-planned. ' +
        'With dryRun=false the same changes are written (each profile with its audit event and re-plans). A file with any bad row changes nothing.',
      security,
      request: {
        query: SchoolUpdateQuery,
        body: {
          content: { 'text/csv': { schema: z.string().describe('UTF-8 CSV, header line first, "," or ";" separated') } },
          required: true,
        },
      },
      responses: {
        200: { description: 'The changes, row by row', content: { 'application/json': { schema: SchoolUpdatePreview } } },
        415: problem('Not text/csv'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const actor = c.get('principal').actor;
      refuse(mayAdminister(actor, { kind: 'school-import' }));
      const { dryRun } = c.req.valid('query');
      const text = await csvBody(c.req);
      const existing = await reads.allSchools();
      const parsed = parseSchoolsCsv(text, { districts: deps.districts, existingIds: existing.map((s) => s.id), updates: true });
      if (!parsed.ok) throw csvProblem(parsed.errors, dryRun ? 'checked' : 'updated');
      const records = await mapLimit(parsed.schools, 8, (s) => reads.loadSchool(s.id));
      const archived = records.flatMap((r, i) =>
        r.school.archived ? [{ line: parsed.lines[i]!, column: 'id', reason: `school ${r.school.id} is archived` }] : [],
      );
      if (archived.length > 0) throw csvProblem(archived, dryRun ? 'checked' : 'updated');
      // A row updates the profile, not the program version the school follows (a migration moves that).
      const updates = parsed.schools.map((s, i) => keepProgramVersion(records[i]!.school, s));
      const catalog = await programs.catalog();
      const rows = updates.map((after, i) => {
        const record = records[i]!;
        const program = catalog.of(record.school);
        const states = Object.fromEntries(record.milestones.map((m) => [m.state.key, m.state]));
        return {
          line: parsed.lines[i]!,
          schoolId: after.id,
          changes: profileChanges(record.school, after),
          replans: replansFor(program, record.school, after, states).map((r) => ({
            milestone: r.milestone,
            plannedStart: r.command.plannedStart,
            deadline: r.command.deadline,
            deadlineBefore: states[r.milestone]!.deadline,
          })),
        };
      });
      let updated = 0;
      if (!dryRun) {
        for (const [i, row] of rows.entries()) {
          if (row.changes.length === 0) continue;
          await saveProfile(actor, records[i]!, updates[i]!, 'imported', 'CSV');
          updated++;
        }
      }
      return c.json({ dryRun, rows: rows.filter((r) => r.changes.length > 0), updated }, 200);
    },
  );

  return app;
}

/** The updated profile with the program version of the stored one. */
function keepProgramVersion(stored: School, updated: School): School {
  const { programVersion: _dropped, ...rest } = updated;
  return stored.programVersion === undefined ? rest : { ...rest, programVersion: stored.programVersion };
}
