/**
 * The direct evaluation of the simplest expressions (`compileFast` in expressions.ts) gives what
 * JSONata gives: the same value, or the same error, for each expression and input below.
 */
import { describe, expect, it } from 'vitest';
import { SLOW, compileExpression, evaluateExpression, type CompiledExpression } from '../../infra/local/sfn/expressions.js';
import { parseJsonText } from '../../infra/local/sfn/json-text.js';

const expressions = [
  '$states.input.i',
  '$states.input.a.b',
  '$states.input.i + 1',
  '$states.input.i - $states.input.n',
  '$states.input.i * 2.5',
  '$states.input.i / $states.input.n',
  '$states.input.i % 3',
  '$states.input.i < $states.input.n',
  '$states.input.i <= 5',
  '$states.input.s > "m"',
  '$states.input.s >= $states.input.i',
  '$states.input.i = $states.input.n',
  '$states.input.s != "x"',
  '$states.input.flag = true',
  '$x',
  '$x.y + 1',
  '$states.input.constructor',
  '$states.input.missing < 3',
  '$states.input.i + $states.input.s',
  '$states.input.big * $states.input.big',
];

const inputs = [
  '{"i": 4, "n": 7, "s": "q", "flag": true, "a": {"b": "deep"}, "big": 1e200}',
  '{"i": 7, "n": 7, "s": "a", "flag": false, "a": {"b": [1, 2]}, "big": 2}',
  '{"i": "4", "n": null, "s": 3, "a": [{"b": 1}]}',
  '{"i": [1], "n": {"x": 1}, "s": "", "a": {"b": null}}',
  '{"i": 9007199254740993, "n": 1, "s": "z", "a": {"b": 9223372036854775807}}',
  '[1, 2, 3]',
];

async function outcome(e: CompiledExpression, bindings: object): Promise<unknown> {
  try {
    return { value: await evaluateExpression(e, bindings, "'S'") };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

describe('simple expressions evaluated without JSONata', () => {
  it('compiles the covered shapes to a direct evaluator', () => {
    expect(compileExpression('{% $states.input.i < $states.input.n %}', 'Condition').fast).toBeDefined();
    expect(compileExpression('{% $states.input.i + 1 %}', 'Output/i').fast).toBeDefined();
    expect(compileExpression('{% $states.input.a[0] %}', 'Output').fast).toBeUndefined();
    expect(compileExpression('{% $states.input.i and true %}', 'Output').fast).toBeUndefined();
  });

  it('gives the value or the error JSONata gives', async () => {
    let direct = 0;
    for (const text of expressions) {
      const fast = compileExpression(`{% ${text} %}`, 'Output');
      const { fast: _omitted, ...slow } = fast;
      for (const input of inputs) {
        const states = { input: parseJsonText(input), context: {} };
        for (const vars of [{}, { x: 5 }, { x: { y: 2 } }, { x: 'five' }]) {
          const bindings = Object.assign(Object.create(vars) as object, { states });
          const expected = await outcome(slow, bindings);
          expect({ text, input, vars, ...((await outcome(fast, bindings)) as object) }).toEqual({
            text,
            input,
            vars,
            ...(expected as object),
          });
          if (fast.fast && fast.fast(bindings as Record<string, unknown>) !== SLOW) direct++;
        }
      }
    }
    // The cases the direct evaluator answered itself (the others went through JSONata).
    expect(direct).toBeGreaterThan(60);
  });
});
