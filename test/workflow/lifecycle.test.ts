/**
 * The milestone lifecycle on the local runtime (the synthesized definition, virtual clock, real
 * handlers, DynamoDB Local), driven by commands through the API's command orchestration and workflow
 * signal: reminders and escalations at the policy's times and each exactly once, rejection and
 * resubmission, hold and resume, waive.
 */
import { describe, expect, it } from 'vitest';
import type { MilestoneNotification, Notification } from '../../shared/program/model.js';
import { WORKFLOW_ENTRIES } from '../../infra/aws/constructs/workflows.js';
import { type Harness } from './harness.js';
import { contractor, CONTRACTORS, evidence, MANAGER, omsk, reminderAt, reminders, school, schoolStaff, signOff } from './fixtures.js';
import { connectionUnderWay, harnessPerTest } from './per-test.js';

const harness = harnessPerTest();

/** Every notification of a school's milestone in the outbox, by the recipients the reminders can have. */
async function outbox(h: Harness, schoolId: string, district: string, key: string, assignee: string): Promise<MilestoneNotification[]> {
  const recipients: Notification['recipient'][] = [
    { type: 'contractor', org: assignee },
    { type: 'district-coordinator', district },
    { type: 'program-manager' },
  ];
  const all: MilestoneNotification[] = [];
  for (const recipient of recipients) {
    let cursor: string | null = null;
    do {
      const page = await h.store.listNotificationsFor(recipient, { limit: 1000, cursor });
      all.push(
        ...page.items
          .map((e) => e.notification)
          .filter((n): n is MilestoneNotification => n.kind !== 'weekly-digest' && n.schoolId === schoolId && n.milestone === key),
      );
      cursor = page.cursor;
    } while (cursor !== null);
  }
  return all;
}

describe('milestone lifecycle', () => {
  it('reminds 30, 7 and 1 days before the deadline and every 7 days overdue, escalating, each exactly once', async () => {
    const s = school('sch-remind-1', 2023);
    const at = (date: string) => reminderAt(date, s.id, 'connection');
    const h = await harness(omsk('2020-12-31', '10:00'));
    await h.seed([s], CONTRACTORS);
    await h.ensureProgram(s.id);
    await h.advanceTo(omsk('2021-01-01', '08:00'));
    const { assignee } = (await h.store.getMilestone(s.id, 'connection'))!.state;

    // Connection is due on Friday 31 December 2021, a day off (as are 1–9 January 2022), so the deadline
    // ends with Monday 10 January; nobody submits until 26 January.
    await h.advanceTo(omsk('2022-01-25', '11:00')); // past the reminder window (09:00–11:00)
    const [lifecycle] = (await h.executions(h.lifecycleArn)).filter(
      (e) => e.name!.startsWith(`ms-${s.id}-connection-`) && e.status === 'RUNNING',
    );
    // A Remind step that runs again (a retry after a lost response) sends nothing twice.
    const retried = await h.handler(WORKFLOW_ENTRIES.refresh, 'remindHandler')(
      {
        schoolId: s.id,
        key: 'connection',
        reminderId: `${s.id}:connection:2021-12-31:overdue:15`,
        executionName: lifecycle!.name,
        executionStartTime: lifecycle!.startDate!.toISOString(),
        now: at('2022-01-25'),
      },
      {} as never,
    );
    expect(retried).toMatchObject({ reminder: 'already-sent', status: 'active', reminderId: `${s.id}:connection:2021-12-31:overdue:22` });
    await h.advanceTo(omsk('2022-01-26'));
    await h.command(s.id, 'connection', { type: 'submit', evidence: evidence('connection', s, '2022-01-26') }, contractor(assignee!));
    await h.advanceTo(omsk('2022-01-28'));
    await h.command(s.id, 'connection', signOff('connection', s), schoolStaff(s));
    await h.command(s.id, 'connection', { type: 'accept' }, MANAGER);
    await h.advanceTo(omsk('2022-03-01'));

    const sent = reminders(await h.events(s.id), 'connection');
    expect(sent.map((e) => [e.at, e.reminderId, e.level, e.daysToDeadline])).toEqual([
      // Days to the due day, 10 January.
      [at('2021-12-01'), `${s.id}:connection:2021-12-31:before:30`, 'assignee', 40],
      [at('2021-12-24'), `${s.id}:connection:2021-12-31:before:7`, 'assignee', 17],
      [at('2021-12-30'), `${s.id}:connection:2021-12-31:before:1`, 'assignee', 11],
      // Overdue days count from 10 January: nothing goes out during the New Year holidays.
      [at('2022-01-11'), `${s.id}:connection:2021-12-31:overdue:1`, 'district-coordinator', -1],
      [at('2022-01-18'), `${s.id}:connection:2021-12-31:overdue:8`, 'district-coordinator', -8],
      [at('2022-01-25'), `${s.id}:connection:2021-12-31:overdue:15`, 'program-manager', -15],
    ]);

    // The outbox holds the notifications of exactly these reminders: the assignee before the deadline,
    // the district coordinator from day 1 overdue, the program manager from day 14.
    const notes = await outbox(h, s.id, s.district, 'connection', assignee!);
    const reminderNotes = notes.filter((n) => n.kind !== 'status');
    const byDay = new Map<string, string[]>();
    for (const n of reminderNotes) byDay.set(n.createdAt, [...(byDay.get(n.createdAt) ?? []), n.recipient.type].sort());
    expect([...byDay.entries()].sort()).toEqual([
      [at('2021-12-01'), ['contractor']],
      [at('2021-12-24'), ['contractor']],
      [at('2021-12-30'), ['contractor']],
      [at('2022-01-11'), ['contractor', 'district-coordinator']],
      [at('2022-01-18'), ['contractor', 'district-coordinator']],
      [at('2022-01-25'), ['contractor', 'district-coordinator', 'program-manager']],
    ]);
    expect(new Set(reminderNotes.map((n) => n.id)).size).toBe(reminderNotes.length);
  });

  it('sends a rejected submission back to the contractor and accepts the resubmission', async () => {
    const s = school('sch-reject-1', 2023);
    const h = await harness(omsk('2020-12-31', '10:00'));
    const { milestone, assignee } = await connectionUnderWay(h, s);
    expect((await milestone()).task).toMatchObject({
      phase: 'submission',
      executionArn: expect.stringMatching(/:ms-sch-reject-1-connection-g1$/),
    });

    let r = await h.command(
      s.id,
      'connection',
      { type: 'submit', evidence: evidence('connection', s, '2021-03-01') },
      contractor(assignee),
    );
    expect(r.signal).toMatchObject({ kind: 'task-success' });
    expect(await milestone()).toMatchObject({ state: { status: 'submitted' }, task: { phase: 'acceptance' } });

    await h.advanceTo(omsk('2021-03-03'));
    r = await h.command(s.id, 'connection', { type: 'reject', reason: 'The act is not signed by the school' }, MANAGER);
    expect(r.signal).toMatchObject({ kind: 'task-success' });
    expect(await milestone()).toMatchObject({ state: { status: 'active', rejections: 1 }, task: { phase: 'submission' } });

    await h.advanceTo(omsk('2021-03-10'));
    r = await h.command(s.id, 'connection', { type: 'submit', evidence: evidence('connection', s, '2021-03-10') }, contractor(assignee));
    expect(r.signal).toMatchObject({ kind: 'task-success' });
    await h.advanceTo(omsk('2021-03-12'));
    await h.command(s.id, 'connection', signOff('connection', s), schoolStaff(s));
    r = await h.command(s.id, 'connection', { type: 'accept' }, MANAGER);
    expect(r.signal).toMatchObject({ kind: 'task-success' });
    expect((await milestone()).state).toMatchObject({ status: 'completed', rejections: 1, closedAt: omsk('2021-03-12').toISOString() });

    const events = (await h.events(s.id)).filter((e) => e.milestone === 'connection').map((e) => e.type);
    expect(events).toEqual(['started', 'submitted', 'rejected', 'submitted', 'signed-off', 'accepted']);
    // One lifecycle drove it all, and ended.
    const lifecycles = (await h.executions(h.lifecycleArn)).filter((e) => e.name!.startsWith('ms-sch-reject-1-connection-'));
    expect(lifecycles.map((e) => [e.name, e.status, e.stopDate?.toISOString()])).toEqual([
      ['ms-sch-reject-1-connection-g1', 'SUCCEEDED', omsk('2021-03-12').toISOString()],
    ]);
  });

  it('holds a milestone without reminders and resumes where it was', async () => {
    const s = school('sch-hold-1', 2023);
    const at = (date: string) => reminderAt(date, s.id, 'connection');
    const h = await harness(omsk('2020-12-31', '10:00'));
    await h.seed([s], CONTRACTORS);
    await h.ensureProgram(s.id);
    await h.advanceTo(omsk('2021-11-20'));
    const milestone = async () => (await h.store.getMilestone(s.id, 'connection'))!;
    const { assignee } = (await milestone()).state;

    let r = await h.command(s.id, 'connection', { type: 'hold', reason: 'The school building is under repair' }, MANAGER);
    expect(r.signal).toMatchObject({ kind: 'task-failure' });
    expect(await milestone()).toMatchObject({ state: { status: 'on-hold', resumeTo: 'active' }, task: { phase: 'resume' } });

    // On hold across the deadline: no reminders, no escalations.
    await h.advanceTo(omsk('2022-01-20'));
    expect(reminders(await h.events(s.id), 'connection')).toEqual([]);

    r = await h.command(s.id, 'connection', { type: 'resume' }, MANAGER);
    expect(r.signal).toMatchObject({ kind: 'task-success' });
    expect(await milestone()).toMatchObject({ state: { status: 'active' }, task: { phase: 'submission' } });
    // Back to the schedule where it stands: the next reminder is the day-15 one, to the program manager.
    // (The deadline, 31 December, was a day off: it ended with 10 January, and day 15 is 25 January.)
    await h.advanceTo(omsk('2022-01-26'));
    expect(reminders(await h.events(s.id), 'connection').map((e) => [e.at, e.level])).toEqual([[at('2022-01-25'), 'program-manager']]);

    await h.command(s.id, 'connection', { type: 'submit', evidence: evidence('connection', s, '2022-01-26') }, contractor(assignee!));
    await h.command(s.id, 'connection', signOff('connection', s), schoolStaff(s));
    await h.command(s.id, 'connection', { type: 'accept' }, MANAGER);
    expect((await milestone()).state.status).toBe('completed');
    const lifecycles = (await h.executions(h.lifecycleArn)).filter((e) => e.name!.startsWith('ms-sch-hold-1-connection-'));
    expect(lifecycles.every((e) => e.status === 'SUCCEEDED')).toBe(true);
  });

  it('ends the lifecycle of a waived milestone and lets its dependants start', async () => {
    const s = school('sch-waive-1', 2021);
    const h = await harness(omsk('2020-12-31', '10:00'));
    await h.seed([s], CONTRACTORS);
    await h.ensureProgram(s.id);
    await h.advanceTo(omsk('2021-06-01'));
    const state = async (key: string) => (await h.store.getMilestone(s.id, key))!.state;
    const equipment = await state('equipment');
    await h.command(
      s.id,
      'equipment',
      { type: 'submit', evidence: evidence('equipment', s, '2021-06-01') },
      contractor(equipment.assignee!),
    );
    await h.command(s.id, 'equipment', signOff('equipment', s), schoolStaff(s));
    await h.command(s.id, 'equipment', { type: 'accept' }, MANAGER);
    // Onboarding still needs the connection.
    expect((await state('onboarding')).status).toBe('pending');

    await h.advanceTo(omsk('2021-07-01'));
    const r = await h.command(s.id, 'connection', { type: 'waive', reason: 'Connected under the federal program in 2020' }, MANAGER);
    expect(r.signal).toMatchObject({ kind: 'task-failure' });
    expect(await state('connection')).toMatchObject({ status: 'waived', closedAt: omsk('2021-07-01').toISOString() });
    // The lifecycle caught Milestone.Waived, ended, and woke the program, which started onboarding.
    expect(await state('onboarding')).toMatchObject({ status: 'active', startedAt: omsk('2021-07-01').toISOString() });
    const connection = (await h.executions(h.lifecycleArn)).filter((e) => e.name!.startsWith('ms-sch-waive-1-connection-'));
    expect(connection.map((e) => [e.status, e.stopDate?.toISOString()])).toEqual([['SUCCEEDED', omsk('2021-07-01').toISOString()]]);
    expect((await h.store.getMilestone(s.id, 'connection'))!.task).toBeNull();
  });
});
