/** Helpers for the runtime tests: run a definition on a virtual clock and look at the result. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { VirtualClock } from '../../shared/clock.js';
import { SFNClient } from '@aws-sdk/client-sfn';
import { createRuntime, serveSfnApi, type LambdaHandler, type Runtime } from '../../infra/local/sfn/index.js';

export const T0 = '2025-01-06T08:00:00.000Z';

export interface RunResult {
  runtime: Runtime;
  clock: VirtualClock;
  executionArn: string;
  status: string;
  output: unknown;
  error: string | undefined;
  cause: string | undefined;
  events: { type: string; timestamp: Date; [k: string]: unknown }[];
}

export function newRuntime(options: { lambdas?: Record<string, LambdaHandler>; dynamodb?: DynamoDBClient; start?: string } = {}): {
  runtime: Runtime;
  clock: VirtualClock;
} {
  const clock = new VirtualClock(options.start ?? T0);
  const runtime = createRuntime({
    clock,
    ...(options.lambdas ? { lambdas: options.lambdas } : {}),
    ...(options.dynamodb ? { dynamodb: options.dynamodb } : {}),
  });
  return { runtime, clock };
}

let counter = 0;

export function describe(runtime: Runtime, executionArn: string, clock: VirtualClock): RunResult {
  const d = runtime.describeExecution({ executionArn });
  const events = runtime.getExecutionHistory({ executionArn, maxResults: 1000 }).events as RunResult['events'];
  return {
    runtime,
    clock,
    executionArn,
    status: d.status,
    output: d.output === undefined ? undefined : JSON.parse(d.output),
    error: d.error,
    cause: d.cause,
    events,
  };
}

/** Creates the state machine, starts one execution, runs it through every timer. */
export async function runDefinition(
  definition: object,
  input: unknown = {},
  options: {
    lambdas?: Record<string, LambdaHandler>;
    dynamodb?: DynamoDBClient;
    start?: string;
    runtime?: { runtime: Runtime; clock: VirtualClock };
  } = {},
): Promise<RunResult> {
  const { runtime, clock } = options.runtime ?? newRuntime(options);
  const { stateMachineArn } = runtime.createStateMachine({ name: `sm-${++counter}`, definition: JSON.stringify(definition) });
  const { executionArn } = runtime.startExecution({ stateMachineArn, input: JSON.stringify(input) });
  await runtime.runUntilIdle();
  return describe(runtime, executionArn, clock);
}

/** A JSONata state machine with the given states (first one is StartAt unless told). */
export function machine(states: Record<string, object>, startAt?: string): object {
  return { QueryLanguage: 'JSONata', StartAt: startAt ?? Object.keys(states)[0], States: states };
}

export function eventTypes(result: RunResult): string[] {
  return result.events.map((e) => e.type);
}

/**
 * Serves the runtime's API on a free port for the AWS SDK's SFNClient (with host prefixes off:
 * TestState goes to the service's `sync-` host, which a local endpoint does not have). `close`
 * ends the client, the server and the runtime.
 */
export async function sdkClient(runtime: Runtime): Promise<{ sfn: SFNClient; close: () => Promise<void> }> {
  const api = await serveSfnApi(runtime, { port: 0 });
  const sfn = new SFNClient({
    endpoint: api.endpoint,
    region: 'eu-central-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    disableHostPrefix: true,
  });
  return {
    sfn,
    close: async () => {
      sfn.destroy();
      await api.close();
      await runtime.close();
    },
  };
}
