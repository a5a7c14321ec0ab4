/**
 * A function fed by the table's stream, the way every stream consumer of the stack is: records filtered
 * at the source, retried per record (`reportBatchItemFailures`, a failing batch split), and a record that
 * fails every retry recorded in an encrypted, alarmed dead-letter queue.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { AppFunction } from './app-function.js';
import { acknowledgeNag } from './nag.js';
import type { OperationalAlarms } from './operational-alarms.js';

export interface StreamSourceProps {
  readonly table: ITable;
  readonly fn: AppFunction;
  /** The event-source filters, any of which selects a record (MilestoneTable.outboxFilter(), …). */
  readonly filters: Record<string, unknown>[];
  readonly alarms: OperationalAlarms;
  /** The name of the dead-letter queue's alarm. */
  readonly alarmName: string;
  /** What the stream feeds, for the nag acknowledgement ("the outbox stream event source"). */
  readonly what: string;
  /**
   * How long Lambda gathers records before it invokes (default 1 s). Zero for a consumer someone waits
   * for: the workflow signals, which the API's commands leave to the stream after their answer.
   */
  readonly maxBatchingWindow?: Duration;
  /** Records per invocation (default 10). */
  readonly batchSize?: number;
  readonly removalPolicy: RemovalPolicy;
}

/** Adds the event source; answers its dead-letter queue (logical id `queueId` under `scope`). */
export function feedFromStream(scope: Construct, queueId: string, props: StreamSourceProps): Queue {
  const failures = new Queue(scope, queueId, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    removalPolicy: props.removalPolicy,
  });
  props.alarms.watchQueue(props.alarmName, failures);
  acknowledgeNag(failures, 'AwsSolutions-SQS3', `This queue is the on-failure destination (dead-letter queue) of ${props.what}.`);
  props.fn.addEventSource(
    new DynamoEventSource(props.table, {
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: props.batchSize ?? 10,
      maxBatchingWindow: props.maxBatchingWindow ?? Duration.seconds(1),
      retryAttempts: 5,
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      maxRecordAge: Duration.hours(24),
      onFailure: new SqsDlq(failures),
      filters: props.filters,
    }),
  );
  return failures;
}
