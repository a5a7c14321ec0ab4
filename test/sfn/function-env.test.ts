/** Each function of a template runs in exactly its own environment, as each Lambda function does. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadTemplate, type CfnTemplate } from '../../infra/local/template.js';
import { deployTemplate } from '../../infra/local/sfn/index.js';
import { machine, newRuntime } from './helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

const fn = (name: string, variables: Record<string, string>) => ({
  Type: 'AWS::Lambda::Function',
  Properties: { FunctionName: name, Handler: 'index.handler', Runtime: 'nodejs22.x', Environment: { Variables: variables } },
  Metadata: { 'cos:entry': 'test/sfn/fixtures/env-handler.ts' },
});

const invoke = (name: string, next: string) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Arguments: { FunctionName: name, Payload: {} },
  Assign: { [name.replace('-', '_')]: '{% $states.result.Payload %}' },
  Next: next,
});

const template: CfnTemplate = {
  Resources: {
    FnA: fn('fn-a', { GREETING: 'from A' }),
    FnB: fn('fn-b', { GREETING: 'from B', ONLY_B: 'b only' }),
    Flow: {
      Type: 'AWS::StepFunctions::StateMachine',
      Properties: {
        StateMachineName: 'env-flow',
        DefinitionString: JSON.stringify(
          machine({
            A: invoke('fn-a', 'B'),
            B: invoke('fn-b', 'Done'),
            Done: { Type: 'Pass', Output: '{% {"a": $fn_a, "b": $fn_b} %}', End: true },
          }),
        ),
      },
    },
  },
} as CfnTemplate;

describe('per-function environment', () => {
  it('two functions with different values of one variable each see their own, at import and at call time', async () => {
    const before = { greeting: process.env.GREETING, onlyB: process.env.ONLY_B };
    const { runtime } = newRuntime();
    const deployed = await deployTemplate(runtime, loadTemplate(template), { importEntriesFrom: root, applyEnvironment: true });
    expect(deployed.functions).toEqual({ 'fn-a': expect.any(String), 'fn-b': expect.any(String) });
    const { executionArn } = runtime.startExecution({ stateMachineArn: deployed.stateMachines['env-flow']!, input: '{}' });
    await runtime.runUntilIdle();
    const d = runtime.describeExecution({ executionArn });
    expect(d.status).toBe('SUCCEEDED');
    expect(JSON.parse(d.output!)).toEqual({
      a: {
        atImport: { greeting: 'from A' },
        atCall: { greeting: 'from A', onlyB: null, setByHandler: 'from A', hasOnlyB: false },
        keys: ['GREETING'],
      },
      b: {
        atImport: { greeting: 'from B', onlyB: 'b only' },
        atCall: { greeting: 'from B', onlyB: 'b only', setByHandler: 'from B', hasOnlyB: true },
        keys: ['GREETING', 'ONLY_B'],
      },
    });
    // Outside the functions, the process's environment is untouched.
    expect({ greeting: process.env.GREETING, onlyB: process.env.ONLY_B }).toEqual(before);
    expect(process.env.SET_BY_HANDLER).toBeUndefined();
    await runtime.close();
  });
});
