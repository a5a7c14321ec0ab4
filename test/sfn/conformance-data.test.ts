/**
 * Conformance with the AWS Step Functions Developer Guide, JSONata data flow and variables.
 * Each describe block names the guide page whose documented behaviour it reproduces.
 */
import { describe, expect, it } from 'vitest';
import { machine, runDefinition } from './helpers.js';

describe('transforming-data (Transforming data with JSONata)', () => {
  it('evaluates {% %} strings at any depth of Arguments and leaves other strings literal', async () => {
    // The page's conversion example: input {"title":"Doctor"}, variable customerName = "María".
    const r = await runDefinition(
      machine({
        Init: { Type: 'Pass', Assign: { customerName: 'María' }, Next: 'Task' },
        Task: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Arguments: {
            FunctionName: 'echo',
            Payload: { static: 'Hello', title: '{% $states.input.title %}', name: '{% $customerName %}', 'not-evaluated': '$customerName' },
          },
          Output: '{% $states.result.Payload %}',
          End: true,
        },
      }),
      { title: 'Doctor' },
      { lambdas: { echo: async (event: unknown) => event } },
    );
    expect(r.status).toBe('SUCCEEDED');
    expect(r.output).toEqual({ static: 'Hello', title: 'Doctor', name: 'María', 'not-evaluated': '$customerName' });
  });

  it('treats strings that do not begin exactly with {% and end exactly with %} as literals', async () => {
    const r = await runDefinition(
      machine({ P: { Type: 'Pass', Output: { a: ' {% 1 + 1 %}', b: '{% 1 + 1 %} ', c: '{% 1 + 1 %}', d: '$x' }, End: true } }),
    );
    expect(r.output).toEqual({ a: ' {% 1 + 1 %}', b: '{% 1 + 1 %} ', c: 2, d: '$x' });
  });

  it('passes the state input through by default and lets Output replace it', async () => {
    const r = await runDefinition(
      machine({
        A: { Type: 'Pass', Next: 'B' },
        B: {
          Type: 'Pass',
          Output: { total: '{% $sum($states.input.items.price) %}', first: '{% $states.input.items[0].name %}' },
          End: true,
        },
      }),
      {
        items: [
          { name: 'pen', price: 2 },
          { name: 'ink', price: 5 },
        ],
      },
    );
    expect(r.output).toEqual({ total: 7, first: 'pen' });
  });

  it('fails with States.QueryEvaluationError when a whole expression is undefined, but an object constructor drops undefined keys', async () => {
    const missing = await runDefinition(machine({ P: { Type: 'Pass', Output: { x: '{% $states.input.nothing %}' }, End: true } }), {});
    expect(missing.status).toBe('FAILED');
    expect(missing.error).toBe('States.QueryEvaluationError');
    expect(missing.cause).toContain("'Output/x'");
    const dropped = await runDefinition(
      machine({ P: { Type: 'Pass', Output: '{% {"a": 1, "b": $states.input.nothing} %}', End: true } }),
      {},
    );
    expect(dropped.output).toEqual({ a: 1 });
  });

  it('turns type errors into States.QueryEvaluationError, which Catch can handle', async () => {
    const r = await runDefinition(
      machine({
        Bad: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Arguments: { FunctionName: 'echo', Payload: '{% 1 + "a" %}' },
          Catch: [{ ErrorEquals: ['States.QueryEvaluationError'], Output: '{% $states.errorOutput.Error %}', Next: 'Done' }],
          End: true,
        },
        Done: { Type: 'Succeed' },
      }),
      {},
      { lambdas: { echo: async (e: unknown) => e } },
    );
    expect(r.status).toBe('SUCCEEDED');
    expect(r.output).toBe('States.QueryEvaluationError');
  });

  it('provides the functions Step Functions adds to JSONata', async () => {
    const r = await runDefinition(
      machine({
        F: {
          Type: 'Pass',
          Output: {
            partition: '{% $partition([1, 2, 3, 4, 5, 6, 7, 8, 9], 3) %}',
            range: '{% $range(0, 10, 2) %}',
            reverse: '{% $range(3, 1, -1) %}',
            hash: "{% $hash('input data', 'SHA-256') %}",
            md5: "{% $hash('input data', 'MD5') %}",
            seeded: '{% $random(42) %}',
            random: '{% $random() >= 0 and $random() < 1 %}',
            uuid: '{% $uuid() %}',
            parsed: '{% $parse($states.input.json) %}',
          },
          End: true,
        },
      }),
      { json: '{"key":"value","n":[1,2]}' },
    );
    const o = r.output as Record<string, unknown>;
    expect(o.partition).toEqual([
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ]);
    expect(o.range).toEqual([0, 2, 4, 6, 8, 10]);
    expect(o.reverse).toEqual([3, 2, 1]);
    expect(o.hash).toBe('b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3');
    expect(o.md5).toBe('812f45842bc6d66ee14572ce20db8e86');
    // Java `new Random(42).nextDouble()`, as measured against the service.
    expect(o.seeded).toBe(0.7275636800328681);
    expect(o.random).toBe(true);
    expect(o.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(o.parsed).toEqual({ key: 'value', n: [1, 2] });
  });

  it('$hash gives the digest of the UTF-8 text', async () => {
    const r = await runDefinition(machine({ F: { Type: 'Pass', Output: "{% $hash('abc', 'SHA-1') %}", End: true } }));
    expect(r.output).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
  });

  it('does not provide $eval (refused when the definition is loaded)', async () => {
    await expect(runDefinition(machine({ F: { Type: 'Pass', Output: "{% $eval('1+1') %}", End: true } }))).rejects.toThrow(
      /State 'F': field 'Output' calls \$eval/,
    );
  });

  it('gives $states.context the execution, state and state machine', async () => {
    const r = await runDefinition(
      machine({
        Wait1: { Type: 'Wait', Seconds: 60, Next: 'Ctx' },
        Ctx: { Type: 'Pass', Output: '{% $states.context %}', End: true },
      }),
      { hello: 'world' },
    );
    const ctx = r.output as { Execution: Record<string, unknown>; State: Record<string, unknown>; StateMachine: Record<string, unknown> };
    expect(ctx.Execution).toEqual({
      Id: r.executionArn,
      Input: { hello: 'world' },
      Name: r.executionArn.split(':').pop(),
      RoleArn: expect.stringMatching(/^arn:aws:iam::000000000000:role\//),
      StartTime: '2025-01-06T08:00:00.000Z',
      RedriveCount: 0,
    });
    expect(ctx.State).toEqual({ EnteredTime: '2025-01-06T08:01:00.000Z', Name: 'Ctx', RetryCount: 0 });
    expect(ctx.StateMachine).toEqual({
      Id: expect.stringMatching(/^arn:aws:states:eu-central-1:000000000000:stateMachine:sm-\d+$/),
      Name: expect.stringMatching(/^sm-/),
    });
  });

  it('$now() and $millis() read the runtime clock (virtual here)', async () => {
    const r = await runDefinition(
      machine({
        W: { Type: 'Wait', Seconds: 3600, Next: 'N' },
        N: { Type: 'Pass', Output: { now: '{% $now() %}', millis: '{% $millis() %}' }, End: true },
      }),
    );
    expect(r.output).toEqual({ now: '2025-01-06T09:00:00.000Z', millis: Date.parse('2025-01-06T09:00:00.000Z') });
  });
});

describe('workflow-variables (Passing data between states with variables)', () => {
  it('evaluates every Assign expression with the values from state entry (order of keys irrelevant)', async () => {
    const r = await runDefinition(
      machine({
        Init: { Type: 'Pass', Assign: { x: 1, y: 2 }, Next: 'Swap' },
        Swap: { Type: 'Pass', Assign: { x: '{% $y %}', y: '{% $x %}', sum: '{% $x + $y %}' }, Next: 'Show' },
        Show: { Type: 'Pass', Output: { x: '{% $x %}', y: '{% $y %}', sum: '{% $sum %}' }, End: true },
      }),
    );
    expect(r.output).toEqual({ x: 2, y: 1, sum: 3 });
  });

  it("Output does not see what the same state's Assign computes", async () => {
    const r = await runDefinition(
      machine({
        Init: { Type: 'Pass', Assign: { count: 1 }, Next: 'Inc' },
        Inc: { Type: 'Pass', Assign: { count: '{% $count + 1 %}' }, Output: { seen: '{% $count %}' }, Next: 'After' },
        After: { Type: 'Pass', Output: { before: '{% $states.input.seen %}', after: '{% $count %}' }, End: true },
      }),
    );
    expect(r.output).toEqual({ before: 1, after: 2 });
  });

  it('Task Assign can use $states.result; variables persist across later states', async () => {
    const r = await runDefinition(
      machine({
        CheckPrice: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Arguments: { FunctionName: 'price', Payload: { product: '{% $states.input.product %}' } },
          Assign: { currentPrice: '{% $states.result.Payload.current_price %}', product: '{% $states.input.product %}' },
          Next: 'Step2',
        },
        Step2: { Type: 'Pass', Output: {}, Next: 'Step3' },
        Step3: { Type: 'Pass', Output: { product: '{% $product %}', price: '{% $currentPrice %}' }, End: true },
      }),
      { product: 'book' },
      { lambdas: { price: async () => ({ current_price: 12.5 }) } },
    );
    expect(r.output).toEqual({ product: 'book', price: 12.5 });
  });

  it('Parallel branches read outer variables, keep their own variables to themselves, and pass data out by Output', async () => {
    const r = await runDefinition(
      machine({
        Init: { Type: 'Pass', Assign: { base: 10 }, Next: 'Par' },
        Par: {
          Type: 'Parallel',
          Branches: [
            {
              StartAt: 'A1',
              States: {
                A1: { Type: 'Pass', Assign: { local: '{% $base + 1 %}' }, Next: 'A2' },
                A2: { Type: 'Pass', Output: '{% $local %}', End: true },
              },
            },
            {
              StartAt: 'B1',
              States: {
                B1: { Type: 'Pass', Assign: { local: '{% $base + 2 %}' }, Next: 'B2' },
                B2: { Type: 'Pass', Output: '{% $local %}', End: true },
              },
            },
          ],
          Assign: { results: '{% $states.result %}' },
          Next: 'After',
        },
        After: {
          Type: 'Pass',
          Output: { results: '{% $results %}', localGone: '{% $exists($local) = false %}', base: '{% $base %}' },
          End: true,
        },
      }),
    );
    expect(r.output).toEqual({ results: [11, 12], localGone: true, base: 10 });
  });

  it('Map iterations each have their own scope and read outer variables', async () => {
    const r = await runDefinition(
      machine({
        Init: { Type: 'Pass', Assign: { factor: 3 }, Next: 'M' },
        M: {
          Type: 'Map',
          Items: '{% $states.input.values %}',
          ItemProcessor: {
            StartAt: 'Mul',
            States: {
              Mul: { Type: 'Pass', Assign: { v: '{% $states.input * $factor %}' }, Next: 'Out' },
              Out: { Type: 'Pass', Output: '{% $v %}', End: true },
            },
          },
          End: true,
        },
      }),
      { values: [1, 2, 3] },
    );
    expect(r.output).toEqual([3, 6, 9]);
  });

  it('refuses a branch that assigns a variable of an outer scope', async () => {
    await expect(
      runDefinition(
        machine({
          Init: { Type: 'Pass', Assign: { total: 0 }, Next: 'Par' },
          Par: {
            Type: 'Parallel',
            Branches: [{ StartAt: 'B', States: { B: { Type: 'Pass', Assign: { total: 1 }, End: true } } }],
            End: true,
          },
        }),
      ),
    ).rejects.toThrow(/State 'B': field 'Assign.total' assigns the variable \$total, which is assigned in an outer scope/);
  });

  it("a Catcher's Assign writes to the scope of the state, with $states.errorOutput", async () => {
    const r = await runDefinition(
      machine({
        Work: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Arguments: { FunctionName: 'boom' },
          Catch: [
            {
              ErrorEquals: ['States.ALL'],
              Assign: { failure: '{% $states.errorOutput %}', inputSeen: '{% $states.input.id %}' },
              Next: 'Report',
            },
          ],
          End: true,
        },
        Report: {
          Type: 'Pass',
          Output: { error: '{% $failure.Error %}', id: '{% $inputSeen %}', output: '{% $states.input %}' },
          End: true,
        },
      }),
      { id: 7 },
      {
        lambdas: {
          boom: async () => {
            class ConflictError extends Error {
              override name = 'ConflictError';
            }
            throw new ConflictError('version mismatch');
          },
        },
      },
    );
    const o = r.output as { error: string; id: number; output: { Error: string; Cause: string } };
    expect(o.error).toBe('ConflictError');
    expect(o.id).toBe(7);
    // Without a Catcher Output, the state output is the error output.
    expect(o.output.Error).toBe('ConflictError');
    expect(JSON.parse(o.output.Cause)).toMatchObject({ errorMessage: 'version mismatch', errorType: 'ConflictError' });
  });

  it('reports assigned variables in the StateExited event', async () => {
    const r = await runDefinition(machine({ P: { Type: 'Pass', Assign: { a: { b: 1 } }, End: true } }));
    const exited = r.events.find((e) => e.type === 'PassStateExited') as unknown as {
      stateExitedEventDetails: { assignedVariables: Record<string, string> };
    };
    expect(exited.stateExitedEventDetails.assignedVariables).toEqual({ a: '{"b":1}' });
  });
});

describe('state-choice (Choice workflow state, JSONata rules)', () => {
  const choice = machine({
    C: {
      Type: 'Choice',
      Choices: [
        { Condition: '{% $states.input.foo = 1 %}', Next: 'NumericMatchState' },
        {
          Condition: "{% $states.input.type = 'local' %}",
          Next: 'StringMatchState',
          Assign: { matched: 'local' },
          Output: { rule: 'string' },
        },
        { Condition: '{% $states.input.possiblyNullValue != null and $states.input.possiblyNullValue = 42 %}', Next: 'NotNullAnd42' },
        { Condition: "{% $states.input.foo > 'MyStringABC' %}", Next: 'StringGreaterMatchState' },
      ],
      Default: 'DefaultState',
      Assign: { matched: 'default' },
      Output: { rule: 'default' },
    },
    NumericMatchState: { Type: 'Pass', Output: 'numeric', End: true },
    StringMatchState: { Type: 'Pass', Output: { state: 'string', matched: '{% $matched %}', input: '{% $states.input %}' }, End: true },
    StringGreaterMatchState: { Type: 'Pass', Output: 'greater', End: true },
    NotNullAnd42: { Type: 'Pass', Output: 'forty-two', End: true },
    DefaultState: { Type: 'Pass', Output: { state: 'default', matched: '{% $matched %}', input: '{% $states.input %}' }, End: true },
  });

  it('takes the first rule whose Condition is true', async () => {
    expect((await runDefinition(choice, { foo: 1 })).output).toBe('numeric');
    expect((await runDefinition(choice, { foo: 'NNN' })).output).toBe('greater');
    expect((await runDefinition(choice, { possiblyNullValue: 42 })).output).toBe('forty-two');
  });

  it('a Condition that evaluates to nothing (a comparison with a missing field) is a States.QueryEvaluationError', async () => {
    const r = await runDefinition(choice, { other: true });
    expect(r.error).toBe('States.QueryEvaluationError');
    expect(r.cause).toContain("'Choices[3]/Condition'");
  });

  it("a matched rule's Output and Assign replace the state's; those apply when Default is taken", async () => {
    expect((await runDefinition(choice, { type: 'local' })).output).toEqual({
      state: 'string',
      matched: 'local',
      input: { rule: 'string' },
    });
    expect((await runDefinition(choice, { possiblyNullValue: null, foo: '' })).output).toEqual({
      state: 'default',
      matched: 'default',
      input: { rule: 'default' },
    });
  });

  it('fails with States.NoChoiceMatched when nothing matches and there is no Default', async () => {
    const r = await runDefinition(
      machine({ C: { Type: 'Choice', Choices: [{ Condition: '{% false %}', Next: 'X' }] }, X: { Type: 'Succeed' } }),
    );
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('States.NoChoiceMatched');
  });

  it('a Condition that is not a boolean is a States.QueryEvaluationError', async () => {
    const r = await runDefinition(
      machine({ C: { Type: 'Choice', Choices: [{ Condition: '{% 1 %}', Next: 'X' }], Default: 'X' }, X: { Type: 'Succeed' } }),
    );
    expect(r.error).toBe('States.QueryEvaluationError');
  });
});

describe('state-map (Map workflow state, inline)', () => {
  it('ItemSelector builds each iteration input from $states.context.Map.Item and the state input', async () => {
    const r = await runDefinition(
      machine({
        M: {
          Type: 'Map',
          Items: '{% $states.input.shipped %}',
          ItemSelector: {
            ContextIndex: '{% $states.context.Map.Item.Index %}',
            ContextValue: '{% $states.context.Map.Item.Value %}',
            partner: '{% $states.input.`delivery-partner` %}',
          },
          ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Ship', States: { Ship: { Type: 'Pass', End: true } } },
          End: true,
        },
      }),
      {
        'delivery-partner': 'UQS',
        shipped: [
          { prime: true, item: 1 },
          { prime: false, item: 2 },
        ],
      },
    );
    expect(r.output).toEqual([
      { ContextIndex: 0, ContextValue: { prime: true, item: 1 }, partner: 'UQS' },
      { ContextIndex: 1, ContextValue: { prime: false, item: 2 }, partner: 'UQS' },
    ]);
  });

  it('keeps the results in item order, whatever the order iterations end in, and honours MaxConcurrency', async () => {
    const started: number[] = [];
    const r = await runDefinition(
      machine({
        M: {
          Type: 'Map',
          Items: [3, 1, 2],
          MaxConcurrency: 1,
          ItemProcessor: {
            StartAt: 'W',
            States: {
              W: { Type: 'Wait', Seconds: '{% $states.input * 10 %}', Next: 'T' },
              T: {
                Type: 'Task',
                Resource: 'arn:aws:states:::lambda:invoke',
                Arguments: { FunctionName: 'note', Payload: '{% $states.input %}' },
                Output: '{% $states.result.Payload %}',
                End: true,
              },
            },
          },
          End: true,
        },
      }),
      {},
      { lambdas: { note: async (n: number) => (started.push(n), n * 100) } },
    );
    expect(r.output).toEqual([300, 100, 200]);
    expect(started).toEqual([3, 1, 2]);
    // One at a time: 30 s + 10 s + 20 s.
    expect(r.events.at(-1)!.timestamp.toISOString()).toBe('2025-01-06T08:01:00.000Z');
  });

  it('runs iterations concurrently without MaxConcurrency', async () => {
    const r = await runDefinition(
      machine({
        M: {
          Type: 'Map',
          Items: [30, 10, 20],
          ItemProcessor: { StartAt: 'W', States: { W: { Type: 'Wait', Seconds: '{% $states.input %}', End: true } } },
          End: true,
        },
      }),
    );
    expect(r.output).toEqual([30, 10, 20]);
    expect(r.events.at(-1)!.timestamp.toISOString()).toBe('2025-01-06T08:00:30.000Z');
  });

  it('an empty Items array gives [] and a failed iteration fails the Map', async () => {
    expect(
      (
        await runDefinition(
          machine({
            M: { Type: 'Map', Items: [], ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, End: true },
          }),
        )
      ).output,
    ).toEqual([]);
    const failed = await runDefinition(
      machine({
        M: {
          Type: 'Map',
          Items: [1, 2, 3],
          ItemProcessor: {
            StartAt: 'C',
            States: {
              C: { Type: 'Choice', Choices: [{ Condition: '{% $states.input = 2 %}', Next: 'F' }], Default: 'P' },
              F: { Type: 'Fail', Error: 'ItemError', Cause: 'item 2' },
              P: { Type: 'Pass', End: true },
            },
          },
          End: true,
        },
      }),
    );
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toBe('ItemError');
    expect(failed.events.map((e) => e.type)).toContain('MapIterationFailed');
  });

  it('Items that are not an array fail with States.QueryEvaluationError', async () => {
    const r = await runDefinition(
      machine({
        M: {
          Type: 'Map',
          Items: '{% $states.input.x %}',
          ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
          End: true,
        },
      }),
      { x: 'no' },
    );
    expect(r.error).toBe('States.QueryEvaluationError');
  });
});

describe('state-parallel (Parallel workflow state)', () => {
  it('gives every branch the Arguments and outputs the array of branch outputs', async () => {
    const r = await runDefinition(
      machine({
        P: {
          Type: 'Parallel',
          Arguments: { n: '{% $states.input.n %}' },
          Branches: [
            { StartAt: 'Double', States: { Double: { Type: 'Pass', Output: '{% $states.input.n * 2 %}', End: true } } },
            { StartAt: 'Square', States: { Square: { Type: 'Pass', Output: '{% $states.input.n * $states.input.n %}', End: true } } },
          ],
          Output: { double: '{% $states.result[0] %}', square: '{% $states.result[1] %}' },
          End: true,
        },
      }),
      { n: 7, other: true },
    );
    expect(r.output).toEqual({ double: 14, square: 49 });
  });

  it('fails with the error of a failed branch (stopping the others), which the Parallel state can catch', async () => {
    const r = await runDefinition(
      machine({
        P: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'Slow', States: { Slow: { Type: 'Wait', Seconds: 3600, End: true } } },
            { StartAt: 'Boom', States: { Boom: { Type: 'Fail', Error: 'CustomError', Cause: 'branch 2 failed' } } },
          ],
          Catch: [{ ErrorEquals: ['CustomError'], Output: '{% $states.errorOutput %}', Next: 'Handled' }],
          End: true,
        },
        Handled: { Type: 'Pass', End: true },
      }),
    );
    expect(r.status).toBe('SUCCEEDED');
    expect(r.output).toEqual({ Error: 'CustomError', Cause: 'branch 2 failed' });
    // The slow branch was stopped: the execution did not wait an hour.
    expect(r.events.at(-1)!.timestamp.toISOString()).toBe('2025-01-06T08:00:00.000Z');
  });
});
