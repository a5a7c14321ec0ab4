/**
 * The Step Functions API operations beyond running executions, through the AWS SDK's SFNClient:
 * DeleteStateMachine, DescribeStateMachineForExecution, TagResource/UntagResource/ListTagsForResource,
 * ValidateStateMachineDefinition, TestState (INFO, DEBUG, TRACE, mocks) and RedriveExecution.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  DescribeStateMachineForExecutionCommand,
  GetExecutionHistoryCommand,
  ListTagsForResourceCommand,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
  TagResourceCommand,
  TestStateCommand,
  UntagResourceCommand,
  UpdateStateMachineCommand,
  ValidateStateMachineDefinitionCommand,
} from '@aws-sdk/client-sfn';
import { serveSfnApi, type SfnApiServer } from '../../infra/local/sfn/index.js';
import { machine, newRuntime } from './helpers.js';

let flaky = 0;
const { runtime } = newRuntime({
  lambdas: {
    echo: async (event: unknown) => event,
    // Fails until it has been called twice: the first execution fails, its redrive succeeds.
    flaky: async (event: { n: number }) => {
      flaky++;
      if (flaky <= 1) throw Object.assign(new Error('not yet'), { name: 'NotYet' });
      return { n: event.n + 1, calls: flaky };
    },
    park: async () => undefined,
  },
});
let api: SfnApiServer;
let sfn: SFNClient;
const role = 'arn:aws:iam::000000000000:role/r';

beforeAll(async () => {
  api = await serveSfnApi(runtime, { port: 0 });
  // TestState is served on the 'sync-' host of the service's endpoint; a local endpoint has no such host.
  sfn = new SFNClient({
    endpoint: api.endpoint,
    region: 'eu-central-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    disableHostPrefix: true,
  });
});

afterAll(async () => {
  sfn.destroy();
  await api.close();
  await runtime.close();
});

const waitForever = machine({
  Park: {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
    Arguments: { FunctionName: 'park', Payload: { t: '{% $states.context.Task.Token %}' } },
    End: true,
  },
});

describe('DeleteStateMachine and DescribeStateMachineForExecution', () => {
  it('a deleted machine is gone for new work; its running execution goes on and still names the definition it runs', async () => {
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({ name: 'ToDelete', definition: JSON.stringify(waitForever), roleArn: role }),
    );
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'e1', input: '{}' }));
    const updated = machine({ P: { Type: 'Pass', Output: 'v2', End: true } });
    await sfn.send(new UpdateStateMachineCommand({ stateMachineArn, definition: JSON.stringify(updated) }));
    const forExecution = await sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn }));
    expect(forExecution).toMatchObject({ stateMachineArn, name: 'ToDelete', roleArn: role });
    expect(JSON.parse(forExecution.definition!)).toEqual(waitForever);
    expect(forExecution.updateDate).toBeInstanceOf(Date);

    await sfn.send(new DeleteStateMachineCommand({ stateMachineArn }));
    await expect(sfn.send(new DescribeStateMachineCommand({ stateMachineArn }))).rejects.toMatchObject({
      name: 'StateMachineDoesNotExist',
    });
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn, input: '{}' }))).rejects.toMatchObject({
      name: 'StateMachineDoesNotExist',
    });
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
    expect(JSON.parse((await sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn }))).definition!)).toEqual(waitForever);
    // Deleting again is accepted; the name can be used again.
    await sfn.send(new DeleteStateMachineCommand({ stateMachineArn }));
    await sfn.send(new CreateStateMachineCommand({ name: 'ToDelete', definition: JSON.stringify(updated), roleArn: role }));
    expect(JSON.parse((await sfn.send(new DescribeStateMachineCommand({ stateMachineArn }))).definition!)).toEqual(updated);
    await expect(sfn.send(new DeleteStateMachineCommand({ stateMachineArn: 'not-an-arn' }))).rejects.toMatchObject({ name: 'InvalidArn' });
  });
});

describe('TagResource, UntagResource, ListTagsForResource', () => {
  it('tags given at creation and later are listed; untagging removes them; unknown resources are ResourceNotFound', async () => {
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({
        name: 'Tagged',
        definition: JSON.stringify(waitForever),
        roleArn: role,
        tags: [{ key: 'team', value: 'rollout' }],
      }),
    );
    await sfn.send(
      new TagResourceCommand({
        resourceArn: stateMachineArn,
        tags: [
          { key: 'stage', value: 'dev' },
          { key: 'team', value: 'ministry' },
        ],
      }),
    );
    expect((await sfn.send(new ListTagsForResourceCommand({ resourceArn: stateMachineArn }))).tags).toEqual([
      { key: 'team', value: 'ministry' },
      { key: 'stage', value: 'dev' },
    ]);
    await sfn.send(new UntagResourceCommand({ resourceArn: stateMachineArn, tagKeys: ['team'] }));
    expect((await sfn.send(new ListTagsForResourceCommand({ resourceArn: stateMachineArn }))).tags).toEqual([
      { key: 'stage', value: 'dev' },
    ]);
    const many = Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: 'v' }));
    await expect(sfn.send(new TagResourceCommand({ resourceArn: stateMachineArn, tags: many }))).rejects.toMatchObject({
      name: 'TooManyTags',
    });
    await expect(sfn.send(new ListTagsForResourceCommand({ resourceArn: `${stateMachineArn}-nope` }))).rejects.toMatchObject({
      name: 'ResourceNotFound',
    });
  });
});

describe('ValidateStateMachineDefinition', () => {
  // Shapes and codes as the service answers (recorded against AWS in LocalStack's
  // tests/aws/services/stepfunctions/v2/test_sfn_api_validation.snapshot.json).
  it('answers OK with no diagnostics for a definition this runtime runs', async () => {
    const r = await sfn.send(new ValidateStateMachineDefinitionCommand({ definition: JSON.stringify(waitForever) }));
    expect(r).toMatchObject({ result: 'OK', diagnostics: [], truncated: false });
  });

  it('answers FAIL with severity, code, message and location for each problem', async () => {
    const definition = JSON.stringify({
      QueryLanguage: 'JSONata',
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', ResultPath: '$.x', Next: 'Nowhere' },
        B: {
          Type: 'Parallel',
          Branches: [{ StartAt: 'C', States: { C: { Type: 'Pass', Output: '{% $states.input. %}', End: true } } }],
          End: true,
        },
      },
    });
    const r = await sfn.send(new ValidateStateMachineDefinitionCommand({ definition }));
    expect(r.result).toBe('FAIL');
    expect(r.diagnostics).toEqual(
      expect.arrayContaining([
        {
          severity: 'ERROR',
          code: 'SCHEMA_VALIDATION_FAILED',
          message: expect.stringContaining("'ResultPath'"),
          location: '/States/A/ResultPath',
        },
        { severity: 'ERROR', code: 'MISSING_TRANSITION_TARGET', message: expect.stringContaining("'Nowhere'"), location: '/States/A/Next' },
        {
          severity: 'ERROR',
          code: 'INVALID_JSONATA_EXPRESSION',
          message: expect.stringContaining('$states.input.'),
          location: '/States/B/Branches/0/States/C/Output',
        },
      ]),
    );
    const notJson = await sfn.send(new ValidateStateMachineDefinitionCommand({ definition: 'not a definition' }));
    expect(notJson).toMatchObject({ result: 'FAIL', diagnostics: [{ severity: 'ERROR', code: 'INVALID_JSON_DESCRIPTION' }] });
    const empty = await sfn.send(new ValidateStateMachineDefinitionCommand({ definition: '[]' }));
    expect(empty.diagnostics).toEqual([
      { severity: 'ERROR', code: 'SCHEMA_VALIDATION_FAILED', message: 'Definition must be a valid JSON object' },
    ]);
    const truncated = await sfn.send(new ValidateStateMachineDefinitionCommand({ definition, maxResults: 1 }));
    expect(truncated).toMatchObject({ result: 'FAIL', truncated: true });
    expect(truncated.diagnostics).toHaveLength(1);
  });

  it('CreateStateMachine words InvalidDefinition as the service does: code, message, location', async () => {
    await expect(
      sfn.send(
        new CreateStateMachineCommand({
          name: 'Bad',
          roleArn: role,
          definition: JSON.stringify(machine({ A: { Type: 'Pass', Next: 'Gone' } })),
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidDefinition',
      message: expect.stringMatching(/^Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: .*'Gone'.* at \/States\/A\/Next'$/),
    });
  });
});

describe('TestState', () => {
  const task = {
    Type: 'Task',
    QueryLanguage: 'JSONata',
    Resource: 'arn:aws:states:::lambda:invoke',
    Arguments: { FunctionName: 'echo', Payload: { doubled: '{% $states.input.n * 2 %}', who: '{% $who %}' } },
    Assign: { last: '{% $states.result.Payload.doubled %}' },
    Output: '{% $states.result.Payload %}',
    Retry: [{ ErrorEquals: ['Busy'], IntervalSeconds: 3, BackoffRate: 2, MaxAttempts: 2 }],
    Catch: [
      { ErrorEquals: ['Other'], Next: 'Ignored' },
      { ErrorEquals: ['States.ALL'], Output: '{% {"failed": $states.errorOutput.Error} %}', Next: 'Recover' },
    ],
    Next: 'After',
  };
  const testState = (level: 'INFO' | 'DEBUG' | 'TRACE', extra: Record<string, unknown> = {}) =>
    sfn.send(
      new TestStateCommand({
        definition: JSON.stringify(task),
        input: '{"n": 21}',
        variables: '{"who": "tester"}',
        inspectionLevel: level,
        roleArn: role,
        ...extra,
      }),
    );

  it('INFO: the output and the next state, nothing more', async () => {
    const r = await testState('INFO');
    expect(r.status).toBe('SUCCEEDED');
    expect(JSON.parse(r.output!)).toEqual({ doubled: 42, who: 'tester' });
    expect(r.nextState).toBe('After');
    expect(r.inspectionData).toBeUndefined();
  });

  it('DEBUG: input, arguments after evaluation, the task result and the variables after the state', async () => {
    const r = await testState('DEBUG');
    expect(r.status).toBe('SUCCEEDED');
    const d = r.inspectionData!;
    expect(JSON.parse(d.input!)).toEqual({ n: 21 });
    expect(JSON.parse(d.afterArguments!)).toEqual({ FunctionName: 'echo', Payload: { doubled: 42, who: 'tester' } });
    expect(JSON.parse(d.result!)).toMatchObject({ StatusCode: 200, Payload: { doubled: 42, who: 'tester' } });
    expect(JSON.parse(d.variables!)).toEqual({ who: 'tester', last: 42 });
  });

  it('TRACE with a mocked result: the mock stands in for the call', async () => {
    const r = await testState('TRACE', { mock: { result: '{"Payload": {"doubled": 7}}' } });
    expect(r.status).toBe('SUCCEEDED');
    expect(JSON.parse(r.output!)).toEqual({ doubled: 7 });
    expect(JSON.parse(r.inspectionData!.result!)).toEqual({ Payload: { doubled: 7 } });
    expect(JSON.parse(r.inspectionData!.variables!)).toEqual({ who: 'tester', last: 7 });
  });

  it('a mocked error that a Retrier matches is RETRIABLE, with the retrier and its backoff', async () => {
    const r = await testState('DEBUG', { mock: { errorOutput: { error: 'Busy', cause: 'try later' } } });
    expect(r).toMatchObject({ status: 'RETRIABLE', error: 'Busy', cause: 'try later' });
    expect(r.inspectionData!.errorDetails).toEqual({ retryIndex: 0, retryBackoffIntervalSeconds: 3 });
  });

  it('a mocked error that a Catcher matches is CAUGHT_ERROR, with the catcher, its output and its Next', async () => {
    const r = await testState('DEBUG', { mock: { errorOutput: { error: 'Broken', cause: 'no' } } });
    expect(r).toMatchObject({ status: 'CAUGHT_ERROR', error: 'Broken', cause: 'no', nextState: 'Recover' });
    expect(JSON.parse(r.output!)).toEqual({ failed: 'Broken' });
    expect(r.inspectionData!.errorDetails).toEqual({ catchIndex: 1 });
  });

  it('an error nothing handles is FAILED; a Choice names its next state; a Wait does not wait', async () => {
    const failed = await sfn.send(
      new TestStateCommand({
        definition: JSON.stringify({ Type: 'Pass', QueryLanguage: 'JSONata', Output: '{% $states.input.missing %}', End: true }),
        input: '{}',
      }),
    );
    expect(failed).toMatchObject({ status: 'FAILED', error: 'States.QueryEvaluationError' });
    expect(failed.cause).toContain("specified for the field 'Output' returned nothing (undefined)");
    const choice = await sfn.send(
      new TestStateCommand({
        definition: JSON.stringify({
          Type: 'Choice',
          QueryLanguage: 'JSONata',
          Choices: [{ Condition: '{% $states.input.n > 10 %}', Next: 'Big' }],
          Default: 'Small',
        }),
        input: '{"n": 11}',
      }),
    );
    expect(choice).toMatchObject({ status: 'SUCCEEDED', nextState: 'Big', output: '{"n":11}' });
    const wait = await sfn.send(
      new TestStateCommand({
        definition: JSON.stringify({ Type: 'Wait', QueryLanguage: 'JSONata', Seconds: 86400, Next: 'Later' }),
        input: '{"a":1}',
      }),
    );
    expect(wait).toMatchObject({ status: 'SUCCEEDED', nextState: 'Later', output: '{"a":1}' });
  });

  it('a state picked from a whole state machine by stateName; a callback task needs a mock, as in the service', async () => {
    const r = await sfn.send(
      new TestStateCommand({
        definition: JSON.stringify(waitForever),
        stateName: 'Park',
        input: '{}',
        mock: { result: '{"approved": true}' },
      }),
    );
    expect(r).toMatchObject({ status: 'SUCCEEDED', output: '{"approved":true}' });
    expect(r.nextState).toBeUndefined();
    await expect(
      sfn.send(new TestStateCommand({ definition: JSON.stringify(waitForever), stateName: 'Park', input: '{}' })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(
      sfn.send(new TestStateCommand({ definition: '{"Type": "Pass", "ResultPath": "$.x", "End": true}' })),
    ).rejects.toMatchObject({ name: 'InvalidDefinition' });
  });
});

describe('RedriveExecution', () => {
  it('a failed execution runs again from the failed state, with its input and variables, and completes', async () => {
    const def = machine({
      Init: { Type: 'Pass', Assign: { origin: '{% $states.input.n %}' }, Output: { n: '{% $states.input.n * 10 %}' }, Next: 'Call' },
      Call: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Arguments: { FunctionName: 'flaky', Payload: '{% $states.input %}' },
        Output: '{% {"result": $states.result.Payload, "origin": $origin, "redrives": $states.context.Execution.RedriveCount} %}',
        End: true,
      },
    });
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({ name: 'Redrivable', definition: JSON.stringify(def), roleArn: role }),
    );
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'r1', input: '{"n": 4}' }));
    // Not runUntilIdle: that would run the clock a year on, past the other tests' executions' time limit.
    await runtime.idle();
    const failed = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(failed).toMatchObject({ status: 'FAILED', error: 'NotYet', redriveCount: 0, redriveStatus: 'REDRIVABLE' });

    const { redriveDate } = await sfn.send(new RedriveExecutionCommand({ executionArn }));
    expect(redriveDate).toBeInstanceOf(Date);
    await runtime.idle();
    const done = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(done).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1, redriveStatus: 'NOT_REDRIVABLE' });
    expect(done.error).toBeUndefined();
    expect(JSON.parse(done.output!)).toEqual({ result: { n: 41, calls: 2 }, origin: 4, redrives: 1 });
    const types = (await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 100 }))).events!.map((e) => e.type);
    expect(types.slice(types.indexOf('ExecutionFailed'))).toEqual([
      'ExecutionFailed',
      'ExecutionRedriven',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    expect(types.filter((t) => t === 'PassStateEntered')).toHaveLength(1);
    await expect(sfn.send(new RedriveExecutionCommand({ executionArn }))).rejects.toMatchObject({ name: 'ExecutionNotRedrivable' });
  });
});
