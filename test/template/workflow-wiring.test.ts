/**
 * The extension point for the milestone workflows: `stack.connectWorkflows(machines)` gives the API and
 * the sweep the state machine ARNs and exactly the Step Functions permissions they need, and alarms on
 * both machines. Checked on the state machines the stack connects; a stack without them yet is given
 * two minimal ones built here (logging and tracing on, as cdk-nag wants), so the contract is checked
 * either way.
 */
import { RemovalPolicy, Stack, type CfnElement } from 'aws-cdk-lib';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, Pass, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import { acknowledgeNag } from '../../infra/aws/constructs/nag.js';
import { STATE_MACHINE_ENV, type MilestoneStack, type WorkflowStateMachines } from '../../infra/aws/stacks/milestone-stack.js';
import {
  actionsOf,
  functionByEntry,
  nagFindings,
  ofType,
  ref,
  resourcesOf,
  statementsOfFunction,
  synthesize,
  type Synthesized,
} from './synth.js';

const API = 'functions/api/handler.ts';
const DISPATCHER = 'functions/notifications/dispatcher.ts';
const SWEEP = 'functions/schedules/daily-sweep.ts';
const TASK_RESPONSE = ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'];

function testMachine(stack: MilestoneStack, id: string): StateMachine {
  const machine = new StateMachine(stack, id, {
    definitionBody: DefinitionBody.fromChainable(new Pass(stack, `${id}Start`)),
    tracingEnabled: true,
    logs: {
      destination: new LogGroup(stack, `${id}Logs`, { retention: RetentionDays.ONE_DAY, removalPolicy: RemovalPolicy.DESTROY }),
      level: LogLevel.ALL,
      includeExecutionData: false,
    },
  });
  acknowledgeNag(
    machine.role,
    'AwsSolutions-IAM5[Resource::*]',
    'Test state machine: X-Ray and log delivery actions support no resource-level permissions.',
  );
  return machine;
}

let s: Synthesized;
let machines: WorkflowStateMachines;
let ids: { program: string; lifecycle: string };

beforeAll(() => {
  s = synthesize({ stage: 'dev' }, (stack) => {
    if (!stack.workflows) {
      stack.connectWorkflows({
        schoolProgram: testMachine(stack, 'TestSchoolProgram'),
        milestoneLifecycle: testMachine(stack, 'TestMilestoneLifecycle'),
      });
    }
    machines = stack.workflows!;
  });
  const logicalId = (machine: object) =>
    Stack.of(s.stack).resolve(Stack.of(s.stack).getLogicalId((machine as StateMachine).node.defaultChild as CfnElement)) as string;
  ids = { program: logicalId(machines.schoolProgram), lifecycle: logicalId(machines.milestoneLifecycle) };
  for (const id of Object.values(ids)) expect(s.resources[id]?.Type).toBe('AWS::StepFunctions::StateMachine');
});

const fnId = (entry: string) => functionByEntry(s.resources, entry)[0];
const statements = (entry: string) =>
  statementsOfFunction(s.resources, fnId(entry)).filter((st) => actionsOf(st).some((a) => a.startsWith('states:')));
const executionsOf = (machineId: string) =>
  JSON.stringify(
    statements(API).find(
      (st) => JSON.stringify(st.Resource).includes(`"${machineId}"`) && actionsOf(st).includes('states:DescribeExecution'),
    )?.Resource,
  );

describe('connectWorkflows', () => {
  it('keeps cdk-nag clean (the execution-ARN wildcards are acknowledged one by one)', () => {
    expect(nagFindings(s.nag)).toEqual([]);
  });

  it('hands both state machine ARNs to the API, not to the dispatcher or the daily digest (the workflow sweep keeps executions alive)', () => {
    const vars = functionByEntry(s.resources, API)[1].Properties!.Environment.Variables;
    expect(vars[STATE_MACHINE_ENV.schoolProgram]).toEqual(ref(ids.program));
    expect(vars[STATE_MACHINE_ENV.milestoneLifecycle]).toEqual(ref(ids.lifecycle));
    for (const entry of [DISPATCHER, SWEEP]) {
      const env = functionByEntry(s.resources, entry)[1].Properties!.Environment.Variables;
      expect(env[STATE_MACHINE_ENV.schoolProgram], entry).toBeUndefined();
      expect(statements(entry), entry).toEqual([]);
    }
  });

  it('lets the API start school programs and answer task tokens of both machines', () => {
    const api = statements(API);
    const start = api.filter((st) => actionsOf(st).includes('states:StartExecution'));
    expect(start.flatMap(resourcesOf)).toEqual([ref(ids.program)]);
    const respond = api.filter((st) => actionsOf(st).some((a) => TASK_RESPONSE.includes(a)));
    expect(respond.flatMap(resourcesOf).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(
      [ref(ids.lifecycle), ref(ids.program)].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    );
    for (const st of respond) expect(actionsOf(st).sort()).toEqual([...TASK_RESPONSE].sort());
  });

  it('lets the API describe executions of the two machines only', () => {
    for (const entry of [API]) {
      const describe = statements(entry).filter((st) => actionsOf(st).includes('states:DescribeExecution'));
      expect(describe, entry).toHaveLength(2);
      for (const st of describe) {
        expect(actionsOf(st)).toEqual(['states:DescribeExecution']);
        expect(JSON.stringify(st.Resource)).toMatch(/:execution:/);
        expect(JSON.stringify(st.Resource)).toMatch(/:\*"\]\]\}$/);
      }
    }
    expect(executionsOf(ids.program)).toContain(ids.program);
    expect(executionsOf(ids.lifecycle)).toContain(ids.lifecycle);
  });

  it('alarms on failed, timed-out and aborted executions of each machine', () => {
    const alarms = ofType(s.resources, 'AWS::CloudWatch::Alarm')
      .map(([, a]) => a.Properties!)
      .filter((a) => a.Namespace === 'AWS/States');
    for (const id of [ids.program, ids.lifecycle]) {
      const metrics = alarms
        .filter((a) => JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'StateMachineArn', Value: ref(id) }]))
        .map((a) => a.MetricName);
      expect(metrics.sort(), id).toEqual(['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut']);
    }
    const topic = s.template.toJSON().Outputs.AlarmTopicArn.Value;
    for (const a of alarms) expect(a.AlarmActions).toEqual([topic]);
  });

  it('is wired once', () => {
    expect(s.stack.workflows).toBe(machines);
    expect(() => s.stack.connectWorkflows(machines)).toThrow(/already connected/);
  });

  it('offers the workflows construct the table, the function factory, the alarms and the log settings', () => {
    const deps = s.stack.workflowDependencies();
    expect(deps.table).toBe(s.stack.table.table);
    expect(deps.functions).toBe(s.stack.functions);
    expect(deps.alarms).toBe(s.stack.alarms);
    expect(deps.tableEnvironment).toEqual(s.stack.tableEnvironment);
    expect(deps.logRetention).toBe(RetentionDays.TWO_WEEKS);
  });
});
