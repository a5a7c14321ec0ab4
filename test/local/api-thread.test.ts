/**
 * The API in a thread of its own (`apiThread`, as `npm start` and the API benchmarks run it): it answers
 * while the main thread (the workflows, the local Step Functions runtime, the stream dispatchers) is
 * busy; its commands reach the school's workflow, and its bulk jobs run, through the local services'
 * endpoints; the main thread (the background) runs at a lower priority than the API's; a thread that
 * dies is started again on the same port.
 */
import { execFileSync } from 'node:child_process';
import { getPriority } from 'node:os';
import { threadId } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKGROUND_NICE } from '../../infra/local/api-thread.js';
import { Job } from '../../shared/api/schemas.js';
import { attachRequiredDocuments, eventually, startApi, todayInOmsk, type ApiFixture } from '../api/helpers.js';

let api: ApiFixture;

beforeAll(async () => {
  api = await startApi('thread', { apiThread: true, backgroundNice: BACKGROUND_NICE, rateLimit: false });
}, 120_000);
afterAll(async () => {
  await api?.stop();
});

/** Waits until the milestone's workflow waits in `phase` (or, for null, no step waits and it is closed). */
function waitsIn(milestone: string, phase: 'submission' | 'acceptance' | null) {
  return eventually(
    async () => {
      const m = await api.stack.store.getMilestone(api.school.id, milestone);
      if (!m) return false;
      return phase === null ? m.task === null && m.state.status === 'completed' && m : m.task?.phase === phase && m;
    },
    `the ${milestone} workflow to wait in ${phase ?? 'nothing (closed)'}`,
  );
}

describe('the API in a thread of its own', () => {
  it('runs on another thread and answers a read while the main thread is blocked', async () => {
    expect(api.stack.apiThread).toBeDefined();
    expect(api.stack.apiThread!.threadId).not.toBe(threadId);
    const path = `/api/schools/${api.school.id}`;
    // The first read also fetches the directory's keys: not what is measured here.
    expect((await api.request('GET', path, { as: 'manager' })).status).toBe(200);

    // Another process reads the school while this thread is blocked (execFileSync): the gateway, the
    // API and DynamoDB Local answer without it. With the API on the main thread this times out.
    const script = `fetch(process.env.URL, { headers: { authorization: 'Bearer ' + process.env.TOKEN } })
      .then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.json() })))`;
    const out = execFileSync(process.execPath, ['-e', script], {
      env: { ...process.env, URL: `${api.stack.url}${path}`, TOKEN: api.tokens.manager! },
      timeout: 20_000,
      encoding: 'utf8',
    });
    const answer = JSON.parse(out) as { status: number; body: { school: { id: string } } };
    expect(answer.status).toBe(200);
    expect(answer.body.school.id).toBe(api.school.id);
  });

  it.runIf(process.platform === 'linux')(
    'runs before the background: the main thread at the lower priority, the API thread at its own',
    () => {
      const tid = api.stack.apiThread!.tid!;
      expect(tid).toBeGreaterThan(0);
      expect(tid).not.toBe(process.pid);
      expect(getPriority(0)).toBe(BACKGROUND_NICE);
      expect(getPriority(tid)).toBe(0);
    },
  );

  it(
    "a command through the thread reaches the school's workflow, up to the signed and accepted milestone",
    { timeout: 120_000 },
    async () => {
      const base = `/api/schools/${api.school.id}/milestones/connection`;
      const started = await api.request('POST', `${base}/start`, { as: 'manager', body: { assignee: api.contractorOrg } });
      expect(started.status, started.text).toBe(200);
      await waitsIn('connection', 'submission');
      await attachRequiredDocuments(api, api.school.id, 'connection');
      const evidence = { kind: 'connection', actNumber: 'АКТ-5', actDate: todayInOmsk(), bandwidthMbps: api.school.urban ? 120 : 60 };
      const submitted = await api.request('POST', `${base}/submit`, { as: 'contractor', body: { evidence } });
      expect(submitted.status, submitted.text).toBe(200);
      const waiting = await waitsIn('connection', 'acceptance');
      const signed = await api.request('POST', `${base}/signoff`, {
        as: 'schoolStaff',
        body: { measuredMbps: api.school.urban ? 110 : 55 },
      });
      expect(signed.status, signed.text).toBe(200);
      await eventually(async () => {
        const m = await api.stack.store.getMilestone(api.school.id, 'connection');
        return m?.task?.phase === 'acceptance' && m.state.version > waiting.state.version;
      }, 'the workflow to wait for the acceptance after the sign-off');
      const accepted = await api.request('POST', `${base}/accept`, { as: 'manager', body: { note: 'Принято' } });
      expect(accepted.status, accepted.text).toBe(200);
      const closed = await waitsIn('connection', null);
      expect(closed.state.version).toBe((accepted.json as { milestone: { version: number } }).milestone.version);
    },
  );

  it('a bulk job queued through the thread runs to the end', { timeout: 60_000 }, async () => {
    const queued = await api.request('POST', '/api/bulk/reschedule', {
      as: 'manager',
      body: { milestone: 'training', filter: { schoolIds: [api.otherSchool.id] }, body: { deadline: '2031-06-30', reason: 'Перенос' } },
    });
    expect(queued.status, queued.text).toBe(202);
    const id = Job.parse(queued.json).id;
    const done = await eventually(async () => {
      const job = Job.parse((await api.request('GET', `/api/jobs/${id}`, { as: 'manager' })).json);
      return job.status === 'done' && job;
    }, 'the bulk job to finish');
    expect(done).toMatchObject({ total: 1, succeeded: 1, failed: 0 });
    const training = await api.stack.store.getMilestone(api.otherSchool.id, 'training');
    expect(training?.state.deadline).toBe('2031-06-30');
  });

  it(
    'a thread that dies is started again on the same port, with the same function, still before the background',
    { timeout: 60_000 },
    async () => {
      const thread = api.stack.apiThread!;
      const before = thread.threadId;
      await thread.kill();
      const healthy = await eventually(async () => {
        const res = await fetch(`${api.stack.url}/healthz`).catch(() => undefined);
        return res?.status === 200 && res;
      }, 'the API to answer again');
      expect(healthy.status).toBe(200);
      expect(thread.restarts).toBe(1);
      expect(thread.threadId).not.toBe(before);
      if (process.platform === 'linux') {
        // The new thread inherited the main thread's priority; the main thread stepped below it again.
        expect(getPriority(0) - getPriority(thread.tid!)).toBe(BACKGROUND_NICE);
      }
      const read = await api.request('GET', `/api/schools/${api.school.id}`, { as: 'manager' });
      expect(read.status).toBe(200);
    },
  );
});
