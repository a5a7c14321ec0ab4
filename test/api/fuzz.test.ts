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
import type { School } from '../../shared/program/model.js';
import { CALLERS, startApi, type ApiFixture, type Caller } from './helpers.js';

const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 300);
const MILESTONES = ['connection', 'equipment', 'training', 'onboarding'] as const;

let api: ApiFixture;
/** Every route of the document: method and path template. */
let routes: { method: string; path: string }[] = [];
let managerJob = '';
let otherSchool: School;

beforeAll(async () => {
  api = await startApi('fuzz', { rateLimit: false });
  const doc = (await api.request('GET', '/openapi.json', { token: null })).json as { paths: Record<string, Record<string, unknown>> };
  routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })));
  otherSchool = (await api.stack.store.listAllSchools({ limit: 1000 })).items.find((s) => s.district === api.otherDistrict)!;
  const job = await api.request('POST', '/api/bulk/reschedule', { body: { milestone: 'training', filter: { schoolIds: [otherSchool.id] }, body: { deadline: '2031-06-30', reason: 'Перенос' } } });
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
const milestone = fc.constantFrom(...MILESTONES, 'no-such-milestone');
const reason = fc.constantFrom('Проверка', 'Ремонт здания', '', 'x'.repeat(600));
const date = fc.constantFrom('2031-06-30', '2020-01-01', '2024-02-30', 'soon');

/** A body for each command: plausible most of the time, sometimes wrong. */
function commandBody(action: string): fc.Arbitrary<unknown> {
  const plausible: Record<string, fc.Arbitrary<unknown>> = {
    start: fc.record({ assignee: fc.constantFrom(api.contractorOrg, api.otherOrg, 'nobody') }, { requiredKeys: [] }),
    submit: fc.record({ evidence: fc.constantFrom({ kind: 'connection', actNumber: 'A-1', actDate: '2021-03-01', bandwidthMbps: 100 }, { kind: 'training' }) }),
    accept: fc.record({ note: fc.constantFrom('ok', 'n'.repeat(3000)) }, { requiredKeys: [] }),
    reject: fc.record({ reason }),
    hold: fc.record({ reason }),
    resume: fc.constant({}),
    waive: fc.record({ reason }),
    reassign: fc.record({ assignee: fc.constantFrom(api.contractorOrg, api.otherOrg, 'nobody'), reason }, { requiredKeys: ['assignee'] }),
    reschedule: fc.record({ deadline: date, reason }),
  };
  return fc.oneof({ weight: 4, arbitrary: plausible[action] ?? fc.constant({}) }, { weight: 1, arbitrary: fc.jsonValue() });
}

function requestFor(route: { method: string; path: string }): fc.Arbitrary<Omit<Request, 'caller'>> {
  const action = /\/(?:milestones\/\{milestone\}|bulk)\/(\w+)$/.exec(route.path)?.[1];
  const fill = (school: string, key: string, job: string) =>
    route.path.replace('{schoolId}', encodeURIComponent(school)).replace('{milestone}', encodeURIComponent(key)).replace('{jobId}', encodeURIComponent(job));
  const path = fc
    .tuple(schoolIds(), milestone, fc.constantFrom(managerJob, 'job-missing'), fc.constantFrom('', '?limit=2', '?limit=0', '?asOf=2030-01-01', '?cursor=zzz', '?district=tarsky'))
    .map(([s, k, j, q]) => fill(s, k, j) + (route.method === 'GET' ? q : ''));
  const base = { method: fc.constant(route.method), route: fc.constant(`${route.method} ${route.path}`), path };
  if (route.path === '/api/imports/schools') {
    const school = fc.tuple(fc.constantFrom(api.school.id, 'fz'), fc.nat(1_000_000)).map(([id, n]) => ({ ...api.school, id: id === 'fz' ? `fz-${n}` : id }));
    return fc.record({ ...base, raw: fc.array(school, { minLength: 1, maxLength: 2 }).map((s) => schoolsToCsv(s)), contentType: fc.constantFrom('text/csv', 'application/json') });
  }
  if (route.method !== 'POST') return fc.record(base);
  if (route.path.startsWith('/api/bulk/') && action) {
    const body = fc.record({
      milestone,
      filter: fc.oneof(fc.constant({ schoolIds: [otherSchool.id] }), fc.constant({ schoolIds: [api.school.id], district: api.otherDistrict })),
      body: commandBody(action),
    });
    return fc.record({ ...base, body });
  }
  return fc.record({ ...base, body: action ? commandBody(action) : fc.jsonValue(), headers: fc.constantFrom<Record<string, string>>({}, { 'idempotency-key': 'fuzz-key-1' }, { 'if-match': '"1"' }) });
}

/** The model: may this caller get a 2xx for this request? (Whether it does depends on the state too.) */
function mayPass(r: Request): boolean {
  if (!r.path.startsWith('/api/')) return true;
  if (r.caller === 'none' || r.caller === 'expired' || r.caller === 'foreignKey') return false;
  if (r.method === 'GET') {
    if (r.route === 'GET /api/jobs/{jobId}') return r.caller === 'manager';
    if (r.route === 'GET /api/reports/contractors') return r.caller !== 'coordinator' && r.caller !== 'otherCoordinator';
    return true;
  }
  if (r.caller === 'viewer') return false;
  const action = /\/(\w+)$/.exec(r.route)?.[1] ?? '';
  if (r.route.startsWith('POST /api/imports/')) return r.caller === 'manager';
  if (r.route.startsWith('POST /api/bulk/')) return r.caller === 'manager' || r.caller === 'coordinator' || r.caller === 'otherCoordinator';
  const inSchool = decodeURIComponent(r.path.split('/')[3] ?? '');
  switch (r.caller) {
    case 'manager':
      return true;
    case 'coordinator':
      return inSchool === api.school.id;
    case 'otherCoordinator':
      return inSchool === otherSchool.id;
    case 'contractor':
    case 'otherContractor':
      return action === 'submit';
  }
}

describe('fuzz: every route and role against the model', () => {
  it(`${REQUESTS} generated requests: no 5xx, nothing forbidden passes, nothing refused writes`, { timeout: Math.max(300_000, REQUESTS * 500) }, async () => {
    const request = fc.tuple(fc.constantFrom(...CALLERS), fc.constantFrom(...routes)).chain(([caller, route]) => requestFor(route).map((r): Request => ({ ...r, caller })));
    let before = await api.items();
    const seen = new Map<string, number>();
    const answered = { accepted: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const res = await api.request(r.method, r.path, {
          as: r.caller,
          ...(r.raw !== undefined ? { raw: r.raw, contentType: r.contentType ?? 'text/csv' } : r.body !== undefined ? { body: r.body } : {}),
          ...(r.headers ? { headers: r.headers } : {}),
        });
        const what = `${r.caller} ${r.method} ${r.path} → ${res.status} ${res.text.slice(0, 300)}`;
        seen.set(r.route, (seen.get(r.route) ?? 0) + 1);
        expect(res.status, what).toBeLessThan(500);
        if (res.status < 400) {
          answered.accepted++;
          expect(mayPass(r), what).toBe(true);
          // A contractor reads its own scorecard rows only.
          if (r.route === 'GET /api/reports/contractors' && (r.caller === 'contractor' || r.caller === 'otherContractor') && res.headers.get('content-type')?.includes('json')) {
            const own = r.caller === 'contractor' ? api.contractorOrg : api.otherOrg;
            expect((res.json as { rows: { contractor: string }[] }).rows.every((row) => row.contractor === own), what).toBe(true);
          }
          await settle();
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
  });
});
