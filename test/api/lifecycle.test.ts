/**
 * A school's connection milestone from start to completion over HTTP: the program manager starts it,
 * the contractor submits the evidence, the program manager accepts it — and each accepted command
 * reaches the school's workflow (started by the first command, then waiting on the milestone with a
 * task token). Plus the conflicts: a second accept, an old If-Match, Idempotency-Key replays.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetExecutionHistoryCommand, DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { CommandResult, HistoryPage, Problem, ProgressReport, SchoolDetail } from '../../shared/api/schemas.js';
import { executionArnOf, executionName } from '../../functions/common/workflow-signal.js';
import { attachRequiredDocuments, eventually, startApi, todayInOmsk, type ApiFixture } from './helpers.js';

let api: ApiFixture;
let sfn: SFNClient;

beforeAll(async () => {
  api = await startApi('lifecycle');
  sfn = new SFNClient({
    endpoint: api.stack.sfnEndpoint,
    region: 'eu-central-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});
afterAll(async () => {
  sfn?.destroy();
  await api?.stop();
});

/** The task outputs the waiting steps of an execution received (SendTaskSuccess), parsed. */
async function taskOutputs(executionArn: string): Promise<Record<string, unknown>[]> {
  const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  return (history.events ?? [])
    .filter((e) => e.type === 'TaskSucceeded' && e.taskSucceededEventDetails?.resource?.includes('waitForTaskToken'))
    .map((e) => JSON.parse(e.taskSucceededEventDetails?.output ?? 'null') as Record<string, unknown>);
}

describe('connection milestone, start to completion', () => {
  it('is started by the manager, submitted by its contractor, accepted by the manager, and the workflow hears each step', async () => {
    const { school, contractorOrg } = api;
    const base = `/api/schools/${school.id}/milestones/connection`;
    const before = SchoolDetail.parse((await api.request('GET', `/api/schools/${school.id}`)).json);
    expect(before.milestones.find((m) => m.key === 'connection')).toMatchObject({ status: 'pending', version: 0 });

    // start: the school has no workflow yet, so the signal (delivered after the answer, from the table's
    // stream) starts one (deterministic name, generation 1).
    const started = await api.request('POST', `${base}/start`, { body: { assignee: contractorOrg } });
    expect(started.status).toBe(200);
    expect(started.headers.get('etag')).toBe('"1"');
    expect(CommandResult.parse(started.json).milestone).toMatchObject({ status: 'active', version: 1, assignee: contractorOrg });
    const programArn = executionArnOf(api.stack.schoolProgramArn!, executionName(school.id, 1));
    await eventually(
      async () => (await sfn.send(new DescribeExecutionCommand({ executionArn: programArn })).catch(() => null))?.status === 'RUNNING',
      'the school program to run',
    );

    // The workflow reads the stored state and waits for the contractor's submission with a task token.
    const waiting = await eventually(async () => {
      const m = await api.stack.store.getMilestone(school.id, 'connection');
      return m?.task?.phase === 'submission' ? m.task : undefined;
    }, 'the workflow to wait for the submission');

    const evidence = { kind: 'connection', actNumber: 'АКТ-17', actDate: todayInOmsk(), bandwidthMbps: school.urban ? 120 : 60 };
    await attachRequiredDocuments(api, school.id, 'connection');
    const submitted = await api.request('POST', `${base}/submit`, { as: 'contractor', body: { evidence }, headers: { 'if-match': '"1"' } });
    expect(submitted.status).toBe(200);
    expect(CommandResult.parse(submitted.json).milestone).toMatchObject({ status: 'submitted', version: 2, evidence });

    // The signal reached the waiting step: its task succeeded with the committed event, version and status.
    await eventually(
      async () =>
        (await taskOutputs(waiting.executionArn)).some((o) => o.event === 'submitted' && o.version === 2 && o.status === 'submitted'),
      'the submission to reach the workflow',
    );
    const acceptance = await eventually(async () => {
      const m = await api.stack.store.getMilestone(school.id, 'connection');
      return m?.task?.phase === 'acceptance' ? m.task : undefined;
    }, 'the workflow to wait for the acceptance');

    // The program asks the school to confirm the connection before anyone accepts it.
    const early = await api.request('POST', `${base}/accept`, { body: {} });
    expect(early.status).toBe(409);
    expect(Problem.parse(early.json).detail).toContain('school-staff');
    const slow = await api.request('POST', `${base}/signoff`, { as: 'schoolStaff', body: { measuredMbps: 10 } });
    expect(slow.status).toBe(422);
    const signed = await api.request('POST', `${base}/signoff`, {
      as: 'schoolStaff',
      body: { measuredMbps: school.urban ? 110 : 55, note: 'Замер в кабинете информатики' },
      headers: { 'if-match': '"2"' },
    });
    expect(signed.status).toBe(200);
    expect(CommandResult.parse(signed.json).milestone.signOffs).toEqual([
      expect.objectContaining({ role: 'school-staff', sub: decodeJwt(api.tokens.schoolStaff!).sub, measuredMbps: school.urban ? 110 : 55 }),
    ]);
    await eventually(
      async () => (await taskOutputs(acceptance.executionArn)).some((o) => o.event === 'signed-off' && o.version === 3),
      'the sign-off to reach the workflow',
    );
    const stillAccepting = await eventually(async () => {
      const m = await api.stack.store.getMilestone(school.id, 'connection');
      return m?.task?.phase === 'acceptance' && m.task.token !== acceptance.token ? m.task : undefined;
    }, 'the workflow to wait for the acceptance again');

    const accepted = await api.request('POST', `${base}/accept`, {
      body: { note: 'Скорость подтверждена' },
      headers: { 'if-match': '"3"' },
    });
    expect(accepted.status).toBe(200);
    expect(accepted.headers.get('etag')).toBe('"4"');
    const result = CommandResult.parse(accepted.json);
    expect(result.milestone).toMatchObject({ status: 'completed', version: 4, overdue: false });
    expect(result.events.map((e) => e.type)).toEqual(['accepted']);
    await eventually(
      async () =>
        (await taskOutputs(stillAccepting.executionArn)).some((o) => o.event === 'accepted' && o.version === 4 && o.status === 'completed'),
      'the acceptance to reach the workflow',
    );

    // A second accept is a conflict, and changes nothing.
    const again = await api.request('POST', `${base}/accept`, { body: {} });
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toContain('application/problem+json');
    expect(Problem.parse(again.json)).toMatchObject({ status: 409, code: 'not-allowed' });

    const history = HistoryPage.parse((await api.request('GET', `/api/schools/${school.id}/history?limit=50`)).json);
    const mine = history.items.filter((e) => e.milestone === 'connection').map((e) => [e.type, e.version, e.actor.role]);
    expect(mine).toEqual([
      ['accepted', 4, 'program-manager'],
      ['signed-off', 3, 'school-staff'],
      ['submitted', 2, 'contractor'],
      ['started', 1, 'program-manager'],
    ]);

    const report = ProgressReport.parse((await api.request('GET', '/api/reports/progress')).json);
    const row = report.rows.find((r) => r.district === school.district)!;
    expect(row.milestones.connection!.reached).toBeGreaterThanOrEqual(1);
    const csv = await api.request('GET', '/api/reports/progress?format=csv');
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.text).toContain(`${school.district},`);
  });

  it('puts a waiting milestone on hold (the workflow hears Milestone.Held) and resumes it', async () => {
    const school = (await api.stack.store.listAllSchools({ limit: 40 })).items[2]!;
    expect(school.id).not.toBe(api.school.id);
    const base = `/api/schools/${school.id}/milestones/connection`;
    expect((await api.request('POST', `${base}/start`, { body: {} })).status).toBe(200);
    const waiting = await eventually(async () => {
      const m = await api.stack.store.getMilestone(school.id, 'connection');
      return m?.task?.phase === 'submission' ? m.task : undefined;
    }, 'the workflow to wait for the submission');

    const held = await api.request('POST', `${base}/hold`, { body: { reason: 'Здание закрыто на ремонт' } });
    expect(held.status).toBe(200);
    expect(CommandResult.parse(held.json).milestone).toMatchObject({ status: 'on-hold', resumeTo: 'active' });
    await eventually(async () => {
      const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: waiting.executionArn, maxResults: 1000 }));
      return (history.events ?? []).some((e) => e.type === 'TaskFailed' && e.taskFailedEventDetails?.error === 'Milestone.Held');
    }, 'the hold to reach the workflow as Milestone.Held');

    const resumeWait = await eventually(async () => {
      const m = await api.stack.store.getMilestone(school.id, 'connection');
      return m?.task?.phase === 'resume' ? m.task : undefined;
    }, 'the workflow to wait for the resume');
    const resumed = await api.request('POST', `${base}/resume`, { body: {} });
    expect(resumed.status).toBe(200);
    expect(CommandResult.parse(resumed.json).milestone.status).toBe('active');
    await eventually(
      async () => (await taskOutputs(resumeWait.executionArn)).some((o) => o.event === 'resumed' && o.status === 'active'),
      'the resume to reach the workflow',
    );
    await eventually(
      async () => (await api.stack.store.getMilestone(school.id, 'connection'))?.task?.phase === 'submission',
      'the workflow to wait for the submission again',
    );
  });

  it('answers a replayed Idempotency-Key with the first answer, and refuses the key for another request', async () => {
    const other = (await api.stack.store.listAllSchools({ limit: 40 })).items.find((s) => s.id !== api.school.id)!;
    const path = `/api/schools/${other.id}/milestones/connection/hold`;
    const headers = { 'idempotency-key': 'hold-once-7f3a' };
    const first = await api.request('POST', path, { body: { reason: 'Здание на ремонте' }, headers });
    expect(first.status).toBe(200);
    const versionAfterFirst = (await api.stack.store.getMilestone(other.id, 'connection'))!.state.version;

    const replay = await api.request('POST', path, { body: { reason: 'Здание на ремонте' }, headers });
    expect(replay.status).toBe(200);
    expect(replay.json).toEqual(first.json);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect((await api.stack.store.getMilestone(other.id, 'connection'))!.state.version).toBe(versionAfterFirst);

    const misuse = await api.request('POST', path, { body: { reason: 'Другая причина' }, headers });
    expect(misuse.status).toBe(422);
    expect(Problem.parse(misuse.json).code).toBe('idempotency-conflict');
  });

  it('refuses a command based on an old version (If-Match) with 409 and writes nothing', async () => {
    // A school nobody has touched: no workflow, so nothing else writes to its items meanwhile.
    const school = (await api.stack.store.listAllSchools({ limit: 40 })).items.at(-1)!;
    const itemsOfSchool = async () => (await api.items()).filter((i) => i.includes(`"SCHOOL#${school.id}"`));
    const path = `/api/schools/${school.id}/milestones/equipment/reschedule`;
    const current = (await api.stack.store.getMilestone(school.id, 'equipment'))!.state;
    const before = await itemsOfSchool();
    const stale = await api.request('POST', path, {
      body: { deadline: '2030-12-01', reason: 'Поставка перенесена' },
      headers: { 'if-match': `"${current.version + 5}"` },
    });
    expect(stale.status).toBe(409);
    expect(Problem.parse(stale.json).code).toBe('version-conflict');
    expect(stale.headers.get('etag')).toBe(`"${current.version}"`);
    expect(await itemsOfSchool()).toEqual(before);
  });
});
