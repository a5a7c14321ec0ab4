import { describe, expect, it } from 'vitest';
import {
  escalationLevel,
  missedReminder,
  nextReminder,
  parseReminderId,
  reminderOffsetMs,
  remind,
  reminderId,
  reminderRecipients,
  reminderSchedule,
  type Decision,
} from '../../shared/domain/index.js';
import type { MilestoneState } from '../../shared/program/model.js';
import { MilestoneEvent, Notification, ReminderPolicy } from '../../shared/program/model.js';
import { context, goodEvidence, program, stateWith, TZ, urbanSchool } from './fixtures.js';

// The calendar rules at exact times: without the window that spreads a cohort's reminders (tested below).
const policy = { ...program.milestones[0]!.reminders, spreadMinutes: 0 };
const STARTED = '2021-03-01T05:00:00.000Z';
const open = (extra: Partial<MilestoneState> = {}): MilestoneState =>
  stateWith('connection', { status: 'active', version: 1, assignee: 'omsk-net', startedAt: STARTED, ...extra });
const brief = (state: MilestoneState, p: ReminderPolicy = policy, until = new Date('2022-01-20T00:00:00Z'), tz = TZ) =>
  reminderSchedule(state, p, tz, until).map((r) => `${r.kind}:${r.n} ${r.date} ${r.at.slice(11, 16)} ${r.level} ${r.daysToDeadline}`);

describe('reminderSchedule', () => {
  it('30, 7 and 1 days before, then day 1 and every 7 days overdue, at 09:00 Omsk, on working days', () => {
    // Deadline Wednesday 2024-04-10; 2024-04-27 is a Saturday made a working day by the decree.
    expect(brief(open({ deadline: '2024-04-10' }), policy, new Date('2024-05-01T00:00:00Z'))).toEqual([
      'before:30 2024-03-11 03:00 assignee 30',
      'before:7 2024-04-03 03:00 assignee 7',
      'before:1 2024-04-09 03:00 assignee 1',
      'overdue:1 2024-04-11 03:00 district-coordinator -1',
      'overdue:8 2024-04-18 03:00 district-coordinator -8',
      'overdue:15 2024-04-25 03:00 program-manager -15',
    ]);
  });

  it('a deadline on a day off runs to the next working day: overdue counts from there', () => {
    // 2021-12-31 was a day off (moved from 3 January by the decree), and so were 1–9 January 2022:
    // the deadline ends with Monday 2022-01-10.
    expect(brief(open(), policy, new Date('2022-02-01T00:00:00Z'))).toEqual([
      'before:30 2021-12-01 03:00 assignee 40',
      'before:7 2021-12-24 03:00 assignee 17',
      'before:1 2021-12-30 03:00 assignee 11',
      'overdue:1 2022-01-11 03:00 district-coordinator -1',
      'overdue:8 2022-01-18 03:00 district-coordinator -8',
      'overdue:15 2022-01-25 03:00 program-manager -15',
    ]);
    expect(reminderSchedule(open(), policy, TZ)[0]!.due).toBe('2022-01-10');
  });

  it('a Saturday made a working day is a working day; a day off moved onto a weekday is not', () => {
    // Deadline Friday 2024-04-26: day 1 overdue is Saturday 2024-04-27, a working day; day 8 is Saturday
    // 2024-05-04, and 4–5 May are days off, so it goes out on Monday 6 May.
    expect(brief(open({ deadline: '2024-04-26' }), policy, new Date('2024-05-10T00:00:00Z'))).toEqual([
      'before:30 2024-03-27 03:00 assignee 30',
      'before:7 2024-04-19 03:00 assignee 7',
      'before:1 2024-04-25 03:00 assignee 1',
      'overdue:1 2024-04-27 03:00 district-coordinator -1',
      'overdue:8 2024-05-06 03:00 district-coordinator -10',
    ]);
    // 2022-02-23 (Wednesday) is a holiday: the daily overdue reminder of that day joins the next one.
    const daily = ReminderPolicy.parse({ spreadMinutes: 0, daysBefore: [2, 1], overdueEveryDays: 1 });
    expect(brief(open({ deadline: '2022-02-21' }), daily, new Date('2022-02-26T00:00:00Z'))).toEqual([
      'before:1 2022-02-21 03:00 assignee 0',
      'overdue:1 2022-02-22 03:00 district-coordinator -1',
      'overdue:3 2022-02-24 03:00 district-coordinator -3',
      'overdue:4 2022-02-25 03:00 district-coordinator -4',
    ]);
  });

  it('09:00 is local time of the given zone', () => {
    expect(brief(open(), policy, new Date('2021-12-02T00:00:00Z'), 'Europe/Moscow')).toEqual(['before:30 2021-12-01 06:00 assignee 40']);
    const at1030 = ReminderPolicy.parse({ spreadMinutes: 0, localTime: '10:30' });
    expect(brief(open(), at1030, new Date('2021-12-02T00:00:00Z'))).toEqual(['before:30 2021-12-01 04:30 assignee 40']);
  });

  it('a Sunday deadline before the New Year holidays: due on their first working day, the 1-day reminder goes out then', () => {
    // 2023-12-31 is a Sunday and 1–8 January 2024 are days off: the deadline ends with 2024-01-09.
    const state = open({ deadline: '2023-12-31' });
    expect(brief(state, policy, new Date('2024-01-20T00:00:00Z'))).toEqual([
      'before:30 2023-12-01 03:00 assignee 39',
      'before:7 2023-12-25 03:00 assignee 15',
      'before:1 2024-01-09 03:00 assignee 0',
      'overdue:1 2024-01-10 03:00 district-coordinator -1',
      'overdue:8 2024-01-17 03:00 district-coordinator -8',
    ]);
  });

  it('reminders landing on the same working day go out once, as the latest of them', () => {
    const twoDays = ReminderPolicy.parse({ spreadMinutes: 0, daysBefore: [2, 1] });
    expect(brief(open({ deadline: '2022-01-10' }), twoDays, new Date('2022-01-12T00:00:00Z'))).toEqual([
      'before:1 2022-01-10 03:00 assignee 0',
      'overdue:1 2022-01-11 03:00 district-coordinator -1',
    ]);
    // Deadline Thursday 2021-12-30: days 1–10 overdue (31 December to 9 January) are days off.
    const daily = ReminderPolicy.parse({ spreadMinutes: 0, daysBefore: [1], overdueEveryDays: 1 });
    expect(brief(open({ deadline: '2021-12-30' }), daily, new Date('2022-01-12T00:00:00Z'))).toEqual([
      'before:1 2021-12-29 03:00 assignee 1',
      'overdue:11 2022-01-10 03:00 district-coordinator -11',
      'overdue:12 2022-01-11 03:00 district-coordinator -12',
    ]);
  });

  it('without the working-day rule, reminders keep their day', () => {
    const everyDay = ReminderPolicy.parse({ spreadMinutes: 0, onWorkingDays: false });
    expect(brief(open({ deadline: '2021-12-30' }), everyDay, new Date('2022-01-02T00:00:00Z')).at(-1)).toBe(
      'overdue:1 2021-12-31 03:00 district-coordinator -1',
    );
  });

  it('leaves out reminders due before the milestone was started', () => {
    expect(brief(open({ startedAt: '2021-12-20T00:00:00.000Z' }), policy, new Date('2021-12-31T00:00:00Z'))).toEqual([
      'before:7 2021-12-24 03:00 assignee 17',
      'before:1 2021-12-30 03:00 assignee 11',
    ]);
    expect(brief(open({ startedAt: '2021-12-01T03:00:00.000Z' }), policy, new Date('2021-12-02T00:00:00Z'))).toEqual([
      'before:30 2021-12-01 03:00 assignee 40',
    ]);
  });

  it('only open milestones (active, submitted) have reminders', () => {
    const statuses = [
      { status: 'pending', startedAt: null },
      { status: 'on-hold', resumeTo: 'active' },
      { status: 'completed', closedAt: STARTED },
      { status: 'waived', closedAt: STARTED },
    ] as Partial<MilestoneState>[];
    for (const extra of statuses) {
      expect(reminderSchedule(open(extra), policy, TZ)).toEqual([]);
      expect(nextReminder(open(extra), policy, TZ, new Date('2021-06-01T00:00:00Z'))).toBeNull();
    }
    expect(
      reminderSchedule(open({ status: 'submitted', submittedAt: STARTED, evidence: goodEvidence.connection }), policy, TZ).length,
    ).toBeGreaterThan(3);
  });

  it('overdue reminders go on until the horizon (a year after the due day by default)', () => {
    const all = reminderSchedule(open(), policy, TZ);
    expect(all.length).toBeGreaterThan(50);
    expect(all.at(-1)!.date <= '2023-01-11').toBe(true);
    expect(all.every((r, i) => i === 0 || r.at > all[i - 1]!.at)).toBe(true);
  });

  it('ids are deterministic and carry the deadline: a rescheduled milestone starts a new series', () => {
    const first = reminderSchedule(open(), policy, TZ).map((r) => r.id);
    expect(reminderSchedule(open(), policy, TZ).map((r) => r.id)).toEqual(first);
    expect(first[0]).toBe('omsk-school-17:connection:2021-12-31:before:30');
    expect(first[3]).toBe('omsk-school-17:connection:2021-12-31:overdue:1');
    const moved = reminderSchedule(open({ deadline: '2022-06-30' }), policy, TZ).map((r) => r.id);
    expect(moved.some((id) => first.includes(id))).toBe(false);
    expect(parseReminderId(first[3]!)).toEqual({
      schoolId: 'omsk-school-17',
      milestone: 'connection',
      deadline: '2021-12-31',
      kind: 'overdue',
      n: 1,
    });
    expect(reminderId(parseReminderId(first[0]!)!)).toBe(first[0]);
    expect(parseReminderId('x:connection:2021-12-31:later:1')).toBeNull();
  });
});

describe('escalation', () => {
  it('assignee before the deadline, district coordinator from day 1, program manager from day 14', () => {
    expect(escalationLevel(policy, -1)).toBe('assignee');
    expect(escalationLevel(policy, 0)).toBe('assignee');
    expect(escalationLevel(policy, 1)).toBe('district-coordinator');
    expect(escalationLevel(policy, 13)).toBe('district-coordinator');
    expect(escalationLevel(policy, 14)).toBe('program-manager');
  });

  it('follows the policy', () => {
    const straightUp = ReminderPolicy.parse({ spreadMinutes: 0, escalation: [{ afterDaysOverdue: 0, to: 'program-manager' }] });
    expect(escalationLevel(straightUp, 0)).toBe('program-manager');
    expect(escalationLevel(ReminderPolicy.parse({ spreadMinutes: 0, escalation: [] }), 100)).toBe('assignee');
  });

  it('recipients: whoever has the turn, plus the coordinator, plus the managers', () => {
    const active = { status: 'active' as const, assignee: 'omsk-net' };
    expect(reminderRecipients('assignee', active, urbanSchool)).toEqual([{ type: 'contractor', org: 'omsk-net' }]);
    expect(reminderRecipients('program-manager', active, urbanSchool)).toEqual([
      { type: 'contractor', org: 'omsk-net' },
      { type: 'district-coordinator', district: 'omsk' },
      { type: 'program-manager' },
    ]);
    // A submission waits for the coordinator's acceptance: the coordinator has the turn (told once).
    const waiting = { status: 'submitted' as const, assignee: 'omsk-net' };
    expect(reminderRecipients('assignee', waiting, urbanSchool)).toEqual([{ type: 'district-coordinator', district: 'omsk' }]);
    expect(reminderRecipients('district-coordinator', waiting, urbanSchool)).toEqual([{ type: 'district-coordinator', district: 'omsk' }]);
    expect(reminderRecipients('assignee', { status: 'active', assignee: null }, urbanSchool)).toEqual([
      { type: 'district-coordinator', district: 'omsk' },
    ]);
  });
});

describe('nextReminder', () => {
  it('is the first reminder strictly after now', () => {
    const state = open();
    expect(nextReminder(state, policy, TZ, new Date('2021-11-01T00:00:00Z'))!.id).toMatch(/before:30$/);
    expect(nextReminder(state, policy, TZ, new Date('2021-12-01T03:00:00Z'))!.id).toMatch(/before:7$/);
    expect(nextReminder(state, policy, TZ, new Date('2022-01-03T02:59:59Z'))!.id).toMatch(/overdue:1$/);
    expect(nextReminder(state, policy, TZ, new Date('2022-01-11T02:59:59Z'))!.id).toMatch(/overdue:1$/);
    expect(nextReminder(state, policy, TZ, new Date('2022-01-11T03:00:00Z'))!.id).toMatch(/overdue:8$/);
    const late = nextReminder(state, policy, TZ, new Date('2025-06-01T00:00:00Z'))!;
    expect(late.at > '2025-06-01').toBe(true);
    expect(late.level).toBe('program-manager');
  });
});

describe('missedReminder', () => {
  it('is the latest reminder due since the milestone last changed, or none', () => {
    const state = open({ updatedAt: '2021-11-20T05:00:00.000Z' });
    // Nothing due yet, then the 30-days one, then the 7-days one (the latest of the two).
    expect(missedReminder(state, policy, TZ, new Date('2021-12-01T02:59:59Z'))).toBeNull();
    expect(missedReminder(state, policy, TZ, new Date('2021-12-01T03:00:00Z'))!.id).toMatch(/before:30$/);
    expect(missedReminder(state, policy, TZ, new Date('2021-12-25T00:00:00Z'))!.id).toMatch(/before:7$/);
    // Months down: the latest one, escalated to the program manager; a milestone years overdue costs no walk.
    const late = missedReminder(state, policy, TZ, new Date('2022-03-01T00:00:00Z'))!;
    expect(late).toMatchObject({ kind: 'overdue', level: 'program-manager' });
    expect(late.at < '2022-03-01' && late.at > '2022-02-20').toBe(true);
    // Sent (the `reminded` event changed the milestone at its time) or superseded by a later change: none.
    expect(missedReminder({ ...state, updatedAt: '2021-12-01T03:00:00.000Z' }, policy, TZ, new Date('2021-12-02T00:00:00Z'))).toBeNull();
    // Nothing while nobody's turn runs.
    expect(missedReminder({ ...state, status: 'on-hold' }, policy, TZ, new Date('2021-12-25T00:00:00Z'))).toBeNull();
  });
});

describe('remind', () => {
  // The program's own policy: a reminder is due from its second of the 09:00–11:00 window, so these act at 11:00.
  const ctx = (state: MilestoneState) => context('connection', { connection: state });
  const ok = (d: Decision) => {
    if (!d.ok) throw new Error(`${d.rejection.code}: ${d.rejection.message}`);
    for (const e of d.events) MilestoneEvent.parse(e);
    for (const n of d.notifications) Notification.parse(n);
    return d;
  };
  const code = (d: Decision) => (d.ok ? 'ok' : d.rejection.code);

  it('a due reminder: a `reminded` event by the system, the next version, one notification per recipient', () => {
    const state = open({ version: 5 });
    const d = ok(remind(ctx(state), 'omsk-school-17:connection:2021-12-31:before:7', new Date('2021-12-24T05:00:00Z')));
    expect(d.events).toEqual([
      {
        type: 'reminded',
        schoolId: 'omsk-school-17',
        milestone: 'connection',
        at: '2021-12-24T05:00:00.000Z',
        actor: { role: 'system', sub: 'system' },
        version: 6,
        reminderId: 'omsk-school-17:connection:2021-12-31:before:7',
        level: 'assignee',
        daysToDeadline: 17,
      },
    ]);
    expect(d.state).toMatchObject({ version: 6, status: 'active', updatedAt: '2021-12-24T05:00:00.000Z' });
    expect(d.notifications).toHaveLength(1);
    const n = d.notifications[0]!;
    expect(n).toMatchObject({
      id: 'omsk-school-17:connection:2021-12-31:before:7:contractor-omsk-net',
      kind: 'reminder',
      level: 'assignee',
      deadline: '2021-12-31',
    });
    expect(n.subject.ru).toBe('Напоминание: Подключение к сети «Интернет» — срок 10.01.2022');
    expect(n.subject.en).toBe('Reminder: Internet connection due 10 January 2022');
    expect(n.body.ru).toContain('завершить до 10.01.2022 включительно (срок 31.12.2021 — нерабочий день) (дней до срока: 17)');
  });

  it('escalates overdue work: coordinator from day 1, program manager from day 14', () => {
    const day1 = ok(remind(ctx(open()), 'omsk-school-17:connection:2021-12-31:overdue:1', new Date('2022-01-11T05:00:00Z')));
    expect(day1.notifications.map((n) => [n.kind, n.level, n.recipient.type])).toEqual([
      ['escalation', 'district-coordinator', 'contractor'],
      ['escalation', 'district-coordinator', 'district-coordinator'],
    ]);
    expect(day1.notifications[0]!.subject.ru).toBe('Просрочено: Подключение к сети «Интернет» — срок был 10.01.2022');
    expect(day1.notifications[0]!.body.ru).toContain('просрочен на 1 дн.');
    const day15 = ok(remind(ctx(open()), 'omsk-school-17:connection:2021-12-31:overdue:15', new Date('2022-01-25T05:00:00Z')));
    expect(day15.notifications.map((n) => n.recipient.type)).toEqual(['contractor', 'district-coordinator', 'program-manager']);
    expect(new Set(day15.notifications.map((n) => n.id)).size).toBe(3);
  });

  it('the same reminder computed twice has the same notification ids', () => {
    const id = 'omsk-school-17:connection:2021-12-31:overdue:8';
    const a = ok(remind(ctx(open()), id, new Date('2022-01-18T05:00:00Z')));
    const b = ok(remind(ctx(open()), id, new Date('2022-01-18T05:05:00Z')));
    expect(b.notifications.map((n) => n.id)).toEqual(a.notifications.map((n) => n.id));
  });

  it('refuses a reminder that is not due yet, stale, unknown, for another milestone or for a closed one', () => {
    const at = new Date('2022-01-20T00:00:00Z');
    expect(code(remind(ctx(open()), 'omsk-school-17:connection:2021-12-31:before:7', new Date('2021-12-24T02:59:59Z')))).toBe(
      'not-allowed',
    );
    expect(code(remind(ctx(open({ deadline: '2022-06-30' })), 'omsk-school-17:connection:2021-12-31:overdue:1', at))).toBe('not-allowed');
    expect(code(remind(ctx(open()), 'omsk-school-17:connection:2021-12-31:before:5', at))).toBe('not-allowed');
    expect(code(remind(ctx(open()), 'omsk-school-17:connection:2021-12-31:overdue:2', at))).toBe('not-allowed');
    expect(code(remind(ctx(open()), 'omsk-school-17:equipment:2021-12-31:overdue:1', at))).toBe('invalid');
    expect(code(remind(ctx(open()), 'other-school:connection:2021-12-31:overdue:1', at))).toBe('invalid');
    expect(code(remind(ctx(open()), 'garbage', at))).toBe('invalid');
    expect(code(remind(ctx(open({ status: 'completed', closedAt: STARTED })), 'omsk-school-17:connection:2021-12-31:overdue:1', at))).toBe(
      'not-allowed',
    );
    expect(code(remind(context('sports'), 'omsk-school-17:sports:2021-12-31:overdue:1', at))).toBe('not-found');
  });

  it('refuses a reminder the working-day rule dropped', () => {
    // Deadline 2024-01-07, a holiday, due Tuesday 2024-01-09: before:7 (Sunday 2023-12-31) and before:1
    // (Saturday 2024-01-06) both move to the 9th, where only before:1 goes out.
    const sunday = open({ deadline: '2024-01-07' });
    const d = remind(
      context('connection', { connection: sunday }),
      'omsk-school-17:connection:2024-01-07:before:7',
      new Date('2024-01-20T00:00:00Z'),
    );
    expect(code(d)).toBe('not-allowed');
  });
});

describe('the reminder window', () => {
  const spread = program.milestones[0]!.reminders;

  it('the reminders of a milestone go out at its own second of 09:00–11:00, the same every time, on their day', () => {
    expect(spread.spreadMinutes).toBe(120);
    const exact = reminderSchedule(open(), policy, TZ);
    const spreadOut = reminderSchedule(open(), spread, TZ);
    const offset = reminderOffsetMs('omsk-school-17', 'connection', spread);
    expect(offset % 1000).toBe(0);
    expect(offset).toBeLessThan(2 * 3_600_000);
    expect(spreadOut.map((r) => r.id)).toEqual(exact.map((r) => r.id));
    spreadOut.forEach((r, i) => {
      expect(Date.parse(r.at) - Date.parse(exact[i]!.at)).toBe(offset);
      expect(r.date).toBe(exact[i]!.date);
    });
    // Another milestone of the school, or the same milestone of another school: another second.
    expect(reminderOffsetMs('omsk-school-17', 'equipment', spread)).not.toBe(offset);
    expect(reminderOffsetMs('omsk-school-18', 'connection', spread)).not.toBe(offset);
    // Due only from its second: nextReminder and remind agree.
    const first = spreadOut[0]!;
    expect(nextReminder(open(), spread, TZ, new Date(Date.parse(first.at) - 1))!.id).toBe(first.id);
    expect(nextReminder(open(), spread, TZ, new Date(first.at))!.id).not.toBe(first.id);
    const ctx = context('connection', { connection: open() });
    expect(remind(ctx, first.id, new Date(Date.parse(first.at) - 1000)).ok).toBe(false);
    expect(remind(ctx, first.id, new Date(first.at)).ok).toBe(true);
  });

  it('the lifecycles of a national cohort (40,000 schools, one deadline) wake over two hours, not in one second', () => {
    const perSecond = new Map<number, number>();
    for (let i = 0; i < 40_000; i++) {
      const schoolId = `sch-${String(i).padStart(5, '0')}`;
      const at = nextReminder({ ...open(), schoolId }, spread, TZ, new Date('2021-11-01T00:00:00Z'))!.at;
      const second = Date.parse(at) / 1000;
      perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    }
    const counts = [...perSecond.values()];
    const seconds = [...perSecond.keys()];
    // 40,000 over 7,200 seconds: about 5.6 a second; without the window all 40,000 in one.
    expect(Math.max(...seconds) - Math.min(...seconds)).toBeLessThan(7_200);
    expect(Math.max(...counts)).toBeLessThanOrEqual(20);
    expect(perSecond.size).toBeGreaterThan(6_900);
    const withoutWindow = new Set(
      Array.from(
        { length: 100 },
        (_, i) => nextReminder({ ...open(), schoolId: `sch-${i}` }, policy, TZ, new Date('2021-11-01T00:00:00Z'))!.at,
      ),
    );
    expect(withoutWindow.size).toBe(1);
  });

  it('a window that would end after midnight is refused, with the field', () => {
    const parsed = ReminderPolicy.safeParse({ localTime: '23:00', spreadMinutes: 60 });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]!.path).toEqual(['spreadMinutes']);
    expect(ReminderPolicy.parse({ localTime: '22:00', spreadMinutes: 119 }).spreadMinutes).toBe(119);
  });
});
