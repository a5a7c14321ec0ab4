/**
 * The notification path (DESIGN.md principle 7): decisions write notifications to the outbox in their
 * transaction; the table's stream hands every new outbox item to the dispatcher, which delivers it (SES
 * e-mail when a sender address is configured, otherwise the notifications SNS topic) and marks it
 * delivered. A batch that keeps failing is split (`bisectBatchOnError`), retried, and finally recorded in
 * a dead-letter queue; the daily re-drive (see DailySchedules) delivers whatever is still pending.
 *
 * The dispatcher may read and mark outbox items only: its writes are limited to `OUTBOX#*` partitions.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import { EmailIdentity, Identity } from 'aws-cdk-lib/aws-ses';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { INDEX, OUTBOX_PREFIX } from '../../../shared/store/keys.js';
import { MilestoneTable } from './milestone-table.js';
import type { AppFunction, AppFunctionFactory } from './app-function.js';
import { acknowledgeNag } from './nag.js';
import { DISPATCHER_ENTRY } from '../wiring.js';
import { feedFromStream } from './stream-source.js';
import type { OperationalAlarms } from './operational-alarms.js';

export interface NotificationDeliveryProps {
  readonly table: ITable;
  /** Environment that points a handler at the table. */
  readonly tableEnvironment: Record<string, string>;
  readonly functions: AppFunctionFactory;
  readonly alarms: OperationalAlarms;
  /** Encrypts the notifications topic (CloudWatch-usable customer managed key). */
  readonly topicKey: IKey;
  /** Recipients of SES e-mail are looked up among the pool's users (group + custom attribute). */
  readonly userPool: IUserPool;
  /** Optional SES sender address; without it the channel is the SNS topic. */
  readonly senderEmail?: string;
  readonly removalPolicy: RemovalPolicy;
}

export class NotificationDelivery extends Construct {
  readonly topic: Topic;
  readonly dispatcher: AppFunction;
  /** Where the stream source records batches that failed every retry. */
  readonly streamFailures: Queue;
  readonly senderIdentity?: EmailIdentity;
  /** The delivery channel the template configures (`NOTIFY_CHANNEL`). */
  readonly channel: 'ses' | 'sns';
  /** Environment of the delivery channel, for any function that sends (the dispatcher, the digest). */
  readonly deliveryEnvironment: Record<string, string>;
  readonly #userPool: IUserPool;

  constructor(scope: Construct, id: string, props: NotificationDeliveryProps) {
    super(scope, id);
    this.channel = props.senderEmail ? 'ses' : 'sns';
    this.#userPool = props.userPool;

    this.topic = new Topic(this, 'Topic', {
      displayName: 'COS milestone notifications',
      masterKey: props.topicKey,
      enforceSSL: true,
    });
    if (props.senderEmail) {
      this.senderIdentity = new EmailIdentity(this, 'SenderIdentity', { identity: Identity.email(props.senderEmail) });
    }
    this.deliveryEnvironment = {
      NOTIFY_CHANNEL: this.channel,
      NOTIFY_TOPIC_ARN: this.topic.topicArn,
      ...(props.senderEmail ? { SES_FROM_ADDRESS: props.senderEmail, USER_POOL_ID: props.userPool.userPoolId } : {}),
    };

    this.dispatcher = props.functions.create(this, 'Dispatcher', {
      entry: DISPATCHER_ENTRY,
      serviceName: 'notification-dispatcher',
      description: 'Delivers outbox notifications (stream and daily re-drive), once per notification id',
      timeout: Duration.minutes(2),
      invokedAsynchronously: true,
      environment: {
        ...props.tableEnvironment,
        ...this.deliveryEnvironment,
      },
    });

    // Least privilege on the table: read and mark outbox items, list the pending ones. Nothing else.
    this.dispatcher.addToRolePolicy(
      new PolicyStatement({
        sid: 'ReadAndMarkOutboxItemsOnly',
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [props.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${OUTBOX_PREFIX}*`] } },
      }),
    );
    this.dispatcher.addToRolePolicy(
      new PolicyStatement({
        sid: 'ListPendingNotifications',
        actions: ['dynamodb:Query'],
        resources: [`${props.table.tableArn}/index/${INDEX.due.name}`],
      }),
    );

    this.grantDelivery(this.dispatcher);

    this.streamFailures = feedFromStream(this, 'StreamFailures', {
      table: props.table,
      fn: this.dispatcher,
      filters: [MilestoneTable.outboxFilter()],
      alarms: props.alarms,
      alarmName: 'NotificationStreamFailures',
      what: 'the outbox stream event source',
      removalPolicy: props.removalPolicy,
    });
  }

  /** Lets a function send through the configured channel (SES and the user directory, or the topic). */
  grantDelivery(fn: AppFunction): void {
    if (this.senderIdentity) {
      this.senderIdentity.grantSendEmail(fn);
      this.#userPool.grant(fn, 'cognito-idp:ListUsersInGroup');
    } else {
      this.topic.grantPublish(fn);
      acknowledgeNag(
        fn.role!,
        'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        "Publishing to the KMS-encrypted notifications topic needs GenerateDataKey* on the topic's key (and only that key).",
      );
    }
  }
}
