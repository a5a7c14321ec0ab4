/** Helpers for the runtime tests: run a definition on a virtual clock and look at the result. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { VirtualClock } from '../../shared/clock.js';
import { createRuntime, type LambdaHandler, type Runtime } from '../../infra/local/sfn/index.js';

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

export function newRuntime(options: { lambdas?: Record<string, LambdaHandler>; dynamodb?: DynamoDBClient; start?: string } = {}): { runtime: Runtime; clock: VirtualClock } {
  const clock = new VirtualClock(options.start ?? T0);
  const runtime = createRuntime({ clock, ...(options.lambdas ? { lambdas: options.lambdas } : {}), ...(options.dynamodb ? { dynamodb: options.dynamodb } : {}) });
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
  options: { lambdas?: Record<string, LambdaHandler>; dynamodb?: DynamoDBClient; start?: string; runtime?: { runtime: Runtime; clock: VirtualClock } } = {},
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
