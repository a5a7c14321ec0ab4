/**
 * Bad input on every route, generated (fast-check): malformed JSON, wrong types, unknown fields, huge
 * bodies, wrong media types, bad query parameters and cursors, ids with path traversal and odd
 * characters, missing or broken tokens. Every request has at least one defect, so none may succeed:
 * each answer is a 4xx RFC 9457 problem (never a 5xx), and the table's items are the same afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Problem } from '../../shared/api/schemas.js';
import { CommandType } from '../../shared/program/model.js';
import { startApi, type ApiFixture, type Caller } from './helpers.js';

let api: ApiFixture;
let before: string[];

beforeAll(async () => {
  api = await startApi('badinput');
  before = await api.items();
});
afterAll(async () => {
  await api?.stop();
});

const ACTIONS = CommandType.options;
const MILESTONES = ['connection', 'equipment', 'training', 'onboarding'];

/** Ids that are not ids: traversal, separators, encodings, control characters, too long. */
const badId = fc.oneof(
  fc.constantFrom(
    '..',
    '../..',
    '..%2F..%2Fetc%2Fpasswd',
    '%2e%2e%2f',
    '%00',
    'a%2Fb',
    '%20',
    'sch-0001%3B%20DROP',
    '%E2%80%AE',
    'x'.repeat(65),
    '-leading',
    'SCHOOL%23x',
    '%25',
    '%C0%AE',
  ),
  fc
    .string({ minLength: 1, maxLength: 80 })
    .filter((s) => !/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(s))
    .map(encodeURIComponent),
);
const badKey = fc.oneof(
  fc.constantFrom('Connection', '..', 'c', 'x'.repeat(40), '%2e%2e', 'conn%00'),
  fc
    .string({ minLength: 1, maxLength: 40 })
    .filter((s) => !/^[a-z][a-z0-9-]{1,31}$/.test(s))
    .map(encodeURIComponent),
);

/** A JSON value that is not an object (the body of every command is one). */
const notAnObject = fc.oneof(fc.array(fc.jsonValue(), { maxLength: 4 }), fc.integer(), fc.string(), fc.constant(null), fc.boolean());
/** Text that is not JSON. */
const malformed = fc.oneof(
  fc.constantFrom(
    '{',
    '{"reason":',
    '{"reason": "x",}',
    "{'reason': 'abc'}",
    'nul',
    '[1,2',
    '{"a":1}{"b":2}',
    '\u0000',
    '{"evidence":{"kind":"connection",}}',
  ),
  fc.string({ minLength: 1, maxLength: 200 }).filter((s) => {
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true;
    }
  }),
);
/** An object with at least one field no schema has (strict schemas refuse it). */
const unknownFields = fc
  .tuple(
    fc.dictionary(
      fc.string({ maxLength: 10 }).map((k) => `x_${k}`),
      fc.jsonValue(),
      { minKeys: 1, maxKeys: 4 },
    ),
    fc.dictionary(fc.constantFrom('reason', 'note', 'assignee', 'evidence', 'deadline', 'contractor'), fc.jsonValue(), { maxKeys: 3 }),
  )
  .map(([extra, known]) => ({ ...known, ...extra }));
/** Known fields with values of the wrong type. */
const wrongTypes = fc.oneof(
  fc.record({ reason: fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string())) }),
  fc.record({
    evidence: fc.oneof(
      fc.string(),
      fc.integer(),
      fc.constant(null),
      fc.record({ kind: fc.string().filter((k) => !['connection', 'equipment', 'training', 'onboarding'].includes(k)) }),
    ),
  }),
  fc.record({
    deadline: fc.oneof(fc.integer(), fc.constantFrom('2024-02-30', '31.12.2024', '2024-13-01', ''), fc.string()),
    reason: fc.integer(),
  }),
  fc.record({ assignee: fc.oneof(fc.integer(), fc.constant(null), fc.constantFrom('../x', 'a b', '')) }),
  fc.record({ contractor: fc.oneof(fc.integer(), fc.constant('')) }),
  fc.record({ note: fc.oneof(fc.integer(), fc.constant('n'.repeat(2001)), fc.array(fc.integer())) }),
);

type Body = { kind: 'json'; value: unknown } | { kind: 'raw'; text: string; contentType: string };
const badBody: fc.Arbitrary<Body> = fc.oneof(
  malformed.map((text): Body => ({ kind: 'raw', text, contentType: 'application/json' })),
  notAnObject.map((value): Body => ({ kind: 'json', value })),
  unknownFields.map((value): Body => ({ kind: 'json', value })),
  wrongTypes.map((value): Body => ({ kind: 'json', value })),
  fc.integer({ min: 65 * 1024, max: 200 * 1024 }).map((n): Body => ({ kind: 'json', value: { reason: 'x'.repeat(n) } })),
  fc
    .constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded')
    .map((contentType): Body => ({ kind: 'raw', text: '{"reason":"Причина"}', contentType })),
);

/** Tokens that are not a valid signed-in user. */
const badAuth = fc.oneof(
  fc.constantFrom<Caller>('none', 'expired', 'foreignKey').map((as) => ({ as })),
  fc
    .constantFrom('Bearer', 'Bearer a.b', 'Basic dXNlcjpwYXNz', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', 'bearer ' + 'A'.repeat(5000))
    .map((value) => ({ header: value })),
);

async function send(method: string, path: string, body: Body | null, auth: { as?: Caller; header?: string } = { as: 'manager' }) {
  const headers: Record<string, string> = auth.header ? { authorization: auth.header } : {};
  return api.request(method, path, {
    ...(auth.header ? { token: null, headers } : { as: auth.as ?? 'manager' }),
    ...(body === null ? {} : body.kind === 'json' ? { body: body.value } : { raw: body.text, contentType: body.contentType }),
  });
}

function expectProblem(res: { status: number; headers: Headers; json: unknown; text: string }, what: string): void {
  expect(res.status, `${what} → ${res.status} ${res.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  expect(res.status, `${what} → ${res.status} ${res.text.slice(0, 300)}`).toBeLessThan(500);
  expect(res.headers.get('content-type'), what).toContain('application/problem+json');
  const problem = Problem.parse(res.json);
  expect(problem.status).toBe(res.status);
}

describe('bad input never gets a 5xx and never writes', () => {
  it('commands with a bad body, a bad id or a bad token', async () => {
    const schoolId = api.school.id;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ACTIONS),
        fc.oneof(
          fc.record({ defect: fc.constant('body' as const), body: badBody, milestone: fc.constantFrom(...MILESTONES) }),
          fc.record({
            defect: fc.constant('id' as const),
            id: badId,
            milestone: fc.constantFrom(...MILESTONES),
            body: fc.constant<Body>({ kind: 'json', value: {} }),
          }),
          fc.record({
            defect: fc.constant('key' as const),
            key: badKey,
            body: fc.constant<Body>({ kind: 'json', value: { reason: 'Причина' } }),
          }),
          fc.record({
            defect: fc.constant('auth' as const),
            auth: badAuth,
            milestone: fc.constantFrom(...MILESTONES),
            body: fc.constant<Body>({ kind: 'json', value: { reason: 'Причина' } }),
          }),
          fc.record({
            defect: fc.constant('header' as const),
            header: fc.oneof(
              fc.record({ 'if-match': fc.constantFrom('"abc"', 'W/', '-1', '"1.5"', '1e3') }),
              fc.record({ 'idempotency-key': fc.constantFrom('a b', 'x'.repeat(300), 'tab\tkey', '"quoted key"') }),
            ),
            milestone: fc.constantFrom(...MILESTONES),
            body: fc.constant<Body>({ kind: 'json', value: { reason: 'Причина' } }),
          }),
        ),
        async (action, c) => {
          const id = c.defect === 'id' ? c.id : schoolId;
          const key = c.defect === 'key' ? c.key : c.milestone;
          const path = `/api/schools/${id}/milestones/${key}/${action}`;
          if (c.defect === 'header') {
            const res = await api.request('POST', path, {
              body: (c.body as { value: unknown }).value,
              headers: c.header as Record<string, string>,
            });
            expectProblem(res, `${action} with header ${JSON.stringify(c.header)}`);
            return;
          }
          const res = await send('POST', path, c.body, c.defect === 'auth' ? c.auth : { as: 'manager' });
          expectProblem(res, `${action} ${c.defect} ${path.slice(0, 120)}`);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('bulk actions, imports and every GET with bad parameters', async () => {
    const limitBad = fc.constantFrom('0', '-1', 'abc', '1e9', '201', '', '1.5');
    const cursorBad = fc.oneof(
      fc.constantFrom('x', '!!!', 'eyJjIjpudWxsfQ', 'e30', 'A'.repeat(3000)),
      fc.string({ minLength: 1, maxLength: 40 }).map(encodeURIComponent),
    );
    const get = fc.oneof(
      fc
        .tuple(
          limitBad,
          fc.constantFrom('/api/schools', '/api/me/assignments', '/api/notifications', `/api/schools/${api.school.id}/history`),
        )
        .map(([l, p]) => `${p}?limit=${encodeURIComponent(l)}`),
      fc
        .tuple(cursorBad, fc.constantFrom('/api/schools', `/api/schools/${api.school.id}/history`, '/api/notifications'))
        .map(([c, p]) => `${p}?cursor=${c}`),
      fc
        .tuple(
          fc.constantFrom(
            'status=done',
            'overdue=yes',
            'district=..%2F',
            'milestone=x',
            'q=' + 'y'.repeat(101),
            'unknown=1',
            'district=omsk-city&district=x',
          ),
          fc.constant('/api/schools'),
        )
        .map(([q, p]) => `${p}?${q}`),
      fc.constantFrom('asOf=2024-02-30', 'asOf=yesterday', 'groupBy=school', 'format=xml', 'x=1').map((q) => `/api/reports/progress?${q}`),
      fc.constantFrom('asOf=2024-02-30', 'weeks=0', 'weeks=27', 'weeks=two', 'x=1').map((q) => `/api/reports/forecast?${q}`),
      badId.map((id) => `/api/schools/${id}`),
      badId.map((id) => `/api/schools/${id}/history`),
      badId.map((id) => `/api/jobs/${id}`),
      fc.constantFrom(
        '/api/jobs/job-none',
        '/api/schools/sch-none',
        '/api/unknown',
        '/api/schools/sch-0001/milestones',
        '/api/../../etc/passwd',
        '/api/%2e%2e/%2e%2e/etc/passwd',
        '/assets/..%2F..%2Fpackage.json',
        '/assets/%2e%2e%2fpackage.json',
      ),
    );
    const bulkBody = fc.oneof(
      badBody,
      fc
        .record({
          milestone: fc.constantFrom('connection', 'nope', '../x'),
          filter: fc.oneof(
            fc.constant({ district: 5 }),
            fc.constant({ schoolIds: [] }),
            fc.constant({ schoolIds: ['../x'] }),
            fc.constant({ extra: true }),
          ),
          body: fc.constant({ reason: 'ok ok' }),
        })
        .map((value): Body => ({ kind: 'json', value })),
      fc
        .record({ milestone: fc.constant('connection'), filter: fc.constant({}), body: fc.constant({ reason: 1, extra: 'x' }) })
        .map((value): Body => ({ kind: 'json', value })),
    );
    const csv = fc.oneof(
      fc.constant<Body>({ kind: 'raw', text: 'id,name,district\nsch-x,Школа,nowhere\n', contentType: 'text/csv' }),
      fc.string({ maxLength: 300 }).map((text): Body => ({ kind: 'raw', text, contentType: 'text/csv' })),
      fc.constant<Body>({ kind: 'json', value: { csv: 'id,name' } }),
      fc.constant<Body>({ kind: 'raw', text: 'x'.repeat(6 * 1024 * 1024), contentType: 'text/csv' }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          get.map((path) => ({ method: 'GET', path, body: null as Body | null, auth: { as: 'manager' as Caller } })),
          fc
            .tuple(fc.constantFrom(...ACTIONS), bulkBody)
            .map(([action, body]) => ({ method: 'POST', path: `/api/bulk/${action}`, body, auth: { as: 'manager' as Caller } })),
          csv.map((body) => ({ method: 'POST', path: '/api/imports/schools', body, auth: { as: 'manager' as Caller } })),
          fc
            .tuple(
              fc.constantFrom(
                '/api/me',
                '/api/schools',
                '/api/reports/progress',
                '/api/notifications',
                '/api/bulk/hold',
                '/api/imports/schools',
              ),
              badAuth,
            )
            .map(([path, auth]) => ({
              method: path.includes('bulk') || path.includes('imports') ? 'POST' : 'GET',
              path,
              body: null as Body | null,
              auth,
            })),
          fc.constantFrom('PUT', 'DELETE', 'PATCH').map((method) => ({
            method,
            path: `/api/schools/${api.school.id}`,
            body: null as Body | null,
            auth: { as: 'manager' as Caller },
          })),
        ),
        async (c) => {
          const res = await send(c.method, c.path, c.body, c.auth);
          // `..` segments are resolved by the URL rules before routing: a path that leaves /api is the
          // dashboard's or nobody's (never a file outside the dashboard), and still never a 5xx.
          const resolved = new URL(c.path, api.stack.url).pathname;
          if (c.method === 'GET' && !resolved.startsWith('/api/')) {
            expect(res.status, `${c.path} → ${resolved}`).toBeLessThan(500);
            if (res.status === 200) expect(['/', '/index.html']).toContain(resolved);
            return;
          }
          expectProblem(res, `${c.method} ${c.path.slice(0, 120)}`);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a body over the gateway limit (10 MB) is refused with 413 before the function runs', async () => {
    const res = await fetch(`${api.stack.url}/api/imports/schools`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.tokens.manager}`, 'content-type': 'text/csv' },
      body: 'x'.repeat(11 * 1024 * 1024),
    });
    expect(res.status).toBe(413);
  });

  it('wrote nothing', async () => {
    expect(await api.items()).toEqual(before);
  });
});
