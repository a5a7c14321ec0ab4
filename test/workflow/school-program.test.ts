/**
 * The synthesized workflows on the local runtime (virtual clock, real handlers, DynamoDB Local), a
 * school from the start of the program to its end: the program starts the milestones at their planned
 * starts and in dependency order, each milestone goes through its lifecycle on the commands of the
 * contractors and the manager, and the program ends when all four are completed. Over the four years
 * of the program every execution hands over to a successor before it is a year old.
 */
import { describe, expect, it } from 'vitest';
import type { ExecutionListItem } from '@aws-sdk/client-sfn';
import { contractor, CONTRACTORS, evidence, MANAGER, omsk, reminderAt, reminders, school, schoolStaff, signOff } from './fixtures.js';
import { harnessPerTest } from './per-test.js';
import { plannedWake } from '../../functions/workflow/common.js';

/** A planned start at local midnight is taken in the school's own second of the day's first hours. */
const plannedStart = (day: string, schoolId: string) => new Date(plannedWake(omsk(day, '00:00').getTime(), schoolId)).toISOString();

const YEAR_MS = 365 * 86_400_000;
const KEYS = ['connection', 'equipment', 'training', 'onboarding'];

const harness = harnessPerTest();

/** The executions of a name prefix, oldest first, checked to form a chain of generations. */
function chain(executions: readonly ExecutionListItem[], prefix: string, generation: (n: number) => string): ExecutionListItem[] {
  const mine = executions.filter((e) => e.name!.startsWith(prefix)).sort((a, b) => a.startDate!.getTime() - b.startDate!.getTime());
  expect(mine.map((e) => e.name)).toEqual(mine.map((_, i) => generation(i + 1)));
  for (let i = 1; i < mine.length; i++) {
    // The successor was started by its predecessor's last step.
    expect(mine[i]!.startDate!.getTime()).toBe(mine[i - 1]!.stopDate!.getTime());
  }
  for (const e of mine) {
    expect(e.status).toBe('SUCCEEDED');
    expect(e.stopDate!.getTime() - e.startDate!.getTime()).toBeLessThan(YEAR_MS);
  }
  return mine;
}

describe('school program', () => {
  it('takes a school from the start of the program to its end, in dependency order', async () => {
    const s = school('sch-e2e-1', 2022);
    const h = await harness(omsk('2020-12-30', '10:00'));
    await h.seed([s], CONTRACTORS);
    const state = async (key: string) => (await h.store.getMilestone(s.id, key))!.state;

    const started = await h.ensureProgram(s.id);
    expect(started).toEqual({
      started: true,
      executionArn: expect.stringMatching(/:execution:CosMilestones-dev-SchoolProgram:school-sch-e2e-1-1$/),
    });
    // Nothing is ready before the planned start of the first milestone.
    for (const key of KEYS) expect((await state(key)).status).toBe('pending');

    await h.advanceTo(omsk('2021-01-01', '08:00'));
    const connection = await state('connection');
    expect(connection).toMatchObject({ status: 'active', startedAt: plannedStart('2021-01-01', s.id), deadline: '2021-12-31' });
    expect(connection.assignee).not.toBeNull();
    // The 2022 cohort's equipment and training start in 2022.
    for (const key of ['equipment', 'training', 'onboarding']) expect((await state(key)).status).toBe('pending');

    await h.advanceTo(omsk('2021-11-15'));
    let r = await h.command(
      s.id,
      'connection',
      { type: 'submit', evidence: evidence('connection', s, '2021-11-15') },
      contractor(connection.assignee!),
    );
    expect(r.signal?.kind).toBe('task-success');
    await h.advanceTo(omsk('2021-11-20'));
    await h.command(s.id, 'connection', signOff('connection', s), schoolStaff(s));
    r = await h.command(s.id, 'connection', { type: 'accept' }, MANAGER);
    expect(r.signal?.kind).toBe('task-success');
    expect((await state('connection')).status).toBe('completed');
    // Connection alone does not unblock onboarding.
    expect((await state('onboarding')).status).toBe('pending');

    await h.advanceTo(omsk('2022-01-01', '08:00'));
    const equipment = await state('equipment');
    const training = await state('training');
    expect(equipment).toMatchObject({ status: 'active', startedAt: plannedStart('2022-01-01', s.id), deadline: '2022-12-01' });
    expect(training).toMatchObject({ status: 'active', deadline: '2022-12-01' });
    expect((await state('onboarding')).status).toBe('pending');

    await h.advanceTo(omsk('2022-11-10'));
    await h.command(
      s.id,
      'equipment',
      { type: 'submit', evidence: evidence('equipment', s, '2022-11-10') },
      contractor(equipment.assignee!),
    );
    expect((await state('onboarding')).status).toBe('pending');
    await h.advanceTo(omsk('2022-11-14'));
    await h.command(s.id, 'equipment', signOff('equipment', s), schoolStaff(s));
    await h.command(s.id, 'equipment', { type: 'accept' }, MANAGER);
    // The program was woken by the equipment's lifecycle and started onboarding at once.
    const onboarding = await state('onboarding');
    expect(onboarding).toMatchObject({ status: 'active', assignee: s.id, startedAt: omsk('2022-11-14').toISOString() });

    await h.advanceTo(omsk('2022-11-25'));
    await h.command(s.id, 'training', { type: 'submit', evidence: evidence('training', s, '2022-11-25') }, contractor(training.assignee!));
    await h.advanceTo(omsk('2022-11-28'));
    await h.command(s.id, 'training', { type: 'accept' }, MANAGER);

    await h.advanceTo(omsk('2023-03-01'));
    await h.command(s.id, 'onboarding', { type: 'submit', evidence: evidence('onboarding', s, '2023-03-01') }, contractor(s.id));
    await h.advanceTo(omsk('2023-03-03'));
    await h.command(s.id, 'onboarding', { type: 'accept' }, MANAGER);

    for (const key of KEYS) expect((await state(key)).status).toBe('completed');
    const events = await h.events(s.id);
    const startedAt = (key: string) => events.find((e) => e.milestone === key && e.type === 'started')!.at;
    const closedAt = (key: string) => events.find((e) => e.milestone === key && e.type === 'accepted')!.at;
    expect(startedAt('onboarding') >= closedAt('connection') && startedAt('onboarding') >= closedAt('equipment')).toBe(true);
    // Reminders went out on the policy's days while equipment and training were open (30 and 7 days before 1 December).
    // (Sorted: on 1 November the two milestones' reminders go out at their own seconds of 09:00–11:00.)
    expect(
      reminders(events)
        .map((e) => `${e.milestone} ${e.at}`)
        .sort(),
    ).toEqual([
      `equipment ${reminderAt('2022-11-01', s.id, 'equipment')}`,
      `training ${reminderAt('2022-11-01', s.id, 'training')}`,
      `training ${reminderAt('2022-11-24', s.id, 'training')}`,
    ]);

    const programs = await h.executions(h.programArn);
    const lifecycles = await h.executions(h.lifecycleArn);
    expect([...programs, ...lifecycles].filter((e) => e.status !== 'SUCCEEDED')).toEqual([]);
    const program = chain(programs, 'school-sch-e2e-1-', (n) => `school-sch-e2e-1-${n}`);
    expect(program.at(-1)!.stopDate!.toISOString()).toBe(omsk('2023-03-03').toISOString());
    for (const key of KEYS) chain(lifecycles, `ms-sch-e2e-1-${key}-`, (n) => `ms-sch-e2e-1-${key}-g${n}`);
    expect(h.runtime.stats()).toMatchObject({ running: 0, pendingTimers: 0 });
  });

  it('runs 2021 to 2024 as chains of executions, none older than a year, with reminders on working days', async () => {
    // The 2024 cohort: equipment is due on Sunday 1 December 2024.
    const s = school('sch-long-1', 2024);
    const h = await harness(omsk('2020-12-30', '10:00'));
    await h.seed([s], CONTRACTORS);
    const state = async (key: string) => (await h.store.getMilestone(s.id, key))!.state;
    await h.ensureProgram(s.id);

    await h.advanceTo(omsk('2021-06-01'));
    const connection = await state('connection');
    await h.command(
      s.id,
      'connection',
      { type: 'submit', evidence: evidence('connection', s, '2021-06-01') },
      contractor(connection.assignee!),
    );
    await h.command(s.id, 'connection', signOff('connection', s), schoolStaff(s));
    await h.command(s.id, 'connection', { type: 'accept' }, MANAGER);

    await h.advanceTo(omsk('2024-01-02'));
    const equipment = await state('equipment');
    const training = await state('training');
    expect(equipment).toMatchObject({ status: 'active', deadline: '2024-12-01', startedAt: plannedStart('2024-01-01', s.id) });
    await h.advanceTo(omsk('2024-11-20'));
    await h.command(s.id, 'training', { type: 'submit', evidence: evidence('training', s, '2024-11-20') }, contractor(training.assignee!));
    await h.command(s.id, 'training', { type: 'accept' }, MANAGER);
    // Equipment is late: due Sunday 1 December, so the deadline ends with Monday 2 December; overdue from
    // 3 December.
    await h.advanceTo(omsk('2024-12-18'));
    await h.command(
      s.id,
      'equipment',
      { type: 'submit', evidence: evidence('equipment', s, '2024-12-18') },
      contractor(equipment.assignee!),
    );
    await h.advanceTo(omsk('2024-12-20'));
    await h.command(s.id, 'equipment', signOff('equipment', s), schoolStaff(s));
    await h.command(s.id, 'equipment', { type: 'accept' }, MANAGER);
    expect(await state('onboarding')).toMatchObject({
      status: 'active',
      startedAt: omsk('2024-12-20').toISOString(),
      deadline: '2024-12-31',
    });
    await h.advanceTo(omsk('2024-12-27'));
    await h.command(s.id, 'onboarding', { type: 'submit', evidence: evidence('onboarding', s, '2024-12-27') }, contractor(s.id));
    await h.advanceTo(omsk('2024-12-28'));
    await h.command(s.id, 'onboarding', { type: 'accept' }, MANAGER);
    for (const key of KEYS) expect((await state(key)).status).toBe('completed');

    const events = await h.events(s.id);
    const at = (date: string, key = 'equipment') => reminderAt(date, s.id, key);
    expect(reminders(events, 'equipment').map((e) => [e.at, e.reminderId.split(':').slice(3).join(':'), e.level])).toEqual([
      [at('2024-11-01'), 'before:30', 'assignee'],
      // 24 November is a Sunday: Monday. 30 November (Saturday) moves to the due day, Monday 2 December.
      [at('2024-11-25'), 'before:7', 'assignee'],
      [at('2024-12-02'), 'before:1', 'assignee'],
      // Day 1 overdue (3 December): the district coordinator too; then every 7 days.
      [at('2024-12-03'), 'overdue:1', 'district-coordinator'],
      [at('2024-12-10'), 'overdue:8', 'district-coordinator'],
      // From day 14 overdue: the program manager.
      [at('2024-12-17'), 'overdue:15', 'program-manager'],
    ]);
    // Onboarding started on 20 December: its 30-day reminder was already past, the 7-day one went out.
    expect(reminders(events, 'onboarding').map((e) => [e.at, e.level])).toEqual([[at('2024-12-24', 'onboarding'), 'assignee']]);
    expect(reminders(events, 'training').map((e) => e.at)).toEqual([at('2024-11-01', 'training')]);

    const programs = await h.executions(h.programArn);
    const lifecycles = await h.executions(h.lifecycleArn);
    const program = chain(programs, 'school-sch-long-1-', (n) => `school-sch-long-1-${n}`);
    // Four years need at least five generations of the program.
    expect(program.length).toBeGreaterThanOrEqual(5);
    expect(program[0]!.startDate!.toISOString()).toBe(omsk('2020-12-30', '10:00').toISOString());
    expect(program.at(-1)!.stopDate!.toISOString()).toBe(omsk('2024-12-28').toISOString());
    // Equipment was open all of 2024: its lifecycle handed over once.
    expect(chain(lifecycles, 'ms-sch-long-1-equipment-', (n) => `ms-sch-long-1-equipment-g${n}`)).toHaveLength(2);
    chain(lifecycles, 'ms-sch-long-1-connection-', (n) => `ms-sch-long-1-connection-g${n}`);
    chain(lifecycles, 'ms-sch-long-1-onboarding-', (n) => `ms-sch-long-1-onboarding-g${n}`);
    expect(h.runtime.stats()).toMatchObject({ running: 0, pendingTimers: 0 });
  });
});
