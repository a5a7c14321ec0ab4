/** Reading a CDK-style synthesized template and running its state machines. */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateTableCommand, DeleteTableCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { loadTemplate, TemplateResolver } from '../../infra/local/template.js';
import { deployTemplate } from '../../infra/local/sfn/index.js';
import { localDynamoClient } from '../support/dynamodb.js';
import { newRuntime } from './helpers.js';

const fixture = fileURLToPath(new URL('./fixtures/cdk-template.json', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));

describe('template loading', () => {
  it('resolves Fn::Join / Fn::GetAtt / Ref AWS::Partition inside DefinitionString to local ARNs and names', () => {
    const stack = loadTemplate(fixture);
    const lifecycle = stack.stateMachines.find((s) => s.logicalId === 'MilestoneLifecycle0A1B2C3D')!;
    expect(lifecycle.name).toBe('milestone-lifecycle');
    expect(lifecycle.arn).toBe('arn:aws:states:eu-central-1:000000000000:stateMachine:milestone-lifecycle');
    expect(lifecycle.roleArn).toBe('arn:aws:iam::000000000000:role/MilestoneLifecycleRoleDEADBEEF');
    const states = lifecycle.definition.States as Record<string, { Resource: string; Arguments: Record<string, unknown> }>;
    expect(states.Activate!.Resource).toBe('arn:aws:states:::lambda:invoke');
    expect(states.Activate!.Arguments.FunctionName).toBe('arn:aws:lambda:eu-central-1:000000000000:function:ActivateFn5E6F7A8B');
    expect(states.Record!.Arguments.TableName).toBe('milestones');
  });

  it('resolves Definition with DefinitionSubstitutions; names default to the logical id', () => {
    const stack = loadTemplate(fixture, { region: 'eu-west-1' });
    const program = stack.stateMachines.find((s) => s.logicalId === 'SchoolProgram11223344')!;
    expect(program.name).toBe('SchoolProgram11223344');
    const lifecycleState = (program.definition.States as Record<string, { Arguments: { StateMachineArn: string } }>).Lifecycle!;
    expect(lifecycleState.Arguments.StateMachineArn).toBe('arn:aws:states:eu-west-1:000000000000:stateMachine:milestone-lifecycle');
  });

  it('lists functions with ARN, handler, resolved environment and Metadata; tables with names; honours Conditions', () => {
    const stack = loadTemplate(fixture);
    const activate = stack.functions.find((f) => f.logicalId === 'ActivateFn5E6F7A8B')!;
    expect(activate).toMatchObject({
      name: 'ActivateFn5E6F7A8B',
      arn: 'arn:aws:lambda:eu-central-1:000000000000:function:ActivateFn5E6F7A8B',
      handler: 'index.handler',
      runtime: 'nodejs22.x',
      timeoutSeconds: 30,
      environment: {
        TABLE_NAME: 'milestones',
        TABLE_ARN: 'arn:aws:dynamodb:eu-central-1:000000000000:table/milestones',
        STAGE: 'local-eu-central-1',
      },
      metadata: { 'cos:entry': 'test/sfn/fixtures/activate-handler.ts' },
    });
    expect(stack.functions.find((f) => f.logicalId === 'NotifyFnC0FFEE11')!.arn).toBe(
      'arn:aws:lambda:eu-central-1:000000000000:function:cos-notify',
    );
    expect(stack.tables.map((t) => t.name)).toEqual(['milestones']);
  });

  it('the resolver handles Fn::Sub forms, Fn::Select/Split and AWS::NoValue', () => {
    const r = new TemplateResolver(
      { Resources: { T: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'tbl' } } } },
      { region: 'eu-north-1', accountId: '123456789012' },
    );
    expect(r.resolve({ 'Fn::Sub': 'arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${T}' })).toBe(
      'arn:aws:dynamodb:eu-north-1:123456789012:table/tbl',
    );
    expect(r.resolve({ 'Fn::Sub': ['${X}-${T.Arn}-${!Literal}', { X: 'x' }] })).toBe(
      'x-arn:aws:dynamodb:eu-north-1:123456789012:table/tbl-${Literal}',
    );
    expect(r.resolve({ 'Fn::Select': [1, { 'Fn::Split': [',', 'a,b,c'] }] })).toBe('b');
    expect(r.resolve({ a: 1, b: { Ref: 'AWS::NoValue' } })).toEqual({ a: 1 });
  });
});

describe('deploying a template into the runtime', () => {
  const dynamodb = localDynamoClient();
  const table = 'milestones';
  beforeAll(async () => {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
  });
  afterAll(async () => {
    await dynamodb.send(new DeleteTableCommand({ TableName: table }));
    dynamodb.destroy();
  });

  it('creates the state machines and imports handlers from cos:entry; the synthesized definitions run', async () => {
    const { runtime } = newRuntime({ dynamodb });
    const result = await deployTemplate(runtime, loadTemplate(fixture), { importEntriesFrom: root, applyEnvironment: true });
    expect(result.stateMachines).toEqual({
      'milestone-lifecycle': 'arn:aws:states:eu-central-1:000000000000:stateMachine:milestone-lifecycle',
      SchoolProgram11223344: 'arn:aws:states:eu-central-1:000000000000:stateMachine:SchoolProgram11223344',
    });
    expect(result.withoutHandler).toEqual(['cos-notify']);
    const { executionArn } = runtime.startExecution({
      stateMachineArn: result.stateMachines.SchoolProgram11223344!,
      input: '{"school":"55-001"}',
    });
    await runtime.runUntilIdle();
    const d = runtime.describeExecution({ executionArn });
    expect(d.status).toBe('SUCCEEDED');
    expect(JSON.parse(d.output!)).toEqual({ school: '55-001', activated: true, table: 'milestones' });
    const item = await dynamodb.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: 'SCHOOL#55-001' }, sk: { S: 'MILESTONE#connection' } } }),
    );
    expect(item.Item).toBeDefined();
    await runtime.close();
  });
});
