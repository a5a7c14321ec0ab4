/**
 * RedriveExecution inside Parallel and Map, through the AWS SDK's SFNClient. The service's API
 * reference (RedriveExecution): "For workflows that include an Inline Map or Parallel state,
 * RedriveExecution API action reschedules and redrives only the iterations and branches that failed
 * or aborted", and the developer guide (Redriving executions): the results of successful steps are
 * kept and those steps are not run again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  RedriveExecutionCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { VirtualClock } from '../../shared/clock.js';
import { createRuntime, type LambdaHandler, type Runtime } from '../../infra/local/sfn/index.js';
import { machine, sdkClient, T0 } from './helpers.js';

/** Calls per key; a payload with `failOnce` fails on the first call for its key. */
const calls = new Map<string, number>();
const lambdas: Record<string, LambdaHandler> = {
  work: async (event: unknown) => {
    const e = event as { key: string; failOnce?: boolean; value?: number };
    const n = (calls.get(e.key) ?? 0) + 1;
    calls.set(e.key, n);
    if (e.failOnce && n === 1) throw Object.assign(new Error(`${e.key} is not ready`), { name: 'NotReady' });
    return { key: e.key, value: (e.value ?? 0) * 2 };
  },
};

const clock = new VirtualClock(T0);
const runtime = createRuntime({ clock, lambdas });
let sfn: SFNClient;
let close: () => Promise<void>;
const role = 'arn:aws:iam::000000000000:role/r';

beforeAll(async () => {
  ({ sfn, close } = await sdkClient(runtime));
});

afterAll(() => close());

const invoke = (payload: string, extra: object = {}) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Arguments: { FunctionName: 'work', Payload: payload },
  Output: '{% $states.result.Payload %}',
  ...extra,
});

function mapMachine(prefix: string, maxConcurrency: number): object {
  return machine({
    Before: invoke(`{% {"key": "${prefix}-before"} %}`, { Output: '{% $states.input %}', Next: 'Each' }),
    Each: {
      Type: 'Map',
      Items: '{% $states.input.items %}',
      MaxConcurrency: maxConcurrency,
      ItemSelector: {
        key: `{% "${prefix}-" & $states.context.Map.Item.Index %}`,
        value: '{% $states.context.Map.Item.Value %}',
        failOnce: '{% $states.context.Map.Item.Index = 2 %}',
      },
      ItemProcessor: {
        StartAt: 'Mark',
        States: {
          Mark: { Type: 'Pass', Assign: { marked: '{% $states.input.key %}' }, Next: 'Route' },
          // The failing item waits a second first, so the others have finished when it fails.
          Route: { Type: 'Choice', Choices: [{ Condition: '{% $states.input.failOnce %}', Next: 'Detour' }], Default: 'Work' },
          Detour: { Type: 'Wait', Seconds: 1, Next: 'Work' },
          Work: invoke('{% $states.input %}', {
            Output: '{% $merge([$states.result.Payload, {"marked": $marked, "redrives": $states.context.Execution.RedriveCount}]) %}',
            End: true,
          }),
        },
      },
      Next: 'After',
    },
    After: { Type: 'Pass', Output: '{% {"results": $states.input} %}', End: true },
  });
}

async function runToFailure(name: string, definition: object, input: object): Promise<string> {
  const { stateMachineArn } = await sfn.send(
    new CreateStateMachineCommand({ name, definition: JSON.stringify(definition), roleArn: role }),
  );
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'first', input: JSON.stringify(input) }));
  await runtime.runUntilIdle();
  const failed = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  expect(failed).toMatchObject({ status: 'FAILED', error: 'NotReady', redriveStatus: 'REDRIVABLE' });
  return executionArn!;
}

async function redriveToSuccess(executionArn: string): Promise<{ output: unknown; types: string[]; events: Record<string, unknown>[] }> {
  await sfn.send(new RedriveExecutionCommand({ executionArn }));
  await runtime.runUntilIdle();
  const done = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  expect(done).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
  const events = (await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events! as unknown as Record<
    string,
    unknown
  >[];
  return { output: JSON.parse(done.output!), types: events.map((e) => e.type as string), events };
}

describe('RedriveExecution of a Map', () => {
  it('runs again only the failed iteration; the others keep their results and their Lambdas ran once', async () => {
    const executionArn = await runToFailure('MapRedrive', mapMachine('m', 0), { items: [1, 2, 3, 4, 5] });
    expect(calls.get('m-2')).toBe(1);

    const { output, types, events } = await redriveToSuccess(executionArn);
    const results = (output as { results: { key: string; value: number; marked: string; redrives: number }[] }).results;
    expect(results.map((r) => r.value)).toEqual([2, 4, 6, 8, 10]);
    expect(results.map((r) => r.marked)).toEqual(['m-0', 'm-1', 'm-2', 'm-3', 'm-4']);
    // Only item 2 ran after the redrive (its Work state saw RedriveCount 1).
    expect(results.map((r) => r.redrives)).toEqual([0, 0, 1, 0, 0]);
    for (const key of ['m-before', 'm-0', 'm-1', 'm-3', 'm-4']) expect(calls.get(key), key).toBe(1);
    expect(calls.get('m-2')).toBe(2);

    // After the redrive: the failed iteration starts again in the state that failed (its Pass is not run again).
    const after = types.slice(types.indexOf('ExecutionRedriven'));
    expect(after).toEqual([
      'ExecutionRedriven',
      'MapIterationStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'MapIterationSucceeded',
      'MapStateSucceeded',
      'MapStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    const restarted = events[types.indexOf('ExecutionRedriven') + 1]!;
    expect(restarted.mapIterationStartedEventDetails).toEqual({ name: 'Each', index: 2 });
    expect(types.filter((t) => t === 'MapStateEntered')).toHaveLength(1);
  });

  it('with MaxConcurrency, iterations never started run after the redrive; finished ones do not', async () => {
    const executionArn = await runToFailure('MapRedriveLimited', mapMachine('c', 1), { items: [1, 2, 3, 4, 5] });
    // One at a time: item 2 failed, so items 3 and 4 never started.
    expect(calls.has('c-3')).toBe(false);
    expect(calls.has('c-4')).toBe(false);

    const { output, types, events } = await redriveToSuccess(executionArn);
    expect((output as { results: { value: number }[] }).results.map((r) => r.value)).toEqual([2, 4, 6, 8, 10]);
    for (const key of ['c-before', 'c-0', 'c-1', 'c-3', 'c-4']) expect(calls.get(key), key).toBe(1);
    expect(calls.get('c-2')).toBe(2);
    const started = events
      .slice(types.indexOf('ExecutionRedriven'))
      .filter((e) => e.type === 'MapIterationStarted')
      .map((e) => (e.mapIterationStartedEventDetails as { index: number }).index);
    expect(started).toEqual([2, 3, 4]);
  });
});

describe('RedriveExecution of a Parallel', () => {
  it('runs again only the failed branch, from its failed state with its variables', async () => {
    const def = machine({
      Both: {
        Type: 'Parallel',
        Arguments: '{% $states.input %}',
        Branches: [
          { StartAt: 'A', States: { A: invoke('{% {"key": "p-a", "value": $states.input.v} %}', { End: true }) } },
          {
            StartAt: 'B1',
            States: {
              B1: invoke('{% {"key": "p-b1", "value": $states.input.v} %}', {
                Assign: { first: '{% $states.result.Payload.value %}' },
                Next: 'B2',
              }),
              B2: invoke('{% {"key": "p-b2", "value": $first, "failOnce": true} %}', { End: true }),
            },
          },
          { StartAt: 'C', States: { C: invoke('{% {"key": "p-c", "value": 5} %}', { End: true }) } },
        ],
        End: true,
      },
    });
    const executionArn = await runToFailure('ParallelRedrive', def, { v: 3 });
    const { output, types } = await redriveToSuccess(executionArn);
    expect(output).toEqual([
      { key: 'p-a', value: 6 },
      { key: 'p-b2', value: 12 },
      { key: 'p-c', value: 10 },
    ]);
    expect(['p-a', 'p-b1', 'p-c'].map((k) => calls.get(k))).toEqual([1, 1, 1]);
    expect(calls.get('p-b2')).toBe(2);
    expect(types.slice(types.indexOf('ExecutionRedriven'))).toEqual([
      'ExecutionRedriven',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'ParallelStateSucceeded',
      'ParallelStateExited',
      'ExecutionSucceeded',
    ]);
  });

  it('a failure in a nested Parallel runs again only the nested failed branch', async () => {
    const def = machine({
      Outer: {
        Type: 'Parallel',
        Branches: [
          { StartAt: 'A', States: { A: invoke('{% {"key": "n-a", "value": 1} %}', { End: true }) } },
          {
            StartAt: 'Inner',
            States: {
              Inner: {
                Type: 'Parallel',
                Branches: [
                  { StartAt: 'C', States: { C: invoke('{% {"key": "n-c", "value": 5} %}', { End: true }) } },
                  { StartAt: 'D', States: { D: invoke('{% {"key": "n-d", "value": 7, "failOnce": true} %}', { End: true }) } },
                ],
                Next: 'Tail',
              },
              Tail: { Type: 'Pass', Output: '{% $states.input[1] %}', End: true },
            },
          },
        ],
        End: true,
      },
    });
    const executionArn = await runToFailure('NestedRedrive', def, {});
    const { output, types } = await redriveToSuccess(executionArn);
    expect(output).toEqual([
      { key: 'n-a', value: 2 },
      { key: 'n-d', value: 14 },
    ]);
    expect(['n-a', 'n-c', 'n-d'].map((k) => calls.get(k))).toEqual([1, 1, 2]);
    expect(types.slice(types.indexOf('ExecutionRedriven'))).toEqual([
      'ExecutionRedriven',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'ParallelStateSucceeded',
      'ParallelStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ParallelStateSucceeded',
      'ParallelStateExited',
      'ExecutionSucceeded',
    ]);
  });
});

describe('RedriveExecution across a restart', () => {
  it('a Map failed before the runtime stopped is redriven by the next runtime on the same data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sfn-redrive-'));
    try {
      const make = (): Runtime => createRuntime({ clock: new VirtualClock(T0), store: { dataDir: dir }, lambdas });
      const first = make();
      const { stateMachineArn } = first.createStateMachine({ name: 'Durable', definition: JSON.stringify(mapMachine('d', 0)) });
      const { executionArn } = first.startExecution({ stateMachineArn, input: '{"items": [1, 2, 3]}' });
      await first.runUntilIdle();
      expect(first.describeExecution({ executionArn }).status).toBe('FAILED');
      await first.close();

      const second = make();
      second.redriveExecution({ executionArn });
      await second.runUntilIdle();
      const d = second.describeExecution({ executionArn });
      expect(d.status).toBe('SUCCEEDED');
      expect((JSON.parse(d.output!) as { results: { value: number }[] }).results.map((r) => r.value)).toEqual([2, 4, 6]);
      expect(['d-before', 'd-0', 'd-1'].map((k) => calls.get(k))).toEqual([1, 1, 1]);
      expect(calls.get('d-2')).toBe(2);
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
