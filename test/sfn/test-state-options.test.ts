/**
 * TestState's `context`, `stateConfiguration` and `mock.fieldValidationMode`, through the AWS SDK's
 * SFNClient. Expected answers marked "AWS:" are the service's own, measured on AWS and recorded in
 * LocalStack's TestState suite (tests/aws/services/stepfunctions/v2/test_state/*.snapshot.json, file
 * named beside each case); the API reference (TestState, TestStateConfiguration, MockInput) gives
 * the meaning of each field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestStateCommand, type SFNClient, type TestStateCommandInput } from '@aws-sdk/client-sfn';
import { newRuntime, sdkClient } from './helpers.js';

const { runtime } = newRuntime({ lambdas: { echo: async (event: unknown) => event } });
let sfn: SFNClient;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ sfn, close } = await sdkClient(runtime));
});

afterAll(() => close());

const send = (input: TestStateCommandInput) => sfn.send(new TestStateCommand(input));
const refused = async (input: TestStateCommandInput, name: string, message: string) => {
  await expect(send(input)).rejects.toMatchObject({ name, message });
};

const lambdaTask = (extra: object = {}) =>
  JSON.stringify({
    Type: 'Task',
    QueryLanguage: 'JSONata',
    Resource: 'arn:aws:states:::lambda:invoke',
    Arguments: { FunctionName: 'echo', Payload: '{% $states.input %}' },
    End: true,
    ...extra,
  });
const callbackTask = JSON.stringify({
  Type: 'Task',
  QueryLanguage: 'JSONata',
  Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
  Arguments: { FunctionName: 'echo', Payload: { token: '{% $states.context.Task.Token %}' } },
  Output: '{% {"r": $states.result, "token": $states.context.Task.Token} %}',
  End: true,
});
const startTask = JSON.stringify({
  Type: 'Task',
  QueryLanguage: 'JSONata',
  Resource: 'arn:aws:states:::states:startExecution',
  Arguments: { StateMachineArn: 'arn:aws:states:eu-central-1:000000000000:stateMachine:x' },
  End: true,
});
const dynamoTask = JSON.stringify({
  Type: 'Task',
  QueryLanguage: 'JSONata',
  Resource: 'arn:aws:states:::dynamodb:putItem',
  Arguments: { TableName: 't', Item: { id: { S: '1' } } },
  End: true,
});
const mapState = JSON.stringify({
  Type: 'Map',
  QueryLanguage: 'JSONata',
  Items: '{% $states.input.Values %}',
  ItemProcessor: { StartAt: 'HandleItem', States: { HandleItem: { Type: 'Pass', End: true } } },
  End: true,
});

describe('TestState context', () => {
  it('the given context object is what $states.context is, exactly (nothing of the runtime added)', async () => {
    const context = {
      Execution: { Id: 'arn:aws:states:eu-central-1:000000000000:execution:M:e1', Name: 'e1', Input: { a: 1 } },
      State: { Name: 'Other', RetryCount: 2 },
    };
    const r = await send({
      definition: lambdaTask({ Output: '{% $states.context %}' }),
      input: '{}',
      context: JSON.stringify(context),
      mock: { result: '{"StatusCode": 200}' },
    });
    expect(r.status).toBe('SUCCEEDED');
    expect(JSON.parse(r.output!)).toEqual(context);
    // AWS (test_state_context_object.snapshot.json, EMPTY): an empty context is an empty context object.
    const empty = await send({
      definition: lambdaTask({ Output: '{% $states.context %}' }),
      input: '{}',
      context: '{}',
      mock: { result: '{}' },
    });
    expect(JSON.parse(empty.output!)).toEqual({});
  });

  it('a callback task sees the Task.Token given in the context', async () => {
    const r = await send({
      definition: callbackTask,
      input: '{}',
      context: JSON.stringify({ Task: { Token: 'abcd123' } }),
      mock: { result: '{"ok": true}' },
    });
    expect(JSON.parse(r.output!)).toEqual({ r: { ok: true }, token: 'abcd123' });
  });

  it('refuses a context the service refuses, in its words', async () => {
    const mock = { result: '{}' };
    // AWS (test_state_context_object.snapshot.json, validation failures and invalid states).
    await refused(
      { definition: lambdaTask(), context: '{"Execution": {"Id": 5}}', mock },
      'ValidationException',
      'Invalid Context object provided: Execution.Id must be a string',
    );
    await refused(
      { definition: lambdaTask(), context: '{"Map": {"Item": {"Index": 0}}}', mock },
      'ValidationException',
      "Invalid Context object provided: 'Map' field is not supported when mocking a Context object",
    );
    await refused(
      { definition: lambdaTask(), context: '{"Execution": {"pokemon": 1}}', mock },
      'ValidationException',
      "Invalid Context object provided: Field 'pokemon' is not allowed",
    );
    await refused(
      { definition: lambdaTask(), context: '{"Pokedex": {}}', mock },
      'ValidationException',
      "Invalid Context object provided: Field 'Pokedex' is not allowed",
    );
    await refused(
      { definition: lambdaTask(), context: '{"Task": {"Token": "t"}}', mock },
      'ValidationException',
      "Invalid Context object provided: Context object contains 'Task' when state is not a Task state with a '.sync' or '.waitForTaskToken' service integration pattern",
    );
    await refused(
      { definition: JSON.stringify({ Type: 'Pass', QueryLanguage: 'JSONata', End: true }), context: '{}', mock },
      'ValidationException',
      "State type 'Pass' is not supported when a mock is specified",
    );
    // API reference: the context may only be given with a mock.
    await refused(
      { definition: lambdaTask(), context: '{}' },
      'ValidationException',
      'TestState does not support Context when a mock is not specified.',
    );
  });
});

describe('TestState stateConfiguration', () => {
  const retrying = lambdaTask({ Retry: [{ ErrorEquals: ['MockException'], IntervalSeconds: 2, BackoffRate: 3, MaxAttempts: 5 }] });
  const mockError = { errorOutput: { error: 'MockException', cause: 'Mock the cause of the error.' } };

  it('retrierRetryCount: the matching Retrier has retried so often already; its backoff grows, and past MaxAttempts the state fails', async () => {
    const fresh = await send({ definition: retrying, inspectionLevel: 'DEBUG', mock: mockError });
    expect(fresh).toMatchObject({
      status: 'RETRIABLE',
      inspectionData: { errorDetails: { retryIndex: 0, retryBackoffIntervalSeconds: 2 } },
    });
    const fourth = await send({
      definition: retrying,
      inspectionLevel: 'DEBUG',
      mock: mockError,
      stateConfiguration: { retrierRetryCount: 4 },
    });
    expect(fourth).toMatchObject({
      status: 'RETRIABLE',
      error: 'MockException',
      inspectionData: { errorDetails: { retryIndex: 0, retryBackoffIntervalSeconds: 2 * 3 ** 4 } },
    });
    // AWS (test_state_configuration.snapshot.json, exceeds_tolerated_retry_count): MaxAttempts reached → FAILED.
    const exhausted = await send({ definition: retrying, mock: mockError, stateConfiguration: { retrierRetryCount: 5 } });
    expect(exhausted).toMatchObject({ status: 'FAILED', error: 'MockException', cause: 'Mock the cause of the error.' });
    await refused(
      { definition: retrying, mock: mockError, stateConfiguration: { retrierRetryCount: -1 } },
      'ValidationException',
      "1 validation error detected: Value '-1' at 'stateConfiguration.retrierRetryCount' failed to satisfy constraint: Member must have value greater than or equal to 0",
    );
  });

  it('mapIterationFailureCount: checked as the service checks it; without tolerated-failure thresholds the Map succeeds', async () => {
    // AWS (test_state_configuration.snapshot.json, BASE_MAP_STATE exceeds_tolerated_failure): no threshold, SUCCEEDED.
    const r = await send({
      definition: mapState,
      input: '{"Values": ["a", "b", "c"]}',
      mock: { result: '[0, 0, 1]' },
      stateConfiguration: { mapIterationFailureCount: 2 },
    });
    expect(r).toMatchObject({ status: 'SUCCEEDED', output: '[0,0,1]' });
    // AWS (test_state_mock_validation.snapshot.json).
    await refused(
      { definition: lambdaTask(), stateConfiguration: { mapIterationFailureCount: 1 } },
      'ValidationException',
      'TestState does not support MapIterationFailureCount when a mock is not specified.',
    );
    await refused(
      { definition: mapState, mock: { result: '[1, 2]' }, stateConfiguration: { mapIterationFailureCount: 3 } },
      'ValidationException',
      'Map iteration failure count must be less than or equal to the number of Map iterations',
    );
  });

  it('errorCausedByState names a state inside the Map or Parallel whose error is mocked', async () => {
    // AWS (test_state_configuration.snapshot.json, test_map_state_error_caused_by_state[INFO]).
    const r = await send({
      definition: mapState,
      input: '{"Values": [1]}',
      mock: mockError,
      stateConfiguration: { errorCausedByState: 'HandleItem' },
    });
    expect(r).toMatchObject({ status: 'FAILED', error: 'MockException', cause: 'Mock the cause of the error.' });
    await refused(
      { definition: mapState, mock: mockError, stateConfiguration: { errorCausedByState: 'Nowhere' } },
      'ValidationException',
      "ErrorCausedByState 'Nowhere' is not a state of the Map state",
    );
    await refused(
      { definition: lambdaTask(), mock: mockError, stateConfiguration: { errorCausedByState: 'X' } },
      'ValidationException',
      'TestState supports ErrorCausedByState only for a Map or Parallel state, not Task',
    );
    await refused(
      { definition: mapState, mock: { result: '[]' }, stateConfiguration: { mapItemReaderData: '[1]' } },
      'ValidationException',
      'MapItemReaderData needs a Map state with an ItemReader (a distributed Map), which this runtime does not run',
    );
  });
});

describe('TestState mock.fieldValidationMode', () => {
  it('STRICT (the default): required fields present, present fields of their type; unknown fields pass', async () => {
    // AWS (test_field_validation_mode.snapshot.json).
    await refused(
      { definition: startTask, mock: { result: '{}' } },
      'ValidationException',
      "Mock result schema validation error: Required field 'ExecutionArn' is missing",
    );
    await refused(
      { definition: startTask, mock: { result: '{"executionArn": "a", "startDate": "b"}' } },
      'ValidationException',
      "Mock result schema validation error: Required field 'ExecutionArn' is missing",
    );
    await refused(
      { definition: startTask, mock: { result: '{"ExecutionArn": "a", "StartDate": true}' } },
      'ValidationException',
      "Mock result schema validation error: Field 'StartDate' must be a string",
    );
    await refused(
      { definition: lambdaTask(), mock: { result: '{"StatusCode": "200"}' } },
      'ValidationException',
      "Mock result schema validation error: Field 'StatusCode' must be a number",
    );
    await refused(
      { definition: dynamoTask, mock: { result: '{"ConsumedCapacity": {"CapacityUnits": "123.45"}}' } },
      'ValidationException',
      "Mock result schema validation error: Field 'CapacityUnits' must be a number",
    );
    const ok = await send({
      definition: startTask,
      mock: { result: '{"ExecutionArn": "a", "StartDate": "2025-01-01T00:00:00Z", "random": 1}' },
    });
    expect(ok.status).toBe('SUCCEEDED');
    expect((await send({ definition: lambdaTask(), mock: { result: '{"random": "json"}' } })).output).toBe('{"random":"json"}');
  });

  it('PRESENT: missing required fields pass, present ones are checked; NONE: nothing is checked', async () => {
    // AWS (test_field_validation_mode_present.snapshot.json, test_field_validation_mode_none.snapshot.json).
    expect((await send({ definition: startTask, mock: { result: '{}', fieldValidationMode: 'PRESENT' } })).status).toBe('SUCCEEDED');
    await refused(
      { definition: startTask, mock: { result: '{"ExecutionArn": 1764103483}', fieldValidationMode: 'PRESENT' } },
      'ValidationException',
      "Mock result schema validation error: Field 'ExecutionArn' must be a string",
    );
    await refused(
      { definition: dynamoTask, mock: { result: '{"ConsumedCapacity": {"CapacityUnits": "1"}}', fieldValidationMode: 'PRESENT' } },
      'ValidationException',
      "Mock result schema validation error: Field 'CapacityUnits' must be a number",
    );
    const none = await send({
      definition: startTask,
      mock: { result: '{"ExecutionArn": "a", "StartDate": true}', fieldValidationMode: 'NONE' },
    });
    expect(none).toMatchObject({ status: 'SUCCEEDED', output: '{"ExecutionArn":"a","StartDate":true}' });
    await refused(
      { definition: startTask, mock: { result: '{}', fieldValidationMode: 'LOOSE' as never } },
      'ValidationException',
      "1 validation error detected: Value 'LOOSE' at 'mock.fieldValidationMode' failed to satisfy constraint: Member must satisfy enum value set: [STRICT, PRESENT, NONE]",
    );
  });

  it('Map and Parallel mocks are arrays, a Parallel one with one item per branch; the service words misuse so', async () => {
    const parallel = JSON.stringify({
      Type: 'Parallel',
      QueryLanguage: 'JSONata',
      Branches: [
        { StartAt: 'A', States: { A: { Type: 'Pass', End: true } } },
        { StartAt: 'B', States: { B: { Type: 'Pass', End: true } } },
      ],
      End: true,
    });
    // AWS (test_state_mock_validation.snapshot.json).
    await refused({ definition: mapState, mock: { result: '{"a": 1}' } }, 'ValidationException', 'Mocked result must be an array.');
    await refused(
      { definition: parallel, mock: { result: '[1]' } },
      'ValidationException',
      'Mocked result must contain the same number of items as number of Parallel branches.',
    );
    await refused(
      { definition: parallel },
      'InvalidDefinition',
      'TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]',
    );
    await refused(
      { definition: lambdaTask(), mock: { result: '{}', errorOutput: { error: 'E' } } },
      'ValidationException',
      'A test mock should have only one of the following fields: [result, errorOutput].',
    );
    expect((await send({ definition: parallel, mock: { result: '[1, 2]' } })).output).toBe('[1,2]');
  });
});
