/**
 * The simulation's meter of calls to AWS: every SDK call, Lambda invocation and workflow-started
 * execution is counted by service and operation, and the peak is the busiest second of virtual time.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import {
  formatCallPeaks,
  meterServiceCalls,
  mergedCallMeter,
  quotaUse,
  type CallCounts,
} from '../../infra/local/simulation/service-calls.js';
import { localDynamoClient } from '../support/dynamodb.js';
import { machine, newRuntime, runDefinition, T0 } from '../sfn/helpers.js';

const dynamodb = localDynamoClient();
afterAll(() => dynamodb.destroy());

describe('meterServiceCalls', () => {
  it('counts calls per service and operation by virtual second, and restores the clients when stopped', async () => {
    const { runtime, clock } = newRuntime({ lambdas: { work: () => ({ ok: true }) } });
    const meter = meterServiceCalls(clock);
    try {
      // Three DynamoDB calls in the first virtual second, one a minute later.
      await Promise.all([1, 2, 3].map(() => dynamodb.send(new ListTablesCommand({ Limit: 1 }))));
      // A workflow that invokes a function twice and starts a child execution (a StartExecution in AWS).
      const child = runtime.createStateMachine({ name: 'child', definition: JSON.stringify(machine({ Done: { Type: 'Succeed' } })) });
      const result = await runDefinition(
        machine({
          One: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Arguments: { FunctionName: 'work', Payload: {} }, Next: 'Two' },
          Two: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Arguments: { FunctionName: 'work', Payload: {} },
            Next: 'Child',
          },
          Child: {
            Type: 'Task',
            Resource: 'arn:aws:states:::states:startExecution',
            Arguments: { StateMachineArn: child.stateMachineArn, Input: {} },
            End: true,
          },
        }),
        {},
        { runtime: { runtime, clock } },
      );
      expect(result.status).toBe('SUCCEEDED');
      clock.setTo(Date.parse(T0) + 60_000);
      await dynamodb.send(new ListTablesCommand({ Limit: 1 }));

      const all = meter.peaks();
      expect(all.services.DynamoDB).toEqual({ calls: 4, peakPerSecond: 3, peakAt: T0 });
      expect(all.operations['DynamoDB:ListTables']?.calls).toBe(4);
      expect(all.services.Lambda).toEqual({ calls: 2, peakPerSecond: 2, peakAt: T0 });
      expect(all.operations['Step Functions:StartExecution']).toEqual({ calls: 1, peakPerSecond: 1, peakAt: T0 });
      // From the next second on, the busiest second is the later call's.
      const later = meter.peaks(Date.parse(T0) + 1000);
      expect(later.services.DynamoDB).toEqual({ calls: 4, peakPerSecond: 1, peakAt: new Date(Date.parse(T0) + 60_000).toISOString() });
      expect(later.services.Lambda?.peakPerSecond).toBe(0);
      // What a shard's thread sends for merging gives the same figures.
      expect(mergedCallMeter([meter.snapshot()]).peaks(Date.parse(T0) + 1000)).toEqual(later);
      const text = formatCallPeaks(meter, Date.parse(T0));
      expect(text).toMatch(/Step Functions:StartExecution\s+1\s+1\s+0\s+-\s+quota 1,300 burst/);
      expect(text).toMatch(/StartExecution\s+1,300 burst, then 300\/s\s+1\s+1\s+0 {2}within: peak 0\.1 % of the burst/);
    } finally {
      meter.stop();
    }
    // Stopped: nothing more is counted.
    await dynamodb.send(new ListTablesCommand({ Limit: 1 }));
    expect(meter.peaks().services.DynamoDB?.calls).toBe(4);
  });
});

describe('mergedCallMeter', () => {
  it('sums the shards second by second, so the peaks are those of the whole run', () => {
    const t = Date.parse(T0) / 1000;
    const a: CallCounts = {
      services: {
        DynamoDB: [
          [t, 3],
          [t + 60, 1],
        ],
      },
      operations: {
        'DynamoDB:Query': [
          [t, 3],
          [t + 60, 1],
        ],
      },
    };
    const b: CallCounts = {
      services: { DynamoDB: [[t + 60, 4]], Lambda: [[t + 1, 2]] },
      operations: { 'DynamoDB:Query': [[t + 60, 4]], 'Lambda:Invoke': [[t + 1, 2]] },
    };
    const meter = mergedCallMeter([a, b]);
    const later = new Date((t + 60) * 1000).toISOString();
    expect(meter.peaks().services).toEqual({
      DynamoDB: { calls: 8, peakPerSecond: 5, peakAt: later },
      Lambda: { calls: 2, peakPerSecond: 2, peakAt: new Date((t + 1) * 1000).toISOString() },
    });
    expect(meter.peaks().operations['DynamoDB:Query']).toEqual({ calls: 8, peakPerSecond: 5, peakAt: later });
    expect([...meter.perSecond(['DynamoDB', 'Lambda'])].sort()).toEqual([
      [t, 3],
      [t + 1, 2],
      [t + 60, 5],
    ]);
    // Of equally busy seconds the earliest, whichever shard counted it.
    const tie = mergedCallMeter([
      { services: { S3: [[t + 5, 2]] }, operations: {} },
      { services: { S3: [[t + 2, 2]] }, operations: {} },
    ]);
    expect(tie.peaks().services.S3).toEqual({ calls: 4, peakPerSecond: 2, peakAt: new Date((t + 2) * 1000).toISOString() });
    // A merged meter's snapshot merges again to the same.
    expect(mergedCallMeter([meter.snapshot()]).peaks()).toEqual(meter.peaks());
  });
});

describe('quotaUse', () => {
  const quota = { burst: 1300, rate: 300 };
  it('lets a burst up to the bucket through, then the refill rate', () => {
    expect(quotaUse(new Map([[0, 1300]]), quota)).toEqual({ peak: 1300, busiestMinute: 22, throttled: 0 });
    expect(quotaUse(new Map([[0, 1301]]), quota)).toMatchObject({ throttled: 1 });
    // An emptied bucket refills 300 a second: 300 more a second later pass, 301 do not.
    expect(
      quotaUse(
        new Map([
          [0, 1300],
          [1, 300],
        ]),
        quota,
      ).throttled,
    ).toBe(0);
    expect(
      quotaUse(
        new Map([
          [0, 1300],
          [1, 301],
        ]),
        quota,
      ).throttled,
    ).toBe(1);
    // Refilled after a quiet spell, never above the burst.
    expect(
      quotaUse(
        new Map([
          [0, 1300],
          [10, 1300],
          [1000, 1301],
        ]),
        quota,
      ).throttled,
    ).toBe(1);
  });

  it('takes the busiest 60 consecutive seconds for the sustained rate', () => {
    const calls = new Map<number, number>();
    for (let s = 0; s < 120; s++) calls.set(s * 2, 300);
    // 30 busy seconds in any minute: 9,000 calls, 150 a second.
    expect(quotaUse(calls, quota)).toEqual({ peak: 300, busiestMinute: 150, throttled: 0 });
  });
});
