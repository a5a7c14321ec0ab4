/** Load-time refusals: anything the runtime does not support is refused, naming the state and the field. */
import { describe, expect, it } from 'vitest';
import { compileDefinition, DefinitionError } from '../../infra/local/sfn/index.js';

const jsonata = (states: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  QueryLanguage: 'JSONata',
  StartAt: Object.keys(states)[0],
  States: states,
  ...extra,
});

function refusal(definition: unknown): string {
  try {
    compileDefinition(definition as object);
  } catch (err) {
    expect(err).toBeInstanceOf(DefinitionError);
    return (err as Error).message;
  }
  throw new Error('the definition was accepted');
}

describe('definition loading', () => {
  it('accepts a JSONata definition using every supported state type', () => {
    const m = compileDefinition(
      jsonata({
        P: { Type: 'Pass', Next: 'T' },
        T: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:putItem', Arguments: { TableName: 't', Item: {} }, Next: 'C' },
        C: { Type: 'Choice', Choices: [{ Condition: '{% true %}', Next: 'W' }], Default: 'S' },
        W: { Type: 'Wait', Seconds: 1, Next: 'Par' },
        Par: { Type: 'Parallel', Branches: [{ StartAt: 'B', States: { B: { Type: 'Succeed' } } }], Next: 'M' },
        M: { Type: 'Map', ItemProcessor: { StartAt: 'I', States: { I: { Type: 'Pass', End: true } } }, Next: 'F' },
        F: { Type: 'Fail', Error: 'E' },
        S: { Type: 'Succeed' },
      }),
    );
    expect([...m.states.keys()].sort()).toEqual(['B', 'C', 'F', 'I', 'M', 'P', 'Par', 'S', 'T', 'W']);
    expect([...m.graphs.keys()].sort()).toEqual(['', 'M#items', 'Par#0']);
  });

  it('refuses JSONPath states (the default query language) clearly', () => {
    expect(refusal({ StartAt: 'A', States: { A: { Type: 'Pass', End: true } } })).toMatch(/State 'A': field 'QueryLanguage' is JSONPath/);
    expect(refusal(jsonata({ A: { Type: 'Pass', QueryLanguage: 'JSONPath', End: true } }))).toMatch(
      /State 'A': field 'QueryLanguage' is JSONPath/,
    );
  });

  it('refuses JSONPath-only fields in a JSONata state', () => {
    expect(refusal(jsonata({ A: { Type: 'Pass', InputPath: '$.x', End: true } }))).toMatch(
      /State 'A': field 'InputPath' is a JSONPath field/,
    );
    expect(refusal(jsonata({ A: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: {}, End: true } }))).toMatch(
      /State 'A': field 'Parameters' is a JSONPath field/,
    );
    expect(
      refusal(jsonata({ A: { Type: 'Choice', Choices: [{ Variable: '$.x', StringEquals: 'a', Next: 'B' }] }, B: { Type: 'Succeed' } })),
    ).toMatch(/State 'A': field 'Choices\[0\]\.Variable' is a JSONPath choice rule field/);
    expect(
      refusal(
        jsonata({
          A: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.e', Next: 'B' }],
            End: true,
          },
          B: { Type: 'Succeed' },
        }),
      ),
    ).toMatch(/State 'A': field 'Catch\[0\]\.ResultPath' is a JSONPath field/);
  });

  it('refuses unknown state types, unknown fields, unknown resources', () => {
    expect(refusal(jsonata({ A: { Type: 'Sleep', End: true } }))).toMatch(/State 'A': field 'Type' has an unknown state type "Sleep"/);
    expect(refusal(jsonata({ A: { Type: 'Pass', Foo: 1, End: true } }))).toMatch(/State 'A': field 'Foo' is not supported in a Pass state/);
    expect(refusal(jsonata({ A: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', End: true } }))).toMatch(
      /State 'A': field 'Resource' names a resource the local runtime does not support: arn:aws:states:::sqs:sendMessage/,
    );
    expect(refusal(jsonata({ A: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:putItem.waitForTaskToken', End: true } }))).toMatch(
      /State 'A': field 'Resource'/,
    );
    expect(
      refusal(
        jsonata({
          A: { Type: 'Map', ItemReader: {}, ItemProcessor: { StartAt: 'I', States: { I: { Type: 'Pass', End: true } } }, End: true },
        }),
      ),
    ).toMatch(/State 'A': field 'ItemReader' belongs to the distributed Map/);
    expect(
      refusal(
        jsonata({
          A: {
            Type: 'Map',
            ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED' }, StartAt: 'I', States: { I: { Type: 'Pass', End: true } } },
            End: true,
          },
        }),
      ),
    ).toMatch(/State 'A': field 'ItemProcessor.ProcessorConfig.Mode' is "DISTRIBUTED"/);
  });

  it('refuses missing or dangling transitions and unreachable states', () => {
    expect(refusal(jsonata({ A: { Type: 'Pass' } }))).toMatch(/State 'A': field 'Next' is missing/);
    expect(refusal(jsonata({ A: { Type: 'Pass', Next: 'Nowhere' } }))).toMatch(
      /State 'A': field 'Next' names the state 'Nowhere', which does not exist/,
    );
    expect(refusal(jsonata({ A: { Type: 'Pass', End: true }, B: { Type: 'Succeed' } }))).toMatch(/State 'B': the state is not reachable/);
    expect(refusal(jsonata({ A: { Type: 'Pass', Next: 'B', End: true }, B: { Type: 'Succeed' } }))).toMatch(
      /State 'A': fields 'Next' and 'End' cannot both be set/,
    );
  });

  it('refuses $states.result and $states.errorOutput where they are not available', () => {
    expect(refusal(jsonata({ A: { Type: 'Pass', Output: '{% $states.result %}', End: true } }))).toMatch(
      /State 'A': field 'Output' uses \$states.result/,
    );
    expect(
      refusal(
        jsonata({ A: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Arguments: { x: '{% $states.result.y %}' }, End: true } }),
      ),
    ).toMatch(/State 'A': field 'Arguments.x' uses \$states.result/);
    expect(
      refusal(jsonata({ A: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Output: '{% $states.errorOutput %}', End: true } })),
    ).toMatch(/State 'A': field 'Output' uses \$states.errorOutput/);
    expect(() =>
      compileDefinition(
        jsonata({
          A: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Output: '{% $states.result %}',
            Catch: [{ ErrorEquals: ['States.ALL'], Output: '{% $states.errorOutput %}', Next: 'B' }],
            End: true,
          },
          B: { Type: 'Succeed' },
        }),
      ),
    ).not.toThrow();
  });

  it('refuses invalid JSONata, misplaced States.ALL, bad retriers and waits', () => {
    expect(refusal(jsonata({ A: { Type: 'Pass', Output: '{% $states.input. %}', End: true } }))).toMatch(
      /State 'A': field 'Output': invalid JSONata expression/,
    );
    expect(
      refusal(
        jsonata({
          A: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Retry: [{ ErrorEquals: ['States.ALL'] }, { ErrorEquals: ['X'] }],
            End: true,
          },
        }),
      ),
    ).toMatch(/State 'A': field 'Retry\[0\]\.ErrorEquals' holds "States.ALL", which must be in the last/);
    expect(
      refusal(
        jsonata({
          A: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Retry: [{ ErrorEquals: ['X'], BackoffRate: 0.5 }], End: true },
        }),
      ),
    ).toMatch(/State 'A': field 'Retry\[0\]\.BackoffRate'/);
    expect(refusal(jsonata({ A: { Type: 'Wait', Seconds: 1, Timestamp: '2025-01-01T00:00:00Z', End: true } }))).toMatch(
      /State 'A': exactly one of the fields 'Seconds' and 'Timestamp'/,
    );
    expect(
      refusal(
        jsonata({ A: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', TimeoutSeconds: 10, HeartbeatSeconds: 10, End: true } }),
      ),
    ).toMatch(/State 'A': field 'HeartbeatSeconds' must be smaller than TimeoutSeconds/);
    expect(refusal(jsonata({ A: { Type: 'Pass', Assign: { 'bad-name': 1 }, End: true } }))).toMatch(
      /State 'A': field 'Assign.bad-name' is not a valid variable name/,
    );
  });

  it('lists every problem at once', () => {
    const message = refusal(jsonata({ A: { Type: 'Pass', InputPath: '$', Next: 'B' }, B: { Type: 'Wait', End: true } }));
    expect(message).toMatch(/State 'A': field 'InputPath'/);
    expect(message).toMatch(/State 'B': exactly one of the fields/);
  });
});
