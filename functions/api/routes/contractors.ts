/**
 * The contractor register: list, create, edit, deactivate (with its open work reassigned in the same
 * request) and reactivate contractors and their contracts, import them from CSV (all or nothing), and
 * read the audit of every change. Program managers change it; coordinators and viewers read it.
 */
import { createRoute, z } from '@hono/zod-openapi';
import {
  AdminHistoryPage,
  AdminHistoryQuery,
  ContractorEdit,
  ContractorImportResult,
  ContractorInput,
  ContractorList,
  ContractorParams,
  ContractorView,
  DeactivateRequest,
  DeactivateResult,
} from '../../../shared/api/administration.js';
import { canRead, contractorIssues, decideDeactivation, mayAdminister, rejection, type OpenWork } from '../../../shared/domain/index.js';
import { localDate } from '../../../shared/calendar.js';
import type { Actor, AdminEvent, Contractor, MilestoneState } from '../../../shared/program/model.js';
import { parseContractorsCsv } from '../../../shared/region/contractors-csv.js';
import { MAX_CONTRACTOR_CHANGES, type ContractorRecord } from '../../../shared/store/index.js';
import { ApiProblem, PROBLEM_TYPES, validationProblem } from '../problem.js';
import { outcomeProblem } from './commands.js';
import {
  COMMON_ERRORS,
  IfMatch,
  csvBody,
  csvProblem,
  notFound,
  parseIfMatch,
  problem,
  refuse,
  rejectionProblem,
  router,
  security,
  type RouteContext,
} from './common.js';

const ETagged = { headers: z.object({ 'if-match': IfMatch }) };
const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } }, required: true });

export function contractorRoutes({ deps, reads, commands, now }: RouteContext) {
  const { store, program } = deps;
  const districtIds = deps.districts.map((d) => d.id);
  const app = router();

  /** The record, or 404; with If-Match, 409 unless it is at that version. */
  async function load(id: string, ifMatch?: string): Promise<ContractorRecord> {
    const record = await store.getContractorRecord(id);
    if (!record) throw notFound(`No contractor ${id}.`);
    const expected = parseIfMatch(ifMatch);
    if (expected !== undefined && expected !== record.version) {
      throw new ApiProblem(409, `contractor ${id} is at version ${record.version}, not ${expected}`, {
        type: PROBLEM_TYPES.versionConflict,
        code: 'version-conflict',
        headers: { etag: `"${record.version}"` },
      });
    }
    return record;
  }

  function checked(contractor: Contractor): Contractor {
    const issues = contractorIssues(contractor, program, districtIds);
    if (issues.length > 0) throw validationProblem(issues.map((i) => ({ field: `body.${i.field}`, reason: i.message })));
    return contractor;
  }

  function event(
    actor: Actor,
    contractor: Contractor,
    version: number,
    type: AdminEvent['type'],
    before: Contractor | null,
    reason?: string,
  ): AdminEvent {
    const fields = ['name', 'kind', 'districts', 'emails', 'active', 'contracts'] as const;
    const changes = fields
      .filter((f) => before === null || JSON.stringify(before[f]) !== JSON.stringify(contractor[f]))
      .map((field) => ({ field, from: before ? before[field] : null, to: contractor[field] }));
    return {
      subject: { type: 'contractor', id: contractor.id },
      type,
      at: now().toISOString(),
      actor,
      version,
      changes,
      ...(reason ? { reason } : {}),
    };
  }

  /** The contractor's open work, with each school's profile. */
  async function openWork(id: string): Promise<OpenWork[]> {
    const states: MilestoneState[] = [];
    let cursor: string | null = null;
    do {
      const page = await store.listAssignments(id, { limit: 1000, cursor });
      states.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    const schools = await reads.profiles(states.map((s) => s.schoolId));
    return states.flatMap((s) => (schools.has(s.schoolId) ? [{ school: schools.get(s.schoolId)!, milestone: s.key }] : []));
  }

  const view = (r: ContractorRecord, c?: { header(name: string, value: string): void }) => {
    c?.header('etag', `"${r.version}"`);
    return r;
  };

  /** The contractor's next version, written at the current one with the audit of the change. */
  async function save(
    actor: Actor,
    record: ContractorRecord,
    contractor: Contractor,
    type: AdminEvent['type'],
    reason?: string,
  ): Promise<ContractorRecord> {
    const version = record.version + 1;
    await store.saveContractors([
      { contractor, expectedVersion: record.version, event: event(actor, contractor, version, type, record.contractor, reason) },
    ]);
    return { contractor, version };
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/contractors',
      tags: ['contractors'],
      summary: 'Every contractor with its contracts and version',
      security,
      responses: { 200: { description: 'The register', content: { 'application/json': { schema: ContractorList } } }, ...COMMON_ERRORS },
    }),
    async (c) => {
      refuse(canRead(c.get('principal').actor, { kind: 'contractors' }));
      return c.json({ items: await store.listContractorRecords() }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/contractors',
      tags: ['contractors'],
      summary: 'Register a contractor with its contracts',
      security,
      request: { body: json(ContractorInput) },
      responses: {
        201: { description: 'Registered (ETag: version 1)', content: { 'application/json': { schema: ContractorView } } },
        409: problem('The id is taken'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const actor = c.get('principal').actor;
      refuse(mayAdminister(actor, { kind: 'contractors' }));
      const contractor: Contractor = checked({ ...c.req.valid('json'), active: true });
      await store.saveContractors([{ contractor, expectedVersion: 0, event: event(actor, contractor, 1, 'created', null) }]);
      c.header('location', `/api/contractors/${contractor.id}`);
      return c.json(view({ contractor, version: 1 }, c), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/contractors/{contractorId}',
      tags: ['contractors'],
      summary: 'One contractor, its contracts, and how much open work it holds',
      security,
      request: { params: ContractorParams },
      responses: {
        200: { description: 'The contractor (ETag: its version)', content: { 'application/json': { schema: ContractorView } } },
        404: problem('No such contractor'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      refuse(canRead(c.get('principal').actor, { kind: 'contractors' }));
      const record = await load(c.req.valid('param').contractorId);
      return c.json({ ...view(record, c), openWork: (await openWork(record.contractor.id)).length }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/contractors/{contractorId}',
      tags: ['contractors'],
      summary: "Change a contractor's name, kind, districts, e-mails and contracts",
      description: 'Send If-Match with the version read; another version is a 409.',
      security,
      request: { params: ContractorParams, ...ETagged, body: json(ContractorEdit) },
      responses: {
        200: { description: 'Changed', content: { 'application/json': { schema: ContractorView } } },
        404: problem('No such contractor'),
        409: problem('Another version'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const actor = c.get('principal').actor;
      refuse(mayAdminister(actor, { kind: 'contractors' }));
      const record = await load(c.req.valid('param').contractorId, c.req.valid('header')['if-match']);
      const saved = await save(actor, record, checked({ ...record.contractor, ...c.req.valid('json') }), 'updated');
      return c.json(view(saved, c), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/contractors/{contractorId}/deactivate',
      tags: ['contractors'],
      summary: 'Deactivate a contractor; its open work must be reassigned in the same request',
      description:
        'Refused with 409 and the list of the open work (errors[].reason: school/milestone) while any of it would stay with the contractor. ' +
        '`reassign` names where pieces go, `reassignRestTo` where the rest goes; each target must be an active contractor under contract for the school.',
      security,
      request: { params: ContractorParams, ...ETagged, body: json(DeactivateRequest) },
      responses: {
        200: { description: 'Deactivated, after its work was reassigned', content: { 'application/json': { schema: DeactivateResult } } },
        404: problem('No such contractor'),
        409: problem('Open work left with the contractor, already inactive, or another version'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const actor = c.get('principal').actor;
      refuse(mayAdminister(actor, { kind: 'contractors' }));
      const body = c.req.valid('json');
      const record = await load(c.req.valid('param').contractorId, c.req.valid('header')['if-match']);
      const decision = decideDeactivation({
        program,
        contractors: await store.listContractors(),
        contractor: record.contractor,
        openWork: await openWork(record.contractor.id),
        reassign: body.reassign,
        reassignRestTo: body.reassignRestTo,
        on: localDate(now(), program.timeZone),
      });
      if (!decision.ok) throw rejectionProblem(decision.rejection);
      for (const r of decision.reassignments) {
        const { outcome } = await commands.execute({
          schoolId: r.schoolId,
          milestone: r.milestone,
          command: { type: 'reassign', contractor: r.contractor, reason: body.reason },
          actor,
        });
        if (!outcome.ok) throw outcomeProblem(outcome);
      }
      // Work that reached the contractor while the reassignments ran keeps it active.
      const left = await openWork(record.contractor.id);
      if (left.length > 0)
        refuse(
          rejection(
            'not-allowed',
            `${record.contractor.id} was given new work meanwhile: ${left.map((w) => `${w.school.id}/${w.milestone}`).join(', ')}`,
          ),
        );
      const saved = await save(actor, record, { ...record.contractor, active: false }, 'deactivated', body.reason);
      return c.json({ contractor: view(saved, c), reassigned: decision.reassignments }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/contractors/{contractorId}/reactivate',
      tags: ['contractors'],
      summary: 'Make an inactive contractor assignable again',
      security,
      request: { params: ContractorParams, ...ETagged },
      responses: {
        200: { description: 'Active again', content: { 'application/json': { schema: ContractorView } } },
        404: problem('No such contractor'),
        409: problem('Already active, or another version'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const actor = c.get('principal').actor;
      refuse(mayAdminister(actor, { kind: 'contractors' }));
      const record = await load(c.req.valid('param').contractorId, c.req.valid('header')['if-match']);
      if (record.contractor.active) refuse(rejection('not-allowed', `${record.contractor.id} is active`));
      return c.json(view(await save(actor, record, { ...record.contractor, active: true }, 'reactivated'), c), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/contractors/{contractorId}/history',
      tags: ['contractors'],
      summary: "Every change to a contractor's record, newest first",
      security,
      request: { params: ContractorParams, query: AdminHistoryQuery },
      responses: {
        200: { description: 'A page of changes', content: { 'application/json': { schema: AdminHistoryPage } } },
        404: problem('No such contractor'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      refuse(canRead(c.get('principal').actor, { kind: 'contractors' }));
      const { contractorId } = c.req.valid('param');
      const { limit, cursor } = c.req.valid('query');
      await load(contractorId);
      const page = await store.adminHistory({ type: 'contractor', id: contractorId }, { limit, cursor: cursor ?? null });
      return c.json({ items: page.items, nextCursor: page.cursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/imports/contractors',
      tags: ['imports'],
      summary: 'Register contractors and their contracts from a CSV file, all or nothing',
      description: `One row per contract; every bad row is listed (line, column, reason) and nothing is written. At most ${MAX_CONTRACTOR_CHANGES} contractors a file.`,
      security,
      request: { body: { content: { 'text/csv': { schema: z.string().describe('UTF-8 CSV, header line first') } }, required: true } },
      responses: {
        201: { description: 'Registered', content: { 'application/json': { schema: ContractorImportResult } } },
        415: problem('Not text/csv'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const actor = c.get('principal').actor;
      refuse(mayAdminister(actor, { kind: 'contractors' }));
      const text = await csvBody(c.req);
      const existing = await store.listContractors();
      const parsed = parseContractorsCsv(text, {
        districts: deps.districts,
        existingIds: existing.map((x) => x.id),
        check: (x) => contractorIssues(x, program, districtIds),
        max: MAX_CONTRACTOR_CHANGES,
      });
      if (!parsed.ok) throw csvProblem(parsed.errors);
      await store.saveContractors(
        parsed.contractors.map((x) => ({ contractor: x, expectedVersion: 0, event: event(actor, x, 1, 'imported', null) })),
      );
      return c.json({ imported: parsed.contractors.length, contractorIds: parsed.contractors.map((x) => x.id) }, 201);
    },
  );

  return app;
}
