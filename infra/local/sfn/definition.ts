/**
 * Loading a state machine definition: validation and compilation.
 *
 * Everything the runtime does not support is refused here, when the definition is loaded, with a
 * message that names the state and the field — never ignored at run time. Supported: JSONata states
 * (Pass, Task, Choice, Wait, Parallel, Map (inline), Succeed, Fail) with Arguments, Output, Assign,
 * Condition, Items, ItemSelector, MaxConcurrency, Seconds, Timestamp, TimeoutSeconds,
 * HeartbeatSeconds, Retry, Catch, and the resources listed in `parseResource`.
 */
import { DefinitionError, StatesErrors } from './errors.js';
import { compileTemplate, isExpressionString, type CompiledExpression, type Template } from './expressions.js';

export type StateType = 'Pass' | 'Task' | 'Choice' | 'Wait' | 'Parallel' | 'Map' | 'Succeed' | 'Fail';
const STATE_TYPES: readonly StateType[] = ['Pass', 'Task', 'Choice', 'Wait', 'Parallel', 'Map', 'Succeed', 'Fail'];

export type ResourceKind =
  | 'lambda:invoke'
  | 'lambda:function'
  | 'dynamodb:getItem'
  | 'dynamodb:putItem'
  | 'dynamodb:updateItem'
  | 'dynamodb:deleteItem'
  | 'states:startExecution';

export type IntegrationPattern = 'request-response' | 'callback' | 'sync' | 'sync2';

export interface ResourceSpec {
  readonly arn: string;
  readonly kind: ResourceKind;
  readonly pattern: IntegrationPattern;
  /** For `lambda:function`: the function ARN given as Resource. */
  readonly functionArn?: string;
}

export interface Retrier {
  readonly errorEquals: readonly string[];
  readonly intervalSeconds: number;
  readonly maxAttempts: number;
  readonly backoffRate: number;
  readonly maxDelaySeconds?: number;
  readonly jitter: 'FULL' | 'NONE';
}

export interface Catcher {
  readonly errorEquals: readonly string[];
  readonly next: string;
  readonly output?: Template;
  readonly assign?: Template;
}

export interface ChoiceRule {
  readonly condition: Template;
  readonly next: string;
  readonly output?: Template;
  readonly assign?: Template;
}

/** A number field that may be a JSONata expression (TimeoutSeconds, HeartbeatSeconds, MaxConcurrency). */
export type NumberField = { readonly k: 'number'; readonly v: number } | { readonly k: 'template'; readonly t: Template };

export interface CompiledState {
  readonly name: string;
  readonly type: StateType;
  /** The graph (state machine, Parallel branch or Map item processor) the state belongs to. */
  readonly graphId: string;
  readonly next?: string;
  readonly end: boolean;
  readonly output?: Template;
  readonly assign?: Template;
  readonly arguments?: Template;
  readonly retry: readonly Retrier[];
  readonly catch: readonly Catcher[];
  // Task
  readonly resource?: ResourceSpec;
  readonly timeoutSeconds?: NumberField;
  readonly heartbeatSeconds?: NumberField;
  // Choice
  readonly choices?: readonly ChoiceRule[];
  readonly default?: string;
  // Wait
  readonly seconds?: Template;
  readonly timestamp?: Template;
  // Fail
  readonly error?: Template;
  readonly cause?: Template;
  // Parallel
  readonly branches?: readonly string[];
  // Map
  readonly processor?: string;
  readonly items?: Template;
  readonly itemSelector?: Template;
  readonly maxConcurrency?: NumberField;
}

export interface CompiledGraph {
  readonly id: string;
  readonly startAt: string;
  readonly states: ReadonlyMap<string, CompiledState>;
  /** The Parallel or Map state that owns this graph (undefined for the state machine itself). */
  readonly owner?: string;
}

export interface CompiledMachine {
  readonly root: CompiledGraph;
  readonly graphs: ReadonlyMap<string, CompiledGraph>;
  /** Every state of every graph, by name (names are unique in the whole state machine). */
  readonly states: ReadonlyMap<string, CompiledState>;
  readonly timeoutSeconds?: number;
  readonly comment?: string;
  /** The definition text as given. */
  readonly text: string;
}

const COMMON = ['Type', 'Comment', 'QueryLanguage'];
const ALLOWED: Record<StateType, readonly string[]> = {
  Pass: [...COMMON, 'Next', 'End', 'Output', 'Assign'],
  Task: [...COMMON, 'Next', 'End', 'Resource', 'Arguments', 'Output', 'Assign', 'TimeoutSeconds', 'HeartbeatSeconds', 'Retry', 'Catch'],
  Choice: [...COMMON, 'Choices', 'Default', 'Output', 'Assign'],
  Wait: [...COMMON, 'Next', 'End', 'Seconds', 'Timestamp', 'Output', 'Assign'],
  Parallel: [...COMMON, 'Next', 'End', 'Branches', 'Arguments', 'Output', 'Assign', 'Retry', 'Catch'],
  Map: [
    ...COMMON,
    'Next',
    'End',
    'ItemProcessor',
    'Iterator',
    'Items',
    'ItemSelector',
    'MaxConcurrency',
    'Output',
    'Assign',
    'Retry',
    'Catch',
  ],
  Succeed: [...COMMON, 'Output'],
  Fail: [...COMMON, 'Error', 'Cause'],
};

/** Fields that exist only in JSONPath states. */
const JSONPATH_FIELDS = new Set([
  'InputPath',
  'OutputPath',
  'Parameters',
  'ResultPath',
  'ResultSelector',
  'Result',
  'ItemsPath',
  'MaxConcurrencyPath',
  'TimeoutSecondsPath',
  'HeartbeatSecondsPath',
  'SecondsPath',
  'TimestampPath',
  'ErrorPath',
  'CausePath',
  'ToleratedFailurePercentagePath',
  'ToleratedFailureCountPath',
  'Variable',
  'And',
  'Or',
  'Not',
]);

/** Fields of the distributed Map only. */
const DISTRIBUTED_MAP_FIELDS = new Set([
  'ItemReader',
  'ItemBatcher',
  'ResultWriter',
  'ToleratedFailurePercentage',
  'ToleratedFailureCount',
  'Label',
]);

const CHOICE_OPERATORS =
  /^(String|Numeric|Boolean|Timestamp)(Equals|LessThan|GreaterThan|LessThanEquals|GreaterThanEquals|Matches)(Path)?$|^Is(Null|Present|Numeric|String|Boolean|Timestamp)$/;

const VARIABLE_NAME = /^[\p{L}_][\p{L}\p{N}_]{0,79}$/u;

/** Recognises a Task Resource. Returns undefined when the runtime does not support it. */
export function parseResource(arn: string): ResourceSpec | undefined {
  const fn = /^arn:[a-z-]+:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$/.exec(arn);
  if (fn) return { arn, kind: 'lambda:function', pattern: 'request-response', functionArn: arn };
  const m = /^arn:[a-z-]+:states:::([a-z]+):([A-Za-z]+)(\.waitForTaskToken|\.sync:2|\.sync)?$/.exec(arn);
  if (!m) return undefined;
  const service = m[1]!;
  const action = m[2]!;
  const suffix = m[3];
  const pattern: IntegrationPattern =
    suffix === '.waitForTaskToken' ? 'callback' : suffix === '.sync:2' ? 'sync2' : suffix === '.sync' ? 'sync' : 'request-response';
  if (service === 'lambda' && action === 'invoke' && (pattern === 'request-response' || pattern === 'callback'))
    return { arn, kind: 'lambda:invoke', pattern };
  if (service === 'dynamodb' && ['getItem', 'putItem', 'updateItem', 'deleteItem'].includes(action) && pattern === 'request-response') {
    return { arn, kind: `dynamodb:${action}` as ResourceKind, pattern };
  }
  if (service === 'states' && action === 'startExecution') return { arn, kind: 'states:startExecution', pattern };
  return undefined;
}

interface Ctx {
  problems: string[];
  graphs: Map<string, CompiledGraph>;
  states: Map<string, CompiledState>;
  topLanguage: string | undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isPositiveInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

/**
 * Validates and compiles a definition (JSON text or an object). Throws DefinitionError listing every
 * problem found, each naming the state and the field.
 */
export function compileDefinition(definition: string | object): CompiledMachine {
  let text: string;
  let raw: unknown;
  if (typeof definition === 'string') {
    text = definition;
    try {
      raw = JSON.parse(definition);
    } catch (err) {
      throw new DefinitionError([`The definition is not valid JSON: ${(err as Error).message}`]);
    }
  } else {
    raw = definition;
    text = JSON.stringify(definition);
  }
  if (!isObject(raw)) throw new DefinitionError(['The definition must be a JSON object']);
  const ctx: Ctx = { problems: [], graphs: new Map(), states: new Map(), topLanguage: undefined };
  const top = raw;
  for (const key of Object.keys(top)) {
    if (!['StartAt', 'States', 'Comment', 'Version', 'TimeoutSeconds', 'QueryLanguage'].includes(key)) {
      ctx.problems.push(`Top level: field '${key}' is not supported`);
    }
  }
  if (top.QueryLanguage !== undefined && top.QueryLanguage !== 'JSONata' && top.QueryLanguage !== 'JSONPath') {
    ctx.problems.push(`Top level: field 'QueryLanguage' must be "JSONata" or "JSONPath", not ${JSON.stringify(top.QueryLanguage)}`);
  }
  ctx.topLanguage = typeof top.QueryLanguage === 'string' ? top.QueryLanguage : 'JSONPath';
  if (top.TimeoutSeconds !== undefined && !isPositiveInteger(top.TimeoutSeconds)) {
    ctx.problems.push(`Top level: field 'TimeoutSeconds' must be a positive integer`);
  }
  const root = compileGraph(ctx, top, '', undefined, ctx.topLanguage, [], 'Top level');
  if (ctx.problems.length > 0) throw new DefinitionError(ctx.problems);
  return {
    root: root!,
    graphs: ctx.graphs,
    states: ctx.states,
    ...(typeof top.TimeoutSeconds === 'number' ? { timeoutSeconds: top.TimeoutSeconds } : {}),
    ...(typeof top.Comment === 'string' ? { comment: top.Comment } : {}),
    text,
  };
}

/**
 * Compiles one graph. `outerNames` holds the variable names assigned in enclosing scopes: an inner
 * scope may read them but not assign them (workflow-variables, "Variable scope").
 */
function compileGraph(
  ctx: Ctx,
  raw: Record<string, unknown>,
  id: string,
  owner: string | undefined,
  language: string,
  outerNames: readonly string[],
  where: string,
): CompiledGraph | undefined {
  if (raw.QueryLanguage !== undefined && id !== '') {
    ctx.problems.push(`${where}: field 'QueryLanguage' is not allowed here (set it on the states)`);
  }
  for (const key of Object.keys(raw)) {
    if (id !== '' && !['StartAt', 'States', 'Comment', 'ProcessorConfig'].includes(key))
      ctx.problems.push(`${where}: field '${key}' is not supported`);
  }
  const startAt = raw.StartAt;
  const states = raw.States;
  if (typeof startAt !== 'string') {
    ctx.problems.push(`${where}: field 'StartAt' is required (a state name)`);
    return undefined;
  }
  if (!isObject(states) || Object.keys(states).length === 0) {
    ctx.problems.push(`${where}: field 'States' is required (an object of states)`);
    return undefined;
  }
  if (!(startAt in states)) ctx.problems.push(`${where}: field 'StartAt' names the state '${startAt}', which does not exist`);

  // Names assigned in this scope (by any state of this graph, including catchers): used to refuse inner
  // scopes that assign the same names.
  const scopeNames = new Set<string>();
  for (const state of Object.values(states)) {
    if (!isObject(state)) continue;
    const collect = (assign: unknown) => {
      if (isObject(assign)) for (const k of Object.keys(assign)) scopeNames.add(k);
    };
    collect(state.Assign);
    if (Array.isArray(state.Choices)) for (const r of state.Choices) if (isObject(r)) collect(r.Assign);
    if (Array.isArray(state.Catch)) for (const c of state.Catch) if (isObject(c)) collect(c.Assign);
  }
  const innerOuter = [...outerNames, ...scopeNames];

  const compiled = new Map<string, CompiledState>();
  for (const [name, state] of Object.entries(states)) {
    if (ctx.states.has(name)) {
      ctx.problems.push(`State '${name}': the name is used twice (state names must be unique in the whole state machine)`);
      continue;
    }
    if (name.length === 0 || name.length > 80) ctx.problems.push(`State '${name}': a state name must have 1 to 80 characters`);
    const s = compileState(ctx, name, state, id, language, outerNames, innerOuter);
    if (s) {
      compiled.set(name, s);
      ctx.states.set(name, s);
    }
  }
  // Transitions must stay inside the graph, and every state must be reachable.
  const targetOk = (from: string, field: string, target: string | undefined) => {
    if (target !== undefined && !compiled.has(target) && Object.prototype.hasOwnProperty.call(states, target) === false) {
      ctx.problems.push(
        `State '${from}': field '${field}' names the state '${target}', which does not exist${id ? ' in the same branch' : ''}`,
      );
    }
  };
  for (const s of compiled.values()) {
    targetOk(s.name, 'Next', s.next);
    targetOk(s.name, 'Default', s.default);
    s.choices?.forEach((r, i) => targetOk(s.name, `Choices[${i}].Next`, r.next));
    s.catch.forEach((c, i) => targetOk(s.name, `Catch[${i}].Next`, c.next));
  }
  const reached = new Set<string>();
  const queue = [startAt];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (reached.has(name)) continue;
    reached.add(name);
    const s = compiled.get(name);
    if (!s) continue;
    for (const t of [s.next, s.default, ...(s.choices ?? []).map((r) => r.next), ...s.catch.map((c) => c.next)])
      if (t !== undefined) queue.push(t);
  }
  for (const name of compiled.keys()) {
    if (!reached.has(name))
      ctx.problems.push(`State '${name}': the state is not reachable from '${startAt}'${where === 'Top level' ? '' : ` (${where})`}`);
  }
  const graph: CompiledGraph = { id, startAt, states: compiled, ...(owner ? { owner } : {}) };
  ctx.graphs.set(id, graph);
  return graph;
}

function compileState(
  ctx: Ctx,
  name: string,
  raw: unknown,
  graphId: string,
  inheritedLanguage: string,
  outerNames: readonly string[],
  scopeNames: readonly string[],
): CompiledState | undefined {
  const problems = ctx.problems;
  const at = (field: string, msg: string) => problems.push(`State '${name}': field '${field}' ${msg}`);
  if (!isObject(raw)) {
    problems.push(`State '${name}': a state must be a JSON object`);
    return undefined;
  }
  const type = raw.Type as StateType;
  if (typeof raw.Type !== 'string' || !STATE_TYPES.includes(type)) {
    at('Type', `has an unknown state type ${JSON.stringify(raw.Type)} (supported: ${STATE_TYPES.join(', ')})`);
    return undefined;
  }
  const language = raw.QueryLanguage ?? inheritedLanguage;
  if (raw.QueryLanguage !== undefined && raw.QueryLanguage !== 'JSONata' && raw.QueryLanguage !== 'JSONPath') {
    at('QueryLanguage', `must be "JSONata" or "JSONPath", not ${JSON.stringify(raw.QueryLanguage)}`);
    return undefined;
  }
  if (language !== 'JSONata') {
    problems.push(
      `State '${name}': field 'QueryLanguage' is JSONPath${raw.QueryLanguage === undefined ? ' (the default when the definition does not set "QueryLanguage": "JSONata")' : ''}; the local runtime runs JSONata states only`,
    );
    return undefined;
  }
  for (const key of Object.keys(raw)) {
    if (ALLOWED[type].includes(key)) continue;
    if (JSONPATH_FIELDS.has(key)) at(key, `is a JSONPath field; it is not allowed in a JSONata state`);
    else if (type === 'Map' && DISTRIBUTED_MAP_FIELDS.has(key))
      at(key, `belongs to the distributed Map, which the local runtime does not support (inline Map only)`);
    else if (key === 'Credentials') at(key, `is not supported by the local runtime`);
    else at(key, `is not supported in a ${type} state`);
  }

  const expressions: { e: CompiledExpression; field: string; allowResult: boolean; allowErrorOutput: boolean }[] = [];
  const template = (value: unknown, field: string, opts: { result?: boolean; errorOutput?: boolean } = {}): Template | undefined => {
    if (value === undefined) return undefined;
    try {
      return compileTemplate(value, field, (e) =>
        expressions.push({ e, field, allowResult: !!opts.result, allowErrorOutput: !!opts.errorOutput }),
      );
    } catch (err) {
      problems.push(`State '${name}': ${(err as Error).message}`);
      return undefined;
    }
  };
  const assignTemplate = (value: unknown, field: string, opts: { result?: boolean; errorOutput?: boolean } = {}): Template | undefined => {
    if (value === undefined) return undefined;
    if (!isObject(value)) {
      at(field, 'must be a JSON object of variable names and values');
      return undefined;
    }
    for (const key of Object.keys(value)) {
      if (!VARIABLE_NAME.test(key))
        at(`${field}.${key}`, 'is not a valid variable name (a letter or _ first, then letters, digits or _; at most 80 characters)');
      else if (key === 'states') at(`${field}.${key}`, `assigns the reserved variable $states`);
      else if (outerNames.includes(key))
        at(
          `${field}.${key}`,
          `assigns the variable $${key}, which is assigned in an outer scope; a Parallel branch or Map iteration cannot assign a variable of an outer scope`,
        );
    }
    return template(value, field, opts);
  };

  const resultStates = type === 'Task' || type === 'Map' || type === 'Parallel';
  const output = template(raw.Output, 'Output', { result: resultStates });
  const assign = assignTemplate(raw.Assign, 'Assign', { result: resultStates });
  const argumentsT = type === 'Task' || type === 'Parallel' ? template(raw.Arguments, 'Arguments') : undefined;

  // Next / End
  let next: string | undefined;
  let end = false;
  const terminalByType = type === 'Succeed' || type === 'Fail';
  if (type !== 'Choice' && !terminalByType) {
    if (raw.Next !== undefined && raw.End !== undefined) problems.push(`State '${name}': fields 'Next' and 'End' cannot both be set`);
    else if (raw.End !== undefined) {
      if (raw.End !== true) at('End', 'must be true when set');
      end = true;
    } else if (typeof raw.Next === 'string') next = raw.Next;
    else problems.push(`State '${name}': field 'Next' is missing (a ${type} state needs 'Next' or "End": true)`);
  }
  if (terminalByType) end = true;

  const retry: Retrier[] = [];
  const catchers: Catcher[] = [];
  if (raw.Retry !== undefined) {
    if (!Array.isArray(raw.Retry)) at('Retry', 'must be an array of retriers');
    else
      raw.Retry.forEach((r: unknown, i: number) => {
        const f = `Retry[${i}]`;
        if (!isObject(r)) return at(f, 'must be an object');
        for (const key of Object.keys(r)) {
          if (
            !['ErrorEquals', 'IntervalSeconds', 'MaxAttempts', 'BackoffRate', 'MaxDelaySeconds', 'JitterStrategy', 'Comment'].includes(key)
          )
            at(`${f}.${key}`, 'is not supported');
        }
        const errorEquals = checkErrorEquals(r.ErrorEquals, `${f}.ErrorEquals`, at, i === (raw.Retry as unknown[]).length - 1);
        if (r.IntervalSeconds !== undefined && !isPositiveInteger(r.IntervalSeconds))
          at(`${f}.IntervalSeconds`, 'must be a positive integer');
        if (
          r.MaxAttempts !== undefined &&
          !(typeof r.MaxAttempts === 'number' && Number.isInteger(r.MaxAttempts) && r.MaxAttempts >= 0 && r.MaxAttempts <= 99999999)
        )
          at(`${f}.MaxAttempts`, 'must be a non-negative integer');
        if (r.BackoffRate !== undefined && !(typeof r.BackoffRate === 'number' && r.BackoffRate >= 1))
          at(`${f}.BackoffRate`, 'must be a number greater than or equal to 1.0');
        if (r.MaxDelaySeconds !== undefined && !isPositiveInteger(r.MaxDelaySeconds))
          at(`${f}.MaxDelaySeconds`, 'must be a positive integer');
        if (r.JitterStrategy !== undefined && r.JitterStrategy !== 'FULL' && r.JitterStrategy !== 'NONE')
          at(`${f}.JitterStrategy`, 'must be "FULL" or "NONE"');
        retry.push({
          errorEquals,
          intervalSeconds: typeof r.IntervalSeconds === 'number' ? r.IntervalSeconds : 1,
          maxAttempts: typeof r.MaxAttempts === 'number' ? r.MaxAttempts : 3,
          backoffRate: typeof r.BackoffRate === 'number' ? r.BackoffRate : 2,
          ...(typeof r.MaxDelaySeconds === 'number' ? { maxDelaySeconds: r.MaxDelaySeconds } : {}),
          jitter: r.JitterStrategy === 'FULL' ? 'FULL' : 'NONE',
        });
      });
  }
  if (raw.Catch !== undefined) {
    if (!Array.isArray(raw.Catch)) at('Catch', 'must be an array of catchers');
    else
      raw.Catch.forEach((c: unknown, i: number) => {
        const f = `Catch[${i}]`;
        if (!isObject(c)) return at(f, 'must be an object');
        for (const key of Object.keys(c)) {
          if (key === 'ResultPath') at(`${f}.ResultPath`, 'is a JSONPath field; it is not allowed in a JSONata state');
          else if (!['ErrorEquals', 'Next', 'Output', 'Assign', 'Comment'].includes(key)) at(`${f}.${key}`, 'is not supported');
        }
        const errorEquals = checkErrorEquals(c.ErrorEquals, `${f}.ErrorEquals`, at, i === (raw.Catch as unknown[]).length - 1);
        if (typeof c.Next !== 'string') at(`${f}.Next`, 'is missing (a state name)');
        const cOutput = template(c.Output, `${f}/Output`, { errorOutput: true });
        const cAssign = assignTemplate(c.Assign, `${f}/Assign`, { errorOutput: true });
        catchers.push({
          errorEquals,
          next: typeof c.Next === 'string' ? c.Next : '',
          ...(cOutput ? { output: cOutput } : {}),
          ...(cAssign ? { assign: cAssign } : {}),
        });
      });
  }

  const state: Record<string, unknown> = {
    name,
    type,
    graphId,
    end,
    retry,
    catch: catchers,
    ...(next !== undefined ? { next } : {}),
    ...(output ? { output } : {}),
    ...(assign ? { assign } : {}),
    ...(argumentsT ? { arguments: argumentsT } : {}),
  };

  const numberField = (field: string, allowZero: boolean): NumberField | undefined => {
    const v = raw[field];
    if (v === undefined) return undefined;
    if (isExpressionString(v)) {
      const t = template(v, field);
      return t ? { k: 'template', t } : undefined;
    }
    if (typeof v === 'number' && Number.isInteger(v) && (allowZero ? v >= 0 : v > 0) && v <= 99999999) return { k: 'number', v };
    at(field, `must be a ${allowZero ? 'non-negative' : 'positive'} integer or a JSONata expression`);
    return undefined;
  };

  switch (type) {
    case 'Task': {
      if (typeof raw.Resource !== 'string') at('Resource', 'is required (a string)');
      else {
        const resource = parseResource(raw.Resource);
        if (!resource)
          at(
            'Resource',
            `names a resource the local runtime does not support: ${raw.Resource} (supported: arn:aws:states:::lambda:invoke[.waitForTaskToken], a Lambda function ARN, arn:aws:states:::dynamodb:getItem|putItem|updateItem|deleteItem, arn:aws:states:::states:startExecution[.sync:2|.sync|.waitForTaskToken])`,
          );
        else state.resource = resource;
      }
      const timeout = numberField('TimeoutSeconds', false);
      const heartbeat = numberField('HeartbeatSeconds', false);
      if (timeout?.k === 'number' && heartbeat?.k === 'number' && heartbeat.v >= timeout.v)
        at('HeartbeatSeconds', 'must be smaller than TimeoutSeconds');
      if (timeout) state.timeoutSeconds = timeout;
      if (heartbeat) state.heartbeatSeconds = heartbeat;
      break;
    }
    case 'Choice': {
      if (!Array.isArray(raw.Choices) || raw.Choices.length === 0) at('Choices', 'is required (a non-empty array of rules)');
      else {
        const rules: ChoiceRule[] = [];
        raw.Choices.forEach((r: unknown, i: number) => {
          const f = `Choices[${i}]`;
          if (!isObject(r)) return at(f, 'must be an object');
          for (const key of Object.keys(r)) {
            if (['Condition', 'Next', 'Output', 'Assign', 'Comment'].includes(key)) continue;
            if (JSONPATH_FIELDS.has(key) || CHOICE_OPERATORS.test(key))
              at(`${f}.${key}`, 'is a JSONPath choice rule field; a JSONata Choice rule uses Condition');
            else at(`${f}.${key}`, 'is not supported');
          }
          if (r.Condition === undefined) at(`${f}.Condition`, 'is required (a JSONata expression or a boolean)');
          else if (typeof r.Condition !== 'boolean' && !isExpressionString(r.Condition))
            at(`${f}.Condition`, 'must be a JSONata expression {% … %} or a boolean');
          if (typeof r.Next !== 'string') at(`${f}.Next`, 'is required (a state name)');
          const condition = template(r.Condition, `${f}/Condition`);
          const rOutput = template(r.Output, `${f}/Output`);
          const rAssign = assignTemplate(r.Assign, `${f}/Assign`);
          if (condition && typeof r.Next === 'string')
            rules.push({ condition, next: r.Next, ...(rOutput ? { output: rOutput } : {}), ...(rAssign ? { assign: rAssign } : {}) });
        });
        state.choices = rules;
      }
      if (raw.Default !== undefined) {
        if (typeof raw.Default !== 'string') at('Default', 'must be a state name');
        else state.default = raw.Default;
      }
      break;
    }
    case 'Wait': {
      const hasSeconds = raw.Seconds !== undefined;
      const hasTimestamp = raw.Timestamp !== undefined;
      if (hasSeconds === hasTimestamp) problems.push(`State '${name}': exactly one of the fields 'Seconds' and 'Timestamp' must be set`);
      if (hasSeconds) {
        if (isExpressionString(raw.Seconds)) state.seconds = template(raw.Seconds, 'Seconds');
        else if (typeof raw.Seconds === 'number' && Number.isInteger(raw.Seconds) && raw.Seconds >= 0 && raw.Seconds <= 99999999)
          state.seconds = { k: 'const', v: raw.Seconds };
        else at('Seconds', 'must be a non-negative integer or a JSONata expression');
      }
      if (hasTimestamp) {
        if (isExpressionString(raw.Timestamp)) state.timestamp = template(raw.Timestamp, 'Timestamp');
        else if (typeof raw.Timestamp === 'string' && parseTimestamp(raw.Timestamp) !== undefined)
          state.timestamp = { k: 'const', v: raw.Timestamp };
        else at('Timestamp', 'must be an ISO 8601 timestamp (e.g. 2016-03-14T01:59:00Z) or a JSONata expression');
      }
      break;
    }
    case 'Fail': {
      if (raw.Error !== undefined && typeof raw.Error !== 'string') at('Error', 'must be a string or a JSONata expression');
      if (raw.Cause !== undefined && typeof raw.Cause !== 'string') at('Cause', 'must be a string or a JSONata expression');
      const error = template(raw.Error, 'Error');
      const cause = template(raw.Cause, 'Cause');
      if (error) state.error = error;
      if (cause) state.cause = cause;
      break;
    }
    case 'Parallel': {
      if (!Array.isArray(raw.Branches) || raw.Branches.length === 0) at('Branches', 'is required (a non-empty array of branches)');
      else {
        const ids: string[] = [];
        raw.Branches.forEach((b: unknown, i: number) => {
          if (!isObject(b)) return at(`Branches[${i}]`, 'must be an object with StartAt and States');
          const id = `${name}#${i}`;
          const g = compileGraph(ctx, b, id, name, language, scopeNames, `State '${name}' Branches[${i}]`);
          if (g) ids.push(id);
        });
        state.branches = ids;
      }
      break;
    }
    case 'Map': {
      const processorRaw = raw.ItemProcessor ?? raw.Iterator;
      const pf = raw.ItemProcessor !== undefined ? 'ItemProcessor' : 'Iterator';
      if (raw.ItemProcessor !== undefined && raw.Iterator !== undefined)
        problems.push(`State '${name}': fields 'ItemProcessor' and 'Iterator' cannot both be set`);
      if (!isObject(processorRaw)) at('ItemProcessor', 'is required (an object with StartAt and States)');
      else {
        const config = processorRaw.ProcessorConfig;
        if (config !== undefined) {
          if (!isObject(config)) at(`${pf}.ProcessorConfig`, 'must be an object');
          else {
            for (const key of Object.keys(config))
              if (key !== 'Mode' && key !== 'ExecutionType') at(`${pf}.ProcessorConfig.${key}`, 'is not supported');
            if (config.Mode !== undefined && config.Mode !== 'INLINE')
              at(
                `${pf}.ProcessorConfig.Mode`,
                `is ${JSON.stringify(config.Mode)}; the local runtime supports the inline Map only (Mode INLINE)`,
              );
          }
        }
        const id = `${name}#items`;
        if (compileGraph(ctx, processorRaw, id, name, language, scopeNames, `State '${name}' ${pf}`)) state.processor = id;
      }
      if (raw.Items !== undefined) {
        if (!Array.isArray(raw.Items) && !isExpressionString(raw.Items)) at('Items', 'must be a JSON array or a JSONata expression');
        else state.items = template(raw.Items, 'Items');
      }
      const selector = template(raw.ItemSelector, 'ItemSelector');
      if (selector) state.itemSelector = selector;
      const mc = numberField('MaxConcurrency', true);
      if (mc) state.maxConcurrency = mc;
      break;
    }
    default:
      break;
  }

  // Where `$states.result` and `$states.errorOutput` may be used (transforming-data): result only in the
  // top-level Output/Assign of Task, Map and Parallel; errorOutput only in a Catcher's Output/Assign.
  for (const { e, allowResult, allowErrorOutput } of expressions) {
    if (e.usesEval) problems.push(`State '${name}': field '${e.field}' calls $eval, which Step Functions does not provide (use $parse)`);
    if (e.statesMembers.has('result') && !allowResult) {
      problems.push(
        `State '${name}': field '${e.field}' uses $states.result, which is only available in the Output and Assign of a Task, Map or Parallel state`,
      );
    }
    if (e.statesMembers.has('errorOutput') && !allowErrorOutput) {
      problems.push(
        `State '${name}': field '${e.field}' uses $states.errorOutput, which is only available in the Output and Assign of a Catcher`,
      );
    }
    for (const m of e.statesMembers) {
      if (!['input', 'context', 'result', 'errorOutput', '*'].includes(m))
        problems.push(`State '${name}': field '${e.field}' uses $states.${m}, which does not exist (input, result, errorOutput, context)`);
    }
  }
  return state as unknown as CompiledState;
}

function checkErrorEquals(v: unknown, field: string, at: (f: string, msg: string) => void, isLast: boolean): string[] {
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string' && x.length > 0)) {
    at(field, 'must be a non-empty array of error names');
    return [];
  }
  const names = v as string[];
  if (names.includes(StatesErrors.ALL)) {
    if (names.length > 1) at(field, `must hold "States.ALL" alone`);
    if (!isLast) at(field, `holds "States.ALL", which must be in the last retrier or catcher`);
  }
  return names;
}

/** Parses an ISO 8601 / RFC 3339 timestamp as the Wait state accepts it; undefined when invalid. */
export function parseTimestamp(value: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}
