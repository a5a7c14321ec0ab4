/**
 * Whole numbers up to the long boundary through a state machine, as the service passes and prints
 * them, driven through the API with @aws-sdk/client-sfn.
 *
 * Each case names its source beside it:
 * - [FL] the floci emulator's Step Functions notes, measured against the service: "an integer stays
 *   exact while it fits in a long and switches to a double past that boundary"; `$parse` of
 *   9223372036854775808 is 9.223372036854776E18 (github.com/floci-io/floci pull requests 2676, 2683);
 * - [FL-2683] the same pull request: inside an expression the service computes with doubles
 *   (`$string` of 2^63 is "9223372036854776000", the shortest digits of the double, not 9223372036854775808);
 * - [JN] the JSONata language (docs.jsonata.org, "Numeric operators"): numbers are IEEE 754 doubles and
 *   arithmetic is done on them;
 * - [DG:<page>] the Step Functions developer guide page.
 * No public recording of `$x + 1` on 2^53 + 1 itself was found; its expectation follows [FL-2683] and [JN].
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../shared/clock.js';
import { createRuntime, parseJsonText, stringifyJson, type Runtime } from '../../infra/local/sfn/index.js';
import { machine, newRuntime, sdkClient, T0 } from './helpers.js';

let runtime: Runtime;
let sfn: SFNClient;
let close: () => Promise<void>;
let n = 0;

beforeAll(async () => {
  ({ runtime } = newRuntime({
    lambdas: { seen: (event: unknown) => ({ seen: event, isNumber: typeof (event as { n: unknown }).n === 'number' }) },
  }));
  ({ sfn, close } = await sdkClient(runtime));
});
afterAll(async () => close());

/** Runs one execution with the input text as given; returns DescribeExecution and the history. */
async function run(states: Record<string, object>, input: string) {
  const { stateMachineArn } = await sfn.send(
    new CreateStateMachineCommand({
      name: `numbers-${++n}`,
      definition: JSON.stringify(machine(states)),
      roleArn: 'arn:aws:iam::123456789012:role/r',
    }),
  );
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input }));
  await runtime.runUntilIdle();
  const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
  return { described, history: history.events ?? [], executionArn: executionArn! };
}

async function output(states: Record<string, object>, input: string): Promise<string | undefined> {
  const { described } = await run(states, input);
  expect(described.status, described.cause).toBe('SUCCEEDED');
  return described.output;
}

const LONGS = '{"a":9007199254740993,"max":9223372036854775807,"min":-9223372036854775808,"list":[1152921504606846977,-9007199254740995]}';

describe('whole numbers up to the long boundary pass through exactly', () => {
  it('a Pass state without Output passes its input unchanged, in the output and in the history', async () => {
    // [DG:state-pass] a Pass state passes its input to its output; [FL] a long stays exact.
    const { described, history } = await run({ S: { Type: 'Pass', End: true } }, LONGS);
    expect(described.output).toBe(LONGS);
    expect(described.input).toBe(LONGS);
    const started = history.find((e) => e.type === 'ExecutionStarted')!;
    expect(started.executionStartedEventDetails!.input).toBe(LONGS);
    const exited = history.find((e) => e.type === 'PassStateExited')!;
    expect(exited.stateExitedEventDetails!.output).toBe(LONGS);
  });

  it('a reference in JSONata carries the long unchanged: paths, constructors, variables, Map items', async () => {
    // [FL] a long stays exact; a reference computes nothing.
    expect(await output({ S: { Type: 'Pass', Output: '{% $states.input %}', End: true } }, LONGS)).toBe(LONGS);
    expect(
      await output(
        { S: { Type: 'Pass', Output: { id: '{% $states.input.a %}', last: '{% $states.input.list[-1] %}' }, End: true } },
        LONGS,
      ),
    ).toBe('{"id":9007199254740993,"last":-9007199254740995}');
    expect(
      await output({ S: { Type: 'Pass', Output: '{% {"m": $states.input.max, "l": [$states.input.min]} %}', End: true } }, LONGS),
    ).toBe('{"m":9223372036854775807,"l":[-9223372036854775808]}');
    // Through Assign into a variable, read by the next state.
    expect(
      await output(
        {
          S: { Type: 'Pass', Assign: { v: '{% $states.input.a %}' }, Next: 'T' },
          T: { Type: 'Pass', Output: { v: '{% $v %}' }, End: true },
        },
        LONGS,
      ),
    ).toBe('{"v":9007199254740993}');
    // Each Map iteration gets its item exactly.
    expect(
      await output(
        {
          S: {
            Type: 'Map',
            Items: '{% $states.input.list %}',
            ItemProcessor: { StartAt: 'I', States: { I: { Type: 'Pass', Output: { item: '{% $states.input %}' }, End: true } } },
            End: true,
          },
        },
        LONGS,
      ),
    ).toBe('[{"item":1152921504606846977},{"item":-9007199254740995}]');
  });

  it('arithmetic and functions compute with the nearest double', async () => {
    // [FL-2683], [JN]: 2^53 + 1 is the double 2^53; 2^53 + 1 (a double) is 2^53 again; + 2 is exact.
    expect(
      await output(
        {
          S: {
            Type: 'Pass',
            Output: { p1: '{% $states.input.a + 1 %}', p2: '{% $states.input.a + 2 %}', same: '{% $states.input.a = 9007199254740992 %}' },
            End: true,
          },
        },
        LONGS,
      ),
    ).toBe('{"p1":9007199254740992,"p2":9007199254740994,"same":true}');
    // The long maximum as a double is 2^63, past the long range: printed as a Java double. [FL]
    expect(await output({ S: { Type: 'Pass', Output: { v: '{% $states.input.max * 1 %}' }, End: true } }, LONGS)).toBe(
      '{"v":9.223372036854776E18}',
    );
    expect(await output({ S: { Type: 'Pass', Output: { v: '{% $sum($states.input.list) %}' }, End: true } }, LONGS)).toBe(
      '{"v":1143914305352105984}',
    );
  });

  it('$parse keeps a long exact and turns a number past the long range into a double', async () => {
    // [FL] "an integer stays exact while it fits in a long and switches to a double past that boundary"
    expect(await output({ S: { Type: 'Pass', Output: '{% $parse("[9007199254740993, -9223372036854775808]") %}', End: true } }, '{}')).toBe(
      '[9007199254740993,-9223372036854775808]',
    );
    expect(await output({ S: { Type: 'Pass', Output: '{% $parse("9223372036854775808") %}', End: true } }, '{}')).toBe(
      '9.223372036854776E18',
    );
    // Computing with it: the double. [FL-2683], [JN]
    expect(await output({ S: { Type: 'Pass', Output: '{% $parse("9007199254740993") + 0 %}', End: true } }, '{}')).toBe('9007199254740992');
  });

  it('a number past the long range in the input is a Java double', async () => {
    // [FL] past the long boundary a whole number is a double, printed as Java prints it.
    expect(await output({ S: { Type: 'Pass', End: true } }, '{"big":9223372036854775808,"neg":-9223372036854775809}')).toBe(
      '{"big":9.223372036854776E18,"neg":-9.223372036854776E18}',
    );
  });

  it('a Lambda handler gets the payload as Node reads JSON; a callback result is kept exactly', async () => {
    // [DG:welcome Lambda Node.js runtime] the event is JSON.parse of the payload, so 2^53 + 1 arrives as 2^53.
    const lambda = await output(
      {
        S: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Arguments: { FunctionName: 'seen', Payload: { n: '{% $states.input.a %}' } },
          Output: '{% $states.result.Payload %}',
          End: true,
        },
      },
      LONGS,
    );
    expect(lambda).toBe('{"seen":{"n":9007199254740992},"isNumber":true}');
    // SendTaskSuccess output is JSON the service keeps as given. [FL]
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({
        name: `numbers-${++n}`,
        roleArn: 'arn:aws:iam::123456789012:role/r',
        definition: JSON.stringify(
          machine({
            S: {
              Type: 'Task',
              Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
              Arguments: { FunctionName: 'seen', Payload: { token: '{% $states.context.Task.Token %}' } },
              End: true,
            },
          }),
        ),
      }),
    );
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: '{}' }));
    // Run until the task waits, without moving the clock (runUntilIdle would reach the execution's time limit).
    await runtime.advanceTo(T0);
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    const scheduled = history.events!.find((e) => e.type === 'TaskScheduled')!;
    const token = (JSON.parse(scheduled.taskScheduledEventDetails!.parameters!) as { Payload: { token: string } }).Payload.token;
    const waiting = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(waiting.status, waiting.cause).toBe('RUNNING');
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"id":9223372036854775807}' }));
    await runtime.runUntilIdle();
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn }))).output).toBe('{"id":9223372036854775807}');
  });
});

describe('exact whole numbers survive a restart', () => {
  it('a waiting execution resumed from its checkpoint keeps its input exact', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sfn-numbers-'));
    try {
      const clock = new VirtualClock(T0);
      const first = createRuntime({ clock, store: { dataDir } });
      const { stateMachineArn } = first.createStateMachine({
        name: 'wait',
        definition: JSON.stringify(
          machine({ W: { Type: 'Wait', Seconds: 60, Next: 'P' }, P: { Type: 'Pass', Output: { a: '{% $states.input.a %}' }, End: true } }),
        ),
      });
      const { executionArn } = first.startExecution({ stateMachineArn, input: LONGS });
      await first.close();
      const second = createRuntime({ clock, store: { dataDir } });
      await second.runUntilIdle();
      expect(second.describeExecution({ executionArn }).output).toBe('{"a":9007199254740993}');
      await second.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the JSON text layer', () => {
  it('reads ordinary text as JSON.parse does and prints exact whole numbers with all their digits', () => {
    const plain = '{"a":1,"b":[0.5,-2,1e21],"t":"1234567890123456789"}';
    expect(parseJsonText(plain)).toEqual(JSON.parse(plain));
    expect(stringifyJson(parseJsonText(LONGS))).toBe(LONGS);
    // JSON.stringify (checkpoints) writes the digits too.
    expect(JSON.stringify(parseJsonText('[9007199254740993]'))).toBe('[9007199254740993]');
    // 2^60 is a double exactly: it stays a plain number.
    expect(typeof parseJsonText('1152921504606846976')).toBe('number');
  });
});
