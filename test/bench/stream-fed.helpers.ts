/**
 * The cost benchmark's share of the functions the table's stream invokes in AWS: the workflow-signal
 * dispatcher and the outbox (notification) dispatcher. The simulation's timeline delivers each command's
 * signal itself before it goes on, and leaves the outbox undelivered, so neither runs during it; their
 * work is counted afterwards from the stream the run wrote (the harness's table has the template's
 * stream):
 *
 * - records: every record of the stream, selected by each event source mapping's filters in the
 *   synthesized template (the same selection the local stack's pollers make);
 * - invocations: one per selected record, an upper bound (Lambda hands a function the records that
 *   arrive together in one batch, up to the mapping's batch size; the simulation's virtual time says
 *   nothing of how they would arrive);
 * - the outbox dispatcher's DynamoDB units: the real dispatcher delivers every selected notification
 *   (its `log` channel records one destination, as the SNS topic does), its store through the counting
 *   proxy;
 * - the signal dispatcher's DynamoDB units: for each signal written (INSERT or MODIFY), its two calls —
 *   read the signal, remove it on its version — through the counting proxy, on a copy of the item in a
 *   scratch table made from the same template (the run's own signals were delivered and removed by the
 *   timeline already); a removal (REMOVE) costs it no call.
 */
import { DescribeTableCommand, DeleteTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record,
} from '@aws-sdk/client-dynamodb-streams';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../shared/clock.js';
import { createStore, keyOf } from '../../shared/store/index.js';
import { createChannel } from '../../functions/notifications/channels.js';
import { createDispatcher } from '../../functions/notifications/dispatcher.js';
import { recordSelector } from '../../infra/local/events.js';
import { createTablesFromTemplate } from '../../infra/local/tables.js';
import type { CfnTemplate } from '../../infra/local/template.js';
import { ENTRY_METADATA_KEY } from '../../infra/local/sfn/stack.js';
import { DISPATCHER_ENTRY } from '../../infra/aws/wiring.js';
import { WORKFLOW_ENTRIES } from '../../infra/aws/constructs/workflows.js';

export interface StreamFedFunction {
  /** The function's source (`cos:entry`). */
  entry: string;
  /** Records its mapping selects. */
  records: number;
  /** Of them, removals (REMOVE). */
  removals: number;
  /** The mapping's batch size (the fewest invocations would be records / batch size). */
  batchSize: number;
  /** Milliseconds the calls took here (the outbox dispatcher's real run; the signal dispatcher's two calls). */
  ms: number;
}

export interface StreamFedWork {
  functions: StreamFedFunction[];
  /** Notifications the outbox dispatcher delivered (one message each to the topic). */
  notifications: number;
}

/** Every record of the table's stream, shard by shard from its start. */
async function streamRecords(dynamodb: DynamoDBClient, endpoint: string, tableName: string): Promise<_Record[]> {
  const streamArn = (await dynamodb.send(new DescribeTableCommand({ TableName: tableName }))).Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${tableName} has no stream`);
  const streams = new DynamoDBStreamsClient({ endpoint });
  try {
    const records: _Record[] = [];
    let exclusiveStart: string | undefined;
    do {
      const out = await streams.send(
        new DescribeStreamCommand({ StreamArn: streamArn, ...(exclusiveStart ? { ExclusiveStartShardId: exclusiveStart } : {}) }),
      );
      for (const shard of out.StreamDescription?.Shards ?? []) {
        let iterator = (
          await streams.send(
            new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
          )
        ).ShardIterator;
        while (iterator) {
          const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
          records.push(...(page.Records ?? []));
          // An open shard answers an empty page at its end; a closed one, no next iterator.
          iterator = page.Records?.length ? page.NextShardIterator : undefined;
        }
      }
      exclusiveStart = out.StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStart);
    return records;
  } finally {
    streams.destroy();
  }
}

/**
 * Counts the stream-fed functions' work after a run on `tableName`. `counted` is a DynamoDB endpoint
 * whose requests are counted (the cost benchmark's proxy); `direct` is DynamoDB Local itself.
 */
export async function streamFedWork(options: {
  template: CfnTemplate;
  dynamodb: DynamoDBClient;
  direct: string;
  counted: string;
  tableName: string;
  clock: Clock;
}): Promise<StreamFedWork> {
  const { template, dynamodb, tableName } = options;
  const resources = (template.Resources ?? {}) as Record<
    string,
    { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }
  >;
  const records = await streamRecords(dynamodb, options.direct, tableName);
  const countedClient = new DynamoDBClient({
    endpoint: options.counted,
    region: await dynamodb.config.region(),
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const quiet = new Logger({ logLevel: 'SILENT' });
  const functions: StreamFedFunction[] = [];
  let notifications = 0;
  try {
    for (const mapping of Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping')) {
      const p = mapping.Properties ?? {};
      const fnId = (p.FunctionName as { Ref?: string } | undefined)?.Ref;
      const entry = fnId ? String(resources[fnId]?.Metadata?.[ENTRY_METADATA_KEY] ?? '') : '';
      const selects = recordSelector(p);
      const selected = records.filter(selects);
      const removals = selected.filter((r) => r.eventName === 'REMOVE').length;
      const fn: StreamFedFunction = { entry, records: selected.length, removals, batchSize: Number(p.BatchSize ?? 100), ms: 0 };
      if (entry === DISPATCHER_ENTRY) {
        // The real dispatcher, over the run's table: it reads, sends (to the log) and marks each one.
        const dispatcher = createDispatcher({
          store: createStore({ client: countedClient, tableName }),
          channel: createChannel({ NOTIFY_CHANNEL: 'log' }, quiet),
          clock: options.clock,
          logger: quiet,
          metrics: new Metrics({ namespace: 'bench' }),
        });
        for (let i = 0; i < selected.length; i += fn.batchSize) {
          const batch = selected
            .slice(i, i + fn.batchSize)
            .map((r) => ({ eventID: r.eventID, eventName: r.eventName, dynamodb: r.dynamodb }));
          const t0 = performance.now();
          const out = await dispatcher.handleStream({ Records: batch } as unknown as DynamoDBStreamEvent);
          fn.ms += performance.now() - t0;
          if (out.batchItemFailures.length > 0)
            throw new Error(`the outbox dispatcher failed on ${out.batchItemFailures.length} record(s)`);
        }
        notifications += selected.length;
      } else if (entry === WORKFLOW_ENTRIES.signals) {
        // The signal dispatcher's two calls for each signal written, on a copy of it in a scratch table.
        const scratch = `signals-${randomBytes(4).toString('hex')}`;
        await createTablesFromTemplate(dynamodb, template, { tableName: () => scratch });
        try {
          const store = createStore({ client: countedClient, tableName: scratch });
          for (const r of selected) {
            if (r.eventName === 'REMOVE' || !r.dynamodb?.NewImage) continue;
            const key = keyOf.signal(r.dynamodb.Keys);
            if (!key) throw new Error(`a selected signal record names no signal: ${JSON.stringify(r.dynamodb.Keys)}`);
            await dynamodb.send(new PutItemCommand({ TableName: scratch, Item: r.dynamodb.NewImage as never }));
            const t0 = performance.now();
            const signal = await store.getSignal(key.schoolId, key.milestone);
            if (!signal || !(await store.clearSignal(key.schoolId, key.milestone, signal.version)))
              throw new Error(`the copy of ${key.schoolId}/${key.milestone}'s signal was not read and removed`);
            fn.ms += performance.now() - t0;
          }
        } finally {
          await dynamodb.send(new DeleteTableCommand({ TableName: scratch }));
        }
      } else {
        throw new Error(`the stream feeds ${entry || fnId}, which this benchmark does not count`);
      }
      functions.push(fn);
    }
  } finally {
    countedClient.destroy();
  }
  return { functions, notifications };
}
