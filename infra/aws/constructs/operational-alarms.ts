/**
 * The alarms of the system and the SNS topic they go to (with an optional e-mail subscription).
 * Other constructs call `watchFunction`, `watchQueue`, `watchStateMachine` and `watchHttpApi` for what
 * they create, so nothing is deployed without its alarms.
 */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { IHttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { RemovalPolicy } from 'aws-cdk-lib';

export interface OperationalAlarmsProps {
  /** Subscribed to the alarm topic when given. */
  readonly email?: string;
  readonly removalPolicy: RemovalPolicy;
}

export class OperationalAlarms extends Construct {
  /** Every alarm notifies this topic. */
  readonly topic: Topic;
  /** Customer managed key of the SNS topics (CloudWatch may use it, an AWS managed key would lock it out). */
  readonly topicKey: Key;
  /** Every alarm created here, for inspection (tests, dashboards). */
  readonly alarms: Alarm[] = [];
  readonly #action: SnsAction;

  constructor(scope: Construct, id: string, props: OperationalAlarmsProps) {
    super(scope, id);
    this.topicKey = new Key(this, 'TopicKey', {
      description: 'Encrypts the alarm and notification SNS topics',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    this.topicKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublishToEncryptedTopics',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.topic = new Topic(this, 'Topic', {
      displayName: 'COS milestones alarms',
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    if (props.email) this.topic.addSubscription(new EmailSubscription(props.email));
    this.#action = new SnsAction(this.topic);
  }

  /** Any error or throttle of the function within five minutes. */
  watchFunction(name: string, fn: IFunction): void {
    this.#alarmAtLeastOnce(
      `${name}Errors`,
      fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      `${name}: the function failed`,
    );
    this.#alarmAtLeastOnce(
      `${name}Throttles`,
      fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
      `${name}: invocations were throttled`,
    );
  }

  /** Anything in a dead-letter queue needs a person to look at it. */
  watchQueue(name: string, queue: IQueue): void {
    this.#alarmAtLeastOnce(
      `${name}Depth`,
      queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      `${name}: messages are waiting in the dead-letter queue`,
    );
  }

  /** Failed, timed-out and aborted executions of a state machine. */
  watchStateMachine(name: string, machine: IStateMachine): void {
    const period = Duration.minutes(5);
    this.#alarmAtLeastOnce(`${name}ExecutionsFailed`, machine.metricFailed({ period, statistic: 'Sum' }), `${name}: executions failed`);
    this.#alarmAtLeastOnce(
      `${name}ExecutionsTimedOut`,
      machine.metricTimedOut({ period, statistic: 'Sum' }),
      `${name}: executions timed out`,
    );
    this.#alarmAtLeastOnce(
      `${name}ExecutionsAborted`,
      machine.metricAborted({ period, statistic: 'Sum' }),
      `${name}: executions were aborted`,
    );
  }

  /** Server errors of the HTTP API (the function's own errors are watched separately). */
  watchHttpApi(name: string, stage: IHttpStage): void {
    this.#alarmAtLeastOnce(
      `${name}ServerErrors`,
      stage.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
      `${name}: 5xx answers`,
      5,
    );
  }

  #alarmAtLeastOnce(id: string, metric: IMetric, description: string, threshold = 1): Alarm {
    const alarm = new Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    alarm.addAlarmAction(this.#action);
    alarm.addOkAction(this.#action);
    this.alarms.push(alarm);
    return alarm;
  }
}
