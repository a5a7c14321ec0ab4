/** Checkpoints, resume after a restart, virtual time and determinism. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SystemClock, VirtualClock } from '../../shared/clock.js';
import { createRuntime, type LambdaHandler } from '../../infra/local/sfn/index.js';
import { machine, T0 } from './helpers.js';

const dirs: string[] = [];
function dataDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'sfn-durable-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const flow = machine({
  Step1: {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Arguments: { FunctionName: 'step', Payload: { name: 'step1', id: '{% $states.input.id %}' } },
    Assign: { id: '{% $states.input.id %}' },
    Next: 'Nap',
  },
  Nap: { Type: 'Wait', Seconds: 86400, Next: 'Ask' },
  Ask: {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
    Arguments: { FunctionName: 'ask', Payload: { token: '{% $states.context.Task.Token %}' } },
    Next: 'Step2',
  },
  Step2: {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Arguments: { FunctionName: 'step', Payload: { name: 'step2', id: '{% $id %}' } },
    Output: { id: '{% $id %}', answer: '{% $states.input %}' },
    End: true,
  },
});

describe('durability (SQLite checkpoints)', () => {
  it('resumes executions after a restart: timers re-armed, tokens still valid, checkpointed tasks not invoked again', async () => {
    const dir = dataDir();
    const calls: string[] = [];
    const tokens = new Map<string, string>();
    const step: LambdaHandler = async (e: { name: string; id: string }) => {
      calls.push(`${e.name}:${e.id}`);
      return { ok: true };
    };
    const ask: LambdaHandler = async (e: { token: string }, ctx) => {
      tokens.set(ctx.awsRequestId, e.token);
    };
    const clock1 = new VirtualClock(T0);
    const rt1 = createRuntime({ clock: clock1, store: { dataDir: dir }, lambdas: { step, ask } });
    const { stateMachineArn } = rt1.createStateMachine({ name: 'Flow', definition: JSON.stringify(flow) });
    const a = rt1.startExecution({ stateMachineArn, name: 'a', input: '{"id":"a"}' });
    await rt1.advanceTo('2025-01-06T12:00:00Z'); // a: Step1 done, waiting in Nap
    const b = rt1.startExecution({ stateMachineArn, name: 'b', input: '{"id":"b"}' });
    await rt1.advanceTo('2025-01-07T08:00:00Z'); // a: waiting in Ask; b: in Nap
    expect(calls).toEqual(['step1:a', 'step1:b']);
    const tokenA = rt1.waitingTaskTokens(a.executionArn)[0]!.token;
    await rt1.close(); // the process goes away

    // A new runtime on the same data: everything resumes from the checkpoints.
    const clock2 = new VirtualClock(clock1.now());
    const rt2 = createRuntime({ clock: clock2, store: { dataDir: dir }, lambdas: { step, ask } });
    expect(rt2.describeExecution({ executionArn: a.executionArn }).status).toBe('RUNNING');
    expect(rt2.waitingTaskTokens(a.executionArn)[0]!.token).toBe(tokenA);
    await rt2.sendTaskSuccess({ taskToken: tokenA, output: '"yes"' });
    await rt2.advanceTo('2025-01-07T12:00:00Z'); // b's Nap ends at 12:00
    const tokenB = rt2.waitingTaskTokens(b.executionArn)[0]!.token;
    await rt2.sendTaskSuccess({ taskToken: tokenB, output: '"no"' });
    await rt2.runUntilIdle();
    expect(JSON.parse(rt2.describeExecution({ executionArn: a.executionArn }).output!)).toEqual({ id: 'a', answer: 'yes' });
    expect(JSON.parse(rt2.describeExecution({ executionArn: b.executionArn }).output!)).toEqual({ id: 'b', answer: 'no' });
    // Each checkpointed task ran once.
    expect(calls.sort()).toEqual(['step1:a', 'step1:b', 'step2:a', 'step2:b']);
    // The history survived the restart.
    const types = rt2.getExecutionHistory({ executionArn: a.executionArn }).events.map((e) => e.type);
    expect(types[0]).toBe('ExecutionStarted');
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    expect(types.filter((t) => t === 'ExecutionStarted')).toHaveLength(1);
    await rt2.close();
  });

  it('invokes a task that was in flight at the crash again (at-least-once)', async () => {
    const dir = dataDir();
    let invocations = 0;
    const clock = new VirtualClock(T0);
    const hang: LambdaHandler = () => {
      invocations++;
      return new Promise(() => undefined);
    };
    const rt1 = createRuntime({ clock, store: { dataDir: dir }, lambdas: { step: hang }, deterministic: false });
    const { stateMachineArn } = rt1.createStateMachine({
      name: 'One',
      definition: JSON.stringify(
        machine({
          S: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Arguments: { FunctionName: 'step' },
            Output: '{% $states.result.Payload %}',
            End: true,
          },
        }),
      ),
    });
    const { executionArn } = rt1.startExecution({ stateMachineArn, input: '{}' });
    await new Promise((r) => setTimeout(r, 20));
    expect(invocations).toBe(1);
    await rt1.close();
    const rt2 = createRuntime({
      clock,
      store: { dataDir: dir },
      lambdas: {
        step: async () => {
          invocations++;
          return 'done';
        },
      },
    });
    await rt2.idle();
    expect(invocations).toBe(2);
    expect(rt2.describeExecution({ executionArn }).output).toBe('"done"');
    await rt2.close();
  });

  it('with deferResume, executions wait for resumeExecutions: a handler registered after the runtime is created gets the task in flight and the timer already due', async () => {
    const dir = dataDir();
    const clock = new VirtualClock(T0);
    const hang: LambdaHandler = () => new Promise(() => undefined);
    const flowOf = machine({
      S: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Arguments: { FunctionName: 'step', Payload: { n: '{% $states.input.n %}' } },
        Output: '{% $states.input %}',
        Next: 'Nap',
      },
      Nap: { Type: 'Wait', Seconds: 60, Next: 'T' },
      T: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Arguments: { FunctionName: 'step', Payload: { n: '{% $states.input.n %}', after: 'nap' } },
        Output: '{% $states.result.Payload %}',
        End: true,
      },
    });
    const rt1 = createRuntime({ clock, store: { dataDir: dir }, lambdas: { step: async () => 'ok' }, deterministic: false });
    const { stateMachineArn } = rt1.createStateMachine({ name: 'Two', definition: JSON.stringify(flowOf) });
    // `napping` is in its Wait (due at T0 + 60 s); `busy` has its first task in flight at the crash.
    const napping = rt1.startExecution({ stateMachineArn, name: 'napping', input: '{"n":1}' });
    await rt1.idle();
    rt1.registerLambda('step', hang);
    const busy = rt1.startExecution({ stateMachineArn, name: 'busy', input: '{"n":2}' });
    await new Promise((r) => setTimeout(r, 20));
    await rt1.close();

    // The next process: its clock is past the nap, its handler comes after the runtime.
    clock.setTo(Date.parse(T0) + 120_000);
    const rt2 = createRuntime({ clock, store: { dataDir: dir }, deferResume: true });
    await rt2.idle();
    expect(rt2.describeExecution({ executionArn: napping.executionArn }).status).toBe('RUNNING');
    expect(rt2.describeExecution({ executionArn: busy.executionArn }).status).toBe('RUNNING');
    const calls: unknown[] = [];
    rt2.registerLambda('step', async (e: unknown) => {
      calls.push(e);
      return e;
    });
    rt2.resumeExecutions();
    expect(() => rt2.resumeExecutions()).toThrow(/already/);
    await rt2.runUntilIdle();
    expect(JSON.parse(rt2.describeExecution({ executionArn: napping.executionArn }).output!)).toEqual({ n: 1, after: 'nap' });
    expect(JSON.parse(rt2.describeExecution({ executionArn: busy.executionArn }).output!)).toEqual({ n: 2, after: 'nap' });
    expect(calls).toContainEqual({ n: 2 });
    await rt2.close();

    // Without it, the same restart fails the task it re-invokes before the handler is there.
    const dir2 = dataDir();
    const rt3 = createRuntime({ clock: new VirtualClock(T0), store: { dataDir: dir2 }, lambdas: { step: hang }, deterministic: false });
    const arn3 = rt3.createStateMachine({ name: 'Two', definition: JSON.stringify(flowOf) }).stateMachineArn;
    const lost = rt3.startExecution({ stateMachineArn: arn3, name: 'lost', input: '{"n":3}' });
    await new Promise((r) => setTimeout(r, 20));
    await rt3.close();
    const rt4 = createRuntime({ clock: new VirtualClock(T0), store: { dataDir: dir2 } });
    await rt4.idle();
    rt4.registerLambda('step', async (e: unknown) => e);
    expect(rt4.describeExecution({ executionArn: lost.executionArn }).status).toBe('FAILED');
    await rt4.close();
  });
});

describe('virtual time and determinism', () => {
  const busy = machine({
    Fan: {
      Type: 'Map',
      Items: '{% $range(1, 6, 1) %}',
      MaxConcurrency: 3,
      ItemProcessor: {
        StartAt: 'Work',
        States: {
          Work: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Arguments: { FunctionName: 'jitter', Payload: '{% $states.input %}' },
            Output: '{% $states.result.Payload %}',
            Next: 'Rest',
          },
          Rest: { Type: 'Wait', Seconds: '{% 60 * ($states.input % 3) %}', Next: 'Id' },
          Id: {
            Type: 'Pass',
            Output: { n: '{% $states.input %}', id: '{% $uuid() %}', r: '{% $random() %}', at: '{% $now() %}' },
            End: true,
          },
        },
      },
      End: true,
    },
  });
  // Results arrive in an order that depends on real timing; the runtime must not.
  const jitter: LambdaHandler = (n: number) => new Promise((resolve) => setTimeout(() => resolve(n), Math.random() * 15));

  async function once(): Promise<{ output: string | undefined; history: string[] }> {
    const rt = createRuntime({ clock: new VirtualClock(T0), lambdas: { jitter } });
    const { stateMachineArn } = rt.createStateMachine({ name: 'Busy', definition: JSON.stringify(busy) });
    const { executionArn } = rt.startExecution({ stateMachineArn, name: 'same', input: '{}' });
    await rt.runUntilIdle();
    const history = rt
      .getExecutionHistory({ executionArn, maxResults: 1000 })
      .events.map((e) => `${e.id} ${e.timestamp.toISOString()} ${e.type} ${JSON.stringify(Object.values(e)[4] ?? '')}`);
    const output = rt.describeExecution({ executionArn }).output;
    await rt.close();
    return { output, history };
  }

  it('two runs with the same clock and inputs give the same history and output', async () => {
    const first = await once();
    const second = await once();
    expect(second.history).toEqual(first.history);
    expect(second.output).toEqual(first.output);
    expect(JSON.parse(first.output!).map((x: { n: number }) => x.n)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('advanceTo fires timers in time order, each at its own time', async () => {
    const clock = new VirtualClock(T0);
    const rt = createRuntime({ clock });
    const { stateMachineArn } = rt.createStateMachine({
      name: 'W',
      definition: JSON.stringify(
        machine({
          W: { Type: 'Wait', Seconds: '{% $states.input.s %}', Next: 'At' },
          At: { Type: 'Pass', Output: '{% $now() %}', End: true },
        }),
      ),
    });
    const arns = [300, 100, 200, 100].map(
      (s, i) => rt.startExecution({ stateMachineArn, name: `w${i}`, input: JSON.stringify({ s }) }).executionArn,
    );
    await rt.advanceTo('2025-01-06T08:03:00Z');
    expect(arns.map((executionArn) => rt.describeExecution({ executionArn }).status)).toEqual([
      'RUNNING',
      'SUCCEEDED',
      'RUNNING',
      'SUCCEEDED',
    ]);
    expect(JSON.parse(rt.describeExecution({ executionArn: arns[1]! }).output!)).toBe('2025-01-06T08:01:40.000Z');
    expect(clock.now().toISOString()).toBe('2025-01-06T08:03:00.000Z');
    const { pendingTimers } = await rt.runUntilIdle();
    expect(pendingTimers).toBe(false);
    expect(JSON.parse(rt.describeExecution({ executionArn: arns[0]! }).output!)).toBe('2025-01-06T08:05:00.000Z');
    await rt.close();
  });

  it('with the system clock, timers fire by real time', async () => {
    const rt = createRuntime({ clock: new SystemClock() });
    const { stateMachineArn } = rt.createStateMachine({
      name: 'Real',
      definition: JSON.stringify(machine({ W: { Type: 'Wait', Seconds: 1, End: true } })),
    });
    const started = Date.now();
    const { executionArn } = rt.startExecution({ stateMachineArn, input: '{}' });
    const done = await rt.waitForExecution(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    await rt.close();
  });
});
