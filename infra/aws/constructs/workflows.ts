/**
 * The milestone workflows (DESIGN.md §5): two Standard state machines in JSONata and their Lambda
 * functions. DynamoDB is the source of truth; an execution only drives (§3.1), so every step starts
 * from the stored state (read, or, after a command, as the command committed it: its signal carries it,
 * and the wait that follows is conditional on that version), every wait is a task token stored with the
 * state, and every execution can be replaced by a new generation that continues where the school is.
 *
 * School program (`school-<schoolId>-<generation>`, input `{"schoolId"}`):
 *
 *   Plan ─▶ Route ─┬─ done ───────────────▶ Finish (Succeed)
 *    ▲             ├─ continueAsNew ──────▶ Renew (startExecution of generation + 1) ▶ end
 *    │             ├─ lifecycles to start ▶ StartLifecycles (Map: startExecution each) ─┐
 *    │             └─ otherwise ─────────────────────────────────────────────────────▶ AwaitChange
 *    └──────── success (a lifecycle ended) or States.Timeout (next planned start) ◀───────┘
 *
 * Milestone lifecycle (`ms-<schoolId>-<key>-g<generation>`, input `{"schoolId","key","committed"}`, `committed` optional):
 *
 *   Refresh ─▶ AwaitChange ─┬─ success (a command was committed), Milestone.Held ─▶ Refresh
 *              (token on the  ├─ States.Timeout ─▶ Remind (the due reminder, once; reads again) ─▶ AwaitChange
 *              milestone item;├─ Milestone.Waived, Lifecycle.End ─▶ Close (wakes the program) ▶ end
 *              timeout = next └─ Lifecycle.Renew ─▶ Renew (startExecution of generation + 1) ▶ end
 *              reminder)
 *
 * Refresh sends a reminder that fell due while no wait was there to time out for it (the lifecycle was
 * down, or begins at that very instant) before it answers, so it goes out once and at the instant a
 * timeout would have sent it, whichever way the lifecycle got there.
 *
 * The wait step itself says when there is nothing to wait for (it fails its own token with
 * `Lifecycle.End` or `Lifecycle.Renew`), so no Choice state sits between reading and waiting: every
 * command and every reminder costs two state transitions, not three.
 *
 * Every Lambda step retries Lambda's transient errors (as CDK does by default) and `Workflow.Transient`;
 * any other failure goes to `Failed`, a Fail state with a clear error, and the failed-executions alarm.
 *
 * The state machines have fixed names (`<stack>-SchoolProgram`, `<stack>-MilestoneLifecycle`) so that a
 * function used by one of them can be given its ARN without a circular reference.
 */
import { ArnFormat, Duration, Stack, TimeZone } from 'aws-cdk-lib';
import { ContextAttribute, Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import {
  LIFECYCLE_END_ERROR,
  LIFECYCLE_RENEW_ERROR,
  SWEEP_TASK,
  TRANSIENT_ERROR,
  WORKFLOW_ENV,
} from '../../../functions/workflow/contract.js';
import { INDEX } from '../../../shared/store/index.js';
import type { WorkflowDependencies, WorkflowStateMachines } from '../stacks/milestone-stack.js';
import type { AppFunction } from './app-function.js';
import { MilestoneTable } from './milestone-table.js';
import { acknowledgeNag, acknowledgeWildcardResource } from './nag.js';
import { feedFromStream } from './stream-source.js';

/** Task errors raised by the workflow signal for hold and waive (functions/common/workflow-signal.ts). */
export const HELD_ERROR = 'Milestone.Held';
export const WAIVED_ERROR = 'Milestone.Waived';
/** Error of the Fail states. */
export const PROGRAM_FAILED_ERROR = 'SchoolProgram.Failed';
export const LIFECYCLE_FAILED_ERROR = 'MilestoneLifecycle.Failed';

/** Entries of the workflow functions (repository-relative; also their `cos:entry` metadata). */
export const WORKFLOW_ENTRIES = {
  plan: 'functions/workflow/plan-school.ts',
  awaitProgram: 'functions/workflow/await-program.ts',
  refresh: 'functions/workflow/refresh-milestone.ts',
  awaitMilestone: 'functions/workflow/await-milestone.ts',
  close: 'functions/workflow/close-milestone.ts',
  sweep: 'functions/workflow/sweep.ts',
  signals: 'functions/workflow/signal-dispatcher.ts',
} as const;

/** The workflow sweep's schedule: daily at 08:15 in the region's time zone, before the 09:00 reminders. */
export const WORKFLOW_SWEEP_TIME = { hour: '8', minute: '15' } as const;

/** The state machine names of a stack. */
export function workflowStateMachineNames(stackName: string): { schoolProgram: string; milestoneLifecycle: string } {
  return { schoolProgram: `${stackName}-SchoolProgram`, milestoneLifecycle: `${stackName}-MilestoneLifecycle` };
}

export type MilestoneWorkflowsProps = WorkflowDependencies;

/** The functions of the workflows, by step. */
export interface WorkflowFunctions {
  readonly plan: AppFunction;
  readonly awaitProgram: AppFunction;
  readonly refresh: AppFunction;
  readonly remind: AppFunction;
  readonly awaitMilestone: AppFunction;
  readonly close: AppFunction;
  readonly sweep: AppFunction;
  readonly signals: AppFunction;
}

const CONTEXT = {
  schoolId: '{% $states.context.Execution.Input.schoolId %}',
  key: '{% $states.context.Execution.Input.key %}',
  executionName: '{% $states.context.Execution.Name %}',
  executionArn: '{% $states.context.Execution.Id %}',
  executionStartTime: '{% $states.context.Execution.StartTime %}',
  now: '{% $states.context.State.EnteredTime %}',
  token: '{% $states.context.Task.Token %}',
} as const;

export class MilestoneWorkflows extends Construct implements WorkflowStateMachines {
  readonly schoolProgram: sfn.StateMachine;
  readonly milestoneLifecycle: sfn.StateMachine;
  readonly functions: WorkflowFunctions;
  readonly names: { schoolProgram: string; milestoneLifecycle: string };
  readonly sweepSchedule: Schedule;

  constructor(scope: Construct, id: string, props: MilestoneWorkflowsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.names = workflowStateMachineNames(stack.stackName);
    const arnOf = (name: string) =>
      stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    // References by name: a function may know (and be granted on) a state machine that invokes it.
    const programRef = sfn.StateMachine.fromStateMachineArn(this, 'SchoolProgramRef', arnOf(this.names.schoolProgram));
    const lifecycleRef = sfn.StateMachine.fromStateMachineArn(this, 'MilestoneLifecycleRef', arnOf(this.names.milestoneLifecycle));
    const fn = (
      fid: string,
      entry: string,
      handler: string,
      serviceName: string,
      description: string,
      environment: Record<string, string>,
    ) =>
      props.functions.create(this, fid, {
        entry,
        handler,
        serviceName,
        description,
        environment,
        timeout: Duration.seconds(30),
        memorySize: 256,
      });

    const table = props.table;
    const tableName = props.tableEnvironment[WORKFLOW_ENV.table];
    if (!tableName) throw new Error(`MilestoneWorkflows: tableEnvironment must carry ${WORKFLOW_ENV.table}`);
    const f: WorkflowFunctions = {
      plan: fn(
        'PlanSchool',
        WORKFLOW_ENTRIES.plan,
        'handler',
        'workflow-plan',
        'School program: starts the milestones that are ready and says what to wait for',
        {
          [WORKFLOW_ENV.table]: tableName,
          [WORKFLOW_ENV.schoolProgram]: programRef.stateMachineArn,
          [WORKFLOW_ENV.milestoneLifecycle]: lifecycleRef.stateMachineArn,
        },
      ),
      awaitProgram: fn(
        'AwaitSchoolChange',
        WORKFLOW_ENTRIES.awaitProgram,
        'handler',
        'workflow-await-school',
        "School program: stores the program's task token while it waits",
        {
          [WORKFLOW_ENV.table]: tableName,
        },
      ),
      refresh: fn(
        'RefreshMilestone',
        WORKFLOW_ENTRIES.refresh,
        'refreshHandler',
        'workflow-refresh',
        'Milestone lifecycle: reads the milestone, sends a reminder that fell due unsent, and the time to its next reminder',
        {
          [WORKFLOW_ENV.table]: tableName,
          [WORKFLOW_ENV.milestoneLifecycle]: lifecycleRef.stateMachineArn,
        },
      ),
      remind: fn(
        'RemindMilestone',
        WORKFLOW_ENTRIES.refresh,
        'remindHandler',
        'workflow-remind',
        'Milestone lifecycle: sends the due reminder or escalation once, then refreshes',
        {
          [WORKFLOW_ENV.table]: tableName,
          [WORKFLOW_ENV.milestoneLifecycle]: lifecycleRef.stateMachineArn,
        },
      ),
      awaitMilestone: fn(
        'AwaitMilestoneChange',
        WORKFLOW_ENTRIES.awaitMilestone,
        'handler',
        'workflow-await-milestone',
        "Milestone lifecycle: stores the step's task token on the milestone item",
        {
          [WORKFLOW_ENV.table]: tableName,
        },
      ),
      close: fn(
        'CloseMilestone',
        WORKFLOW_ENTRIES.close,
        'handler',
        'workflow-close',
        'Milestone lifecycle: wakes the school program when a lifecycle ends',
        {
          [WORKFLOW_ENV.table]: tableName,
          [WORKFLOW_ENV.schoolProgram]: programRef.stateMachineArn,
        },
      ),
      sweep: props.functions.create(this, 'WorkflowSweep', {
        entry: WORKFLOW_ENTRIES.sweep,
        serviceName: 'workflow-sweep',
        description: 'Daily: re-creates lost milestone lifecycles and school programs from the stored state',
        timeout: Duration.minutes(10),
        memorySize: 512,
        invokedAsynchronously: true,
        environment: {
          [WORKFLOW_ENV.table]: tableName,
          [WORKFLOW_ENV.schoolProgram]: programRef.stateMachineArn,
          [WORKFLOW_ENV.milestoneLifecycle]: lifecycleRef.stateMachineArn,
        },
      }),
      signals: props.functions.create(this, 'SignalDispatcher', {
        entry: WORKFLOW_ENTRIES.signals,
        serviceName: 'workflow-signals',
        description: "Delivers each workflow signal of the outbox (the table's stream) until the workflow has it",
        timeout: Duration.minutes(1),
        memorySize: 256,
        environment: {
          [WORKFLOW_ENV.table]: tableName,
          [WORKFLOW_ENV.schoolProgram]: programRef.stateMachineArn,
          [WORKFLOW_ENV.milestoneLifecycle]: lifecycleRef.stateMachineArn,
        },
      }),
    };
    this.functions = f;

    // ---- least-privilege grants ------------------------------------------------------------------
    grantTable(table, f.plan, ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    grantTable(table, f.awaitProgram, ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem']);
    // Refresh reads the school (one Query) and sends a reminder that fell due while nothing sent it, as Remind does.
    grantTable(table, f.refresh, ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    grantTable(table, f.remind, ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    grantTable(table, f.awaitMilestone, ['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    grantTable(table, f.close, ['dynamodb:GetItem', 'dynamodb:DeleteItem']);
    const describe = (fnc: AppFunction, machine: sfn.IStateMachine, name: string) => {
      machine.grantExecution(fnc, 'states:DescribeExecution');
      acknowledgeNag(
        fnc.role!,
        `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${name}:*]`,
        `DescribeExecution on the executions of ${name} only: their names are per school (and milestone) and generation, so they are not known in advance.`,
      );
    };
    describe(f.plan, lifecycleRef, this.names.milestoneLifecycle);
    describe(f.plan, programRef, this.names.schoolProgram);
    describe(f.refresh, lifecycleRef, this.names.milestoneLifecycle);
    describe(f.remind, lifecycleRef, this.names.milestoneLifecycle);
    describe(f.close, programRef, this.names.schoolProgram);
    describe(f.sweep, lifecycleRef, this.names.milestoneLifecycle);
    describe(f.sweep, programRef, this.names.schoolProgram);
    lifecycleRef.grantTaskResponse(f.awaitMilestone);
    programRef.grantTaskResponse(f.awaitProgram);
    programRef.grantTaskResponse(f.close);
    programRef.grantStartExecution(f.close);
    // The sweep reads the "due" index (open milestones) and the schools, and replaces lost executions.
    f.sweep.addToRolePolicy(
      new PolicyStatement({ actions: ['dynamodb:Query'], resources: [table.tableArn, `${table.tableArn}/index/${INDEX.due.name}`] }),
    );
    // It delivers the outbox's pending signals: clears used task tokens (UpdateItem) and delivered signals (DeleteItem).
    grantTable(table, f.sweep, ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']);
    lifecycleRef.grantStartExecution(f.sweep);
    lifecycleRef.grantTaskResponse(f.sweep);
    programRef.grantStartExecution(f.sweep);
    programRef.grantTaskResponse(f.sweep);
    // The signal dispatcher does what the sweep does for one signal: read it and the milestone, signal the
    // waiting step (clearing its token) or wake or start the program, then delete the delivered signal.
    grantTable(table, f.signals, ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']);
    describe(f.signals, lifecycleRef, this.names.milestoneLifecycle);
    describe(f.signals, programRef, this.names.schoolProgram);
    lifecycleRef.grantTaskResponse(f.signals);
    programRef.grantStartExecution(f.signals);
    programRef.grantTaskResponse(f.signals);
    // A signal that still fails after the retries stays in the outbox: the daily workflow sweep delivers it.
    feedFromStream(this, 'SignalStreamFailures', {
      table,
      fn: f.signals,
      filters: MilestoneTable.signalFilters(),
      alarms: props.alarms,
      alarmName: 'SignalStreamFailures',
      what: 'the workflow-signal stream event source',
      // The API's commands answer before their signal is delivered: the workflow hears of them as soon as
      // the stream has them, and a burst goes out in few invocations (the dispatcher delivers the
      // milestones of a batch side by side).
      maxBatchingWindow: Duration.seconds(0),
      batchSize: 100,
      removalPolicy: props.removalPolicy,
    });
    const schedulerRole = new Role(this, 'SweepSchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: 'Invokes the daily workflow sweep',
    });
    acknowledgeWildcardResource(
      schedulerRole,
      `${f.sweep.functionArn}:*`,
      'The scheduler target grants lambda:InvokeFunction on the workflow sweep function and its qualified ARNs (versions, aliases) only.',
    );
    const deadLetterQueue = new Queue(this, 'SweepTargetDlq', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    props.alarms.watchQueue('WorkflowSweepTargetDlq', deadLetterQueue);
    acknowledgeNag(deadLetterQueue, 'AwsSolutions-SQS3', "This queue is the dead-letter queue of the workflow sweep schedule's target.");
    this.sweepSchedule = new Schedule(this, 'SweepSchedule', {
      description: 'Daily workflow sweep (lost executions are re-created), 08:15 Omsk time',
      schedule: ScheduleExpression.cron({ ...WORKFLOW_SWEEP_TIME, timeZone: TimeZone.ASIA_OMSK }),
      target: new LambdaInvoke(f.sweep, {
        role: schedulerRole,
        input: ScheduleTargetInput.fromObject({ task: SWEEP_TASK, scheduledTime: ContextAttribute.scheduledTime }),
        deadLetterQueue,
        retryAttempts: 3,
        maxEventAge: Duration.hours(2),
      }),
    });

    // ---- the milestone lifecycle -------------------------------------------------------------------
    this.milestoneLifecycle = this.#lifecycle(f, lifecycleRef, props);
    // ---- the school program ------------------------------------------------------------------------
    this.schoolProgram = this.#program(f, programRef, props);
  }

  #lifecycle(f: WorkflowFunctions, self: sfn.IStateMachine, props: MilestoneWorkflowsProps): sfn.StateMachine {
    const scope = new Construct(this, 'Lifecycle');
    const failed = sfn.Fail.jsonata(scope, 'Failed', {
      error: LIFECYCLE_FAILED_ERROR,
      cause:
        'A milestone lifecycle step failed after its retries (see the execution history); the stored milestone is unchanged, and the school program or the sweep starts a new generation',
    });
    const lambdaStep = (id: string, fn: AppFunction, payload: Record<string, unknown>, comment: string) =>
      withRetries(
        tasks.LambdaInvoke.jsonata(scope, id, {
          lambdaFunction: fn,
          payload: sfn.TaskInput.fromObject(payload),
          outputs: '{% $states.result.Payload %}',
          comment,
        }),
      );
    const viewArgs = {
      schoolId: CONTEXT.schoolId,
      key: CONTEXT.key,
      executionName: CONTEXT.executionName,
      executionStartTime: CONTEXT.executionStartTime,
      now: CONTEXT.now,
    };

    const refresh = lambdaStep(
      'Refresh',
      f.refresh,
      // After a command's signal, the milestone as the command committed it (no read); otherwise null.
      { ...viewArgs, committed: '{% $exists($states.input.committed) ? $states.input.committed : null %}' },
      'Read the milestone, or take it as the command just committed it (and send a reminder that fell due unsent): status, version, time to the next reminder',
    );
    const remind = lambdaStep(
      'Remind',
      f.remind,
      { ...viewArgs, reminderId: '{% $states.input.reminderId %}' },
      'Send the due reminder or escalation (once), then read the milestone again',
    );
    const close = lambdaStep(
      'Close',
      f.close,
      { schoolId: CONTEXT.schoolId, key: CONTEXT.key, status: '{% $states.input.status %}', now: CONTEXT.now },
      'The lifecycle ends: wake the school program',
    );
    const renew = tasks.StepFunctionsStartExecution.jsonata(scope, 'Renew', {
      stateMachine: self,
      name: '{% $states.input.successorName %}',
      input: sfn.TaskInput.fromObject({ schoolId: CONTEXT.schoolId, key: CONTEXT.key }),
      comment: 'Continue as new: start the next generation, which reads the stored milestone and goes on',
    });
    withRetries(renew);

    const awaitChange = withRetries(
      tasks.LambdaInvoke.jsonata(scope, 'AwaitChange', {
        lambdaFunction: f.awaitMilestone,
        integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        payload: sfn.TaskInput.fromObject({
          token: CONTEXT.token,
          schoolId: CONTEXT.schoolId,
          key: CONTEXT.key,
          executionArn: CONTEXT.executionArn,
          status: '{% $states.input.status %}',
          version: '{% $states.input.version %}',
          continueAsNew: '{% $states.input.continueAsNew %}',
          programVersion: '{% $exists($states.input.programVersion) ? $states.input.programVersion : null %}',
          now: CONTEXT.now,
        }),
        taskTimeout: sfn.Timeout.jsonata('{% $states.input.waitSeconds %}'),
        comment:
          'Wait for a command on the milestone (token stored on the milestone item) or, by the timeout, for the next reminder; ends or hands over when there is nothing to wait for',
      }),
    );

    refresh.next(awaitChange);
    remind.next(awaitChange);
    awaitChange.next(refresh);
    awaitChange.addCatch(refresh, { errors: [HELD_ERROR] });
    awaitChange.addCatch(close, { errors: [WAIVED_ERROR], outputs: { status: 'waived' } });
    awaitChange.addCatch(close, { errors: [LIFECYCLE_END_ERROR], outputs: '{% $states.input %}' });
    awaitChange.addCatch(renew, { errors: [LIFECYCLE_RENEW_ERROR], outputs: '{% $states.input %}' });
    awaitChange.addCatch(remind, { errors: [sfn.Errors.TIMEOUT], outputs: '{% $states.input %}' });
    for (const step of [refresh, remind, close, renew, awaitChange]) step.addCatch(failed, { errors: [sfn.Errors.ALL] });

    return this.#stateMachine('MilestoneLifecycle', this.names.milestoneLifecycle, refresh, props, [
      f.refresh,
      f.remind,
      f.awaitMilestone,
      f.close,
    ]);
  }

  #program(f: WorkflowFunctions, self: sfn.IStateMachine, props: MilestoneWorkflowsProps): sfn.StateMachine {
    const scope = new Construct(this, 'Program');
    const failed = sfn.Fail.jsonata(scope, 'Failed', {
      error: PROGRAM_FAILED_ERROR,
      cause:
        'A school program step failed after its retries (see the execution history); the stored school is unchanged, and the next command or the sweep starts a new generation',
    });
    const plan = withRetries(
      tasks.LambdaInvoke.jsonata(scope, 'Plan', {
        lambdaFunction: f.plan,
        payload: sfn.TaskInput.fromObject({
          schoolId: CONTEXT.schoolId,
          executionName: CONTEXT.executionName,
          executionStartTime: CONTEXT.executionStartTime,
          now: CONTEXT.now,
        }),
        outputs: '{% $states.result.Payload %}',
        comment: 'Start the milestones that are ready; say which lifecycles to start and how long to wait',
      }),
    );
    const finish = sfn.Succeed.jsonata(scope, 'Finish', { comment: 'Every milestone is completed or waived' });
    const renew = withRetries(
      tasks.StepFunctionsStartExecution.jsonata(scope, 'Renew', {
        stateMachine: self,
        name: '{% $states.input.successorName %}',
        input: sfn.TaskInput.fromObject({ schoolId: CONTEXT.schoolId }),
        comment: 'Continue as new: start the next generation, which plans from the stored school',
      }),
    );
    const startLifecycle = withRetries(
      tasks.StepFunctionsStartExecution.jsonata(scope, 'StartLifecycle', {
        stateMachine: this.milestoneLifecycle,
        name: '{% $states.input.name %}',
        input: sfn.TaskInput.fromObject({
          schoolId: CONTEXT.schoolId,
          key: '{% $states.input.key %}',
          // The milestone as Plan knows it stored: the lifecycle's first Refresh starts from it.
          committed: '{% $exists($states.input.committed) ? $states.input.committed : null %}',
        }),
        comment: 'Fire and forget: the lifecycle drives the milestone and wakes the program when it ends',
      }),
    );
    // The name was used by an execution that has ended since Plan looked: the next Plan picks the next generation.
    startLifecycle.addCatch(sfn.Pass.jsonata(scope, 'NameTaken', { comment: 'The execution name was taken meanwhile' }), {
      errors: ['StepFunctions.ExecutionAlreadyExistsException'],
    });
    const startLifecycles = sfn.Map.jsonata(scope, 'StartLifecycles', {
      items: sfn.ProvideItems.jsonata('{% $states.input.toStart %}'),
      maxConcurrency: 4,
      outputs: '{% $states.input %}',
      comment: 'Start the lifecycles of the milestones that are open and have none running',
    });
    startLifecycles.itemProcessor(startLifecycle);

    const awaitChange = withRetries(
      tasks.LambdaInvoke.jsonata(scope, 'AwaitChange', {
        lambdaFunction: f.awaitProgram,
        integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        payload: sfn.TaskInput.fromObject({
          token: CONTEXT.token,
          schoolId: CONTEXT.schoolId,
          executionArn: CONTEXT.executionArn,
          fingerprint: '{% $states.input.fingerprint %}',
          now: CONTEXT.now,
        }),
        taskTimeout: sfn.Timeout.jsonata('{% $states.input.waitSeconds %}'),
        comment: 'Wait until a lifecycle ends (token stored on the school) or, by the timeout, until the next planned start',
      }),
    );

    const route = sfn.Choice.jsonata(scope, 'Route', { comment: 'Done, hand over, start lifecycles, or wait' })
      .when(sfn.Condition.jsonata('{% $states.input.done %}'), finish)
      .when(sfn.Condition.jsonata('{% $states.input.continueAsNew %}'), renew)
      .when(sfn.Condition.jsonata('{% $count($states.input.toStart) > 0 %}'), startLifecycles)
      .otherwise(awaitChange);

    plan.next(route);
    startLifecycles.next(awaitChange);
    awaitChange.next(plan);
    awaitChange.addCatch(plan, { errors: [sfn.Errors.TIMEOUT] });
    for (const step of [plan, renew, awaitChange]) step.addCatch(failed, { errors: [sfn.Errors.ALL] });
    startLifecycles.addCatch(failed, { errors: [sfn.Errors.ALL] });

    return this.#stateMachine('SchoolProgram', this.names.schoolProgram, plan, props, [f.plan, f.awaitProgram]);
  }

  #stateMachine(id: string, name: string, start: sfn.IChainable, props: MilestoneWorkflowsProps, invoked: AppFunction[]): sfn.StateMachine {
    const logGroup = new LogGroup(this, `${id}Logs`, {
      logGroupName: `/aws/vendedlogs/states/${name}`,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    const machine = new sfn.StateMachine(this, id, {
      stateMachineName: name,
      stateMachineType: sfn.StateMachineType.STANDARD,
      queryLanguage: sfn.QueryLanguage.JSONATA,
      definitionBody: sfn.DefinitionBody.fromChainable(start),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    const role = machine.role;
    acknowledgeNag(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray tracing (PutTraceSegments, GetSamplingRules, ...) and CloudWatch Logs vended delivery (CreateLogDelivery, ...) of a state machine support no resource-level permissions.',
    );
    for (const fn of invoked) {
      acknowledgeWildcardResource(
        role,
        `${fn.functionArn}:*`,
        `The ${name} state machine invokes its step function ${fn.node.id}; CDK grants lambda:InvokeFunction on its qualified ARNs (versions, aliases) too.`,
      );
    }
    return machine;
  }
}

/** Lambda's transient errors (as CDK adds by default) and the handlers' own transient errors. */
function withRetries<T extends sfn.TaskStateBase>(task: T): T {
  task.addRetry({
    errors: [TRANSIENT_ERROR, 'Lambda.TooManyRequestsException'],
    interval: Duration.seconds(1),
    maxAttempts: 6,
    backoffRate: 2,
    maxDelay: Duration.seconds(60),
    jitterStrategy: sfn.JitterType.FULL,
  });
  return task;
}

/** Item actions on the base table only: no workflow function reads an index. */
function grantTable(table: ITableV2, fn: AppFunction, actions: string[]): void {
  fn.addToRolePolicy(new PolicyStatement({ actions, resources: [table.tableArn] }));
}
