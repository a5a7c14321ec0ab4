/**
 * Generated requests (fast-check) across every route of the OpenAPI document and every kind of caller,
 * judged by a model of what each role may do: no answer is a 5xx, a request the model forbids is never
 * answered 2xx, every refusal is an RFC 9457 problem, and a refused request leaves every item of the
 * table as it was. `npm run fuzz` runs 10,000 requests (FUZZ_REQUESTS); `npm test` a few hundred.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Job } from '../../shared/api/schemas.js';
import { schoolsToCsv } from '../../shared/region/csv-import.js';
import { REFERENCE_PROGRAM_ID } from '../../shared/programs/index.js';
import type { School } from '../../shared/program/model.js';
import { CALLERS, startApi, type ApiFixture, type Caller } from './helpers.js';

const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 300);
const MILESTONES = ['connection', 'equipment', 'training', 'onboarding'] as const;

let api: ApiFixture;
/** Every route of the document: method and path template. */
let routes: { method: string; path: string }[] = [];
let managerJob = '';
let otherSchool: School;
/** Each school's district as the fuzz's accepted profile edits leave it (a coordinator's scope follows it). */
const districtOf = new Map<string, string>();
/** A contractor the fuzz may register (the register refuses a second one with its id). */
const NEW_CONTRACTOR = 'fz-provider';

beforeAll(async () => {
  api = await startApi('fuzz', { rateLimit: false });
  const doc = (await api.request('GET', '/openapi.json', { token: null })).json as { paths: Record<string, Record<string, unknown>> };
  routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })));
  otherSchool = api.otherSchool;
  districtOf.set(api.school.id, api.school.district).set(otherSchool.id, otherSchool.district);
  const job = await api.request('POST', '/api/bulk/reschedule', {
    body: { milestone: 'training', filter: { schoolIds: [otherSchool.id] }, body: { deadline: '2031-06-30', reason: 'Перенос' } },
  });
  managerJob = Job.parse(job.json).id;
  await settle();
}, 120_000);
afterAll(async () => {
  await api?.stop();
});

/** Waits until nothing runs in the background (jobs, streams, workflows), so that the table is still. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await api.stack.idle();
    await api.stack.events.drain();
    await api.stack.runtime.idle();
  }
}

interface Request {
  caller: Caller;
  method: string;
  route: string;
  path: string;
  body?: unknown;
  raw?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

const schoolIds = () => fc.constantFrom(api.school.id, otherSchool.id, 'no-such-school');
const contractorIds = () => fc.constantFrom(api.contractorOrg, api.otherOrg, NEW_CONTRACTOR, 'no-such-contractor');
const milestone = fc.constantFrom(...MILESTONES, 'no-such-milestone');
const reason = fc.constantFrom('Проверка', 'Ремонт здания', '', 'x'.repeat(600));
const date = fc.constantFrom('2031-06-30', '2020-01-01', '2024-02-30', 'soon');

/** A body for each command: plausible most of the time, sometimes wrong. */
function commandBody(action: string): fc.Arbitrary<unknown> {
  const plausible: Record<string, fc.Arbitrary<unknown>> = {
    start: fc.record({ assignee: fc.constantFrom(api.contractorOrg, api.otherOrg, 'nobody') }, { requiredKeys: [] }),
    submit: fc.record({
      evidence: fc.constantFrom({ kind: 'connection', actNumber: 'A-1', actDate: '2021-03-01', bandwidthMbps: 100 }, { kind: 'training' }),
    }),
    accept: fc.record({ note: fc.constantFrom('ok', 'n'.repeat(3000)) }, { requiredKeys: [] }),
    reject: fc.record({ reason }),
    hold: fc.record({ reason }),
    resume: fc.constant({}),
    waive: fc.record({ reason }),
    reassign: fc.record(
      { contractor: fc.constantFrom(api.contractorOrg, api.otherOrg, 'nobody'), reason },
      { requiredKeys: ['contractor'] },
    ),
    reschedule: fc.record({ deadline: date, reason }),
    signoff: fc.record(
      { measuredMbps: fc.constantFrom(100, 5, -1), note: fc.constantFrom('Скорость измерена', 'n'.repeat(3000)) },
      { requiredKeys: [] },
    ),
  };
  return fc.oneof({ weight: 4, arbitrary: plausible[action] ?? fc.constant({}) }, { weight: 1, arbitrary: fc.jsonValue() });
}

/** A contractor's record: registrable (a contract for the school's district) most of the time, sometimes wrong. */
function contractorBody(withId: boolean): fc.Arbitrary<unknown> {
  const plausible = fc.record({
    name: fc.constantFrom('ООО «Связь-Фузз»', ''),
    kind: fc.constantFrom('internet-provider', 'equipment-supplier', 'school'),
    districts: fc.constantFrom([], [api.school.district], ['no-such-district']),
    emails: fc.constantFrom([], ['noc@example.org'], ['not-an-email']),
    contracts: fc.constantFrom(
      [],
      [
        {
          number: 'FZ-1',
          date: '2021-01-01',
          milestone: 'connection',
          districts: [api.school.district],
          schools: [],
          endDate: '2030-12-31',
        },
      ],
      [{ number: 'FZ-2', date: '2021-01-01', milestone: 'training', districts: [], schools: [], endDate: '2020-12-31' }],
    ),
  });
  const body = withId ? plausible.map((b) => ({ id: NEW_CONTRACTOR, ...b })) : plausible;
  return fc.oneof({ weight: 4, arbitrary: body }, { weight: 1, arbitrary: fc.jsonValue() });
}

/** A profile edit: a field or two changed, sometimes out of the caller's district or malformed. */
function profilePatch(): fc.Arbitrary<unknown> {
  const plausible = fc.record(
    {
      name: fc.constantFrom('Школа № 1 (фузз)', ''),
      cohortYear: fc.constantFrom(2022, 2024, 2030),
      district: fc.constantFrom(api.school.district, api.otherDistrict, 'no-such-district'),
      students: fc.constantFrom(null, 300, -5),
    },
    { requiredKeys: [] },
  );
  return fc.oneof({ weight: 4, arbitrary: plausible }, { weight: 1, arbitrary: fc.jsonValue() });
}

/** An archive: mostly malformed (a merged school with no target, a target that does not exist), sometimes one that passes. */
const archiveBody = fc.constantFrom<unknown>(
  { on: '2024-09-01', reason: 'merged' },
  { on: '2024-09-01', reason: 'merged', mergedInto: 'no-such-school' },
  { on: 'soon', reason: 'closed' },
  { on: '2024-09-01', reason: 'closed' },
);

/** Contractors as CSV (the register's import format): a new one, or one whose id exists. */
function contractorsCsv(): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom('fz-import', api.contractorOrg), fc.nat(1_000_000), fc.constantFrom('connection', 'equipment'))
    .map(([id, n, milestone]) =>
      [
        'id,name,kind,districts,emails,contract_number,contract_date,contract_milestone,contract_districts,contract_schools,contract_end',
        `${id === 'fz-import' ? `fz-import-${n}` : id},ООО «Импорт»,internet-provider,${api.school.district},,IM-${n},2021-01-01,${milestone},${api.school.district},,2030-12-31`,
      ].join('\n'),
    );
}

function requestFor(route: { method: string; path: string }): fc.Arbitrary<Omit<Request, 'caller'>> {
  const action = /\/(?:milestones\/\{milestone\}|bulk)\/(\w+)$/.exec(route.path)?.[1];
  const fill = (school: string, key: string, job: string, contractor: string) =>
    route.path
      .replace('{schoolId}', encodeURIComponent(school))
      .replace('{milestone}', encodeURIComponent(key))
      .replace('{jobId}', encodeURIComponent(job))
      .replace('{contractorId}', encodeURIComponent(contractor))
      .replace('{uploadId}', 'no-such-upload')
      .replace('{documentId}', 'no-such-document');
  const query =
    route.path === '/api/imports/schools/updates'
      ? fc.constantFrom('', '?dryRun=true', '?dryRun=false', '?dryRun=maybe')
      : fc.constantFrom('', '?limit=2', '?limit=0', '?asOf=2030-01-01', '?cursor=zzz', '?district=tarsky');
  const path = fc
    .tuple(schoolIds(), milestone, fc.constantFrom(managerJob, 'job-missing'), contractorIds(), query)
    .map(([s, k, j, c, q]) => fill(s, k, j, c) + (route.method === 'GET' || route.path === '/api/imports/schools/updates' ? q : ''));
  const base = { method: fc.constant(route.method), route: fc.constant(`${route.method} ${route.path}`), path };
  const versioned = fc.constantFrom<Record<string, string>>({}, { 'if-match': '"0"' }, { 'if-match': '"1"' }, { 'if-match': 'nonsense' });
  if (route.path === '/api/imports/schools' || route.path === '/api/imports/schools/updates') {
    // New schools, or (for updates) the known ones with a profile field changed.
    const school = fc
      .tuple(fc.constantFrom<School | 'fz'>(api.school, otherSchool, 'fz'), fc.nat(1_000_000), fc.constantFrom(2021, 2023))
      .map(([known, n, cohortYear]): School => (known === 'fz' ? { ...api.school, id: `fz-${n}` } : { ...known, cohortYear }));
    return fc.record({
      ...base,
      raw: fc.array(school, { minLength: 1, maxLength: 2 }).map((s) => schoolsToCsv(s)),
      contentType: fc.constantFrom('text/csv', 'application/json'),
    });
  }
  if (route.path === '/api/imports/contractors')
    return fc.record({ ...base, raw: contractorsCsv(), contentType: fc.constantFrom('text/csv', 'application/json') });
  if (route.path === '/api/contractors' && route.method === 'POST') return fc.record({ ...base, body: contractorBody(true) });
  if (route.path === '/api/contractors/{contractorId}' && route.method === 'PUT')
    return fc.record({ ...base, body: contractorBody(false), headers: versioned });
  if (route.path === '/api/contractors/{contractorId}/deactivate') {
    const body = fc.record(
      { reason: reason, reassignRestTo: fc.constantFrom(api.contractorOrg, api.otherOrg, 'nobody') },
      { requiredKeys: ['reason'] },
    );
    return fc.record({ ...base, body, headers: versioned });
  }
  if (route.path === '/api/contractors/{contractorId}/reactivate') return fc.record({ ...base, headers: versioned });
  if (route.path.endsWith('/documents/uploads')) {
    const ticket = fc.record(
      {
        type: fc.constantFrom('work-act', 'photo', 'bogus'),
        fileName: fc.constantFrom('акт.pdf', '../x.pdf', ''),
        contentType: fc.constantFrom('application/pdf', 'image/png', 'text/html'),
        size: fc.constantFrom(1000, 0, 50 * 1024 * 1024),
      },
      { requiredKeys: ['type', 'fileName', 'contentType'] },
    );
    return fc.record({ ...base, body: fc.oneof({ weight: 4, arbitrary: ticket }, { weight: 1, arbitrary: fc.jsonValue() }) });
  }
  if (route.path === '/api/schools/{schoolId}' && route.method === 'PATCH')
    return fc.record({ ...base, body: profilePatch(), headers: versioned });
  if (route.path.endsWith('/migration-preview') || route.path.endsWith('/migrations')) {
    // The reference program's versions (1 is published; 2 may not exist), a scope of the known schools or districts, sometimes malformed.
    const scope = fc.constantFrom<unknown>(
      { kind: 'schools', schoolIds: [otherSchool.id] },
      { kind: 'district', district: api.otherDistrict },
      { kind: 'district', district: 'no-such-district' },
      { kind: 'everything' },
    );
    const versioned = fc
      .tuple(fc.constantFrom('1', '2', '0'), fc.constantFrom(REFERENCE_PROGRAM_ID, 'no-such-program'))
      .map(([v, id]) => route.path.replace('{programId}', id).replace('{version}', v));
    return fc.record({
      ...base,
      path: versioned,
      body: fc.oneof({ weight: 4, arbitrary: scope.map((s) => ({ scope: s })) }, { weight: 1, arbitrary: fc.jsonValue() }),
    });
  }
  if (route.path === '/api/schools/{schoolId}/archive')
    return fc.record({
      ...base,
      body: fc.oneof({ weight: 4, arbitrary: archiveBody }, { weight: 1, arbitrary: fc.jsonValue() }),
      headers: versioned,
    });
  if (route.method !== 'POST') return fc.record(base);
  if (route.path.startsWith('/api/bulk/') && action) {
    const body = fc.record({
      milestone,
      filter: fc.oneof(
        fc.constant({ schoolIds: [otherSchool.id] }),
        fc.constant({ schoolIds: [api.school.id], district: api.otherDistrict }),
      ),
      body: commandBody(action),
    });
    return fc.record({ ...base, body });
  }
  return fc.record({
    ...base,
    body: action ? commandBody(action) : fc.jsonValue(),
    headers: fc.constantFrom<Record<string, string>>({}, { 'idempotency-key': 'fuzz-key-1' }, { 'if-match': '"1"' }),
  });
}

/** The model: may this caller get a 2xx for this request? (Whether it does depends on the state too.) */
function mayPass(r: Request): boolean {
  if (!r.path.startsWith('/api/')) return true;
  if (r.caller === 'none' || r.caller === 'expired' || r.caller === 'foreignKey') return false;
  const coordinator = r.caller === 'coordinator' || r.caller === 'otherCoordinator';
  const staff = r.caller === 'schoolStaff' || r.caller === 'otherSchoolStaff';
  if (r.method === 'GET') {
    if (r.route === 'GET /api/jobs/{jobId}') return r.caller === 'manager';
    if (r.route === 'GET /api/reports/contractors') return r.caller !== 'coordinator' && r.caller !== 'otherCoordinator' && !staff;
    if (r.route.startsWith('GET /api/contractors')) return r.caller === 'manager' || coordinator || r.caller === 'viewer';
    if (r.route === 'GET /api/review-queue') return r.caller === 'manager' || coordinator || staff;
    if (r.route === 'GET /api/schools/{schoolId}/dossier') return r.caller === 'manager' || coordinator;
    if (r.route.startsWith('GET /api/schools/{schoolId}/documents')) return r.caller !== 'viewer';
    if (r.route === 'GET /api/schools' || r.route.startsWith('GET /api/reports'))
      return !staff && r.caller !== 'contractor' && r.caller !== 'otherContractor';
    return true;
  }
  if (r.caller === 'viewer') return false;
  const action = /\/(\w+)$/.exec(r.route)?.[1] ?? '';
  // The register, imports and archiving are the program manager's.
  if (r.route.startsWith('POST /api/imports/') || r.route.includes('/api/contractors') || r.route.endsWith('/archive'))
    return r.caller === 'manager';
  if (r.route.startsWith('POST /api/bulk/')) return r.caller === 'manager' || coordinator;
  // Migrating schools to a program version (and its preview) is the program manager's.
  if (r.route.endsWith('/migration-preview') || r.route.endsWith('/migrations')) return r.caller === 'manager';
  const inSchool = decodeURIComponent(r.path.split('/')[3] ?? '');
  const staffOf = (school: string) =>
    r.caller === 'schoolStaff' ? school === api.school.id : r.caller === 'otherSchoolStaff' && school === otherSchool.id;
  // Evidence is uploaded (and the upload confirmed) by whoever does the work: a contractor, or the school's own staff.
  if (r.route.includes('/documents/uploads')) return r.caller === 'contractor' || r.caller === 'otherContractor' || staffOf(inSchool);
  // A document is removed by the organisation that uploaded it (a contractor, or the school's staff).
  if (r.route === 'DELETE /api/schools/{schoolId}/documents/{documentId}')
    return r.caller === 'contractor' || r.caller === 'otherContractor' || staffOf(inSchool);
  const coordinates = (district: string) => inSchool !== '' && districtOf.get(inSchool) === district;
  if (r.route === 'PATCH /api/schools/{schoolId}') {
    // A coordinator edits the profiles of its own district's schools, and does not move them out of it.
    const moves = (r.body as { district?: unknown } | null)?.district;
    const own = r.caller === 'coordinator' ? api.school.district : r.caller === 'otherCoordinator' ? otherSchool.district : null;
    return r.caller === 'manager' || (own !== null && coordinates(own) && (moves === undefined || moves === own));
  }
  switch (r.caller) {
    case 'manager':
      return action !== 'submit' && action !== 'signoff';
    case 'coordinator':
      return coordinates(api.school.district) && action !== 'submit';
    case 'otherCoordinator':
      return coordinates(otherSchool.district) && action !== 'submit';
    case 'contractor':
    case 'otherContractor':
      return action === 'submit';
    case 'schoolStaff':
      return inSchool === api.school.id && (action === 'submit' || action === 'signoff');
    case 'otherSchoolStaff':
      return inSchool === otherSchool.id && (action === 'submit' || action === 'signoff');
  }
}

describe('fuzz: every route and role against the model', () => {
  it(
    `${REQUESTS} generated requests: no 5xx, nothing forbidden passes, nothing refused writes`,
    { timeout: Math.max(300_000, REQUESTS * 500) },
    async () => {
      const request = fc
        .tuple(fc.constantFrom(...CALLERS), fc.constantFrom(...routes))
        .chain(([caller, route]) => requestFor(route).map((r): Request => ({ ...r, caller })));
      let before = await api.items();
      const seen = new Map<string, number>();
      const answered = { accepted: 0, refused: 0 };
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          const res = await api.request(r.method, r.path, {
            as: r.caller,
            ...(r.raw !== undefined
              ? { raw: r.raw, contentType: r.contentType ?? 'text/csv' }
              : r.body !== undefined
                ? { body: r.body }
                : {}),
            ...(r.headers ? { headers: r.headers } : {}),
          });
          const what = `${r.caller} ${r.method} ${r.path} → ${res.status} ${res.text.slice(0, 300)}`;
          seen.set(r.route, (seen.get(r.route) ?? 0) + 1);
          expect(res.status, what).toBeLessThan(500);
          if (res.status < 400) {
            answered.accepted++;
            expect(mayPass(r), what).toBe(true);
            // A contractor reads its own scorecard rows only.
            if (
              r.route === 'GET /api/reports/contractors' &&
              (r.caller === 'contractor' || r.caller === 'otherContractor') &&
              res.headers.get('content-type')?.includes('json')
            ) {
              const own = r.caller === 'contractor' ? api.contractorOrg : api.otherOrg;
              expect(
                (res.json as { rows: { contractor: string }[] }).rows.every((row) => row.contractor === own),
                what,
              ).toBe(true);
            }
            await settle();
            // Profile edits and update imports may move a school to another district: the scopes follow.
            for (const id of districtOf.keys()) districtOf.set(id, (await api.stack.store.getSchool(id))!.school.district);
            before = await api.items();
            return;
          }
          answered.refused++;
          expect(res.headers.get('content-type') ?? '', what).toContain('application/problem+json');
          const after = await api.items();
          expect(after.length, `${what}: the table changed`).toBe(before.length);
          expect(after, `${what}: the table changed`).toEqual(before);
        }),
        { numRuns: REQUESTS, seed: Number(process.env.FUZZ_SEED ?? 13), endOnFailure: true },
      );
      // Both sides of the model were exercised: requests it allows that passed, and refusals.
      expect(answered.accepted).toBeGreaterThan(REQUESTS / 20);
      expect(answered.refused).toBeGreaterThan(REQUESTS / 4);
      // Every route was asked (with a few hundred requests most are; the 10,000 reach them all).
      if (REQUESTS >= 2000) expect([...seen.keys()].sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
    },
  );
});
