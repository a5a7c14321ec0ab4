/**
 * Every route against every kind of caller: the program manager, the school's district coordinator and
 * one of another district, the contractor assigned to the school's connection and one of another
 * organization, a viewer, no token, an expired token, and a token signed by a key the issuer never
 * published. Commands are sent where they cannot succeed for anyone (accept on an active milestone), so
 * that 403 (not yours) and 409 (yours, but not now) tell the roles apart without changing anything.
 * The users, program-version, migration and document routes have matrices of their own set-up, and a last
 * check fails naming any route of /openapi.json that no case reaches.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AssignmentList,
  HistoryPage,
  Job,
  Me,
  NotificationList,
  Problem,
  ForecastReport,
  ProgressReport,
  SchoolDetail,
  SchoolList,
  Scorecards,
} from '../../shared/api/schemas.js';
import { ContractorList, ContractorView, ReviewQueue } from '../../shared/api/administration.js';
import { DocumentList, DocumentVerification, DownloadLink } from '../../shared/api/documents.js';
import { ProgramVersionList, ProgramVersionView } from '../../shared/api/program-versions.js';
import { REFERENCE_PROGRAM, REFERENCE_PROGRAM_DATA } from '../../shared/program/reference-program.js';
import { DirectoryUser, InvitedUser, UserDetail, UserList } from '../../shared/users/model.js';
import {
  attachRequiredDocuments,
  CALLERS,
  eventually,
  settledItems,
  startApi,
  todayInOmsk,
  type ApiFixture,
  type Caller,
} from './helpers.js';

let api: ApiFixture;
let jobId: string;
const BURST = 120;

beforeAll(async () => {
  // Per-user throttling low enough to reach in a test, high enough for the matrices below (about 80 requests a caller).
  api = await startApi('roles', { rateLimit: { perSecond: 5, burst: BURST } });
  const started = await api.request('POST', `/api/schools/${api.school.id}/milestones/connection/start`, {
    body: { assignee: api.contractorOrg },
  });
  expect(started.status).toBe(200);
  // A closed milestone: every command on it is refused by its status (409) — for those who may command it.
  const waived = await api.request('POST', `/api/schools/${api.school.id}/milestones/onboarding/waive`, {
    body: { reason: 'Школа на федеральной платформе с 2020 года' },
  });
  expect(waived.status).toBe(200);
});
afterAll(async () => {
  await api?.stop();
});

type Expect = Record<Caller, number>;
const PROGRAM = REFERENCE_PROGRAM_DATA.id;
/** A program no school follows: the one place a request of the matrix writes (a draft nobody will see). */
const PROBE_PROGRAM = 'roles-matrix-probe';
/** A well-formed body of each milestone command (and of its bulk form). */
const COMMAND_BODIES = {
  start: {},
  submit: { evidence: { kind: 'connection', actNumber: 'A-1', actDate: '2024-01-10', bandwidthMbps: 1 } },
  accept: {},
  reject: { reason: 'Акт не подписан' },
  hold: { reason: 'Проверка прав' },
  resume: {},
  waive: { reason: 'Проверка прав' },
  reassign: { contractor: 'isp-priirtysh-lines' },
  reschedule: { deadline: '2031-01-31', reason: 'Проверка прав' },
} as const;
/** Who reads the contractor register: managers, coordinators and viewers. */
const READ_REGISTER = { contractor: 403, otherContractor: 403, schoolStaff: 403, otherSchoolStaff: 403 } as const;
const signedIn = (ok: number, overrides: Partial<Expect> = {}): Expect => ({
  manager: ok,
  coordinator: ok,
  otherCoordinator: ok,
  contractor: ok,
  otherContractor: ok,
  viewer: ok,
  schoolStaff: ok,
  otherSchoolStaff: ok,
  none: 401,
  expired: 401,
  foreignKey: 401,
  ...overrides,
});

interface Case {
  name: string;
  method: string;
  path: () => string;
  body?: () => unknown;
  raw?: { text: string; contentType: string };
  headers?: Record<string, string>;
  expect: Expect;
  /** Checks the body of a 2xx answer. */
  check?: (json: unknown, caller: Caller) => void;
}

const cases: Case[] = [
  { name: 'GET /healthz', method: 'GET', path: () => '/healthz', expect: { ...signedIn(200), none: 200, expired: 200, foreignKey: 200 } },
  {
    name: 'GET /openapi.json',
    method: 'GET',
    path: () => '/openapi.json',
    expect: { ...signedIn(200), none: 200, expired: 200, foreignKey: 200 },
  },
  { name: 'GET /docs', method: 'GET', path: () => '/docs', expect: { ...signedIn(200), none: 200, expired: 200, foreignKey: 200 } },
  {
    name: 'GET /api/me',
    method: 'GET',
    path: () => '/api/me',
    expect: signedIn(200),
    check: (json, caller) => {
      const me = Me.parse(json);
      if (caller === 'coordinator') expect(me.district).toBe(api.school.district);
      if (caller === 'contractor') expect(me.org).toBe(api.contractorOrg);
    },
  },
  {
    name: 'GET /api/me/assignments',
    method: 'GET',
    path: () => '/api/me/assignments',
    expect: signedIn(403, { contractor: 200, otherContractor: 200, schoolStaff: 200, otherSchoolStaff: 200 }),
    check: (json, caller) => {
      const list = AssignmentList.parse(json);
      const ids = list.items.map((a) => `${a.schoolId}/${a.milestone}`);
      if (caller === 'contractor') expect(ids).toContain(`${api.school.id}/connection`);
      if (caller === 'otherContractor') expect(ids).not.toContain(`${api.school.id}/connection`);
      const deadlines = list.items.map((a) => a.deadline);
      expect(deadlines).toEqual([...deadlines].sort());
    },
  },
  {
    name: 'GET /api/schools?district=',
    method: 'GET',
    path: () => `/api/schools?district=${api.school.district}&limit=5`,
    expect: signedIn(200, { otherCoordinator: 403, contractor: 403, otherContractor: 403, schoolStaff: 403, otherSchoolStaff: 403 }),
    check: (json) => expect(SchoolList.parse(json).items.every((s) => s.district === api.school.district)).toBe(true),
  },
  {
    name: 'GET /api/schools/{id}',
    method: 'GET',
    path: () => `/api/schools/${api.school.id}`,
    expect: signedIn(200, { otherCoordinator: 403, otherContractor: 403, otherSchoolStaff: 403 }),
    check: (json, caller) => {
      const detail = SchoolDetail.parse(json);
      // A contractor sees only its own milestones of the school.
      expect(detail.milestones.map((m) => m.key)).toEqual(
        caller === 'contractor' ? ['connection'] : ['connection', 'equipment', 'training', 'onboarding'],
      );
    },
  },
  {
    name: 'GET /api/schools/{id}/history',
    method: 'GET',
    path: () => `/api/schools/${api.school.id}/history`,
    expect: signedIn(200, { otherCoordinator: 403, otherContractor: 403, otherSchoolStaff: 403 }),
    check: (json, caller) => {
      const page = HistoryPage.parse(json);
      expect(page.items.some((e) => e.milestone === 'connection' && e.type === 'started')).toBe(true);
      if (caller === 'contractor') expect(page.items.every((e) => e.milestone === 'connection')).toBe(true);
    },
  },
  {
    name: 'POST accept (milestone active)',
    method: 'POST',
    path: () => `/api/schools/${api.school.id}/milestones/connection/accept`,
    body: () => ({}),
    expect: signedIn(403, { manager: 409, coordinator: 409 }),
  },
  {
    name: 'POST start (milestone already active)',
    method: 'POST',
    path: () => `/api/schools/${api.school.id}/milestones/connection/start`,
    body: () => ({}),
    expect: signedIn(403, { manager: 409, coordinator: 409 }),
  },
  {
    name: 'POST reject (milestone active, nothing submitted)',
    method: 'POST',
    path: () => `/api/schools/${api.school.id}/milestones/connection/reject`,
    body: () => ({ reason: 'Акт не подписан' }),
    expect: signedIn(403, { manager: 409, coordinator: 409 }),
  },
  ...(['hold', 'resume', 'waive', 'reassign', 'reschedule'] as const).map((action): Case => ({
    name: `POST ${action} (milestone waived)`,
    method: 'POST',
    path: () => `/api/schools/${api.school.id}/milestones/onboarding/${action}`,
    body: () => COMMAND_BODIES[action],
    expect: signedIn(403, { manager: 409, coordinator: 409 }),
  })),
  {
    name: 'POST submit (a contractor may; managers never)',
    method: 'POST',
    path: () => `/api/schools/${api.school.id}/milestones/connection/submit`,
    // Below the standard: the assigned contractor gets 422, everybody else 403 before the evidence is looked at.
    body: () => ({ evidence: { kind: 'connection', actNumber: 'A-1', actDate: '2024-01-10', bandwidthMbps: 1 } }),
    expect: signedIn(403, { contractor: 422 }),
  },
  {
    name: 'POST /api/bulk/hold (selects nothing: no completed milestone)',
    method: 'POST',
    path: () => '/api/bulk/hold',
    body: () => ({
      milestone: 'connection',
      filter: { schoolIds: [api.school.id], status: 'completed' },
      body: { reason: 'Проверка прав' },
    }),
    expect: signedIn(403, { manager: 202, coordinator: 202, otherCoordinator: 202 }),
    check: (json, caller) => {
      const job = Job.parse(json);
      if (caller === 'manager') jobId = job.id;
      if (caller === 'otherCoordinator') expect(job.filter.district).toBe(api.otherDistrict);
    },
  },
  {
    name: 'GET /api/jobs/{id} (the manager’s job)',
    method: 'GET',
    path: () => `/api/jobs/${jobId}`,
    expect: signedIn(403, { manager: 200 }),
    check: (json) => expect(Job.parse(json).createdBy.sub).toBe(decodeJwt(api.tokens.manager!).sub),
  },
  {
    name: 'POST /api/imports/schools (a bad file: nothing imported)',
    method: 'POST',
    path: () => '/api/imports/schools',
    raw: { text: 'id,name\nx,y\n', contentType: 'text/csv' },
    expect: signedIn(403, { manager: 400 }),
  },
  {
    name: 'GET /api/reports/progress',
    method: 'GET',
    path: () => '/api/reports/progress?asOf=2024-12-31',
    expect: signedIn(200, { contractor: 403, otherContractor: 403, schoolStaff: 403, otherSchoolStaff: 403 }),
    check: (json, caller) => {
      const report = ProgressReport.parse(json);
      if (caller === 'coordinator') expect(report.rows.map((r) => r.district)).toEqual([api.school.district]);
      if (caller === 'manager' || caller === 'viewer') expect(report.rows.length).toBeGreaterThan(30);
    },
  },
  {
    name: 'GET /api/reports/forecast',
    method: 'GET',
    path: () => '/api/reports/forecast?asOf=2021-06-01&weeks=4',
    expect: signedIn(200, { contractor: 403, otherContractor: 403, schoolStaff: 403, otherSchoolStaff: 403 }),
    check: (json, caller) => {
      const report = ForecastReport.parse(json);
      expect(report).toMatchObject({ asOf: '2021-06-01', weeks: 4 });
      expect(report.rows.every((r) => r.weekly.length === 4)).toBe(true);
      const districts = [...new Set(report.rows.map((r) => r.district))];
      if (caller === 'coordinator') expect(districts).toEqual([null, api.school.district]);
      if (caller === 'manager' || caller === 'viewer') expect(districts.length).toBeGreaterThan(30);
    },
  },
  {
    name: 'GET /api/reports/contractors',
    method: 'GET',
    path: () => '/api/reports/contractors',
    expect: signedIn(200, { coordinator: 403, otherCoordinator: 403, schoolStaff: 403, otherSchoolStaff: 403 }),
    check: (json, caller) => {
      const cards = Scorecards.parse(json);
      // The connection started above is open, and past its 2021 deadline.
      const started = { contractor: api.contractorOrg, milestone: 'connection', open: 1, overdue: 1, accepted: 0, onTimeShare: null };
      if (caller === 'manager' || caller === 'viewer') expect(cards.rows).toContainEqual(expect.objectContaining(started));
      if (caller === 'contractor') expect(cards.rows).toEqual([expect.objectContaining(started)]);
      if (caller === 'otherContractor') expect(cards.rows.every((r) => r.contractor === api.otherOrg)).toBe(true);
    },
  },
  {
    name: 'GET /api/notifications',
    method: 'GET',
    path: () => '/api/notifications',
    expect: signedIn(200),
    check: (json, caller) => {
      const list = NotificationList.parse(json);
      // Viewers receive the weekly digest only, addressed to their role.
      if (caller === 'viewer') expect(list.items.every((n) => n.kind === 'weekly-digest' && n.recipient.type === 'viewer')).toBe(true);
      if (caller === 'contractor')
        expect(list.items.every((n) => n.recipient.type === 'contractor' && n.recipient.org === api.contractorOrg)).toBe(true);
    },
  },
  // ---------- the school's own role ----------
  {
    name: 'POST signoff (milestone active: nothing to sign yet)',
    method: 'POST',
    path: () => `/api/schools/${api.school.id}/milestones/connection/signoff`,
    body: () => ({ measuredMbps: 120 }),
    expect: signedIn(403, { schoolStaff: 409 }),
  },
  {
    name: 'GET /api/review-queue',
    method: 'GET',
    path: () => '/api/review-queue',
    expect: signedIn(200, { contractor: 403, otherContractor: 403, viewer: 403 }),
    check: (json) => expect(ReviewQueue.parse(json).items).toEqual([]),
  },
  // ---------- the contractor register ----------
  {
    name: 'GET /api/contractors',
    method: 'GET',
    path: () => '/api/contractors',
    expect: signedIn(200, READ_REGISTER),
    check: (json) => expect(ContractorList.parse(json).items.map((c) => c.contractor.id)).toContain(api.contractorOrg),
  },
  {
    name: 'POST /api/contractors (the id is taken)',
    method: 'POST',
    path: () => '/api/contractors',
    body: () => ({
      id: api.contractorOrg,
      name: 'Дубликат',
      kind: 'internet-provider',
      contracts: [{ number: 'K-9', date: '2021-01-01', milestone: 'connection', endDate: '2024-12-31' }],
    }),
    expect: signedIn(403, { manager: 409 }),
  },
  {
    name: 'GET /api/contractors/{id}',
    method: 'GET',
    path: () => `/api/contractors/${api.contractorOrg}`,
    expect: signedIn(200, READ_REGISTER),
    check: (json) => expect(ContractorView.parse(json).openWork).toBeGreaterThanOrEqual(1),
  },
  {
    name: 'PUT /api/contractors/{id} (an old If-Match)',
    method: 'PUT',
    path: () => `/api/contractors/${api.contractorOrg}`,
    body: () => ({ name: 'Новое имя', kind: 'internet-provider' }),
    headers: { 'if-match': '"999"' },
    expect: signedIn(403, { manager: 409 }),
  },
  {
    name: 'POST /api/contractors/{id}/deactivate (it holds open work)',
    method: 'POST',
    path: () => `/api/contractors/${api.contractorOrg}/deactivate`,
    body: () => ({ reason: 'Договор расторгнут' }),
    expect: signedIn(403, { manager: 409 }),
  },
  {
    name: 'POST /api/contractors/{id}/reactivate (it is active)',
    method: 'POST',
    path: () => `/api/contractors/${api.contractorOrg}/reactivate`,
    expect: signedIn(403, { manager: 409 }),
  },
  {
    name: 'GET /api/contractors/{id}/history',
    method: 'GET',
    path: () => `/api/contractors/${api.contractorOrg}/history`,
    expect: signedIn(200, READ_REGISTER),
  },
  {
    name: 'POST /api/imports/contractors (a bad file: nothing imported)',
    method: 'POST',
    path: () => '/api/imports/contractors',
    raw: { text: 'id,name\nx,y\n', contentType: 'text/csv' },
    expect: signedIn(403, { manager: 400 }),
  },
  // ---------- school profiles ----------
  {
    name: 'PATCH /api/schools/{id} (an old If-Match)',
    method: 'PATCH',
    path: () => `/api/schools/${api.school.id}`,
    body: () => ({ teachersToTrain: 7 }),
    headers: { 'if-match': '"999"' },
    expect: signedIn(403, { manager: 409, coordinator: 409 }),
  },
  {
    name: 'POST /api/schools/{id}/archive (an old If-Match)',
    method: 'POST',
    path: () => `/api/schools/${api.school.id}/archive`,
    body: () => ({ on: '2031-09-01', reason: 'closed' }),
    headers: { 'if-match': '"999"' },
    expect: signedIn(403, { manager: 409 }),
  },
  {
    name: 'GET /api/schools/{id}/profile-history',
    method: 'GET',
    path: () => `/api/schools/${api.school.id}/profile-history`,
    expect: signedIn(200, { otherCoordinator: 403, otherContractor: 403, otherSchoolStaff: 403 }),
  },
  {
    name: 'POST /api/imports/schools/updates (a bad file: nothing changed)',
    method: 'POST',
    path: () => '/api/imports/schools/updates',
    raw: { text: 'id,name\nx,y\n', contentType: 'text/csv' },
    expect: signedIn(403, { manager: 400 }),
  },
  // ---------- bulk actions: the other commands, on a milestone no version defines (400 once the role may) ----------
  ...Object.entries(COMMAND_BODIES)
    .filter(([action]) => action !== 'hold')
    .map(([action, body]): Case => ({
      name: `POST /api/bulk/${action} (no such milestone)`,
      method: 'POST',
      path: () => `/api/bulk/${action}`,
      body: () => ({ milestone: 'no-such-milestone', filter: { schoolIds: [api.school.id] }, body }),
      expect: signedIn(403, { manager: 400, coordinator: 400, otherCoordinator: 400 }),
    })),
  // ---------- program versions and migrations ----------
  {
    name: 'GET /api/programs/{id}/versions',
    method: 'GET',
    path: () => `/api/programs/${PROGRAM}/versions`,
    expect: signedIn(200),
    check: (json) => expect(ProgramVersionList.parse(json).items.map((v) => [v.version, v.status])).toContainEqual([1, 'published']),
  },
  {
    // Nothing refuses a well-formed draft to a program manager: the draft goes to a program no school follows.
    name: 'POST /api/programs/{id}/versions (a draft of a program nobody follows)',
    method: 'POST',
    path: () => `/api/programs/${PROBE_PROGRAM}/versions`,
    body: () => ({ definition: REFERENCE_PROGRAM_DATA }),
    expect: signedIn(403, { manager: 201 }),
    check: (json) => expect(ProgramVersionView.parse(json)).toMatchObject({ programId: PROBE_PROGRAM, status: 'draft' }),
  },
  {
    name: 'GET /api/programs/{id}/versions/{version}',
    method: 'GET',
    path: () => `/api/programs/${PROGRAM}/versions/1`,
    expect: signedIn(200),
    check: (json) => expect(ProgramVersionView.parse(json).status).toBe('published'),
  },
  {
    name: 'PUT /api/programs/{id}/versions/{version} (version 1 is published)',
    method: 'PUT',
    path: () => `/api/programs/${PROGRAM}/versions/1`,
    body: () => ({ definition: REFERENCE_PROGRAM_DATA }),
    expect: signedIn(403, { manager: 409 }),
  },
  {
    name: 'POST /api/programs/{id}/versions/{version}/publish (already published)',
    method: 'POST',
    path: () => `/api/programs/${PROGRAM}/versions/1/publish`,
    expect: signedIn(403, { manager: 409 }),
  },
  ...(['migration-preview', 'migrations'] as const).map((what): Case => ({
    name: `POST /api/programs/{id}/versions/{version}/${what} (no such version)`,
    method: 'POST',
    path: () => `/api/programs/${PROGRAM}/versions/99/${what}`,
    body: () => ({ scope: { kind: 'schools', schoolIds: [api.school.id] } }),
    expect: signedIn(403, { manager: 404 }),
  })),
  // ---------- where the dashboard signs in (before anyone has a token) ----------
  {
    name: 'GET /auth/config',
    method: 'GET',
    path: () => '/auth/config',
    expect: { ...signedIn(200), none: 200, expired: 200, foreignKey: 200 },
  },
];

/** Sends the case as every caller; 2xx answers are checked, errors are problems; the statuses are the matrix's. */
async function runCase(c: Case): Promise<void> {
  const outcomes: Record<string, number> = {};
  for (const caller of CALLERS) {
    const res = await api.request(c.method, c.path(), {
      as: caller,
      ...(c.body ? { body: c.body() } : {}),
      ...(c.raw ? { raw: c.raw.text, contentType: c.raw.contentType } : {}),
      ...(c.headers ? { headers: c.headers } : {}),
    });
    outcomes[caller] = res.status;
    if (res.status >= 400) {
      expect(res.headers.get('content-type'), `${c.name} as ${caller}`).toContain('application/problem+json');
      expect(Problem.parse(res.json).status).toBe(res.status);
      if (res.status === 401) expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    } else if (c.check) {
      c.check(res.json, caller);
    }
  }
  expect(outcomes).toEqual(c.expect);
}

describe('every route against every caller', () => {
  for (const c of cases) it(c.name, () => runCase(c));

  it('throttles one user with 429 and Retry-After, while the others go on', async () => {
    const flood = await api.stack.token({ role: 'viewer', sub: 'flooding-viewer' });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < BURST + 15; i++) {
      const res = await api.request('GET', '/api/me', { token: flood });
      statuses.push(res.status);
      if (res.status === 429) {
        retryAfter = res.headers.get('retry-after');
        expect(Problem.parse(res.json).type).toBe('/problems/throttled');
      }
    }
    expect(statuses.slice(0, BURST).every((s) => s === 200)).toBe(true);
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await api.request('GET', '/api/me', { as: 'viewer' })).status).toBe(200);
  });

  it('the bulk jobs ran and changed nothing (their filter selected no school)', async () => {
    const job = await eventually(async () => {
      const res = await api.request('GET', `/api/jobs/${jobId}`);
      const j = Job.parse(res.json);
      return j.status === 'done' ? j : undefined;
    }, 'the bulk job to finish');
    expect(job.results.every((r) => r.outcome === 'skipped')).toBe(true);
    expect((await api.stack.store.getMilestone(api.school.id, 'connection'))!.state.status).toBe('active');
  });
});

// ---------- users: who sees and manages whom (shared/domain/user-permissions.ts) ----------

/** Staff of the school (`seen`, enabled; `disabled`), and staff of the other district's school (`foreign`). */
const person = () => ({ username: 'not-invited-yet', email: '' });
const people = { seen: person(), disabled: person(), foreign: person() };

const USER_MANAGERS = { manager: 200, coordinator: 200, otherCoordinator: 403 } as const;
const userCases: Case[] = [
  {
    name: 'GET /api/users',
    method: 'GET',
    path: () => '/api/users',
    expect: signedIn(403, { manager: 200, coordinator: 200, otherCoordinator: 200 }),
    check: (json, caller) => {
      const names = UserList.parse(json).items.map((u) => u.username);
      // A coordinator sees the staff of its own district's schools, never another district's.
      const own = caller === 'otherCoordinator' ? people.foreign : people.seen;
      expect(names, `${caller} sees the staff of its district`).toContain(own.username);
      const foreign = { coordinator: [people.foreign], otherCoordinator: [people.seen, people.disabled] }[caller as string] ?? [];
      for (const p of foreign) expect(names, `${caller} sees no staff of another district`).not.toContain(p.username);
    },
  },
  {
    name: 'POST /api/users (the e-mail is taken)',
    method: 'POST',
    path: () => '/api/users',
    body: () => ({ name: 'Мария Школьная', email: people.seen.email, role: 'school-staff', school: api.school.id }),
    expect: signedIn(403, { manager: 409, coordinator: 409 }),
  },
  {
    name: 'GET /api/users/{username}',
    method: 'GET',
    path: () => `/api/users/${people.seen.username}`,
    expect: signedIn(403, USER_MANAGERS),
    check: (json) => expect(UserDetail.parse(json).user.username).toBe(people.seen.username),
  },
  {
    name: 'POST /api/users/{username}/disable (already disabled: nothing changes)',
    method: 'POST',
    path: () => `/api/users/${people.disabled.username}/disable`,
    expect: signedIn(403, USER_MANAGERS),
    check: (json) => expect(DirectoryUser.parse(json).enabled).toBe(false),
  },
  {
    name: 'POST /api/users/{username}/enable (already enabled: nothing changes)',
    method: 'POST',
    path: () => `/api/users/${people.seen.username}/enable`,
    expect: signedIn(403, USER_MANAGERS),
    check: (json) => expect(DirectoryUser.parse(json).enabled).toBe(true),
  },
];

// Who may invite or see whom, a user at a time (a coordinator: school staff of its own district only), is in
// test/api/users.test.ts ("by a district coordinator: …", "listing"); here every route against every caller.
describe('the users routes against every caller', () => {
  let audited: number;
  beforeAll(async () => {
    const invite = async (label: keyof typeof people, school: string) => {
      const email = `roles-${label}@example.org`;
      const res = await api.request('POST', '/api/users', { body: { name: 'Мария Школьная', email, role: 'school-staff', school } });
      expect(res.status, res.text).toBe(201);
      people[label] = { username: InvitedUser.parse(res.json).user.username, email };
    };
    await invite('seen', api.school.id);
    await invite('disabled', api.school.id);
    await invite('foreign', api.otherSchool.id);
    expect((await api.request('POST', `/api/users/${people.disabled.username}/disable`)).status).toBe(200);
    audited = await auditedChanges();
  });
  /** The account changes recorded for the three users. */
  const auditedChanges = async () => {
    let n = 0;
    for (const { username } of Object.values(people))
      n += UserDetail.parse((await api.request('GET', `/api/users/${username}`)).json).history.length;
    return n;
  };

  for (const c of userCases) it(c.name, () => runCase(c));

  it('changed no account: no audit event beyond the set-up', async () => {
    expect(await auditedChanges()).toBe(audited);
  });
});

// ---------- evidence documents (shared/documents/access.ts) ----------

/**
 * At the other district's school: its connection assigned to the contractor, who started one upload it never
 * sent, then attached the documents and submitted them. That school's staff are `otherSchoolStaff`.
 */
const docs = { uploadId: 'not-started-yet', documentId: 'not-uploaded-yet' };
const documentsAt = () => `/api/schools/${api.otherSchool.id}`;
/** Who lists the school's documents (a contractor: its own organisation's only). */
const LIST_DOCUMENTS = { coordinator: 403, viewer: 403, schoolStaff: 403 } as const;
const documentCases: Case[] = [
  {
    name: 'POST documents/uploads (the milestone is submitted: nothing open to attach to)',
    method: 'POST',
    path: () => `${documentsAt()}/milestones/connection/documents/uploads`,
    body: () => ({ type: connectionDocument(), fileName: 'act.pdf', contentType: 'application/pdf' }),
    expect: signedIn(403, { contractor: 409, otherSchoolStaff: 409 }),
  },
  {
    name: 'POST documents/uploads/{uploadId}/confirm (no file was sent)',
    method: 'POST',
    path: () => `${documentsAt()}/documents/uploads/${docs.uploadId}/confirm`,
    expect: signedIn(403, { contractor: 409 }),
  },
  {
    name: 'GET /api/schools/{id}/documents',
    method: 'GET',
    path: () => `${documentsAt()}/documents`,
    expect: signedIn(200, LIST_DOCUMENTS),
    check: (json, caller) =>
      expect(
        DocumentList.parse(json)
          .items.map((d) => d.id)
          .includes(docs.documentId),
      ).toBe(caller !== 'otherContractor'),
  },
  {
    name: 'GET /api/schools/{id}/documents/verify',
    method: 'GET',
    path: () => `${documentsAt()}/documents/verify`,
    expect: signedIn(200, LIST_DOCUMENTS),
    check: (json) => expect(DocumentVerification.parse(json).intact).toBe(true),
  },
  {
    name: 'GET /api/schools/{id}/documents/{documentId}',
    method: 'GET',
    path: () => `${documentsAt()}/documents/${docs.documentId}`,
    expect: signedIn(200, { ...LIST_DOCUMENTS, otherContractor: 403 }),
    check: (json) => expect(DownloadLink.parse(json).url).toMatch(/^http/),
  },
  {
    name: 'DELETE /api/schools/{id}/documents/{documentId} (a submission carried it)',
    method: 'DELETE',
    path: () => `${documentsAt()}/documents/${docs.documentId}`,
    expect: signedIn(403, { contractor: 409 }),
  },
  {
    name: 'GET /api/schools/{id}/dossier',
    method: 'GET',
    path: () => `${documentsAt()}/dossier`,
    expect: signedIn(403, { manager: 200, otherCoordinator: 200 }),
    check: (json) => expect(DownloadLink.parse(json).url).toMatch(/^http/),
  },
];

function connectionDocument(): string {
  return REFERENCE_PROGRAM.milestones.find((m) => m.key === 'connection')!.documents.find((r) => r.required)!.type;
}

describe('the document routes against every caller', () => {
  let before: string[];
  beforeAll(async () => {
    const school = api.otherSchool;
    const base = `/api/schools/${school.id}/milestones/connection`;
    const started = await api.request('POST', `${base}/start`, { body: { assignee: api.contractorOrg } });
    expect(started.status, started.text).toBe(200);
    const ticket = await api.request('POST', `${base}/documents/uploads`, {
      as: 'contractor',
      body: { type: connectionDocument(), fileName: 'never-sent.pdf', contentType: 'application/pdf' },
    });
    expect(ticket.status, ticket.text).toBe(201);
    docs.uploadId = (ticket.json as { uploadId: string }).uploadId;
    await attachRequiredDocuments(api, school.id, 'connection', 'contractor');
    const evidence = { kind: 'connection', actNumber: 'АКТ-1', actDate: todayInOmsk(), bandwidthMbps: school.urban ? 120 : 60 };
    const submitted = await api.request('POST', `${base}/submit`, { as: 'contractor', body: { evidence } });
    expect(submitted.status, submitted.text).toBe(200);
    docs.documentId = DocumentList.parse((await api.request('GET', `/api/schools/${school.id}/documents`)).json).items[0]!.id;
    before = await settledItems(api);
  });

  for (const c of documentCases) it(c.name, () => runCase(c));

  it('changed nothing in the table', async () => {
    expect(await settledItems(api)).toEqual(before);
  });
});

// ---------- the matrix covers the API ----------

/**
 * Routes of the API's document outside the matrix, and why: none. (The sign-in pages the local user directory
 * serves are not the API's routes and not in its document; test/local/sign-in.test.ts covers them.)
 */
const OUTSIDE_THE_MATRIX: Record<string, string> = {};
/** Cases of the matrix that are not operations of the document, and why. */
const OUTSIDE_THE_DOCUMENT: Record<string, string> = {
  'GET /openapi.json': 'the document itself',
  'GET /docs': 'the page that renders the document',
};

describe('the matrix covers every route of the API', () => {
  it('has a case for every (method, path) of /openapi.json', async () => {
    const spec = (await api.request('GET', '/openapi.json', { as: 'none' })).json as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(spec.paths).flatMap(([template, operations]) =>
      Object.keys(operations)
        .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => `${m.toUpperCase()} ${template}`),
    );
    expect(routes.length).toBeGreaterThan(40);
    const templates = routes.map((route) => {
      const [method, template] = route.split(' ') as [string, string];
      const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      return { route, method, pattern, params: (template.match(/\{/g) ?? []).length };
    });
    const covered = new Set<string>();
    const undocumented: string[] = [];
    for (const c of [...cases, ...userCases, ...documentCases]) {
      const path = c.path().split('?')[0]!;
      // The route a router would choose: of the templates that match, the one with the fewest parameters.
      const match = templates.filter((t) => t.method === c.method && t.pattern.test(path)).sort((a, b) => a.params - b.params)[0];
      if (match) covered.add(match.route);
      else undocumented.push(`${c.method} ${path}`);
    }
    const missing = routes.filter((r) => !covered.has(r) && !(r in OUTSIDE_THE_MATRIX));
    expect(missing, 'routes of the API without a case in the role matrix').toEqual([]);
    expect(undocumented, 'cases that are no route of the API').toEqual(Object.keys(OUTSIDE_THE_DOCUMENT));
  });
});

describe('authorisation before anything else', () => {
  it('a caller who may not command a milestone gets 403, whatever its version or whether the school exists, and learns neither', async () => {
    const versions = async () =>
      (
        (await api.request('GET', `/api/schools/${api.school.id}`, { as: 'manager' })).json as {
          milestones: { key: string; version: number }[];
        }
      ).milestones.map((m) => `${m.key}@${m.version}`);
    const before = await versions();
    const milestone = `/api/schools/${api.school.id}/milestones/connection`;
    const missing = '/api/schools/no-such-school/milestones/connection';
    for (const [caller, path, headers] of [
      ['viewer', `${milestone}/accept`, { 'if-match': '"999"' }],
      ['viewer', `${missing}/accept`, {}],
      ['otherContractor', `${milestone}/submit`, { 'if-match': '"999"' }],
      ['otherContractor', `${missing}/submit`, {}],
      ['contractor', `${milestone}/accept`, { 'if-match': '"999"' }],
      ['otherCoordinator', `${milestone}/accept`, { 'if-match': '"999"' }],
      ['otherCoordinator', `${missing}/accept`, {}],
    ] as const) {
      const body = path.endsWith('/submit')
        ? { evidence: { kind: 'connection', actNumber: 'А-1', actDate: '2021-01-01', bandwidthMbps: 100 } }
        : undefined;
      const res = await api.request('POST', path, { as: caller, headers, ...(body ? { body } : {}) });
      expect(res.status, `${caller} ${path} ${JSON.stringify(headers)}`).toBe(403);
      expect(res.headers.get('etag'), `${caller} learns no version`).toBeNull();
      expect(res.json.detail).not.toMatch(/version|does not exist|no-such-school/);
    }
    // Who may command learns what is true: the version conflict, the missing school.
    expect((await api.request('POST', `${milestone}/accept`, { as: 'manager', headers: { 'if-match': '"999"' } })).status).toBe(409);
    expect((await api.request('POST', `${missing}/accept`, { as: 'manager' })).status).toBe(404);
    expect(await versions()).toEqual(before);
  });
});

describe('history after a reassignment', () => {
  it("shows a contractor only its own organization's events: not its predecessor's submission, nor its successor's", async () => {
    const contractors = await api.stack.store.listContractors();
    const eligible = (org: string, district: string) =>
      contractors.some((c) => c.id === org && (c.districts.length === 0 || c.districts.includes(district)));
    const school = (await api.stack.store.listAllSchools({ limit: 1000 })).items.find(
      (s) =>
        s.id !== api.school.id &&
        s.id !== api.otherSchool.id && // its connection carries the document matrix's submission
        eligible(api.contractorOrg, s.district) &&
        eligible(api.otherOrg, s.district),
    );
    if (!school) throw new Error('the fixture region has no second school both internet providers serve');
    // Tokens of their own, so that this test does not spend the matrix's request budget.
    const token = {
      manager: await api.stack.token({ role: 'program-manager', sub: 'manager-reassigning' }),
      first: await api.stack.token({ role: 'contractor', sub: 'first-provider', org: api.contractorOrg }),
      second: await api.stack.token({ role: 'contractor', sub: 'second-provider', org: api.otherOrg }),
    };
    const base = `/api/schools/${school.id}/milestones/connection`;
    const command = async (action: string, as: keyof typeof token, body: unknown) => {
      const res = await api.request('POST', `${base}/${action}`, { token: token[as], body });
      expect(res.status, `${action} by ${as}: ${res.text}`).toBe(200);
    };
    const evidence = (actNumber: string) => ({
      evidence: { kind: 'connection', actNumber, actDate: todayInOmsk(), bandwidthMbps: school.urban ? 120 : 60 },
    });
    const history = async (as: keyof typeof token) => {
      const res = await api.request('GET', `/api/schools/${school.id}/history?limit=100`, { token: token[as] });
      if (res.status !== 200) return { status: res.status, events: [] };
      const items = HistoryPage.parse(res.json).items;
      // The school's workflow starts its other milestones meanwhile; a contractor sees none of them.
      if (as !== 'manager') expect(items.every((e) => e.milestone === 'connection')).toBe(true);
      return {
        status: res.status,
        events: items
          .filter((e) => e.milestone === 'connection')
          .map((e) => `${e.type}@${e.version}`)
          .reverse(),
      };
    };

    await command('start', 'manager', { assignee: api.contractorOrg }); // 1
    // Each provider uploads the documents its submission needs.
    await attachRequiredDocuments(api, school.id, 'connection', { token: token.first });
    await command('submit', 'first', evidence('АКТ-ПЕРВЫЙ')); // 2
    await command('reject', 'manager', { reason: 'Скорость ниже договорной у первого подрядчика' }); // 3
    await command('reassign', 'manager', { contractor: api.otherOrg, reason: 'Сорван срок' }); // 4
    await attachRequiredDocuments(api, school.id, 'connection', { token: token.second });
    await command('submit', 'second', evidence('АКТ-ВТОРОЙ')); // 5
    await command('reject', 'manager', { reason: 'Акт второго подрядчика без подписи' }); // 6
    await command('reassign', 'manager', { contractor: api.contractorOrg }); // 7
    await command('submit', 'first', evidence('АКТ-ПЕРВЫЙ-2')); // 8

    expect(await history('manager')).toEqual({
      status: 200,
      events: ['started@1', 'submitted@2', 'rejected@3', 'reassigned@4', 'submitted@5', 'rejected@6', 'reassigned@7', 'submitted@8'],
    });
    // The first provider: its first period (1–3) and its second (7–8), not the second provider's work.
    expect(await history('first')).toEqual({
      status: 200,
      events: ['started@1', 'submitted@2', 'rejected@3', 'reassigned@7', 'submitted@8'],
    });
    // The second provider no longer holds the milestone: the school is not its business any more.
    expect((await history('second')).status).toBe(403);

    await command('reject', 'manager', { reason: 'Нужен акт с печатью' }); // 9
    await command('reassign', 'manager', { contractor: api.otherOrg }); // 10
    // Now the second provider reads its own period (4–6) and the new one, never the first provider's submissions.
    expect(await history('second')).toEqual({ status: 200, events: ['reassigned@4', 'submitted@5', 'rejected@6', 'reassigned@10'] });
  });
});
