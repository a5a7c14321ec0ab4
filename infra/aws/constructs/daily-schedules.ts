/**
 * The daily jobs, on EventBridge Scheduler in the program's time zone (Asia/Omsk):
 *
 * - 08:30 the coordinators' digest (`functions/schedules/daily-sweep.ts`): every district coordinator
 *   gets the list of overdue milestones of the district — before the 09:00 reminder wave. (Lost
 *   executions are the 08:15 workflow sweep's, in the workflows construct: one sweep of them a day);
 * - 08:45 the outbox re-drive: the dispatcher delivers every notification that is still pending (the
 *   stream normally delivers within seconds; this catches whatever its retries gave up on);
 * - weekdays 08:00 the leadership's weekly digest (`functions/schedules/weekly-digest.ts`): written to the
 *   outbox on the week's first working day of the production calendar (a run on a day off, or one that finds
 *   the week's digest written, does nothing), and delivered by the dispatcher like any notification.
 *
 * Each target receives `{"task": ..., "scheduledTime": "<aws.scheduler.scheduled-time>"}`: the handler
 * takes "now" from the schedule (time is injected), so a retry or a local replay sees the same day.
 */
import { Duration, Stack, TimeZone, type RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Schedule, ScheduleExpression, ScheduleTargetInput, ContextAttribute } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { AppFunction, AppFunctionFactory } from './app-function.js';
import { acknowledgeNag, acknowledgeWildcardResource } from './nag.js';
import type { OperationalAlarms } from './operational-alarms.js';

export const DAILY_SWEEP_ENTRY = 'functions/schedules/daily-sweep.ts';
export const WEEKLY_DIGEST_ENTRY = 'functions/schedules/weekly-digest.ts';
/** The region's time zone: schedules fire at local wall-clock times. */
export const SCHEDULE_TIME_ZONE = TimeZone.ASIA_OMSK;

export interface DailySchedulesProps {
  readonly functions: AppFunctionFactory;
  readonly alarms: OperationalAlarms;
  /** The notification dispatcher, target of the re-drive. */
  readonly dispatcher: AppFunction;
  /** Environment that points a handler at the table. */
  readonly tableEnvironment: Record<string, string>;
  /** Delivery settings of the digest (the same channel as the dispatcher's). */
  readonly deliveryEnvironment: Record<string, string>;
  readonly removalPolicy: RemovalPolicy;
}

export class DailySchedules extends Construct {
  readonly sweep: AppFunction;
  readonly sweepSchedule: Schedule;
  readonly redriveSchedule: Schedule;
  /** The leadership's weekly digest: reads the schools' summaries, writes to the outbox only. */
  readonly weeklyDigest: AppFunction;
  readonly weeklyDigestSchedule: Schedule;
  /** Invocations the scheduler could not deliver to its target. */
  readonly deadLetterQueue: Queue;
  readonly schedulerRole: Role;

  constructor(scope: Construct, id: string, props: DailySchedulesProps) {
    super(scope, id);

    this.sweep = props.functions.create(this, 'Sweep', {
      entry: DAILY_SWEEP_ENTRY,
      serviceName: 'daily-sweep',
      description: 'Daily digest of overdue milestones to the district coordinators',
      timeout: Duration.minutes(10),
      memorySize: 512,
      invokedAsynchronously: true,
      environment: { ...props.tableEnvironment, ...props.deliveryEnvironment },
    });

    this.weeklyDigest = props.functions.create(this, 'WeeklyDigest', {
      entry: WEEKLY_DIGEST_ENTRY,
      serviceName: 'weekly-digest',
      description: "Weekly digest of the KPIs, targets, forecast and districts behind, to the program managers' and viewers' outbox",
      timeout: Duration.minutes(5),
      memorySize: 1024,
      invokedAsynchronously: true,
      environment: { ...props.tableEnvironment },
    });

    this.deadLetterQueue = new Queue(this, 'TargetDlq', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    props.alarms.watchQueue('ScheduleTargetDlq', this.deadLetterQueue);
    acknowledgeNag(this.deadLetterQueue, 'AwsSolutions-SQS3', "This queue is the dead-letter queue of the daily schedules' targets.");

    // One role for both targets, owned here (instead of one per target function created at stack level).
    this.schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'Invokes the daily sweep, the outbox re-drive and the weekly digest',
    });
    const target = (fn: AppFunction, task: string) => {
      acknowledgeWildcardResource(
        this.schedulerRole,
        `${fn.functionArn}:*`,
        `The scheduler target grants lambda:InvokeFunction on the ${fn.serviceName} function and its qualified ARNs (versions, aliases) only.`,
      );
      return new LambdaInvoke(fn, {
        role: this.schedulerRole,
        input: ScheduleTargetInput.fromObject({ task, scheduledTime: ContextAttribute.scheduledTime }),
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 3,
        maxEventAge: Duration.hours(2),
      });
    };

    this.sweepSchedule = new Schedule(this, 'SweepSchedule', {
      description: "Daily overdue sweep and coordinators' digest, 08:30 Omsk time",
      schedule: ScheduleExpression.cron({ minute: '30', hour: '8', timeZone: SCHEDULE_TIME_ZONE }),
      target: target(this.sweep, 'daily-sweep'),
    });
    this.redriveSchedule = new Schedule(this, 'RedriveSchedule', {
      description: 'Daily re-drive of undelivered outbox notifications, 08:45 Omsk time',
      schedule: ScheduleExpression.cron({ minute: '45', hour: '8', timeZone: SCHEDULE_TIME_ZONE }),
      target: target(props.dispatcher, 'redrive-pending'),
    });
    this.weeklyDigestSchedule = new Schedule(this, 'WeeklyDigestSchedule', {
      description: "Leadership's weekly digest on the week's first working day, weekdays 08:00 Omsk time",
      schedule: ScheduleExpression.cron({ minute: '0', hour: '8', weekDay: 'MON-FRI', timeZone: SCHEDULE_TIME_ZONE }),
      target: target(this.weeklyDigest, 'weekly-digest'),
    });
  }
}
