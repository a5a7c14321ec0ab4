/** The Step Functions API over HTTP, driven by the AWS SDK's SFNClient. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import { serveSfnApi, type SfnApiServer } from '../../infra/local/sfn/index.js';
import { machine, newRuntime } from './helpers.js';

const tokens: string[] = [];
const { runtime } = newRuntime({
  lambdas: {
    park: async (e: { token: string }) => {
      tokens.push(e.token);
    },
  },
});
let api: SfnApiServer;
let sfn: SFNClient;

const waitingDef = machine({
  Park: {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
    Arguments: { FunctionName: 'park', Payload: { token: '{% $states.context.Task.Token %}' } },
    HeartbeatSeconds: 600,
    Output: '{% $states.result %}',
    End: true,
  },
});

beforeAll(async () => {
  api = await serveSfnApi(runtime, { port: 0 });
  sfn = new SFNClient({ endpoint: api.endpoint, region: 'eu-central-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});

afterAll(async () => {
  sfn.destroy();
  await api.close();
  await runtime.close();
});

describe('Step Functions API over HTTP (AWS JSON 1.0)', () => {
  let stateMachineArn: string;

  it('creates, describes, updates and lists state machines; refuses unsupported definitions as InvalidDefinition', async () => {
    const created = await sfn.send(
      new CreateStateMachineCommand({
        name: 'Waiting',
        definition: JSON.stringify(waitingDef),
        roleArn: 'arn:aws:iam::000000000000:role/r',
      }),
    );
    stateMachineArn = created.stateMachineArn!;
    expect(stateMachineArn).toBe('arn:aws:states:eu-central-1:000000000000:stateMachine:Waiting');
    expect(created.creationDate).toBeInstanceOf(Date);
    const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
    expect(described).toMatchObject({ name: 'Waiting', status: 'ACTIVE', type: 'STANDARD', roleArn: 'arn:aws:iam::000000000000:role/r' });
    expect(JSON.parse(described.definition!)).toEqual(waitingDef);
    await sfn.send(new UpdateStateMachineCommand({ stateMachineArn, definition: JSON.stringify(waitingDef) }));
    const list = await sfn.send(new ListStateMachinesCommand({}));
    expect(list.stateMachines!.map((s) => s.name)).toContain('Waiting');
    await expect(
      sfn.send(
        new CreateStateMachineCommand({
          name: 'Bad',
          definition: JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', ResultPath: '$.x', End: true } } }),
          roleArn: 'r',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidDefinition', message: expect.stringMatching(/State 'A'/) });
    await expect(sfn.send(new DescribeStateMachineCommand({ stateMachineArn: `${stateMachineArn}X` }))).rejects.toMatchObject({
      name: 'StateMachineDoesNotExist',
    });
  });

  it('StartExecution: same name and input returns the same execution; another input is ExecutionAlreadyExists', async () => {
    const a = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'order-1', input: '{"n":1}' }));
    const b = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'order-1', input: '{"n":1}' }));
    expect(b.executionArn).toBe(a.executionArn);
    expect(b.startDate!.getTime()).toBe(a.startDate!.getTime());
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'order-1', input: '{"n":2}' }))).rejects.toMatchObject({
      name: 'ExecutionAlreadyExists',
    });
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'bad name', input: '{}' }))).rejects.toMatchObject({
      name: 'InvalidName',
    });
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn, input: '{oops' }))).rejects.toMatchObject({
      name: 'InvalidExecutionInput',
    });
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn: a.executionArn }));
    expect(d).toMatchObject({ status: 'RUNNING', name: 'order-1', input: '{"n":1}', stateMachineArn });
  });

  it('SendTaskHeartbeat / SendTaskSuccess complete a waiting task; errors are named as the service names them', async () => {
    await runtime.idle();
    const token = tokens[0]!;
    await sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: 'not json' }))).rejects.toMatchObject({
      name: 'InvalidOutput',
    });
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"approved":true}' }));
    await runtime.idle();
    const executionArn = 'arn:aws:states:eu-central-1:000000000000:execution:Waiting:order-1';
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(d.status).toBe('SUCCEEDED');
    expect(JSON.parse(d.output!)).toEqual({ approved: true });
    expect(d.stopDate).toBeInstanceOf(Date);
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toMatchObject({ name: 'TaskTimedOut' });
    await expect(sfn.send(new SendTaskFailureCommand({ taskToken: 'garbage!!', error: 'X' }))).rejects.toMatchObject({
      name: 'InvalidToken',
    });
    await expect(sfn.send(new DescribeExecutionCommand({ executionArn: `${executionArn}-nope` }))).rejects.toMatchObject({
      name: 'ExecutionDoesNotExist',
    });
  });

  it('GetExecutionHistory: service event types, pagination, reverseOrder', async () => {
    const executionArn = 'arn:aws:states:eu-central-1:000000000000:execution:Waiting:order-1';
    const all = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(all.events!.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    expect(all.events![0]!.executionStartedEventDetails!.input).toBe('{"n":1}');
    expect(all.events![0]!.timestamp).toBeInstanceOf(Date);
    const page1 = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 3 }));
    expect(page1.events!.map((e) => e.id)).toEqual([1, 2, 3]);
    const page2 = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 3, nextToken: page1.nextToken }));
    expect(page2.events!.map((e) => e.id)).toEqual([4, 5, 6]);
    const reversed = await sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 2 }));
    expect(reversed.events!.map((e) => e.type)).toEqual(['ExecutionSucceeded', 'TaskStateExited']);
  });

  it('StopExecution aborts; ListExecutions filters by status and paginates, most recent first', async () => {
    const started = [];
    for (let i = 0; i < 5; i++)
      started.push(await sfn.send(new StartExecutionCommand({ stateMachineArn, name: `batch-${i}`, input: '{}' })));
    await sfn.send(new StopExecutionCommand({ executionArn: started[0]!.executionArn, error: 'Cancelled', cause: 'by test' }));
    const stopped = await sfn.send(new DescribeExecutionCommand({ executionArn: started[0]!.executionArn }));
    expect(stopped).toMatchObject({ status: 'ABORTED', error: 'Cancelled', cause: 'by test' });
    const running1 = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 3 }));
    expect(running1.executions!.map((e) => e.name)).toEqual(['batch-4', 'batch-3', 'batch-2']);
    const running2 = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 3, nextToken: running1.nextToken }),
    );
    expect(running2.executions!.map((e) => e.name)).toEqual(['batch-1']);
    expect(running2.nextToken).toBeUndefined();
    const aborted = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'ABORTED' }));
    expect(aborted.executions!.map((e) => e.name)).toEqual(['batch-0']);
    const history = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn: started[0]!.executionArn, reverseOrder: true, maxResults: 1 }),
    );
    expect(history.events![0]!.type).toBe('ExecutionAborted');
  });
});
