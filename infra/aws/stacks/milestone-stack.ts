/**
 * The whole system in one stack: the table, the user directory, the HTTP API with the dashboard, the
 * notification path, the daily schedules, the alarms — and the extension point where the milestone
 * workflows (Step Functions) plug in.
 *
 * The synthesized template is the contract (DESIGN.md principle 3): the local runtime reads it, so
 * nothing here may depend on anything that only exists in AWS at synth time (no lookups).
 */
import { Arn, ArnFormat, Aws, CfnOutput, Stack, Tags, type RemovalPolicy, type StackProps } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { AppFunctionFactory, type AppFunction } from '../constructs/app-function.js';
import { DailySchedules } from '../constructs/daily-schedules.js';
import { DocumentBucket } from '../constructs/document-bucket.js';
import { MilestoneHttpApi } from '../constructs/milestone-http-api.js';
import { MilestoneTable } from '../constructs/milestone-table.js';
import { acknowledgeWildcardResource } from '../constructs/nag.js';
import { NotificationDelivery } from '../constructs/notification-delivery.js';
import { OperationalAlarms } from '../constructs/operational-alarms.js';
import { UserDirectory } from '../constructs/user-directory.js';
import { MilestoneWorkflows } from '../constructs/workflows.js';
import type { StageSettings } from '../settings.js';
import { IDEMPOTENCY_PREFIX, OUTBOX_PREFIX } from '../../../shared/store/keys.js';

/** CloudWatch namespace of the Powertools metrics of every function. */
export const METRICS_NAMESPACE = 'CosMilestones';

/** Environment variable that carries the table name to every handler that uses the store. */
export const TABLE_NAME_ENV = 'TABLE_NAME';

/** Environment variables that carry the state machine ARNs to the API and the daily sweep. */
export const STATE_MACHINE_ENV = {
  schoolProgram: 'SCHOOL_PROGRAM_STATE_MACHINE_ARN',
  milestoneLifecycle: 'MILESTONE_LIFECYCLE_STATE_MACHINE_ARN',
} as const;

/** What the API does with items (transactions are authorized per item action). */
const API_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

/** What the API does in the user directory (the users routes). */
export const DIRECTORY_ADMIN_ACTIONS = [
  'cognito-idp:AdminCreateUser',
  'cognito-idp:AdminAddUserToGroup',
  'cognito-idp:AdminDeleteUser',
  'cognito-idp:AdminGetUser',
  'cognito-idp:AdminListGroupsForUser',
  'cognito-idp:AdminDisableUser',
  'cognito-idp:AdminEnableUser',
  'cognito-idp:ListUsers',
  'cognito-idp:ListUsersInGroup',
];

export interface MilestoneStackProps extends StackProps {
  readonly settings: StageSettings;
}

/** What the workflows construct receives from the stack (`stack.workflowDependencies()`). */
export interface WorkflowDependencies {
  readonly table: ITableV2;
  /** `{ TABLE_NAME: <table name> }`, for the environment of the workflow functions. */
  readonly tableEnvironment: Record<string, string>;
  /** Creates the workflow's Lambda functions the same way as every other function (with their alarms). */
  readonly functions: AppFunctionFactory;
  /** `alarms.watchStateMachine(...)` etc. (connectWorkflows already watches both state machines). */
  readonly alarms: OperationalAlarms;
  /** For the state machines' log groups. */
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/** What the workflows construct gives back (`stack.connectWorkflows(workflows)`). */
export interface WorkflowStateMachines {
  /** One execution per school: drives the school through its milestones. */
  readonly schoolProgram: IStateMachine;
  /** One milestone's lifecycle (callbacks with task tokens). */
  readonly milestoneLifecycle: IStateMachine;
}

export class MilestoneStack extends Stack {
  readonly settings: StageSettings;
  readonly table: MilestoneTable;
  readonly tableEnvironment: Record<string, string>;
  readonly alarms: OperationalAlarms;
  readonly functions: AppFunctionFactory;
  readonly directory: UserDirectory;
  readonly api: MilestoneHttpApi;
  readonly documents: DocumentBucket;
  readonly notifications: NotificationDelivery;
  readonly schedules: DailySchedules;
  #workflows?: WorkflowStateMachines;

  constructor(scope: Construct, id: string, props: MilestoneStackProps) {
    super(scope, id, {
      description: `COS milestone workflow engine (${props.settings.stage}): table, API, dashboard, workflows, notifications, schedules`,
      ...props,
    });
    const { settings } = props;
    this.settings = settings;
    Tags.of(this).add('project', 'cos-milestones');
    Tags.of(this).add('stage', settings.stage);

    this.alarms = new OperationalAlarms(this, 'Alarms', {
      ...(settings.alarmEmail ? { email: settings.alarmEmail } : {}),
      removalPolicy: settings.removalPolicy,
    });

    this.functions = new AppFunctionFactory({
      metricsNamespace: METRICS_NAMESPACE,
      logLevel: settings.logLevel,
      logRetention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
      alarms: this.alarms,
    });

    this.table = new MilestoneTable(this, 'Milestones', {
      deletionProtection: settings.deletionProtection,
      removalPolicy: settings.removalPolicy,
    });
    this.tableEnvironment = { [TABLE_NAME_ENV]: this.table.table.tableName };

    this.directory = new UserDirectory(this, 'Users', {
      mfaRequired: settings.mfaRequired,
      threatProtection: settings.threatProtection,
      deletionProtection: settings.deletionProtection,
      removalPolicy: settings.removalPolicy,
    });

    this.api = new MilestoneHttpApi(this, 'Api', {
      functions: this.functions,
      directory: this.directory,
      alarms: this.alarms,
      environment: { ...this.tableEnvironment },
      throttle: settings.apiThrottle,
      logRetention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
      apiName: `cos-milestones-${settings.stage}`,
    });
    // Items only: no Scan (no request path scans), no table management.
    this.table.table.grant(this.api.handler, ...API_TABLE_ACTIONS);
    this.#acknowledgeIndexAccess(this.api.handler);
    // The users routes: invite, list, disable and enable users of the one pool.
    this.directory.userPool.grant(this.api.handler, ...DIRECTORY_ADMIN_ACTIONS);

    // Evidence documents: uploaded by the browser straight to the bucket, from the dashboard's origin.
    this.documents = new DocumentBucket(this, 'Documents', {
      dashboardOrigin: `https://${this.api.httpApi.apiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}`,
      ...(settings.documentRetentionDays ? { retentionDays: settings.documentRetentionDays } : {}),
    });
    for (const [name, value] of Object.entries(this.documents.environment)) this.api.handler.addEnvironment(name, value);
    this.documents.grantApi(this.api.handler, this.api.handler.role!);

    this.notifications = new NotificationDelivery(this, 'Notifications', {
      table: this.table.table,
      tableEnvironment: this.tableEnvironment,
      functions: this.functions,
      alarms: this.alarms,
      topicKey: this.alarms.topicKey,
      userPool: this.directory.userPool,
      ...(settings.senderEmail ? { senderEmail: settings.senderEmail } : {}),
      removalPolicy: settings.removalPolicy,
    });

    this.schedules = new DailySchedules(this, 'Schedules', {
      functions: this.functions,
      alarms: this.alarms,
      dispatcher: this.notifications.dispatcher,
      tableEnvironment: this.tableEnvironment,
      deliveryEnvironment: this.notifications.deliveryEnvironment,
      removalPolicy: settings.removalPolicy,
    });
    // The sweep reads milestones and schools and keeps the digest's idempotency records; it changes no
    // milestone itself (re-created workflows do that through the same code as always).
    this.table.table.grant(this.schedules.sweep, 'dynamodb:GetItem', 'dynamodb:Query');
    this.#acknowledgeIndexAccess(this.schedules.sweep);
    this.schedules.sweep.addToRolePolicy(idempotencyRecordsOnly(this.table.table));
    this.notifications.grantDelivery(this.schedules.sweep);
    // The weekly digest reads the schools' summaries and its own outbox items, and writes outbox items only.
    this.table.table.grant(this.schedules.weeklyDigest, 'dynamodb:GetItem', 'dynamodb:Query');
    this.#acknowledgeIndexAccess(this.schedules.weeklyDigest);
    this.schedules.weeklyDigest.addToRolePolicy(outboxWritesOnly(this.table.table));

    // ---- Extension point: the milestone workflows (infra/aws/constructs/workflows.ts) ----------------
    // connectWorkflows gives the API and the sweep the ARNs and the Step Functions permissions they need,
    // and puts the failed/timed-out/aborted alarms on both state machines.
    this.connectWorkflows(new MilestoneWorkflows(this, 'Workflows', this.workflowDependencies()));
    // ---------------------------------------------------------------------------------------------------

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'HTTP API and dashboard' });
    new CfnOutput(this, 'UserPoolId', { value: this.directory.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', {
      value: this.directory.client.userPoolClientId,
      description: 'Dashboard app client (ID token audience)',
    });
    new CfnOutput(this, 'SignInUrl', {
      value: this.directory.signInBaseUrl,
      description: 'Managed login (the dashboard sends people there to sign in)',
    });
    new CfnOutput(this, 'TableName', { value: this.table.table.tableName });
    new CfnOutput(this, 'DocumentBucketName', { value: this.documents.bucket.bucketName });
    new CfnOutput(this, 'NotificationTopicArn', {
      value: this.notifications.topic.topicArn,
      description: 'Subscribe here (filter on message attributes) when notifications go to SNS',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn });
  }

  /** What `MilestoneWorkflows` is constructed with. */
  workflowDependencies(): WorkflowDependencies {
    return {
      table: this.table.table,
      tableEnvironment: { ...this.tableEnvironment },
      functions: this.functions,
      alarms: this.alarms,
      logRetention: this.settings.logRetention,
      removalPolicy: this.settings.removalPolicy,
    };
  }

  /**
   * Wires the state machines into the rest of the system:
   * - the API function gets `SCHOOL_PROGRAM_STATE_MACHINE_ARN` and `MILESTONE_LIFECYCLE_STATE_MACHINE_ARN`,
   *   `states:StartExecution` on the school program, `states:SendTaskSuccess/Failure/Heartbeat` on both,
   *   and `states:DescribeExecution` on their executions;
   * - both state machines get failed/timed-out/aborted alarms.
   */
  connectWorkflows(machines: WorkflowStateMachines): void {
    if (this.#workflows) throw new Error('connectWorkflows: the workflows are already connected');
    this.#workflows = machines;
    const environment = {
      [STATE_MACHINE_ENV.schoolProgram]: machines.schoolProgram.stateMachineArn,
      [STATE_MACHINE_ENV.milestoneLifecycle]: machines.milestoneLifecycle.stateMachineArn,
    };
    const clients: AppFunction[] = [this.api.handler];
    for (const fn of clients) {
      for (const [name, value] of Object.entries(environment)) fn.addEnvironment(name, value);
      machines.schoolProgram.grantStartExecution(fn);
      for (const machine of [machines.schoolProgram, machines.milestoneLifecycle]) {
        const executions = executionsOf(machine);
        fn.addToRolePolicy(new PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executions] }));
        acknowledgeWildcardResource(
          fn.role!,
          executions,
          'DescribeExecution on the executions of one of our state machines; execution names are per school, so not known at deploy time.',
        );
      }
    }
    machines.schoolProgram.grantTaskResponse(this.api.handler);
    machines.milestoneLifecycle.grantTaskResponse(this.api.handler);

    this.alarms.watchStateMachine('SchoolProgram', machines.schoolProgram);
    this.alarms.watchStateMachine('MilestoneLifecycle', machines.milestoneLifecycle);
  }

  /** Table grants cover `<table>/index/*`: the function queries the table's own sparse indexes. */
  #acknowledgeIndexAccess(fn: AppFunction): void {
    acknowledgeWildcardResource(
      fn.role!,
      `${this.table.table.tableArn}/index/*`,
      "Queries the milestone table's own global secondary indexes (due, party, schools); the wildcard stays inside this one table.",
    );
  }

  /** The connected state machines, once `connectWorkflows` ran. */
  get workflows(): WorkflowStateMachines | undefined {
    return this.#workflows;
  }
}

/** `arn:<partition>:states:<region>:<account>:execution:<state machine name>:*` */
function executionsOf(machine: IStateMachine): string {
  const name = Arn.split(machine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName;
  return Stack.of(machine).formatArn({
    service: 'states',
    resource: 'execution',
    resourceName: `${name}:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** Put/Update/Delete of `IDEMPOTENCY#*` items only (the digest's once-per-day records). */
function outboxWritesOnly(table: ITableV2) {
  return new PolicyStatement({
    sid: 'OutboxWritesOnly',
    actions: ['dynamodb:PutItem'],
    resources: [table.tableArn],
    conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${OUTBOX_PREFIX}*`] } },
  });
}

function idempotencyRecordsOnly(table: ITableV2) {
  return new PolicyStatement({
    sid: 'IdempotencyRecordsOnly',
    actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    resources: [table.tableArn],
    conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${IDEMPOTENCY_PREFIX}*`] } },
  });
}
