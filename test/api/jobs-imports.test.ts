/**
 * Bulk jobs, CSV imports, the progress report's CSV, the OpenAPI document and the docs page, over HTTP
 * against the local stack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Job, Problem, ProgressReport, SchoolDetail, SchoolList } from '../../shared/api/schemas.js';
import { schoolsToCsv } from '../../shared/region/csv-import.js';
import type { School } from '../../shared/program/model.js';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBClient, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { OffsetClock, SystemClock, type Clock } from '../../shared/clock.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import { createJobStore } from '../../shared/store/jobs.js';
import { createWorkflowSignal } from '../../functions/common/workflow-signal.js';
import { runJob, type JobRunnerDeps } from '../../functions/api/jobs.js';
import { eventually, startApi, type ApiFixture } from './helpers.js';

let api: ApiFixture;

/** A DynamoDB client whose connection drops after `writes` transactions (every later one fails). */
function failingAfter(writes: number): DynamoDBClient {
  const client = new DynamoDBClient({ endpoint: api.stack.dynamodbEndpoint });
  const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  let count = 0;
  client.send = (async (command: unknown) => {
    if (command instanceof TransactWriteItemsCommand && ++count > writes) throw new Error('connection lost');
    return send(command);
  }) as typeof client.send;
  return client;
}

/** What the API function runs a job with, over the given client (the store itself stays healthy). */
function runner(client: DynamoDBClient, clock: Clock = new SystemClock()): JobRunnerDeps {
  const store = api.stack.store;
  return {
    store,
    program: REFERENCE_PROGRAM,
    clock,
    jobs: createJobStore({ client, tableName: api.stack.tableName, clock }),
    signal: createWorkflowSignal({
      sfn: new SFNClient({ endpoint: api.stack.sfnEndpoint }),
      store,
      stateMachineArn: api.stack.schoolProgramArn,
      log: () => undefined,
    }),
    log: () => undefined,
  };
}

/** The job once it is done or failed, as GET /api/jobs/{id} shows it. */
async function finished(jobId: string, as: 'manager' | 'coordinator' = 'manager'): Promise<Job> {
  return eventually(async () => {
    const j = Job.parse((await api.request('GET', `/api/jobs/${jobId}`, { as })).json);
    return j.status === 'done' || j.status === 'failed' ? j : undefined;
  }, `job ${jobId} to finish`);
}

beforeAll(async () => {
  api = await startApi('jobs');
});
afterAll(async () => {
  await api?.stop();
});

describe('bulk jobs', () => {
  it('reschedules one milestone of every school of a district, asynchronously, with an outcome per school', async () => {
    const district = api.school.district;
    const schools = (await api.stack.store.listSchoolsByDistrict(district, { limit: 100 })).items;
    expect(schools.length).toBeGreaterThan(0);
    // One school gets the new deadline beforehand, so the job's command is refused there (not-allowed).
    const same = schools[0]!;
    const first = await api.request('POST', `/api/schools/${same.id}/milestones/training/reschedule`, {
      body: { deadline: '2031-06-30', reason: 'Заранее перенесено' },
    });
    expect(first.status).toBe(200);

    const created = await api.request('POST', '/api/bulk/reschedule', {
      as: 'coordinator',
      body: { milestone: 'training', filter: {}, body: { deadline: '2031-06-30', reason: 'Перенос обучения на лето' } },
    });
    expect(created.status).toBe(202);
    const job = Job.parse(created.json);
    expect(created.headers.get('location')).toBe(`/api/jobs/${job.id}`);
    expect(job).toMatchObject({ status: 'queued', action: 'reschedule', milestone: 'training', filter: { district } });

    const done = await eventually(async () => {
      const res = await api.request('GET', `/api/jobs/${job.id}`, { as: 'coordinator' });
      const j = Job.parse(res.json);
      return j.status === 'done' ? j : undefined;
    }, 'the bulk job to finish');
    expect(done.total).toBe(schools.length);
    expect(done.results.map((r) => r.schoolId).sort()).toEqual(schools.map((s) => s.id).sort());
    expect(done.results.find((r) => r.schoolId === same.id)).toMatchObject({ outcome: 'rejected', status: 409, code: 'not-allowed' });
    expect(done.succeeded).toBe(schools.length - 1);
    expect(done.failed).toBe(1);
    for (const s of schools) {
      const detail = SchoolDetail.parse((await api.request('GET', `/api/schools/${s.id}`)).json);
      expect(detail.milestones.find((m) => m.key === 'training')!.deadline).toBe('2031-06-30');
    }
    // The commands reached the schools: the job delivers each signal before it goes on, so every school
    // its command changed has a running workflow once the job is done. The school rescheduled through the
    // route gets its signal from the asynchronous signal dispatcher after the answer, so maybe a moment later.
    const running = async () =>
      new Set(
        (await api.stack.runtime.listExecutions({ stateMachineArn: api.stack.schoolProgramArn!, statusFilter: 'RUNNING' })).executions.map(
          (e) => e.name,
        ),
      );
    const names = await running();
    for (const s of schools) if (s.id !== same.id) expect(names.has(`school-${s.id}-1`), s.id).toBe(true);
    await eventually(async () => (await running()).has(`school-${same.id}-1`), "the route's signal to reach its school");
  });

  it('refuses a bulk action outside the coordinator’s district, and bad bodies', async () => {
    const other = await api.request('POST', '/api/bulk/hold', {
      as: 'coordinator',
      body: { milestone: 'connection', filter: { district: api.otherDistrict }, body: { reason: 'Проверка' } },
    });
    expect(other.status).toBe(403);
    const bad = await api.request('POST', '/api/bulk/hold', {
      body: { milestone: 'connection', filter: { overdue: 'yes' }, body: { reason: 1 }, extra: true },
    });
    expect(bad.status).toBe(400);
    expect(
      Problem.parse(bad.json)
        .errors!.map((e) => e.field)
        .sort(),
    ).toEqual(['body.body.reason', 'body.extra', 'body.filter.overdue']);
  });
});

describe('CSV import', () => {
  const newSchool = (id: string, district: string): School => ({
    id,
    name: `МБОУ «Новая школа ${id}»`,
    district,
    locality: 'Омск',
    urban: true,
    cohortYear: 2024,
    plannedKit: { 'teacher-laptop': 5, mfp: 1 },
    teachersToTrain: 7,
    students: 300,
  });

  it('imports all rows of a good file, with milestones and a workflow for each new school', async () => {
    const csv = schoolsToCsv([newSchool('new-001', api.school.district), newSchool('new-002', api.otherDistrict)]);
    const res = await api.request('POST', '/api/imports/schools', { raw: csv, contentType: 'text/csv; charset=utf-8' });
    expect(res.status).toBe(202);
    const job = Job.parse(res.json);
    expect(job).toMatchObject({ kind: 'import', status: 'queued', total: 2, action: null, milestone: null });
    expect(res.headers.get('location')).toBe(`/api/jobs/${job.id}`);
    const done = await finished(job.id);
    expect(done).toMatchObject({ status: 'done', total: 2, processed: 2, succeeded: 2, failed: 0, attempts: 1, error: null });
    expect(done.results.map((r) => [r.schoolId, r.outcome]).sort()).toEqual([
      ['new-001', 'ok'],
      ['new-002', 'ok'],
    ]);
    const detail = SchoolDetail.parse((await api.request('GET', '/api/schools/new-002')).json);
    expect(detail.school.district).toBe(api.otherDistrict);
    expect(detail.milestones.map((m) => m.key)).toEqual(['connection', 'equipment', 'training', 'onboarding']);
    const running = await api.stack.runtime.listExecutions({ stateMachineArn: api.stack.schoolProgramArn!, statusFilter: 'RUNNING' });
    expect(running.executions.some((e) => e.name === 'school-new-002-1')).toBe(true);
  });

  it('imports nothing from a file with bad rows, and lists every one with line, column and reason', async () => {
    const good = schoolsToCsv([newSchool('new-003', api.school.district)]).trimEnd();
    const lines = good.split('\r\n');
    const header = lines[0]!;
    const row = lines[1]!;
    const csv = [header, row, row.replace('new-003', 'new-004').replace(',2024,', ',1999,'), row.replace('new-003', 'new-001')].join('\n');
    // Workflows of earlier tests still write to their schools; what an import writes is profiles and milestones.
    const importable = async () =>
      (await api.items()).filter(
        (i) => /"SK":\{"S":"(PROFILE|MILESTONE#[a-z-]+)"\}/.test(i) && !/"PK":\{"S":"SCHOOL#(sch-|new-00[12])/.test(i),
      );
    const schoolsBefore = (await api.stack.store.listAllSchools({ limit: 1000 })).items.map((s) => s.id);
    const before = await importable();
    const res = await api.request('POST', '/api/imports/schools', { raw: csv, contentType: 'text/csv' });
    expect(res.status).toBe(400);
    const problem = Problem.parse(res.json);
    expect(problem.errors!.map((e) => [e.line, e.column])).toEqual([
      [3, 'cohort_year'],
      [4, 'id'],
    ]);
    expect(problem.errors!.every((e) => e.reason.length > 0)).toBe(true);
    expect(await importable()).toEqual(before);
    expect((await api.stack.store.listAllSchools({ limit: 1000 })).items.map((s) => s.id)).toEqual(schoolsBefore);
  });

  it('creates a school id exactly once when two imports of it run at the same time', async () => {
    const a = { ...newSchool('dup-001', api.school.district), name: 'МБОУ «Школа А»' };
    const b = { ...newSchool('dup-001', api.school.district), name: 'МБОУ «Школа Б»' };
    const upload = (schools: School[]) =>
      api.request('POST', '/api/imports/schools', { raw: schoolsToCsv(schools), contentType: 'text/csv' });
    const answers = await Promise.all([
      upload([a, newSchool('dup-a', api.school.district)]),
      upload([b, newSchool('dup-b', api.school.district)]),
    ]);
    // Each upload is refused whole when it already sees the other's school, or imported by a job.
    const outcomes: string[] = [];
    for (const res of answers) {
      if (res.status === 400) {
        expect(Problem.parse(res.json).errors!.map((e) => e.column)).toEqual(['id']);
        outcomes.push('refused');
        continue;
      }
      expect(res.status).toBe(202);
      const done = await finished(Job.parse(res.json).id);
      expect(done.status).toBe('done');
      const dup = done.results.find((r) => r.schoolId === 'dup-001')!;
      outcomes.push(dup.outcome);
      if (dup.outcome === 'rejected') expect(dup).toMatchObject({ status: 409, code: 'already-exists' });
    }
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(1);
    const record = await api.stack.store.getSchool('dup-001');
    expect(record!.milestones.map((m) => m.state.key).sort()).toEqual(['connection', 'equipment', 'onboarding', 'training']);
    const winner = outcomes[0] === 'ok' ? a : b;
    expect(record!.school.name).toBe(winner.name);
  });

  it('resumes an import stopped part way, creating each school once, and ends a job that fails every attempt as failed', async () => {
    const schools = Array.from({ length: 6 }, (_, i) => newSchool(`res-00${i}`, api.otherDistrict));
    const manager = { sub: 'manager-1', role: 'program-manager' as const };
    // The connection to the table drops after two school transactions: the run stops part way.
    const broken = runner(failingAfter(2));
    const job = await broken.jobs.createImport({ schools, createdBy: manager });
    await expect(runJob(broken, job.id)).rejects.toThrow(/connection lost/);
    const stopped = Job.parse((await api.request('GET', `/api/jobs/${job.id}`)).json);
    expect(stopped).toMatchObject({ status: 'running', attempts: 1 });
    expect(stopped.error).toMatch(/attempt 1 stopped: connection lost/);
    const createdBefore = stopped.results.map((r) => r.schoolId);
    expect(createdBefore.length).toBeGreaterThanOrEqual(2);
    expect(createdBefore.length).toBeLessThan(6);

    await runJob(runner(api.stack.dynamodb), job.id);
    const done = Job.parse((await api.request('GET', `/api/jobs/${job.id}`)).json);
    expect(done).toMatchObject({ status: 'done', attempts: 2, total: 6, processed: 6, succeeded: 6, failed: 0, error: null });
    for (const s of schools) {
      const record = await api.stack.store.getSchool(s.id);
      expect(record!.milestones.map((m) => m.state.key).sort()).toEqual(['connection', 'equipment', 'onboarding', 'training']);
    }
    // Every attempt fails: the last one ends the job failed, with the reason.
    const hopeless = runner(failingAfter(0));
    const doomed = await hopeless.jobs.createImport({ schools: [newSchool('res-100', api.otherDistrict)], createdBy: manager });
    await expect(runJob(hopeless, doomed.id)).rejects.toThrow();
    await expect(runJob(hopeless, doomed.id)).rejects.toThrow();
    await runJob(hopeless, doomed.id);
    const failed = Job.parse((await api.request('GET', `/api/jobs/${doomed.id}`)).json);
    expect(failed).toMatchObject({ status: 'failed', attempts: 3, succeeded: 0 });
    expect(failed.error).toMatch(/failed in each of its 3 attempts; the last: connection lost/);
    expect(await api.stack.store.getSchool('res-100')).toBeNull();
  });

  it('marks a job failed when it stopped without finishing and no run is left', async () => {
    // Created (and last touched) eleven minutes ago; nothing ran it since.
    const past = runner(api.stack.dynamodb, new OffsetClock(-11 * 60_000));
    const job = await past.jobs.createBulk({
      action: 'hold',
      milestone: 'connection',
      filter: { schoolIds: [api.school.id] },
      body: { reason: 'Проверка' },
      createdBy: { sub: 'manager-1', role: 'program-manager' },
    });
    const read = Job.parse((await api.request('GET', `/api/jobs/${job.id}`)).json);
    expect(read.status).toBe('failed');
    expect(read.error).toMatch(/no progress since .*stopped without finishing/);
    // A late run of it changes nothing.
    await runJob(runner(api.stack.dynamodb), job.id);
    expect((await api.stack.store.getMilestone(api.school.id, 'connection'))?.state.status).not.toBe('on-hold');
  });

  it('only program managers import, and only text/csv', async () => {
    expect((await api.request('POST', '/api/imports/schools', { as: 'coordinator', raw: 'id\n', contentType: 'text/csv' })).status).toBe(
      403,
    );
    expect((await api.request('POST', '/api/imports/schools', { body: { csv: 'id' } })).status).toBe(415);
  });
});

describe('school list', () => {
  it('pages through every school with opaque cursors, filtered or not', async () => {
    const all = (await api.stack.store.listAllSchools({ limit: 1000 })).items.map((s) => s.id).sort();
    const walk = async (query: string) => {
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 50; pages++) {
        const res = await api.request('GET', `/api/schools?${query}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status).toBe(200);
        const page = SchoolList.parse(res.json);
        seen.push(...page.items.map((s) => s.id));
        cursor = page.nextCursor;
        if (!cursor) break;
      }
      return seen;
    };
    const unfiltered = await walk('limit=7');
    expect([...unfiltered].sort()).toEqual(all);
    expect(new Set(unfiltered).size).toBe(unfiltered.length);
    // Overdue milestones of the pending kind: every school whose connection is still pending (deadline 2021).
    const connections = await Promise.all(all.map(async (id) => ({ id, m: await api.stack.store.getMilestone(id, 'connection') })));
    const pendingIds = connections.filter(({ m }) => m === null || m.state.status === 'pending').map(({ id }) => id);
    const filtered = await walk('limit=5&milestone=connection&status=pending&overdue=true');
    expect([...filtered].sort()).toEqual([...pendingIds].sort());
    // A cursor is bound to its filters.
    const first = SchoolList.parse((await api.request('GET', '/api/schools?limit=3')).json);
    const misuse = await api.request('GET', `/api/schools?limit=3&district=${api.school.district}&cursor=${first.nextCursor}`);
    expect(misuse.status).toBe(400);
    expect(Problem.parse(misuse.json).errors![0]!.field).toBe('query.cursor');
  });
});

describe('reports and documentation', () => {
  it('gives the progress report as JSON and, on request, as CSV', async () => {
    const json = ProgressReport.parse((await api.request('GET', '/api/reports/progress?asOf=2031-01-01')).json);
    expect(json.asOf).toBe('2031-01-01');
    expect(json.total.schools).toBeGreaterThanOrEqual(40);
    const viaAccept = await api.request('GET', '/api/reports/progress?asOf=2031-01-01', { headers: { accept: 'text/csv' } });
    expect(viaAccept.status).toBe(200);
    expect(viaAccept.headers.get('content-type')).toContain('text/csv');
    expect(viaAccept.headers.get('content-disposition')).toContain('progress-2031-01-01.csv');
    const rows = viaAccept.text
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    expect(rows[0]!.split(',').slice(0, 4)).toEqual(['district', 'district_ru', 'schools', 'connection_reached']);
    expect(rows).toHaveLength(json.rows.length + 2);
    expect(rows.at(-1)!.startsWith(`total,Итого,${json.total.schools},`)).toBe(true);
    expect((await api.request('GET', '/api/reports/progress', { headers: { accept: 'application/xml' } })).status).toBe(406);
  });

  it('splits the progress report by urban and rural schools and by district size, with the gap between them', async () => {
    const all = ProgressReport.parse((await api.request('GET', '/api/reports/progress?asOf=2031-01-01')).json);
    const settlement = ProgressReport.parse((await api.request('GET', '/api/reports/progress?asOf=2031-01-01&groupBy=settlement')).json);
    expect(settlement.rows.map((r) => r.group)).toEqual(['urban', 'rural']);
    expect(settlement.rows.reduce((n, r) => n + r.schools, 0)).toBe(all.total.schools);
    expect(settlement.total).toEqual(all.total);
    const [urban, rural] = settlement.rows;
    for (const k of settlement.milestones) {
      const expected =
        urban!.schools === 0 || rural!.schools === 0
          ? null
          : Math.round((rural!.milestones[k]!.reached / rural!.schools - urban!.milestones[k]!.reached / urban!.schools) * 1000) / 10;
      expect(settlement.gap!.points[k]).toBe(expected);
    }
    expect(settlement.gap!.between).toEqual(['rural', 'urban']);
    const size = ProgressReport.parse((await api.request('GET', '/api/reports/progress?asOf=2031-01-01&groupBy=district-size')).json);
    expect(size.rows.map((r) => r.group)).toEqual(['small', 'medium', 'large']);
    expect(size.gap!.between).toEqual(['small', 'large']);
    const csv = await api.request('GET', '/api/reports/progress?asOf=2031-01-01&groupBy=settlement&format=csv');
    const lines = csv.text
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    expect(lines.map((l) => l.split(',')[0])).toEqual(['settlement', 'urban', 'rural', 'total', 'gap_rural_minus_urban']);

    const bad = await api.request('GET', '/api/reports/progress?groupBy=region');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(Problem.parse(bad.json).errors!.map((e) => e.field)).toEqual(['query.groupBy']);
  });

  it('serves the OpenAPI 3.1 document of every route and a readable page of it', async () => {
    const doc = (await api.request('GET', '/openapi.json', { token: null })).json as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    for (const path of [
      '/api/me',
      '/api/me/assignments',
      '/api/schools',
      '/api/schools/{schoolId}',
      '/api/schools/{schoolId}/history',
      '/api/jobs/{jobId}',
      '/api/imports/schools',
      '/api/reports/progress',
      '/api/notifications',
      '/healthz',
    ]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    for (const action of ['start', 'submit', 'accept', 'reject', 'hold', 'resume', 'waive', 'reassign', 'reschedule']) {
      expect(doc.paths[`/api/schools/{schoolId}/milestones/{milestone}/${action}`]?.post).toBeDefined();
      expect(doc.paths[`/api/bulk/${action}`]?.post).toBeDefined();
    }
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['Problem', 'Milestone', 'SchoolDetail', 'Job', 'ProgressReport']),
    );
    const page = await api.request('GET', '/docs', { token: null });
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.text).toContain('/api/schools/{schoolId}/milestones/{milestone}/submit');
    expect(page.text).not.toMatch(/<script|https?:\/\/(?!localhost)[a-z]/i);
  });
});
