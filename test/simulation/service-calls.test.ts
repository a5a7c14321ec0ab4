/**
 * The simulation's meter of calls to AWS: every SDK call, Lambda invocation and workflow-started
 * execution is counted by service and operation, and the peak is the busiest second of virtual time.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { formatCallPeaks, meterServiceCalls } from '../../infra/local/simulation/service-calls.js';
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
      const text = formatCallPeaks(meter, Date.parse(T0));
      expect(text).toMatch(/Step Functions:StartExecution\s+1\s+1\s+0\s+-\s+quota 1,300 burst/);
    } finally {
      meter.stop();
    }
    // Stopped: nothing more is counted.
    await dynamodb.send(new ListTablesCommand({ Limit: 1 }));
    expect(meter.peaks().services.DynamoDB?.calls).toBe(4);
  });
});
