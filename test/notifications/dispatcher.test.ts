/**
 * The outbox dispatcher against a real table on DynamoDB Local: stream batches (per-record failures,
 * idempotent replays), the daily re-drive, and the Lambda handler configured by its environment with
 * the `log` channel, as the local stack runs it.
 */
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../shared/clock.js';
import type { MilestoneNotification as Notification } from '../../shared/program/model.js';
import { createStore, keys, type MilestoneStore } from '../../shared/store/index.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import {
  createChannel,
  SesChannel,
  type DeliveryChannel,
  type OutgoingMessage,
  type RecipientDirectory,
  type SendOutcome,
} from '../../functions/notifications/channels.js';
import { createDispatcher, notificationIdOf } from '../../functions/notifications/dispatcher.js';
import { dynamodbEndpoint, localDynamoClient } from '../support/dynamodb.js';
import { createTestTable } from '../support/table.js';
import { notification, pending, start } from '../store/fixtures.js';

/** Records what it sends; fails the first attempt for the ids in `failOnce`. */
class RecordingChannel implements DeliveryChannel {
  readonly name = 'log';
  readonly sent: OutgoingMessage[] = [];
  constructor(private readonly failOnce = new Set<string>()) {}
  async send(message: OutgoingMessage): Promise<SendOutcome> {
    if (this.failOnce.delete(message.id)) throw new Error(`channel down for ${message.id}`);
    this.sent.push(message);
    return 'sent';
  }
}

let store: MilestoneStore;
let tableName: string;
const clock = new VirtualClock('2021-12-24T03:00:00.000Z');
const logger = new Logger({ serviceName: 'dispatcher-test', logLevel: 'SILENT' });
const metrics = new Metrics({ namespace: 'Test', serviceName: 'dispatcher-test' });

/** Commits a started milestone of a new school with the given notifications in the same transaction. */
async function outbox(schoolId: string, notifications: Notification[]): Promise<void> {
  const { state, event } = start(pending(schoolId), 'rostelecom');
  await store.commit({ schoolId, key: 'connection', expectedVersion: 0, state, events: [event], notifications });
}

let sequence = 1000;
function record(id: string, eventName: DynamoDBRecord['eventName'] = 'INSERT'): DynamoDBRecord {
  const key = keys.notification(id);
  return {
    eventID: `e-${sequence}`,
    eventName,
    eventSource: 'aws:dynamodb',
    dynamodb: { Keys: { PK: { S: key.PK }, SK: { S: key.SK } }, SequenceNumber: String(sequence++), StreamViewType: 'NEW_IMAGE' },
  };
}
const batch = (...records: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: records });

beforeAll(async () => {
  const table = await createTestTable('dispatcher');
  tableName = table.tableName;
  store = createStore({ client: table.client, tableName, clock });
});

describe('stream batches', () => {
  it('deliver each new notification once, report the failed record, and skip delivered ones on replay', async () => {
    const ns = ['a', 'b', 'c'].map((x) => notification(`stream-${x}`, `stream-${x}`, { createdAt: '2021-12-24T02:59:00.000Z' }));
    for (const n of ns) await outbox(n.schoolId, [n]);
    const channel = new RecordingChannel(new Set(['stream-b']));
    const dispatcher = createDispatcher({ store, channel, clock, logger, metrics });

    const records = ns.map((n) => record(n.id));
    const first = await dispatcher.handleStream(batch(...records));
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: records[1]!.dynamodb!.SequenceNumber }]);
    expect(channel.sent.map((m) => m.id).sort()).toEqual(['stream-a', 'stream-c']);
    expect((await store.getNotification('stream-a'))!.deliveredAt).toBe(clock.now().toISOString());
    expect((await store.getNotification('stream-b'))!.deliveredAt).toBeNull();

    // Lambda retries the batch from the failed record on: the delivered ones are not sent again.
    const again = await dispatcher.handleStream(batch(...records.slice(1)));
    expect(again.batchItemFailures).toEqual([]);
    expect(channel.sent.map((m) => m.id).sort()).toEqual(['stream-a', 'stream-b', 'stream-c']);
    expect((await store.getNotification('stream-b'))!.deliveredAt).not.toBeNull();
  });

  it('sends the notification as stored, with its routing attributes', async () => {
    const n = notification('stream-attrs', 'stream-attrs', {
      recipient: { type: 'district-coordinator', district: 'tara' },
      kind: 'escalation',
      level: 'district-coordinator',
    });
    await outbox(n.schoolId, [n]);
    const channel = new RecordingChannel();
    await createDispatcher({ store, channel, clock, logger, metrics }).handleStream(batch(record(n.id)));
    expect(channel.sent).toEqual([
      {
        id: n.id,
        recipient: n.recipient,
        subject: n.subject,
        body: n.body,
        attributes: {
          kind: 'escalation',
          level: 'district-coordinator',
          schoolId: n.schoolId,
          milestone: 'connection',
          deadline: n.deadline,
        },
      },
    ]);
  });

  it('ignores records that are not outbox items and notifications that are gone', async () => {
    const channel = new RecordingChannel();
    const dispatcher = createDispatcher({ store, channel, clock, logger, metrics });
    const school: DynamoDBRecord = {
      ...record('x'),
      dynamodb: { Keys: { PK: { S: 'SCHOOL#s-1' }, SK: { S: 'PROFILE' } }, SequenceNumber: '1' },
    };
    expect(notificationIdOf(school)).toBeNull();
    expect(await dispatcher.handleStream(batch(school, record('never-written')))).toEqual({ batchItemFailures: [] });
    expect(channel.sent).toEqual([]);
  });
});

describe('the daily re-drive', () => {
  it('delivers what is still pending, leaving very recent notifications to the stream', async () => {
    const old = notification('redrive-old', 'redrive-old', { createdAt: '2021-12-23T09:00:00.000Z' });
    const recent = notification('redrive-recent', 'redrive-recent', { createdAt: '2021-12-24T02:55:00.000Z' });
    await outbox(old.schoolId, [old]);
    await outbox(recent.schoolId, [recent]);
    const channel = new RecordingChannel();
    const dispatcher = createDispatcher({ store, channel, clock, logger, metrics });

    const result = await dispatcher.redrive({ task: 'redrive-pending', scheduledTime: '2021-12-24T03:00:00Z' }, () => 60_000);
    expect(channel.sent.map((m) => m.id)).toContain('redrive-old');
    expect(channel.sent.map((m) => m.id)).not.toContain('redrive-recent');
    expect(result.failed).toBe(0);
    expect(result.tooRecent).toBeGreaterThanOrEqual(1);
    expect(result.truncated).toBe(false);
    const pendingIds = (await store.listPendingNotifications({ limit: 1000 })).items.map((e) => e.notification.id);
    expect(pendingIds).toContain('redrive-recent');
    expect(pendingIds).not.toContain('redrive-old');
  });

  it('fails the invocation when a delivery failed (so it is retried), after delivering the rest', async () => {
    const a = notification('redrive-fail-a', 'redrive-fail-a', { createdAt: '2021-12-20T09:00:00.000Z' });
    const b = notification('redrive-fail-b', 'redrive-fail-b', { createdAt: '2021-12-20T09:00:01.000Z' });
    await outbox(a.schoolId, [a]);
    await outbox(b.schoolId, [b]);
    const channel = new RecordingChannel(new Set(['redrive-fail-a']));
    const dispatcher = createDispatcher({ store, channel, clock, logger, metrics });
    await expect(dispatcher.redrive({ task: 'redrive-pending', scheduledTime: '2021-12-24T03:00:00Z' }, () => 60_000)).rejects.toThrow(
      /1 notification/,
    );
    expect(channel.sent.map((m) => m.id)).toContain('redrive-fail-b');
    expect((await store.getNotification('redrive-fail-a'))!.deliveredAt).toBeNull();
  });

  it('stops early when the invocation is about to time out', async () => {
    const dispatcher = createDispatcher({ store, channel: new RecordingChannel(), clock, logger, metrics });
    const result = await dispatcher.redrive({ task: 'redrive-pending' }, () => 5_000);
    expect(result).toMatchObject({ delivered: 0, truncated: true });
  });
});

/**
 * The SES v2 SendEmail endpoint on loopback, for the real SES channel and SDK client: it keeps every
 * message it accepts and refuses, as SES does for an address it will not send to, those in `refuse`.
 */
async function sesSink(refuse: Set<string>) {
  const accepted: { to: string; notificationId: string | undefined }[] = [];
  const refused: { to: string; notificationId: string | undefined }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v2/email/outbound-emails') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not found"}');
        return;
      }
      const input = JSON.parse(body) as {
        Destination: { ToAddresses: string[] };
        Content: { Simple: { Headers?: { Name: string; Value: string }[] } };
      };
      const to = input.Destination.ToAddresses.join(',');
      const notificationId = input.Content.Simple.Headers?.find((h) => h.Name === 'X-Cos-Notification-Id')?.Value;
      if (refuse.has(to)) {
        refused.push({ to, notificationId });
        res.writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': 'MessageRejected' });
        res.end(
          JSON.stringify({
            message: `Email address is not verified. The following identities failed the check in region EU-CENTRAL-1: ${to}`,
          }),
        );
        return;
      }
      accepted.push({ to, notificationId });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ MessageId: `m-${accepted.length}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new SESv2Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'eu-central-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    client,
    accepted,
    refused,
    stop: () =>
      new Promise<void>((resolve) => {
        client.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The contractor's people: three addresses. */
class Addresses implements RecipientDirectory {
  constructor(private readonly list: string[]) {}
  async addresses(): Promise<string[]> {
    return this.list;
  }
}

describe('per-recipient delivery (e-mail through SES)', () => {
  it('one refused address does not make the other recipients get the notification again, on the retry or the re-drive', async () => {
    const refuse = new Set(['b@isp.example']);
    const sink = await sesSink(refuse);
    try {
      const n = notification('per-recipient', 'per-recipient', { createdAt: '2021-12-20T09:00:00.000Z' });
      await outbox(n.schoolId, [n]);
      const channel = new SesChannel(
        sink.client,
        'noreply@cos.example',
        new Addresses(['a@isp.example', 'b@isp.example', 'c@isp.example']),
        logger,
      );
      const dispatcher = createDispatcher({ store, channel, clock, logger, metrics });
      // The re-drive sends the other pending notifications of the table too: count this one's messages.
      const delivered = () =>
        sink.accepted
          .filter((m) => m.notificationId === n.id)
          .map((m) => m.to)
          .sort();
      const refused = () => sink.refused.filter((m) => m.notificationId === n.id).map((m) => m.to);

      // The stream's first attempt: a and c get it, b refuses; the record fails, so Lambda retries it.
      const r = record(n.id);
      expect((await dispatcher.handleStream(batch(r))).batchItemFailures).toEqual([{ itemIdentifier: r.dynamodb!.SequenceNumber }]);
      expect(delivered()).toEqual(['a@isp.example', 'c@isp.example']);
      expect(await store.getNotification(n.id)).toMatchObject({ deliveredAt: null, deliveredTo: ['a@isp.example', 'c@isp.example'] });

      // Lambda's retry: only b is tried again.
      expect((await dispatcher.handleStream(batch(r))).batchItemFailures).toHaveLength(1);
      expect(refused()).toEqual(['b@isp.example', 'b@isp.example']);
      expect(delivered()).toEqual(['a@isp.example', 'c@isp.example']);

      // The daily re-drive, still refused: the same.
      await expect(dispatcher.redrive({ task: 'redrive-pending', scheduledTime: '2021-12-24T03:00:00Z' }, () => 60_000)).rejects.toThrow(
        /could not be delivered/,
      );
      expect(refused()).toHaveLength(3);
      expect(delivered()).toEqual(['a@isp.example', 'c@isp.example']);

      // b's address is verified: the next re-drive reaches b alone, and the notification is delivered.
      refuse.clear();
      const result = await dispatcher.redrive({ task: 'redrive-pending', scheduledTime: '2021-12-25T03:00:00Z' }, () => 60_000);
      expect(result.failed).toBe(0);
      expect(delivered()).toEqual(['a@isp.example', 'b@isp.example', 'c@isp.example']);
      expect(await store.getNotification(n.id)).toMatchObject({
        deliveredAt: clock.now().toISOString(),
        deliveredTo: ['a@isp.example', 'c@isp.example', 'b@isp.example'],
      });

      // Nothing is left to send, however often it is asked again.
      await dispatcher.handleStream(batch(r));
      await dispatcher.redrive({ task: 'redrive-pending', scheduledTime: '2021-12-26T03:00:00Z' }, () => 60_000);
      expect(delivered()).toEqual(['a@isp.example', 'b@isp.example', 'c@isp.example']);
    } finally {
      await sink.stop();
    }
  });
});

describe('the writes of a delivery', () => {
  /** A dispatcher through the log channel, on a client of its own that names every DynamoDB operation it sends. */
  function countedDispatcher(channelLogger: Parameters<typeof createChannel>[1] = logger) {
    const calls: string[] = [];
    const client = localDynamoClient();
    client.middlewareStack.add(
      (next, context) => async (args) => {
        calls.push(String(context.commandName).replace(/Command$/, ''));
        return next(args);
      },
      { step: 'initialize', name: 'countCalls' },
    );
    const channel = createChannel({ NOTIFY_CHANNEL: 'log' }, channelLogger);
    return { dispatcher: createDispatcher({ store: createStore({ client, tableName, clock }), channel, clock, logger, metrics }), calls };
  }

  it('reads the notification, then records its last destination and marks it delivered in one write', async () => {
    const n = notification('one-write', 'one-write');
    await outbox(n.schoolId, [n]);
    const { dispatcher, calls } = countedDispatcher();

    expect((await dispatcher.handleStream(batch(record(n.id)))).batchItemFailures).toEqual([]);
    expect(calls).toEqual(['GetItem', 'UpdateItem']);
    expect(await store.getNotification(n.id)).toMatchObject({ deliveredAt: clock.now().toISOString(), deliveredTo: ['log'] });
    expect((await store.listPendingNotifications({ limit: 1000 })).items.map((e) => e.notification.id)).not.toContain(n.id);

    // A replay finds it delivered: one read, nothing sent or written.
    calls.length = 0;
    await dispatcher.handleStream(batch(record(n.id)));
    expect(calls).toEqual(['GetItem']);
  });

  it('marks on its own a notification whose every destination was recorded before a crash', async () => {
    const n = notification('crashed-before-mark', 'crashed-before-mark');
    await outbox(n.schoolId, [n]);
    await store.recordDestination(n.id, 'log');
    const sent: string[] = [];
    const { dispatcher, calls } = countedDispatcher({ info: (message: string) => void sent.push(message), warn: () => undefined });

    expect((await dispatcher.handleStream(batch(record(n.id)))).batchItemFailures).toEqual([]);
    expect(sent).toEqual([]);
    expect(calls).toEqual(['GetItem', 'UpdateItem']);
    expect(await store.getNotification(n.id)).toMatchObject({ deliveredAt: clock.now().toISOString(), deliveredTo: ['log'] });
  });
});

describe('the Lambda handler', () => {
  it('runs from the environment the template gives it, with the channel overridden to log', async () => {
    Object.assign(process.env, {
      TABLE_NAME: tableName,
      NOTIFY_CHANNEL: 'log',
      AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint(),
      AWS_REGION: 'eu-central-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      POWERTOOLS_METRICS_NAMESPACE: 'Test',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    const n = notification('handler-1', 'handler-1');
    await outbox(n.schoolId, [n]);
    const { handler } = await import('../../functions/notifications/dispatcher.js');
    const context = { getRemainingTimeInMillis: () => 60_000, functionName: 'dispatcher', awsRequestId: 'r-1' } as unknown as Context;

    expect(await handler(batch(record(n.id)), context)).toEqual({ batchItemFailures: [] });
    expect((await store.getNotification(n.id))!.deliveredAt).not.toBeNull();
    await expect(handler({ task: 'something-else' }, context)).rejects.toThrow(/Unexpected event/);
  });

  it('stamps a delivery with the clock it is built on (the local stack passes its demo or virtual clock), not the machine date', async () => {
    const n = notification('handler-2', 'handler-2');
    await outbox(n.schoolId, [n]);
    const { createHandler } = await import('../../functions/notifications/dispatcher.js');
    const virtual = new VirtualClock('2022-02-01T05:30:00.000Z');
    const context = { getRemainingTimeInMillis: () => 60_000, functionName: 'dispatcher', awsRequestId: 'r-2' } as unknown as Context;

    expect(await createHandler({ clock: virtual })(batch(record(n.id)), context)).toEqual({ batchItemFailures: [] });
    expect((await store.getNotification(n.id))!.deliveredAt).toBe('2022-02-01T05:30:00.000Z');
  });
});
