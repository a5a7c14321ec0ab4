/**
 * The leadership's weekly digest against a real table on DynamoDB Local: written to the outbox once per
 * week and recipient role however often the job runs (a retry, the schedule's later weekdays, two runs
 * at once), on the week's first working day of the production calendar, in Russian with the KPI figures
 * of the progress report; and delivered by the outbox dispatcher like any notification. The local
 * scheduler fires the template's weekday schedule on the right days.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { beforeAll, describe, expect, it } from 'vitest';
import { progressReport } from '../../functions/api/reports.js';
import type { DeliveryChannel, OutgoingMessage, SendOutcome } from '../../functions/notifications/channels.js';
import { createDispatcher } from '../../functions/notifications/dispatcher.js';
import { createWeeklyDigest, digestId, weekOf } from '../../functions/schedules/weekly-digest.js';
import { nextFire } from '../../infra/local/events.js';
import { VirtualClock } from '../../shared/clock.js';
import type { DigestNotification } from '../../shared/program/model.js';
import { REFERENCE_PROGRAM as program } from '../../shared/program/reference-program.js';
import { OMSK_OBLAST_DISTRICTS as districts } from '../../shared/region/districts.js';
import { createStore, type MilestoneStore } from '../../shared/store/index.js';
import { createTestTable } from '../support/table.js';
import { pending, school, start, waive } from '../store/fixtures.js';

const logger = new Logger({ serviceName: 'weekly-digest-test', logLevel: 'SILENT' });
const metrics = new Metrics({ namespace: 'Test', serviceName: 'weekly-digest-test' });
const [D1, D2] = [districts[1]!, districts[2]!];

/** 08:00 in Omsk (UTC+6). */
const at = (date: string) => `${date}T02:00:00.000Z`;

let store: MilestoneStore;
const job = () => createWeeklyDigest({ store, program, districts, clock: new VirtualClock(at('2022-06-06')), logger, metrics });
const run = (date: string) => job().run({ task: 'weekly-digest', scheduledTime: at(date) });

async function outboxDigests(): Promise<DigestNotification[]> {
  const out: DigestNotification[] = [];
  for (const recipient of [{ type: 'program-manager' }, { type: 'viewer' }] as const) {
    const page = await store.listNotificationsFor(recipient, { limit: 100 });
    for (const e of page.items) if (e.notification.kind === 'weekly-digest') out.push(e.notification);
  }
  return out;
}

beforeAll(async () => {
  const table = await createTestTable('weekly-digest');
  store = createStore({ client: table.client, tableName: table.tableName, clock: new VirtualClock(at('2022-06-06')) });
  // Six schools in two districts; the connection of three of them waived (reached), the rest started.
  const schools = ['a1', 'a2', 'a3', 'a4', 'b1', 'b2'];
  for (const id of schools) {
    await store.putSchool(school(id, id.startsWith('a') ? D1.id : D2.id, { name: `Школа ${id}` }));
    const started = start(pending(id, 'connection'), 'rostelecom');
    const done = ['a1', 'a2', 'b1'].includes(id) ? [waive(started.state)] : [];
    await store.commit({
      schoolId: id,
      key: 'connection',
      expectedVersion: 0,
      state: done.at(-1)?.state ?? started.state,
      events: [started.event, ...done.map((d) => d.event)],
    });
  }
});

describe('the weekly digest', () => {
  it('writes one digest per recipient role on the Monday, and nothing on a retry, the later weekdays or two runs at once', async () => {
    expect(await run('2022-06-06')).toEqual({ date: '2022-06-06', week: '2022-06-06', outcome: 'written', written: 2 });
    expect(await run('2022-06-06')).toMatchObject({ outcome: 'already-written', written: 0 });
    for (const day of ['2022-06-07', '2022-06-08', '2022-06-10']) expect(await run(day)).toMatchObject({ outcome: 'already-written' });
    const twice = await Promise.all([run('2022-06-20'), run('2022-06-20')]);
    expect(twice.reduce((n, r) => n + r.written, 0)).toBe(2);

    const digests = await outboxDigests();
    expect(digests.map((d) => d.id).sort()).toEqual([
      'weekly-digest:2022-06-06:program-manager',
      'weekly-digest:2022-06-06:viewer',
      'weekly-digest:2022-06-20:program-manager',
      'weekly-digest:2022-06-20:viewer',
    ]);
    expect(digests.filter((d) => d.week === '2022-06-06').map((d) => d.createdAt)).toEqual([at('2022-06-06'), at('2022-06-06')]);
  });

  it('goes out on the first working day of a week that starts with a holiday, not on the day off', async () => {
    // 13 June 2022 is the day off moved from Sunday 12 June (Russia Day).
    expect(await run('2022-06-13')).toMatchObject({ week: '2022-06-13', outcome: 'day-off', written: 0 });
    expect(await store.getNotification(digestId('2022-06-13', { type: 'viewer' }))).toBeNull();
    expect(await run('2022-06-14')).toMatchObject({ week: '2022-06-13', outcome: 'written', written: 2 });
    expect(weekOf('2022-06-19')).toBe('2022-06-13');
  });

  it('is Russian and states the KPI figures of the progress report as of the Sunday before', async () => {
    const digest = (await store.getNotification(digestId('2022-06-06', { type: 'viewer' })))!.notification as DigestNotification;
    expect(digest).toMatchObject({ kind: 'weekly-digest', week: '2022-06-06', asOf: '2022-06-05', recipient: { type: 'viewer' } });
    const summaries = (await store.listSchoolSummaries({ milestones: program.milestones.map((m) => m.key), limit: 100 })).items;
    const report = progressReport(
      program,
      districts.map((d) => d.id),
      summaries,
      '2022-06-05',
      new Date(at('2022-06-06')),
    );
    expect(report.total.schools).toBe(6);
    expect(report.total.milestones.connection).toEqual({ schools: 6, completed: 0, waived: 3, reached: 3, share: 0.5 });

    expect(digest.subject.ru).toBe('Еженедельная сводка ЦОС: неделя с 06.06.2022');
    const ru = digest.body.ru;
    expect(ru).toMatch(/^Еженедельная сводка по программе ЦОС на 05\.06\.2022/);
    expect(ru).toContain('Показатели: школ в расчёте 6');
    expect(ru).toContain('• Подключение к сети «Интернет»: 3 из 6 — 50,0 % (в т. ч. освобождены: 3)');
    expect(ru).toContain('• Поставка оборудования: 0 из 6 — 0,0 % (в т. ч. освобождены: 0)');
    // The connection target (100 % by 31.12.2021) is past: its share on the date, now, and what is missing.
    expect(ru).toContain(
      '• Подключение к сети «Интернет» — цель 100,0 % к 31.12.2021: на срок 50,0 % (3 из 6), сейчас 50,0 % (3 из 6), не хватает 3 шк. (50,0 п. п.)',
    );
    expect(ru).toContain('Прогноз при темпе последних 8 недель:');
    // Nothing moved in the last 8 weeks: no date.
    expect(ru).toContain('• Подключение к сети «Интернет»: срок не определить, темп 0 шк./нед. — продвижения нет');
    // The district furthest behind on the connection: D1 has 2 of 4, D2 1 of 2; both at 50 %, D1 needs more.
    expect(ru).toContain(`• Подключение к сети «Интернет»: ${D1.nameRu} — 50,0 % (2 из 4, не хватает 2 шк.)`);
    // Russian first: the text is Cyrillic, not the English version.
    expect(ru.match(/[А-Яа-яЁё]/g)!.length).toBeGreaterThan(ru.match(/[A-Za-z]/g)?.length ?? 0);
    expect(digest.body.en).toContain('• Internet connection: 3 of 6 — 50.0% (of which waived: 3)');
  });

  it('is delivered by the outbox dispatcher to the role it is addressed to', async () => {
    const sent: OutgoingMessage[] = [];
    const channel: DeliveryChannel = {
      name: 'log',
      async send(message, ledger): Promise<SendOutcome> {
        sent.push(message);
        await ledger.record('log');
        return 'sent';
      },
    };
    const dispatcher = createDispatcher({ store, channel, clock: new VirtualClock(at('2022-06-06')), logger, metrics });
    const id = digestId('2022-06-06', { type: 'viewer' });
    expect(await dispatcher.deliver(id)).toBe('delivered');
    expect(await dispatcher.deliver(id)).toBe('already-delivered');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      id,
      recipient: { type: 'viewer' },
      attributes: { kind: 'weekly-digest', week: '2022-06-06', asOf: '2022-06-05' },
    });
    expect((await store.getNotification(id))!.deliveredAt).toBe(at('2022-06-06'));
  });
});

describe('the weekday schedule on the local scheduler', () => {
  const WEEKDAYS = 'cron(0 8 ? * MON-FRI *)';
  it('fires at 08:00 Omsk time on Monday to Friday only', () => {
    // From Friday 10 June 2022 after 08:00: the next is Monday 13 June (the job skips it as a day off).
    expect(nextFire(WEEKDAYS, 'Asia/Omsk', Date.parse('2022-06-10T03:00:00Z')).toISOString()).toBe(at('2022-06-13'));
    expect(nextFire(WEEKDAYS, 'Asia/Omsk', Date.parse(at('2022-06-13'))).toISOString()).toBe(at('2022-06-14'));
    expect(nextFire('cron(0 8 ? * MON *)', 'Asia/Omsk', Date.parse(at('2022-06-07'))).toISOString()).toBe(at('2022-06-13'));
    expect(nextFire('cron(0 8 ? * 2-6 *)', 'Asia/Omsk', Date.parse('2022-06-10T03:00:00Z')).toISOString()).toBe(at('2022-06-13'));
    expect(() => nextFire('cron(0 8 ? * XYZ *)', 'Asia/Omsk', 0)).toThrow(/day-of-week/);
  });
});
