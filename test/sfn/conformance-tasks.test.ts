/**
 * Conformance with the AWS Step Functions Developer Guide: error handling, Task states, service
 * integrations and callbacks. Each describe block names the guide page it follows.
 */
import { describe, expect, it } from 'vitest';
import { LOCAL_LAMBDA_CONCURRENCY } from '../../infra/local/sfn/integrations.js';
import { describe as describeRun, eventTypes, machine, newRuntime, runDefinition } from './helpers.js';

function failing(name: string, message = 'failed') {
  const E = class extends Error {};
  Object.defineProperty(E.prototype, 'name', { value: name });
  return new E(message);
}

describe('concepts-error-handling (Handling errors in Step Functions workflows)', () => {
  it('retries after IntervalSeconds × BackoffRate^(n-1), then succeeds; RetryCount counts the retries', async () => {
    let calls = 0;
    const r = await runDefinition(
      machine({
        T: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Arguments: { FunctionName: 'flaky', Payload: { retry: '{% $states.context.State.RetryCount %}' } },
          Retry: [
            { ErrorEquals: ['States.Timeout'], IntervalSeconds: 3, MaxAttempts: 2, BackoffRate: 1.5 },
            { ErrorEquals: ['Flaky'], IntervalSeconds: 3, MaxAttempts: 3, BackoffRate: 1.5 },
          ],
          Output: '{% $states.result.Payload %}',
          End: true,
        },
      }),
      {},
      {
        lambdas: {
          flaky: async (e: { retry: number }) => {
            calls++;
            if (calls < 3) throw failing('Flaky');
            return e;
          },
        },
      },
    );
    expect(r.status).toBe('SUCCEEDED');
    expect(r.output).toEqual({ retry: 2 });
    const scheduled = r.events.filter((e) => e.type === 'TaskScheduled').map((e) => e.timestamp.toISOString());
    // 3 s, then 4.5 s.
    expect(scheduled).toEqual(['2025-01-06T08:00:00.000Z', '2025-01-06T08:00:03.000Z', '2025-01-06T08:00:07.500Z']);
  });

  it('stops retrying after MaxAttempts and caps delays at MaxDelaySeconds; then Catch applies', async () => {
    let calls = 0;
    const r = await runDefinition(
      machine({
        T: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Arguments: { FunctionName: 'bad' },
          Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 10, MaxAttempts: 3, BackoffRate: 10, MaxDelaySeconds: 60 }],
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Pass', Output: { error: '{% $states.input.Error %}' }, End: true },
      }),
      {},
      {
        lambdas: {
          bad: async () => {
            calls++;
            throw failing('Boom');
          },
        },
      },
    );
    expect(calls).toBe(4);
    expect(r.output).toEqual({ error: 'Boom' });
    const scheduled = r.events.filter((e) => e.type === 'TaskScheduled').map((e) => e.timestamp.toISOString());
    expect(scheduled).toEqual([
      '2025-01-06T08:00:00.000Z',
      '2025-01-06T08:00:10.000Z',
      '2025-01-06T08:01:10.000Z',
      '2025-01-06T08:02:10.000Z',
    ]);
  });

  it('MaxAttempts 0 never retries; JitterStrategy FULL waits at most the computed delay', async () => {
    let calls = 0;
    const r = await runDefinition(
      machine({
        T: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Arguments: { FunctionName: 'bad' },
          Retry: [
            { ErrorEquals: ['Never'], MaxAttempts: 0 },
            { ErrorEquals: ['States.ALL'], IntervalSeconds: 100, MaxAttempts: 1, JitterStrategy: 'FULL' },
          ],
          End: true,
        },
      }),
      {},
      {
        lambdas: {
          bad: async () => {
            calls++;
            throw failing(calls === 1 ? 'Other' : 'Never');
          },
        },
      },
    );
    expect(calls).toBe(2);
    expect(r.error).toBe('Never');
    const [first, second] = r.events.filter((e) => e.type === 'TaskScheduled').map((e) => e.timestamp.getTime());
    expect(second! - first!).toBeGreaterThanOrEqual(0);
    expect(second! - first!).toBeLessThanOrEqual(100_000);
  });

  it('States.TaskFailed matches any error except States.Timeout; States.ALL matches States.Timeout', async () => {
    const def = (errorEquals: string[]) =>
      machine({
        T: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Arguments: { FunctionName: 'park', Payload: { token: '{% $states.context.Task.Token %}' } },
          TimeoutSeconds: 5,
          Catch: [{ ErrorEquals: errorEquals, Output: '{% $states.errorOutput.Error %}', Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Succeed' },
      });
    const lambdas = { park: async () => ({}) };
    const notCaught = await runDefinition(def(['States.TaskFailed']), {}, { lambdas });
    expect(notCaught.status).toBe('FAILED');
    expect(notCaught.error).toBe('States.Timeout');
    const caught = await runDefinition(def(['States.ALL']), {}, { lambdas });
    expect(caught.output).toBe('States.Timeout');
  });

  it('a Fail state ends the execution with its Error and Cause (which may be expressions)', async () => {
    const r = await runDefinition(
      machine({ F: { Type: 'Fail', Error: "{% 'Custom.' & $states.input.kind %}", Cause: 'Something went wrong' } }),
      { kind: 'Rejected' },
    );
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('Custom.Rejected');
    expect(r.cause).toBe('Something went wrong');
    expect(eventTypes(r)).toEqual(['ExecutionStarted', 'FailStateEntered', 'ExecutionFailed']);
  });

  it('States.Runtime is neither retried nor caught, even by States.ALL', async () => {
    const r = await runDefinition(
      machine({
        T: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Arguments: 'not an object',
          Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 5 }],
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'C' }],
          End: true,
        },
        C: { Type: 'Succeed' },
      }),
    );
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('States.Runtime');
    expect(r.events.filter((e) => e.type === 'TaskScheduled')).toHaveLength(1);
  });
});

describe('state-task (Task workflow state)', () => {
  it('the optimized lambda:invoke result has Payload and StatusCode; a function ARN returns the payload itself', async () => {
    const lambdas = {
      'arn:aws:lambda:eu-central-1:000000000000:function:add': async (e: { a: number; b: number }) => ({ sum: e.a + e.b }),
    };
    const r = await runDefinition(
      machine({
        Invoke: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Arguments: { FunctionName: 'arn:aws:lambda:eu-central-1:000000000000:function:add:$LATEST', Payload: '{% $states.input %}' },
          Next: 'Plain',
        },
        Plain: {
          Type: 'Task',
          Resource: 'arn:aws:lambda:eu-central-1:000000000000:function:add',
          Arguments: { a: '{% $states.input.Payload.sum %}', b: 1 },
          End: true,
        },
      }),
      { a: 1, b: 2 },
      { lambdas },
    );
    expect(r.output).toEqual({ sum: 4 });
    const first = r.events.find((e) => e.type === 'TaskSucceeded') as unknown as {
      taskSucceededEventDetails: { output: string; resourceType: string; resource: string };
    };
    const result = JSON.parse(first.taskSucceededEventDetails.output) as Record<string, unknown>;
    expect(result).toMatchObject({ ExecutedVersion: '$LATEST', Payload: { sum: 3 }, StatusCode: 200 });
    expect(first.taskSucceededEventDetails).toMatchObject({ resourceType: 'lambda', resource: 'invoke' });
    expect(eventTypes(r)).toContain('LambdaFunctionSucceeded');
  });

  it('a thrown error becomes error = its name, cause = {errorMessage, errorType, stackTrace}', async () => {
    const r = await runDefinition(
      machine({ T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Arguments: { FunctionName: 'f' }, End: true } }),
      {},
      {
        lambdas: {
          f: async () => {
            throw new Error('plain failure');
          },
        },
      },
    );
    expect(r.error).toBe('Error');
    const cause = JSON.parse(r.cause!) as { errorMessage: string; errorType: string; stackTrace: string[] };
    expect(cause.errorMessage).toBe('plain failure');
    expect(cause.errorType).toBe('Error');
    expect(Array.isArray(cause.stackTrace)).toBe(true);
  });

  it('TimeoutSeconds and HeartbeatSeconds may be JSONata; a silent task times out with States.Timeout / States.HeartbeatTimeout', async () => {
    const def = (heartbeat: boolean) =>
      machine({
        T: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Arguments: { FunctionName: 'park', Payload: { token: '{% $states.context.Task.Token %}' } },
          TimeoutSeconds: '{% $states.input.timeout %}',
          ...(heartbeat ? { HeartbeatSeconds: '{% $states.input.heartbeat %}' } : {}),
          End: true,
        },
      });
    const lambdas = { park: async () => null };
    const timeout = await runDefinition(def(false), { timeout: 600 }, { lambdas });
    expect(timeout.error).toBe('States.Timeout');
    expect(timeout.events.at(-1)!.timestamp.toISOString()).toBe('2025-01-06T08:10:00.000Z');
    expect(eventTypes(timeout)).toContain('TaskTimedOut');
    const heartbeat = await runDefinition(def(true), { timeout: 600, heartbeat: 60 }, { lambdas });
    expect(heartbeat.error).toBe('States.HeartbeatTimeout');
    expect(heartbeat.events.at(-1)!.timestamp.toISOString()).toBe('2025-01-06T08:01:00.000Z');
  });

  it('a TimeoutSeconds expression out of range is a States.QueryEvaluationError', async () => {
    const r = await runDefinition(
      machine({
        T: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Arguments: { FunctionName: 'f' },
          TimeoutSeconds: '{% -1 %}',
          End: true,
        },
      }),
      {},
      { lambdas: { f: async () => 1 } },
    );
    expect(r.error).toBe('States.QueryEvaluationError');
  });
});

describe('connect-to-resource (Discover service integration patterns: request response, .sync, callback)', () => {
  const callbackDef = machine({
    Ask: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Arguments: { FunctionName: 'notify', Payload: { token: '{% $states.context.Task.Token %}', who: '{% $states.input.who %}' } },
      TimeoutSeconds: 3600,
      HeartbeatSeconds: 600,
      Retry: [{ ErrorEquals: ['Again'], IntervalSeconds: 1, MaxAttempts: 1 }],
      Next: 'Done',
    },
    Done: { Type: 'Pass', Output: { answer: '{% $states.input %}' }, End: true },
  });

  it('waits for SendTaskSuccess with the token; the output becomes the task result', async () => {
    const tokens: string[] = [];
    const { runtime, clock } = newRuntime({
      lambdas: {
        notify: async (e: { token: string }) => {
          tokens.push(e.token);
        },
      },
    });
    const { stateMachineArn } = runtime.createStateMachine({ name: 'cb', definition: JSON.stringify(callbackDef) });
    const { executionArn } = runtime.startExecution({ stateMachineArn, input: '{"who":"ann"}' });
    await runtime.advanceTo('2025-01-06T08:05:00Z');
    expect(tokens).toHaveLength(1);
    expect(runtime.waitingTaskTokens(executionArn)).toEqual([{ state: 'Ask', token: tokens[0] }]);
    await runtime.sendTaskHeartbeat({ taskToken: tokens[0]! });
    await runtime.advanceTo('2025-01-06T08:14:00Z'); // past the first heartbeat deadline, not the renewed one
    await runtime.sendTaskSuccess({ taskToken: tokens[0]!, output: '{"ok":true}' });
    await runtime.runUntilIdle();
    const r = describeRun(runtime, executionArn, clock);
    expect(r.output).toEqual({ answer: { ok: true } });
    // The token is spent: a second answer is refused.
    await expect(runtime.sendTaskSuccess({ taskToken: tokens[0]!, output: '{}' })).rejects.toMatchObject({ code: 'TaskTimedOut' });
  });

  it('SendTaskFailure fails the task with the given error; a retry issues a new token', async () => {
    const tokens: string[] = [];
    const { runtime, clock } = newRuntime({
      lambdas: {
        notify: async (e: { token: string }) => {
          tokens.push(e.token);
        },
      },
    });
    const { stateMachineArn } = runtime.createStateMachine({ name: 'cb', definition: JSON.stringify(callbackDef) });
    const { executionArn } = runtime.startExecution({ stateMachineArn, input: '{"who":"bob"}' });
    await runtime.idle();
    await runtime.sendTaskFailure({ taskToken: tokens[0]!, error: 'Again', cause: 'please retry' });
    await runtime.advanceTo('2025-01-06T08:00:01Z');
    expect(tokens).toHaveLength(2);
    expect(tokens[1]).not.toBe(tokens[0]);
    await expect(runtime.sendTaskSuccess({ taskToken: tokens[0]!, output: '{}' })).rejects.toMatchObject({ code: 'TaskTimedOut' });
    await runtime.sendTaskFailure({ taskToken: tokens[1]!, error: 'Rejected', cause: 'no' });
    await runtime.runUntilIdle();
    const r = describeRun(runtime, executionArn, clock);
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('Rejected');
    expect(r.cause).toBe('no');
  });

  it('refuses malformed and unknown tokens and invalid output', async () => {
    const { runtime } = newRuntime({ lambdas: { notify: async () => undefined } });
    await expect(runtime.sendTaskSuccess({ taskToken: 'not a token!', output: '{}' })).rejects.toMatchObject({ code: 'InvalidToken' });
    const foreign = Buffer.from(JSON.stringify({ e: 'arn:aws:states:eu-central-1:000000000000:execution:x:y', f: 0, s: 1 })).toString(
      'base64url',
    );
    await expect(runtime.sendTaskSuccess({ taskToken: foreign, output: '{}' })).rejects.toMatchObject({ code: 'TaskDoesNotExist' });
    const { stateMachineArn } = runtime.createStateMachine({ name: 'cb', definition: JSON.stringify(callbackDef) });
    const { executionArn } = runtime.startExecution({ stateMachineArn, input: '{"who":"carl"}' });
    await runtime.idle();
    const [{ token }] = runtime.waitingTaskTokens(executionArn) as unknown as [{ token: string }];
    await expect(runtime.sendTaskSuccess({ taskToken: token, output: '{not json' })).rejects.toMatchObject({ code: 'InvalidOutput' });
  });

  it('states:startExecution starts a child (fire and forget); .sync:2 waits and returns its description with Output parsed', async () => {
    const { runtime, clock } = newRuntime();
    const child = runtime.createStateMachine({
      name: 'Child',
      definition: JSON.stringify(
        machine({
          W: { Type: 'Wait', Seconds: 60, Next: 'R' },
          R: { Type: 'Pass', Output: { doubled: '{% $states.input.n * 2 %}' }, End: true },
        }),
      ),
    });
    const parent = runtime.createStateMachine({
      name: 'Parent',
      definition: JSON.stringify(
        machine({
          Fire: {
            Type: 'Task',
            Resource: 'arn:aws:states:::states:startExecution',
            Arguments: { StateMachineArn: child.stateMachineArn, Input: { n: 1 }, Name: 'fired' },
            Assign: { n: '{% $states.input.n %}' },
            Next: 'Sync',
          },
          Sync: {
            Type: 'Task',
            Resource: 'arn:aws:states:::states:startExecution.sync:2',
            Arguments: { StateMachineArn: child.stateMachineArn, Input: { n: '{% $n %}' } },
            Output: { fired: '{% $states.input %}', result: '{% $states.result.Output %}', status: '{% $states.result.Status %}' },
            End: true,
          },
        }),
      ),
    });
    const { executionArn } = runtime.startExecution({ stateMachineArn: parent.stateMachineArn, input: '{"n":21}' });
    await runtime.runUntilIdle();
    const r = describeRun(runtime, executionArn, clock);
    const o = r.output as { fired: { ExecutionArn: string; StartDate: string }; result: unknown; status: string };
    expect(o.fired.ExecutionArn).toBe('arn:aws:states:eu-central-1:000000000000:execution:Child:fired');
    expect(o.result).toEqual({ doubled: 42 });
    expect(o.status).toBe('SUCCEEDED');
    expect(r.events.at(-1)!.timestamp.toISOString()).toBe('2025-01-06T08:01:00.000Z');
    expect(runtime.describeExecution({ executionArn: o.fired.ExecutionArn }).status).toBe('SUCCEEDED');
  });

  it('a failed .sync child fails the task with States.TaskFailed', async () => {
    const { runtime, clock } = newRuntime();
    const child = runtime.createStateMachine({
      name: 'Bad',
      definition: JSON.stringify(machine({ F: { Type: 'Fail', Error: 'ChildError' } })),
    });
    const parent = runtime.createStateMachine({
      name: 'P',
      definition: JSON.stringify(
        machine({
          S: {
            Type: 'Task',
            Resource: 'arn:aws:states:::states:startExecution.sync:2',
            Arguments: { StateMachineArn: child.stateMachineArn },
            End: true,
          },
        }),
      ),
    });
    const { executionArn } = runtime.startExecution({ stateMachineArn: parent.stateMachineArn });
    await runtime.runUntilIdle();
    const r = describeRun(runtime, executionArn, clock);
    expect(r.error).toBe('States.TaskFailed');
    expect(JSON.parse(r.cause!)).toMatchObject({ Status: 'FAILED', Error: 'ChildError' });
  });

  it('a Lambda function without a local handler fails the task with Lambda.ResourceNotFoundException', async () => {
    const r = await runDefinition(
      machine({ T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Arguments: { FunctionName: 'missing' }, End: true } }),
    );
    expect(r.error).toBe('Lambda.ResourceNotFoundException');
    expect(r.cause).toContain('missing');
  });
});

describe('execution limits (service-quotas)', () => {
  it('an execution fails after 25,000 history events', async () => {
    const r = await runDefinition(machine({ Loop: { Type: 'Pass', Next: 'Loop2' }, Loop2: { Type: 'Pass', Next: 'Loop' } }));
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('States.Runtime');
    expect(r.cause).toContain('25000');
  });

  it('an execution times out after its TimeoutSeconds (and after one year at most)', async () => {
    const timed = await runDefinition({ ...machine({ W: { Type: 'Wait', Seconds: 7200, End: true } }), TimeoutSeconds: 3600 });
    expect(timed.status).toBe('TIMED_OUT');
    expect(timed.events.at(-1)!.type).toBe('ExecutionTimedOut');
    const year = await runDefinition(machine({ W: { Type: 'Wait', Timestamp: '2027-01-01T00:00:00Z', End: true } }));
    expect(year.status).toBe('TIMED_OUT');
    expect(year.events.at(-1)!.timestamp.toISOString()).toBe('2026-01-06T08:00:00.000Z');
  });
});

describe('local Lambda concurrency (a limit of the local runtime, not of the service)', () => {
  it('runs at most LOCAL_LAMBDA_CONCURRENCY handlers at once; the others wait their turn and all complete', async () => {
    let running = 0;
    let most = 0;
    const items = Array.from({ length: LOCAL_LAMBDA_CONCURRENCY * 2 + 5 }, (_, i) => i);
    const r = await runDefinition(
      machine({
        M: {
          Type: 'Map',
          Items: items,
          ItemProcessor: {
            StartAt: 'T',
            States: {
              T: {
                Type: 'Task',
                Resource: 'arn:aws:states:::lambda:invoke',
                Arguments: { FunctionName: 'slow', Payload: '{% $states.input %}' },
                Output: '{% $states.result.Payload %}',
                End: true,
              },
            },
          },
          End: true,
        },
      }),
      {},
      {
        lambdas: {
          slow: async (n: number) => {
            most = Math.max(most, ++running);
            await new Promise((resolve) => setTimeout(resolve, 5));
            running--;
            return n * 2;
          },
        },
      },
    );
    expect(r.status).toBe('SUCCEEDED');
    expect(r.output).toEqual(items.map((n) => n * 2));
    expect(most).toBe(LOCAL_LAMBDA_CONCURRENCY);
  });
});
