/**
 * Conformance with answers recorded against AWS Step Functions: how errors are worded, how the
 * functions Step Functions adds to JSONata check their arguments, numbers and evaluation limits.
 *
 * Each case names its source beside it:
 * - [LS:<file>] LocalStack's snapshot files, recorded against AWS (tests/aws/services/stepfunctions/v2/<file>
 *   in github.com/localstack/localstack);
 * - [FL] the Step Functions page of the floci emulator, whose rules are stated as measured against AWS
 *   (docs/services/step-functions.md in github.com/floci-io/floci, and its JSONata evaluator notes);
 * - [DG:<page>] the Step Functions developer guide page.
 */
import { describe, expect, it } from 'vitest';
import { machine, runDefinition } from './helpers.js';

/** Runs `{% expr %}` as the Output of one Pass state named State0; returns the execution's result. */
async function output(expr: string, input: unknown = {}) {
  return runDefinition(machine({ State0: { Type: 'Pass', Output: `{% ${expr} %}`, End: true } }), input);
}

async function value(expr: string, input: unknown = {}): Promise<unknown> {
  const r = await output(expr, input);
  if (r.status !== 'SUCCEEDED') throw new Error(`${expr}: ${r.error}: ${r.cause}`);
  return r.output;
}

/** The cause when `expr` fails the state; the error must be States.QueryEvaluationError. */
async function cause(expr: string, input: unknown = {}): Promise<string> {
  const r = await output(expr, input);
  expect(r.error, `${expr} should fail`).toBe('States.QueryEvaluationError');
  return r.cause!;
}

const threw = (expr: string, message: string) =>
  `An error occurred while executing the state 'State0' (entered at the event id #2). The JSONata expression '${expr}' specified for the field 'Output' threw an error during evaluation. ${message}`;
const nothing = (expr: string) =>
  `An error occurred while executing the state 'State0' (entered at the event id #2). The JSONata expression '${expr}' specified for the field 'Output' returned nothing (undefined).`;

describe('errors worded as AWS words them', () => {
  it('names the field path and the event the state was entered at', async () => {
    // [LS:assign/test_assign_reference_variables.snapshot.json]
    const out = await runDefinition(machine({ State0: { Type: 'Pass', Output: { result: '{% $doesNotExist %}' }, End: true } }));
    expect(out.cause).toBe(
      "An error occurred while executing the state 'State0' (entered at the event id #2). The JSONata expression '$doesNotExist' specified for the field 'Output/result' returned nothing (undefined).",
    );
    // [LS:assign/test_assign_reference_variables.snapshot.json]
    const assign = await runDefinition(machine({ State0: { Type: 'Pass', Assign: { result: '{% $doesNotExist %}' }, End: true } }));
    expect(assign.cause).toBe(
      "An error occurred while executing the state 'State0' (entered at the event id #2). The JSONata expression '$doesNotExist' specified for the field 'Assign/result' returned nothing (undefined).",
    );
    // [LS:assign/test_assign_reference_variables.snapshot.json]
    const args = await runDefinition(
      machine({
        State0: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Arguments: { FunctionName: '{% $doesNotExist %}' }, End: true },
      }),
    );
    expect(args.cause).toBe(
      "An error occurred while executing the state 'State0' (entered at the event id #2). The JSONata expression '$doesNotExist' specified for the field 'Arguments/FunctionName' returned nothing (undefined).",
    );
    // The event id is the state's own StateEntered event, not the first one. [LS:assign/test_assign_reference_variables.snapshot.json: 'State2' (entered at the event id #6)]
    const later = await runDefinition(
      machine({
        State0: { Type: 'Pass', Next: 'State1' },
        State1: { Type: 'Pass', Next: 'State2' },
        State2: { Type: 'Pass', Output: { result: '{% $doesNotExist %}' }, End: true },
      }),
    );
    expect(later.cause).toMatch(/^An error occurred while executing the state 'State2' \(entered at the event id #6\)\./);
  });

  it('names nested object keys with / and array items with [i], and Choice rules and Catchers by index', async () => {
    // [FL] "with / before each object key and [i] for each array index: Output/a/b[0]"
    const nested = await runDefinition(machine({ State0: { Type: 'Pass', Output: { a: { b: [['x', '{% $nothing %}']] } }, End: true } }));
    expect(nested.cause).toContain("specified for the field 'Output/a/b[0][1]' returned nothing (undefined).");
    // [FL] "Choices[1]/Condition"; a Choice evaluates its rules in order.
    const choice = await runDefinition(
      machine({
        State0: {
          Type: 'Choice',
          Choices: [
            { Condition: '{% false %}', Next: 'Done' },
            { Condition: '{% $states.input.missing %}', Next: 'Done' },
          ],
          Default: 'Done',
        },
        Done: { Type: 'Succeed' },
      }),
    );
    expect(choice.cause).toBe(
      "An error occurred while executing the state 'State0' (entered at the event id #2). The JSONata expression '$states.input.missing' specified for the field 'Choices[1]/Condition' returned nothing (undefined).",
    );
    // [FL] "Catch[1]/Output/v"
    const caught = await runDefinition(
      machine({
        State0: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Arguments: { FunctionName: 'nope' },
          Catch: [
            { ErrorEquals: ['Other'], Next: 'Done' },
            { ErrorEquals: ['States.ALL'], Output: { v: '{% $states.errorOutput.Missing %}' }, Next: 'Done' },
          ],
          End: true,
        },
        Done: { Type: 'Succeed' },
      }),
    );
    expect(caught.error).toBe('States.QueryEvaluationError');
    expect(caught.cause).toContain("specified for the field 'Catch[1]/Output/v' returned nothing (undefined).");
  });

  it('passes JSONata error codes on in the cause', async () => {
    // [LS:intrinsic_functions/test_math_operations_jsonata.snapshot.json] T1006 for a function that does not exist
    const r = await runDefinition(
      machine({ State_0: { Type: 'Pass', Output: { FunctionResult: '{% $randomSeeded($states.input.FunctionInput.fst) %}' }, End: true } }),
      { FunctionInput: { fst: 3 } },
    );
    expect(r.cause).toBe(
      "An error occurred while executing the state 'State_0' (entered at the event id #2). The JSONata expression '$randomSeeded($states.input.FunctionInput.fst)' specified for the field 'Output/FunctionResult' threw an error during evaluation. T1006: Attempted to invoke a non-function",
    );
    // [FL] T0410, T0412 and D3137 from the added functions
    expect(await cause("$range('0',4,1)")).toBe(
      threw("$range('0',4,1)", 'T0410: Argument 1 of function "range" does not match function signature'),
    );
    expect(await cause("$partition('x', 2)")).toBe(
      threw("$partition('x', 2)", 'T0412: Argument 1 of function "partition" must be an array of undefined'),
    );
    expect(await cause('$partition([1,2], -2)')).toBe(threw('$partition([1,2], -2)', 'D3137: Second argument must be zero or greater'));
  });

  it('words a Map whose Items is not an array as AWS does', async () => {
    // [LS:scenarios/test_base_scenarios.snapshot.json]
    const r = await runDefinition(
      machine({
        MapIterateState: {
          Type: 'Map',
          Items: '{% 1 %}',
          ItemProcessor: { StartAt: 'I', States: { I: { Type: 'Pass', End: true } } },
          End: true,
        },
      }),
    );
    expect(r.cause).toBe(
      "An error occurred while executing the state 'MapIterateState' (entered at the event id #2). The JSONata expression '1' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'number' for value: 1",
    );
  });
});

describe('the functions Step Functions adds, checked as AWS checks them', () => {
  it('$partition', async () => {
    // [LS:intrinsic_functions/test_array_jsonata.snapshot.json]
    expect(await value('$partition([0, 1, 2, 3], 3)')).toEqual([[0, 1, 2], [3]]);
    expect(await value('$partition([0, 1], 5)')).toEqual([[0, 1]]);
    // [FL] a missing size is one chunk; a fractional size is cut towards zero; zero, an empty array are undefined
    expect(await value('$partition([1, 2, 3])')).toEqual([[1, 2, 3]]);
    expect(await value('$partition([1, 2, 3, 4, 5], 2.9)')).toEqual([[1, 2], [3, 4], [5]]);
    expect(await cause('$partition([1, 2], 0)')).toBe(nothing('$partition([1, 2], 0)'));
    expect(await cause('$partition([1, 2], -0.5)')).toBe(nothing('$partition([1, 2], -0.5)'));
    expect(await cause('$partition([], 2)')).toBe(nothing('$partition([], 2)'));
    // [FL] surplus and wrongly typed arguments
    expect(await cause('$partition([1], 1, 1)')).toBe(
      threw('$partition([1], 1, 1)', 'T0410: Argument 3 of function "partition" does not match function signature'),
    );
    expect(await cause("$partition([1], 'a')")).toBe(
      threw("$partition([1], 'a')", 'T0410: Argument 2 of function "partition" does not match function signature'),
    );
  });

  it('$range', async () => {
    // [LS:intrinsic_functions/test_array_jsonata.snapshot.json] (1, 9, 9) is the bare number 1
    expect(await value('$range(0, 9, 3)')).toEqual([0, 3, 6, 9]);
    expect(await value('$range(0, 10, 3)')).toEqual([0, 3, 6, 9]);
    expect(await value('$range(1, 9, 9)')).toBe(1);
    expect(await value('$range(1, 9, 2)')).toEqual([1, 3, 5, 7, 9]);
    // [FL] fractions cut towards zero; no step, or a step against the direction, is undefined
    expect(await value('$range(-1.7, 2, 1)')).toEqual([-1, 0, 1, 2]);
    expect(await value('$range(9, 1, -4)')).toEqual([9, 5, 1]);
    expect(await cause('$range(0, 4)')).toBe(nothing('$range(0, 4)'));
    expect(await cause('$range(3, 1, 1)')).toBe(nothing('$range(3, 1, 1)'));
    expect(await cause('$range(0, 4, 1, 2)')).toBe(
      threw('$range(0, 4, 1, 2)', 'T0410: Argument 4 of function "range" does not match function signature'),
    );
    expect(await cause('$range(0, true, 1)')).toBe(
      threw('$range(0, true, 1)', 'T0410: Argument 2 of function "range" does not match function signature'),
    );
  });

  it('$hash', async () => {
    // [DG:transforming-data] MD5, SHA-1, SHA-256, SHA-384, SHA-512
    expect(await value("$hash('Hello World', 'SHA-256')")).toBe('a591a6d40bf420404a011733cfb7b190d62c65bf0bcda32b57b277d9ad9f146e');
    expect(await value("$hash('Hello World', 'MD5')")).toBe('b10a8db164e0754105b7a99be72e3fe5');
    // [FL] no algorithm is undefined; an unknown one D3137 (names are case-sensitive); a non-string T0410
    expect(await cause("$hash('a')")).toBe(nothing("$hash('a')"));
    expect(await cause("$hash('a', 'sha-256')")).toBe(
      threw("$hash('a', 'sha-256')", "D3137: Hash algorithm 'sha-256' must be one of SHA-1, SHA-384, SHA-256, SHA-512, MD5"),
    );
    expect(await cause("$hash(1, 'MD5')")).toBe(
      threw("$hash(1, 'MD5')", 'T0410: Argument 1 of function "hash" does not match function signature'),
    );
    expect(await cause("$hash('a', 'MD5', 1)")).toBe(
      threw("$hash('a', 'MD5', 1)", 'T0410: Argument 3 of function "hash" does not match function signature'),
    );
  });

  it('$random and $uuid', async () => {
    // [FL] and the project's reference: $random(42) is Java's new Random(42).nextDouble(); a fraction is cut towards zero
    expect(await value('$random(42)')).toBe(0.7275636800328681);
    expect(await value('$random(42.9)')).toBe(0.7275636800328681);
    expect(await cause("$random('a')")).toBe(
      threw("$random('a')", 'T0410: Argument 1 of function "random" does not match function signature'),
    );
    expect(await cause('$random(1, 2)')).toBe(
      threw('$random(1, 2)', 'T0410: Argument 2 of function "random" does not match function signature'),
    );
    // [FL] $uuid takes no argument
    expect(await value('$uuid()')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await cause('$uuid(1)')).toBe(threw('$uuid(1)', 'T0410: Argument 1 of function "uuid" does not match function signature'));
  });

  it('$parse is strict JSON', async () => {
    // [LS:intrinsic_functions/test_json_manipulation_jsonata.snapshot.json]
    expect(await value('$parse("-0")')).toBe(0);
    expect(await value('$parse("1.1")')).toBe(1.1);
    expect(await value('$parse(\'[1, 2, "HelloWorld"]\')')).toEqual([1, 2, 'HelloWorld']);
    expect(await value('$parse(\'{"Arg1": 1, "Arg2": []}\')')).toEqual({ Arg1: 1, Arg2: [] });
    // [FL] a repeated key, blank text, a second document and a number out of range are D3137 Invalid JSON
    for (const text of ['{"a": 1, "a": 2}', '', '  ', '1 2', '1e400', '{"x": [{"k": 1, "k": 1}]}']) {
      const expr = `$parse(${JSON.stringify(text)})`;
      expect(await cause(expr), text).toBe(threw(expr, 'D3137: Invalid JSON'));
    }
    // The same key in two objects is fine.
    expect(await value('$parse(\'[{"k": 1}, {"k": 2}]\')')).toEqual([{ k: 1 }, { k: 2 }]);
    // [FL] a missing argument is undefined; a non-string or a surplus argument T0410
    expect(await cause('$parse($states.input.none)')).toBe(nothing('$parse($states.input.none)'));
    expect(await cause('$parse(1)')).toBe(threw('$parse(1)', 'T0410: Argument 1 of function "parse" does not match function signature'));
    expect(await cause('$parse("1", 2)')).toBe(
      threw('$parse("1", 2)', 'T0410: Argument 2 of function "parse" does not match function signature'),
    );
  });
});

describe('numbers and limits as AWS has them', () => {
  it('prints whole numbers as a Java long up to the long boundary and as a Java double past it', async () => {
    // [FL] "an integer stays exact while it fits in a long and switches to a double past that boundary":
    // 2^60 is printed with all its digits (JavaScript alone prints 1152921504606847000).
    const long = await output('$parse("1152921504606846976")');
    expect(long.runtime.describeExecution({ executionArn: long.executionArn }).output).toBe('1152921504606846976');
    const input = await runDefinition(machine({ State0: { Type: 'Pass', End: true } }), { n: 2 ** 60 });
    // The input text is JSON.stringify's '{"n":1152921504606847000}': a long, kept with the digits given.
    expect(input.runtime.describeExecution({ executionArn: input.executionArn }).output).toBe('{"n":1152921504606847000}');
    // [FL] "9223372036854775808 comes back as 9.223372036854776E18"
    const past = await output('$parse("9223372036854775808")');
    expect(past.runtime.describeExecution({ executionArn: past.executionArn }).output).toBe('9.223372036854776E18');
    const history = past.runtime.getExecutionHistory({ executionArn: past.executionArn }).events.find((e) => e.type === 'PassStateExited')!;
    expect((history.stateExitedEventDetails as { output: string }).output).toBe('9.223372036854776E18');
    // Fractions and safe integers are printed as before.
    const plain = await output('{"a": 0.1 + 0.2, "b": 9007199254740991, "c": -5}');
    expect(plain.runtime.describeExecution({ executionArn: plain.executionArn }).output).toBe(
      '{"a":0.30000000000000004,"b":9007199254740991,"c":-5}',
    );
  });

  it('answers the evaluation memory limit with AWS error instead of building the value', async () => {
    // [FL] AWS accepts [1..873782] and refuses one element more; accepts $range(1, 360145, 1) and refuses one more;
    // accepts a string of 2^22 characters and refuses 2^23. The refusal is AWS's sentence.
    const refusal = 'Expression evaluation memory limit exceeded: Check for excessive memory usage';
    expect(await value('$count([1..873782])')).toBe(873782);
    expect(await cause('$count([1..873783])')).toBe(threw('$count([1..873783])', refusal));
    expect(await value('$count($range(1, 360145, 1))')).toBe(360145);
    expect(await cause('$count($range(1, 360146, 1))')).toBe(threw('$count($range(1, 360146, 1))', refusal));
    expect(await value('$length($pad("", 4194304, "x"))')).toBe(4194304);
    expect(await cause('$length($pad("", 8388608, "x"))')).toBe(threw('$length($pad("", 8388608, "x"))', refusal));
  });

  it('answers the recursion limit with a States.QueryEvaluationError instead of running on or crashing', async () => {
    // [FL] an evaluation may nest 100 levels, the 101st is refused, naming the depth reached.
    const recurse = (n: number) => `($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(${n}))`;
    expect(await value(recurse(20))).toBe(20);
    const deep = await cause(recurse(100000));
    expect(deep).toMatch(
      /threw an error during evaluation\. U1001: Stack overflow error: Check for non-terminating recursive function\. {2}Consider rewriting as tail-recursive\. Depth=101 max=100$/,
    );
    // A state that fails this way can be caught like any other evaluation error.
    const caught = await runDefinition(
      machine({
        State0: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Arguments: { FunctionName: 'f', Payload: `{% ${recurse(100000)} %}` },
          Catch: [{ ErrorEquals: ['States.QueryEvaluationError'], Output: '{% $states.errorOutput.Error %}', Next: 'Done' }],
          End: true,
        },
        Done: { Type: 'Succeed' },
      }),
    );
    expect(caught.output).toBe('States.QueryEvaluationError');
  });
});
