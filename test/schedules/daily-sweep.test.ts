/**
 * The daily sweep against a real table on DynamoDB Local, at 08:30 in Omsk on 24 December 2021: the
 * coordinators' digest of overdue milestones — sent once per district and day however often the sweep
 * runs. Live workflows are the workflow sweep's alone (test/workflow/recovery.test.ts).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../shared/clock.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import type { MilestoneState } from '../../shared/program/model.js';
import { createStore, type MilestoneStore } from '../../shared/store/index.js';
import type { DeliveryChannel, OutgoingMessage, SendOutcome } from '../../functions/notifications/channels.js';
import { createSweep } from '../../functions/schedules/daily-sweep.js';
import { createTestTable } from '../support/table.js';
import { pending, school, start, waive } from '../store/fixtures.js';

class RecordingChannel implements DeliveryChannel {
  readonly name = 'log';
  readonly sent: OutgoingMessage[] = [];
  async send(message: OutgoingMessage): Promise<SendOutcome> {
    this.sent.push(message);
    return 'sent';
  }
}

/** 08:30 Asia/Omsk (UTC+6), a Friday; the 7-days-before reminder of a 31 December deadline goes out that morning (09:00–11:00). */
const SCHEDULED = '2021-12-24T02:30:00Z';

let store: MilestoneStore;
const logger = new Logger({ serviceName: 'sweep-test', logLevel: 'SILENT' });
const metrics = new Metrics({ namespace: 'Test', serviceName: 'sweep-test' });

async function active(schoolId: string, district: string, overrides: Partial<MilestoneState> = {}): Promise<void> {
  await store.putSchool(school(schoolId, district, { name: `Школа ${schoolId}` }));
  const { state, event } = start(pending(schoolId, 'connection', overrides), 'rostelecom');
  await store.commit({ schoolId, key: 'connection', expectedVersion: 0, state, events: [event] });
}

beforeAll(async () => {
  const table = await createTestTable('sweep');
  store = createStore({ client: table.client, tableName: table.tableName, clock: new VirtualClock(SCHEDULED) });
  await active('due-today', 'omsk', { deadline: '2021-12-31' });
  await active('overdue-1', 'tara', { deadline: '2021-12-10' });
  await active('overdue-2', 'tara', { deadline: '2021-12-01' });
  await active('later', 'omsk', { deadline: '2022-06-01' });
  await store.putSchool(school('closed', 'tara'));
  const started = start(pending('closed', 'connection', { deadline: '2021-11-01' }), 'rostelecom');
  const waived = waive(started.state);
  await store.commit({
    schoolId: 'closed',
    key: 'connection',
    expectedVersion: 0,
    state: waived.state,
    events: [started.event, waived.event],
  });
});

describe('the daily sweep', () => {
  const channel = new RecordingChannel();
  const sweep = () => createSweep({ store, channel, program: REFERENCE_PROGRAM, clock: new VirtualClock(SCHEDULED), logger, metrics });

  it('sends each district its digest of overdue milestones, and touches no workflow', async () => {
    const result = await sweep().run({ task: 'daily-sweep', scheduledTime: SCHEDULED });
    expect(result).toEqual({ date: '2021-12-24', overdue: 2, digestsSent: 1 });
    expect(channel.sent).toHaveLength(1);
    const digest = channel.sent[0]!;
    expect(digest.recipient).toEqual({ type: 'district-coordinator', district: 'tara' });
    expect(digest.id).toBe('digest:tara:2021-12-24');
    expect(digest.subject.ru).toContain('2021-12-24');
    // Most overdue first; the waived milestone is not listed.
    const lines = digest.body.ru.split('\n').slice(1);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('Школа overdue-2');
    expect(lines[0]).toContain('просрочено на 23 дн.');
    expect(lines[1]).toContain('Школа overdue-1');
    expect(digest.body.en).toContain('day(s) overdue');
  });

  it('sends no digest twice on the same day', async () => {
    const result = await sweep().run({ task: 'daily-sweep', scheduledTime: SCHEDULED });
    expect(result.digestsSent).toBe(0);
    expect(channel.sent).toHaveLength(1);
  });
});
