/**
 * The outbox dispatcher (DESIGN.md principle 7). Invoked two ways, both from the template:
 *
 * - by the table's stream, with batches of newly inserted outbox items (the event source filter
 *   passes nothing else): each is delivered; failures are reported per record, so Lambda retries from
 *   the first failed record, splits the batch, and finally records it in the dead-letter queue;
 * - by the daily re-drive schedule, with `{"task": "redrive-pending", "scheduledTime": ...}`: every
 *   notification still pending (created more than a few minutes before) is delivered.
 *
 * Idempotent by notification id and per destination: a notification is re-read before sending and
 * skipped when it is already delivered; each destination it reaches (an e-mail address, the topic) is
 * recorded on it as it is sent, so a retry or the re-drive sends only to the destinations left (one
 * rejected address does not make the others receive it again); the write that records the last one
 * also marks it delivered (conditional on it being pending), and a notification with no destination
 * left to record is marked by a conditional write of its own. A crash between a send and its record
 * sends that one again on retry (at least once), never zero times.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { z } from 'zod';
import { SystemClock, type Clock } from '../../shared/clock.js';
import { IsoInstant, type Notification } from '../../shared/program/model.js';
import { createStore, keyOf, type MilestoneStore } from '../../shared/store/index.js';
import { REDRIVE_MIN_AGE_MS } from './redrive-age.js';
import { channelConfigFromEnv, createChannel, type DeliveryChannel, type DeliveryLedger, type OutgoingMessage } from './channels.js';

export const RedriveRequest = z
  .object({
    task: z.literal('redrive-pending'),
    /** The schedule's time (`<aws.scheduler.scheduled-time>`): "now" for this run. */
    scheduledTime: IsoInstant.optional(),
  })
  .strict();
export type RedriveRequest = z.infer<typeof RedriveRequest>;

export interface RedriveResult {
  delivered: number;
  alreadyDelivered: number;
  tooRecent: number;
  failed: number;
  /** True when the run stopped before the end of the outbox (time budget); the next run goes on. */
  truncated: boolean;
}

export type DeliveryOutcome = 'delivered' | 'already-delivered' | 'no-recipient' | 'missing';

export interface DispatcherDeps {
  store: MilestoneStore;
  channel: DeliveryChannel;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** Notifications younger than this are left to the stream by the re-drive. Default 10 minutes. */
  redriveMinAgeMs?: number;
}

const CONCURRENCY = 4;

export function notificationMessage(n: Notification): OutgoingMessage {
  return {
    id: n.id,
    recipient: n.recipient,
    subject: n.subject,
    body: n.body,
    attributes:
      n.kind === 'weekly-digest'
        ? { kind: n.kind, week: n.week, asOf: n.asOf }
        : { kind: n.kind, level: n.level, schoolId: n.schoolId, milestone: n.milestone, deadline: n.deadline },
  };
}

export function createDispatcher(deps: DispatcherDeps) {
  const { store, channel, clock, logger, metrics } = deps;
  const minAgeMs = deps.redriveMinAgeMs ?? REDRIVE_MIN_AGE_MS;

  async function deliver(id: string): Promise<DeliveryOutcome> {
    const entry = await store.getNotification(id);
    if (!entry) {
      logger.warn('notification is not in the outbox', { notificationId: id });
      return 'missing';
    }
    if (entry.deliveredAt !== null) return 'already-delivered';
    // Set when the write that records the last destination also marked it (true), or found it delivered.
    let settled: boolean | undefined;
    const ledger: DeliveryLedger = {
      reached: new Set(entry.deliveredTo),
      record: async (destination, options) => {
        if (options?.last) settled = await store.recordDestination(id, destination, { deliveredAt: clock.now().toISOString() });
        else await store.recordDestination(id, destination);
      },
    };
    const outcome = await channel.send(notificationMessage(entry.notification), ledger);
    // No destination was left to record (none, or all reached before a crash): marked on its own.
    const marked = settled ?? (await store.markDelivered(id, clock.now().toISOString()));
    if (!marked) return 'already-delivered';
    logger.info('notification delivered', { notificationId: id, channel: channel.name, outcome, kind: entry.notification.kind });
    return outcome === 'no-recipient' ? 'no-recipient' : 'delivered';
  }

  function count(outcome: DeliveryOutcome | 'failed'): void {
    const name = {
      delivered: 'NotificationsDelivered',
      'already-delivered': 'NotificationsAlreadyDelivered',
      'no-recipient': 'NotificationsWithoutRecipient',
      missing: 'NotificationsMissing',
      failed: 'NotificationDeliveryFailures',
    }[outcome];
    metrics.addMetric(name, MetricUnit.Count, 1);
  }

  /** One stream batch; the sequence numbers of the records that failed. */
  async function handleStream(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
    const failures: string[] = [];
    await forEachLimit(event.Records, CONCURRENCY, async (record) => {
      const id = notificationIdOf(record);
      if (id === null) {
        logger.warn('stream record is not an outbox item; skipped', { eventID: record.eventID });
        return;
      }
      try {
        count(await deliver(id));
      } catch (error) {
        count('failed');
        logger.error('notification delivery failed', { notificationId: id, error: error as Error });
        if (record.dynamodb?.SequenceNumber) failures.push(record.dynamodb.SequenceNumber);
      }
    });
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  }

  /** Delivers what is still pending; throws at the end when anything failed (so the invocation is retried). */
  async function redrive(request: RedriveRequest, remainingMs: () => number): Promise<RedriveResult> {
    const now = request.scheduledTime ? new Date(request.scheduledTime) : clock.now();
    const result: RedriveResult = { delivered: 0, alreadyDelivered: 0, tooRecent: 0, failed: 0, truncated: false };
    let cursor: string | null = null;
    do {
      if (remainingMs() < 20_000) {
        result.truncated = true;
        break;
      }
      const page = await store.listPendingNotifications({ limit: 100, cursor });
      await forEachLimit(page.items, CONCURRENCY, async ({ notification }) => {
        if (now.getTime() - Date.parse(notification.createdAt) < minAgeMs) {
          result.tooRecent++;
          return;
        }
        try {
          const outcome = await deliver(notification.id);
          count(outcome);
          if (outcome === 'already-delivered') result.alreadyDelivered++;
          else if (outcome !== 'missing') result.delivered++;
        } catch (error) {
          count('failed');
          result.failed++;
          logger.error('notification delivery failed', { notificationId: notification.id, error: error as Error });
        }
      });
      cursor = page.cursor;
    } while (cursor !== null);
    logger.info('outbox re-drive finished', { ...result });
    if (result.failed > 0) throw new Error(`Outbox re-drive: ${result.failed} notification(s) could not be delivered`);
    return result;
  }

  return { deliver, handleStream, redrive };
}

export function notificationIdOf(record: DynamoDBRecord): string | null {
  return keyOf.notification(record.dynamodb?.Keys);
}

async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function isStreamEvent(event: unknown): event is DynamoDBStreamEvent {
  return typeof event === 'object' && event !== null && Array.isArray((event as { Records?: unknown }).Records);
}

// ---------- the Lambda handler: configuration from the environment the template gives it ----------

const Env = z.object({ TABLE_NAME: z.string().min(1) });

const logger = new Logger();
const metrics = new Metrics();

/**
 * The handler over its own clock: Lambda's (`handler`) uses the system clock; the local stack passes its
 * clock (the demo's, or a simulation's virtual one), so a delivery is stamped with the time it happens
 * at in that timeline, not with the machine's date. Lambda's channel is the one `NOTIFY_CHANNEL`
 * configures; the local stack passes its mailbox (infra/local/mailbox.ts), which keeps what arrives.
 */
export function createHandler(options: { clock?: Clock; channel?: DeliveryChannel } = {}) {
  let dispatcher: ReturnType<typeof createDispatcher> | undefined;
  const instance = (): ReturnType<typeof createDispatcher> => {
    if (!dispatcher) {
      const env = Env.parse(process.env);
      dispatcher = createDispatcher({
        store: createStore({ client: new DynamoDBClient({}), tableName: env.TABLE_NAME }),
        channel: options.channel ?? createChannel(channelConfigFromEnv(), logger),
        clock: options.clock ?? new SystemClock(),
        logger,
        metrics,
      });
    }
    return dispatcher;
  };
  return async (event: unknown, context: Context): Promise<DynamoDBBatchResponse | RedriveResult> => {
    logger.addContext(context);
    metrics.addDimension('channel', options.channel?.name ?? process.env.NOTIFY_CHANNEL ?? 'unset');
    try {
      if (isStreamEvent(event)) return await instance().handleStream(event);
      const request = RedriveRequest.safeParse(event);
      if (!request.success) throw new Error(`Unexpected event: ${z.prettifyError(request.error)}`);
      return await instance().redrive(request.data, () => context.getRemainingTimeInMillis());
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

export const handler = createHandler();
