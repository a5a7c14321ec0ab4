/**
 * A profile change under running workflows (the local runtime, virtual clock, real handlers, DynamoDB
 * Local): the school moves to the next equipment cohort while its equipment lifecycle waits for the
 * supplier. The re-plan reaches the waiting step, and the next reminder follows the new deadline; none
 * goes out for the old one.
 */
import { describe, expect, it } from 'vitest';
import { profileChanges, replansFor } from '../../shared/domain/index.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import type { School } from '../../shared/program/model.js';
import { contractor, evidence, MANAGER, omsk, reminderAt, reminders, school, schoolStaff, signOff } from './fixtures.js';
import { connectionUnderWay, harnessPerTest } from './per-test.js';

const harness = harnessPerTest();

describe('a school profile change under a running workflow', () => {
  it('moves the equipment deadline a year, and the lifecycle reminds on the new schedule', { timeout: 300_000 }, async () => {
    const s = school('sch-profile-1', 2021);
    const h = await harness(omsk('2020-12-31', '10:00'));
    const { assignee } = await connectionUnderWay(h, s);
    // The connection is done, so that only equipment and training wait on the old dates.
    await h.command(s.id, 'connection', { type: 'submit', evidence: evidence('connection', s, '2021-03-01') }, contractor(assignee));
    await h.command(s.id, 'connection', signOff('connection', s), schoolStaff(s));
    await h.command(s.id, 'connection', { type: 'accept' }, MANAGER);

    const equipment = async () => (await h.store.getMilestone(s.id, 'equipment'))!;
    const before = await equipment();
    expect(before.state).toMatchObject({ status: 'active', deadline: '2021-12-01' });
    expect(before.task?.phase).toBe('submission');

    // The ministry moves the school to the 2022 cohort: the profile, then the re-plans it implies.
    await h.advanceTo(omsk('2021-06-01'));
    const record = (await h.store.getSchool(s.id))!;
    const after: School = { ...record.school, cohortYear: 2022 };
    const changes = profileChanges(record.school, after);
    await h.store.updateSchoolProfile(after, record.version, {
      subject: { type: 'school', id: s.id },
      type: 'updated',
      at: omsk('2021-06-01').toISOString(),
      actor: MANAGER,
      version: record.version + 1,
      changes,
    });
    const states = Object.fromEntries(record.milestones.map((m) => [m.state.key, m.state]));
    const replans = replansFor(REFERENCE_PROGRAM, record.school, after, states);
    expect(replans.map((r) => [r.milestone, r.command.deadline])).toEqual([
      ['equipment', '2022-12-01'],
      ['training', '2022-12-01'],
      ['onboarding', '2024-12-31'],
    ]);
    for (const r of replans) {
      const { outcome, signal } = await h.command(s.id, r.milestone, r.command, MANAGER);
      expect(outcome.ok).toBe(true);
      // The waiting step of each started milestone hears the re-plan at once.
      if (r.milestone !== 'onboarding') expect(signal).toMatchObject({ kind: 'task-success' });
    }
    await h.advanceTo(omsk('2021-06-02'));
    const replanned = await equipment();
    expect(replanned.state).toMatchObject({ status: 'active', plannedStart: '2022-01-01', deadline: '2022-12-01' });
    expect(replanned.task?.phase).toBe('submission');
    expect(replanned.task?.token).not.toBe(before.task?.token);

    // 1 November 2021 was the old schedule's first reminder: nothing goes out then.
    await h.advanceTo(omsk('2021-12-15'));
    expect(reminders(await h.events(s.id), 'equipment')).toEqual([]);

    // The new schedule: 30, 7 and 1 days before 1 December 2022, in the morning in Omsk (the milestone's second of 09:00–11:00).
    await h.advanceTo(omsk('2022-12-01', '08:00'));
    const sent = reminders(await h.events(s.id), 'equipment');
    expect(sent.map((e) => [e.at, e.reminderId])).toEqual([
      [reminderAt('2022-11-01', s.id, 'equipment'), `${s.id}:equipment:2022-12-01:before:30`],
      [reminderAt('2022-11-24', s.id, 'equipment'), `${s.id}:equipment:2022-12-01:before:7`],
      [reminderAt('2022-11-30', s.id, 'equipment'), `${s.id}:equipment:2022-12-01:before:1`],
    ]);
    const history = (await h.events(s.id)).filter((e) => e.milestone === 'equipment').map((e) => e.type);
    expect(history.slice(0, 2)).toEqual(['started', 'replanned']);
  });
});
