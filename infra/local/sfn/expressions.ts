/**
 * JSONata in Step Functions: `{% … %}` strings at any depth of a field's value, evaluated by the
 * `jsonata` package (2.0.6, the version the service documents), with the functions Step Functions adds
 * ($partition, $range, $hash, $random, $uuid, $parse) and without `$eval`.
 *
 * A field value is compiled once, when the definition is loaded, into a `Template`: constants stay
 * constants, every expression is parsed once (syntax errors are refused at load time).
 */
import { createHash } from 'node:crypto';
import jsonata from 'jsonata';
import { JsonataError, SfnError, StatesErrors } from './errors.js';
import { ExactInteger, exactIntegersSeen, parseStrictJson, withDoubles } from './json-text.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface CompiledExpression {
  /** The text between `{%` and `%}`. */
  readonly text: string;
  /** Where it stands in the state, for messages: `Arguments.Payload.token`. */
  readonly field: string;
  readonly expr: jsonata.Expression;
  /** Names of `$states.<name>` members the expression reads (input, context, result, errorOutput, …). */
  readonly statesMembers: ReadonlySet<string>;
  /** True when the expression calls `$eval`. */
  readonly usesEval: boolean;
  /** True when the expression only refers to values and builds structures of them (see `refersOnly`). */
  readonly keepsExact: boolean;
  /**
   * A direct evaluator for the simplest expressions (see `compileFast`): it gives the value JSONata
   * would give, or `SLOW` whenever anything is outside what it covers, and the expression then goes
   * through JSONata.
   */
  readonly fast?: FastEvaluator;
}

/** A compiled field value. */
export type Template =
  | { readonly k: 'const'; readonly v: unknown }
  | { readonly k: 'expr'; readonly e: CompiledExpression }
  | { readonly k: 'object'; readonly keys: readonly string[]; readonly vals: readonly Template[] }
  | { readonly k: 'array'; readonly items: readonly Template[] };

/** An expression is a string that begins exactly with `{%` and ends exactly with `%}`. */
export function isExpressionString(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 4 && value.startsWith('{%') && value.endsWith('%}');
}

// ---------------------------------------------------------------------------------------------------
// Functions added by Step Functions
// ---------------------------------------------------------------------------------------------------

const hashAlgorithms: Record<string, string> = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

/**
 * The functions Step Functions adds check their arguments as the service does (measured against the
 * service; see test/sfn/conformance-functions.test.ts for each rule and its source): a surplus or
 * wrongly typed argument is JSONata's own T0410/T0412, a value out of range D3137; a missing optional
 * argument, an empty array or a zero size make the result undefined (so the field fails with
 * "returned nothing"); a fractional number is cut towards zero.
 */
function signatureError(fn: string, argument: number): JsonataError {
  return new JsonataError('T0410', `Argument ${argument} of function "${fn}" does not match function signature`, {
    index: argument,
    token: fn,
  });
}

function noSurplus(fn: string, args: readonly unknown[], max: number): void {
  for (let i = max; i < args.length; i++) if (args[i] !== undefined) throw signatureError(fn, i + 1);
}

/** A number argument cut towards zero (as Java's cast to long), or T0410 for anything else. */
function towardsZero(fn: string, value: unknown, argument: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw signatureError(fn, argument);
  return Math.trunc(value) || 0;
}

function fnPartition(...args: unknown[]): unknown {
  noSurplus('partition', args, 2);
  const [array, size] = args;
  if (array === undefined) return undefined;
  if (!Array.isArray(array))
    throw new JsonataError('T0412', 'Argument 1 of function "partition" must be an array of undefined', { index: 1, token: 'partition' });
  if (array.length === 0) return undefined;
  if (size === undefined) return [array];
  const n = towardsZero('partition', size, 2);
  if (n < 0) throw new JsonataError('D3137', 'Second argument must be zero or greater');
  if (n === 0) return undefined;
  const out: unknown[] = [];
  for (let i = 0; i < array.length; i += n) out.push(array.slice(i, i + n));
  return out;
}

/** `$range` refuses, before allocating, a result longer than the service does (360,145 elements). */
export const MAX_RANGE_ITEMS = 360_145;

function fnRange(...args: unknown[]): unknown {
  noSurplus('range', args, 3);
  const start = towardsZero('range', args[0], 1);
  const end = towardsZero('range', args[1], 2);
  if (args[2] === undefined) return undefined;
  const step = towardsZero('range', args[2], 3);
  if (step === 0 || (step > 0 && start > end) || (step < 0 && start < end)) return undefined;
  const count = Math.floor((end - start) / step) + 1;
  if (count > MAX_RANGE_ITEMS) throw memoryLimitError();
  // A range of one element is the bare number, as in the service.
  if (count === 1) return start;
  const out: number[] = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = start + i * step;
  return out;
}

function fnHash(...args: unknown[]): unknown {
  noSurplus('hash', args, 2);
  const [data, algorithm] = args;
  if (typeof data !== 'string') throw signatureError('hash', 1);
  if (algorithm === undefined) return undefined;
  if (typeof algorithm !== 'string') throw signatureError('hash', 2);
  const alg = hashAlgorithms[algorithm];
  if (!alg) throw new JsonataError('D3137', `Hash algorithm '${algorithm}' must be one of SHA-1, SHA-384, SHA-256, SHA-512, MD5`);
  return createHash(alg).update(data, 'utf8').digest('hex');
}

/** Bound while an expression that keeps whole numbers exact (`keepsExact`) is evaluated. */
const EXACT = ' sfn exact';

function fnParse(this: { environment?: Environment } | undefined, ...args: unknown[]): unknown {
  noSurplus('parse', args, 1);
  const [text] = args;
  if (text === undefined) return undefined;
  if (typeof text !== 'string') throw signatureError('parse', 1);
  return parseStrictJson(text, this?.environment?.lookup(EXACT) === true);
}

function fnUuidArguments(args: readonly unknown[]): void {
  noSurplus('uuid', args, 0);
}

function fnEvalUnavailable(): never {
  throw new JsonataError('T1006', 'Attempted to invoke a non-function');
}

const MASK48 = (1n << 48n) - 1n;
const MULTIPLIER = 0x5deece66dn;

/**
 * `java.util.Random(seed).nextDouble()`: what the service's `$random(seed)` returns (seed 42 →
 * 0.7275636800328681, measured against the service).
 */
export function javaRandomNextDouble(seed: number): number {
  let state = (BigInt.asIntN(64, BigInt(Math.trunc(seed))) ^ MULTIPLIER) & MASK48;
  const next = (bits: number): bigint => {
    state = (state * MULTIPLIER + 0xbn) & MASK48;
    return state >> BigInt(48 - bits);
  };
  const hi = next(26);
  const lo = next(27);
  return Number((hi << 27n) + lo) / 2 ** 53;
}

/** A small deterministic generator (mulberry32) whose whole state is one 32-bit integer (checkpointable). */
export class SeededRandom {
  state: number;
  constructor(state: number) {
    this.state = state >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  uuid(): string {
    const bytes = new Uint8Array(16);
    for (let i = 0; i < 16; i += 4) {
      const n = Math.floor(this.next() * 4294967296);
      bytes[i] = n & 0xff;
      bytes[i + 1] = (n >>> 8) & 0xff;
      bytes[i + 2] = (n >>> 16) & 0xff;
      bytes[i + 3] = (n >>> 24) & 0xff;
    }
    bytes[6] = (bytes[6]! & 0x0f) | 0x40;
    bytes[8] = (bytes[8]! & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
}

let fromMillisExpr: jsonata.Expression | undefined;

/**
 * The functions that depend on the execution (time and randomness), bound per execution so that
 * executions are deterministic given the clock and the inputs: `$now()`/`$millis()` read the runtime's
 * clock (virtual or system), `$random()`/`$uuid()` draw from the execution's checkpointed generator.
 */
export function executionFunctions(nowMs: () => number, rng: SeededRandom): Record<string, unknown> {
  return {
    now: (picture?: string, timezone?: string) => {
      const ms = nowMs();
      if (picture === undefined && timezone === undefined) return new Date(ms).toISOString();
      fromMillisExpr ??= jsonata('$fromMillis($ms, $p, $tz)');
      return fromMillisExpr.evaluate(undefined, { ms, p: picture, tz: timezone });
    },
    millis: () => nowMs(),
    random: (...args: unknown[]) => {
      noSurplus('random', args, 1);
      if (args[0] === undefined) return rng.next();
      return javaRandomNextDouble(towardsZero('random', args[0], 1));
    },
    uuid: (...args: unknown[]) => {
      fnUuidArguments(args);
      return rng.uuid();
    },
    eval: fnEvalUnavailable,
  };
}

// ---------------------------------------------------------------------------------------------------
// Compilation
// ---------------------------------------------------------------------------------------------------

type AstNode = { type?: string; value?: unknown; steps?: unknown; procedure?: unknown } & Record<string, unknown>;

/** Walks a JSONata AST and reports `$states.<member>` reads and `$eval` calls. */
function analyse(ast: AstNode): { members: Set<string>; usesEval: boolean } {
  const members = new Set<string>();
  let usesEval = false;
  const seen = new Set<unknown>();
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object' || seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    const n = node as AstNode;
    if (n.type === 'path' && Array.isArray(n.steps)) {
      const [first, second] = n.steps as AstNode[];
      if (first?.type === 'variable' && first.value === 'states') {
        members.add(second?.type === 'name' && typeof second.value === 'string' ? second.value : '*');
      }
    }
    if (n.type === 'variable' && n.value === 'states') members.add('*');
    if (n.type === 'function' && (n.procedure as AstNode | undefined)?.type === 'variable' && (n.procedure as AstNode).value === 'eval')
      usesEval = true;
    for (const key of Object.keys(n)) {
      if (key === 'position' || key === 'type' || key === 'value') continue;
      visit(n[key]);
    }
  };
  visit(ast);
  // A bare `$states` inside a path is also reported as '*' by the variable rule; keep the precise names.
  if (members.size > 1) members.delete('*');
  return { members, usesEval };
}

/** A filter that is a number literal (`a[0]`, `a[-1]`): it selects by position, never reads the items. */
function positionalOnly(stages: unknown): boolean {
  if (stages === undefined) return true;
  return (
    Array.isArray(stages) && (stages as AstNode[]).every((s) => s.type === 'filter' && (s.expr as AstNode | undefined)?.type === 'number')
  );
}

/**
 * True when an expression only refers to values and builds objects and arrays of them: paths of
 * variables and names (with positional filters), object and array constructors with literal keys,
 * literals, one-expression blocks and `$parse`. Such an expression never computes with a number, so its
 * whole numbers reach the output as the input had them, as in the service, where JSONata carries a
 * long it was given unchanged (`$states.input.id` of 9007199254740993 is 9007199254740993); everything
 * else computes in doubles, as JSONata defines numbers (`$states.input.id + 0` is 9007199254740992).
 */
function refersOnly(node: AstNode | undefined): boolean {
  if (!node) return false;
  switch (node.type) {
    case 'string':
    case 'number':
    case 'value':
      return true;
    case 'variable':
    case 'name':
      return (
        node.value !== '' &&
        positionalOnly(node.stages) &&
        positionalOnly(node.predicate) &&
        node.group === undefined &&
        node.focus === undefined &&
        node.index === undefined &&
        node.tuple === undefined
      );
    case 'path':
      return (
        node.group === undefined &&
        node.tuple === undefined &&
        Array.isArray(node.steps) &&
        (node.steps as AstNode[]).every((step, i) => (step.type === 'variable' ? i === 0 : step.type === 'name') && refersOnly(step))
      );
    case 'block':
      return Array.isArray(node.expressions) && node.expressions.length === 1 && refersOnly((node.expressions as AstNode[])[0]);
    case 'unary':
      if (node.value === '[') return Array.isArray(node.expressions) && (node.expressions as AstNode[]).every(refersOnly);
      if (node.value === '{')
        return (
          Array.isArray(node.lhs) && (node.lhs as [AstNode, AstNode][]).every(([key, value]) => key.type === 'string' && refersOnly(value))
        );
      return false;
    case 'function': {
      const procedure = node.procedure as AstNode | undefined;
      return (
        procedure?.type === 'variable' &&
        procedure.value === 'parse' &&
        Array.isArray(node.arguments) &&
        (node.arguments as AstNode[]).every(refersOnly)
      );
    }
    default:
      return false;
  }
}

const compiledCache = new Map<string, jsonata.Expression>();

function parseExpression(text: string): jsonata.Expression {
  let expr = compiledCache.get(text);
  if (!expr) {
    expr = jsonata(text);
    expr.registerFunction('partition', fnPartition);
    expr.registerFunction('range', fnRange);
    expr.registerFunction('hash', fnHash);
    expr.registerFunction('parse', fnParse);
    expr.registerFunction('eval', fnEvalUnavailable);
    expr.assign(Symbol.for('jsonata.__evaluate_entry') as unknown as string, onEntry);
    expr.assign(Symbol.for('jsonata.__evaluate_exit') as unknown as string, onExit);
    compiledCache.set(text, expr);
  }
  return expr;
}

/** Compiles one `{% … %}` string. Throws an Error whose message says what is wrong with the syntax. */
export function compileExpression(source: string, field: string): CompiledExpression {
  const text = source.slice(2, -2).trim();
  if (text === '') throw new Error(`field '${field}': the JSONata expression is empty`);
  let expr: jsonata.Expression;
  try {
    expr = parseExpression(text);
  } catch (err) {
    const e = err as { message?: string; code?: string; position?: number };
    throw new Error(
      `field '${field}': invalid JSONata expression '${text}': ${e.message ?? String(err)}${e.position !== undefined ? ` (at position ${e.position})` : ''}`,
      { cause: err },
    );
  }
  const ast = expr.ast() as unknown as AstNode;
  const { members, usesEval } = analyse(ast);
  const fast = usesEval ? undefined : compileFast(ast);
  return { text, field, expr, statesMembers: members, usesEval, keepsExact: refersOnly(ast), ...(fast ? { fast } : {}) };
}

// ---------------------------------------------------------------------------------------------------
// Fast path
// ---------------------------------------------------------------------------------------------------

/** What a fast evaluator returns when the expression must go through JSONata. */
export const SLOW: unique symbol = Symbol('slow');
type FastEvaluator = (bindings: Record<string, unknown>) => unknown;

function onlyKeys(node: AstNode, allowed: readonly string[]): boolean {
  // Own fields only: the parser's nodes inherit their token's (id, lbp, nud).
  return Object.keys(node).every((key) => allowed.includes(key));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A number, string or boolean as JSONata gives it back unchanged (anything else: SLOW). */
function primitive(v: unknown): unknown {
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v) ? v : SLOW;
    case 'string':
      return v.length <= MAX_STRING_CHARS ? v : SLOW;
    case 'boolean':
      return v;
    default:
      return SLOW;
  }
}

/**
 * Compiles the expressions most states use into plain functions, leaving JSONata out: a variable or a
 * path of plain field names from a variable (`$states.input.i`, `$x.y`) whose value is a number, string
 * or boolean; number, string and boolean literals; and `+ - * / %`, `< <= > >=`, `= !=` between them.
 * Each gives what JSONata gives (its `evaluateNumericExpression`, `evaluateComparisonExpression`,
 * `evaluateEqualityExpression` on these types). Anything else at run time (a missing field, an array,
 * an object, null, an exact whole number, a type JSONata would refuse, a result that is not finite)
 * returns SLOW, and JSONata evaluates the expression with its own results and errors. Returns
 * undefined when the expression's shape is not covered at all.
 */
function compileFast(node: AstNode): FastEvaluator | undefined {
  switch (node.type) {
    case 'number':
    case 'string': {
      if (!onlyKeys(node, ['type', 'value', 'position'])) return undefined;
      const v = node.value;
      if (typeof v === 'number' ? !Number.isFinite(v) : typeof v !== 'string') return undefined;
      return () => v;
    }
    case 'value': {
      if (!onlyKeys(node, ['type', 'value', 'position']) || typeof node.value !== 'boolean') return undefined;
      const v = node.value;
      return () => v;
    }
    case 'variable': {
      if (!onlyKeys(node, ['type', 'value', 'position'])) return undefined;
      const name = node.value;
      if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return undefined;
      return (b) => primitive(lookupVariable(b, name));
    }
    case 'path': {
      if (!onlyKeys(node, ['type', 'steps']) || !Array.isArray(node.steps)) return undefined;
      const steps = node.steps as AstNode[];
      const first = steps[0];
      if (steps.length < 2 || first?.type !== 'variable' || !onlyKeys(first, ['type', 'value', 'position'])) return undefined;
      const name = first.value;
      if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return undefined;
      const fields: string[] = [];
      for (const step of steps.slice(1)) {
        if (step.type !== 'name' || typeof step.value !== 'string' || !onlyKeys(step, ['type', 'value', 'position'])) return undefined;
        fields.push(step.value);
      }
      return (b) => {
        let v = lookupVariable(b, name);
        for (const field of fields) {
          if (!isPlainObject(v) || !Object.prototype.hasOwnProperty.call(v, field)) return SLOW;
          v = v[field];
        }
        return primitive(v);
      };
    }
    case 'binary': {
      if (!onlyKeys(node, ['type', 'value', 'position', 'lhs', 'rhs'])) return undefined;
      const op = node.value;
      const lhs = compileFast(node.lhs as AstNode);
      const rhs = lhs && compileFast(node.rhs as AstNode);
      if (!lhs || !rhs) return undefined;
      switch (op) {
        case '+':
        case '-':
        case '*':
        case '/':
        case '%':
          return (b) => {
            const l = lhs(b);
            if (typeof l !== 'number') return SLOW;
            const r = rhs(b);
            if (typeof r !== 'number') return SLOW;
            const v = op === '+' ? l + r : op === '-' ? l - r : op === '*' ? l * r : op === '/' ? l / r : l % r;
            return Number.isFinite(v) ? v : SLOW;
          };
        case '<':
        case '<=':
        case '>':
        case '>=':
          return (b) => {
            const l = lhs(b);
            if (l === SLOW) return SLOW;
            const r = rhs(b);
            if (r === SLOW || typeof l !== typeof r || (typeof l !== 'number' && typeof l !== 'string')) return SLOW;
            const x = l as number | string;
            const y = r as number | string;
            return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
          };
        case '=':
        case '!=':
          return (b) => {
            const l = lhs(b);
            if (l === SLOW) return SLOW;
            const r = rhs(b);
            if (r === SLOW) return SLOW;
            return op === '=' ? l === r : l !== r;
          };
        default:
          return undefined;
      }
    }
    default:
      return undefined;
  }
}

/**
 * A variable as JSONata's evaluation sees it: the bindings are copied into its environment with
 * `for … in` (enumerable members, own or inherited), so a member of Object.prototype is no variable.
 */
function lookupVariable(b: Record<string, unknown>, name: string): unknown {
  if (!(name in b) || (name in Object.prototype && !Object.prototype.propertyIsEnumerable.call(b, name))) return SLOW;
  return b[name];
}

/**
 * Compiles a field value (any JSON) into a Template. `onExpression` sees every compiled expression
 * (the definition validator checks where `$states.result` etc. are used).
 */
export function compileTemplate(value: unknown, field: string, onExpression?: (e: CompiledExpression) => void): Template {
  if (isExpressionString(value)) {
    const e = compileExpression(value, field);
    onExpression?.(e);
    return { k: 'expr', e };
  }
  if (Array.isArray(value)) {
    const items = value.map((item, i) => compileTemplate(item, `${field}[${i}]`, onExpression));
    if (items.every((t) => t.k === 'const')) return { k: 'const', v: value };
    return { k: 'array', items };
  }
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    const vals = keys.map((key) => compileTemplate((value as Record<string, unknown>)[key], `${field}/${key}`, onExpression));
    if (vals.every((t) => t.k === 'const')) return { k: 'const', v: value };
    return { k: 'object', keys, vals };
  }
  return { k: 'const', v: value };
}

/** Every compiled expression of a template. */
export function templateExpressions(t: Template | undefined, out: CompiledExpression[] = []): CompiledExpression[] {
  if (!t) return out;
  if (t.k === 'expr') out.push(t.e);
  else if (t.k === 'object') for (const v of t.vals) templateExpressions(v, out);
  else if (t.k === 'array') for (const v of t.items) templateExpressions(v, out);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------------

function isJsonataFunction(v: object): boolean {
  return '_jsonata_function' in v || '_jsonata_lambda' in v || typeof v === 'function';
}

/**
 * Turns a JSONata result into plain JSON: sequences become arrays, undefined object members are dropped
 * (as the object constructor does), functions and non-finite numbers are errors. Returns the same
 * reference when nothing needs changing (results often are parts of the input).
 */
export function toJson(value: unknown, where: () => string): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`${where()} produced a number that JSON cannot hold (${value})`);
      return value;
    case 'undefined':
      return undefined;
    case 'function':
      throw new Error(`${where()} produced a function, which is not a JSON value`);
    default:
      break;
  }
  const obj = value as object;
  if (Array.isArray(obj)) {
    let copy: unknown[] | undefined = Object.prototype.hasOwnProperty.call(obj, 'sequence') ? [] : undefined;
    for (let i = 0; i < obj.length; i++) {
      const item = obj[i] as unknown;
      const json = toJson(item, where);
      if (copy === undefined && (json !== item || json === undefined)) copy = obj.slice(0, i);
      if (copy !== undefined && json !== undefined) copy.push(json);
    }
    return copy ?? obj;
  }
  if (obj instanceof ExactInteger) return obj;
  if (isJsonataFunction(obj)) throw new Error(`${where()} produced a function, which is not a JSON value`);
  let copy: Record<string, unknown> | undefined;
  const keys = Object.keys(obj);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const item = (obj as Record<string, unknown>)[key];
    const json = toJson(item, where);
    if (copy === undefined && (json !== item || json === undefined)) {
      copy = {};
      for (let j = 0; j < i; j++) copy[keys[j]!] = (obj as Record<string, unknown>)[keys[j]!];
    }
    if (copy !== undefined && json !== undefined) copy[key] = json;
  }
  return copy ?? obj;
}

/**
 * The evaluation limits of the service: an expression may nest 100 levels (it refuses the 101st), and
 * a value it builds may hold 873,782 array items or 6,990,256 characters (sources in
 * test/sfn/conformance-limits.test.ts). Past either, the state fails with States.QueryEvaluationError
 * instead of running on (or exhausting the process's stack or memory).
 */
export const MAX_EVALUATION_DEPTH = 100;
export const MAX_ARRAY_ITEMS = 873_782;
export const MAX_STRING_CHARS = 6_990_256;

function memoryLimitError(): Error {
  return new Error('Expression evaluation memory limit exceeded: Check for excessive memory usage');
}

/** Per-evaluation depth counter, found by the entry/exit callbacks through the evaluation's bindings. */
const LIMITS = ' sfn limits';
type Limits = { depth: number };
type Environment = { lookup(name: string): unknown };

async function onEntry(_expr: unknown, _input: unknown, environment: Environment): Promise<void> {
  const limits = environment.lookup(LIMITS) as Limits | undefined;
  if (limits && ++limits.depth > MAX_EVALUATION_DEPTH) {
    throw new JsonataError(
      'U1001',
      `Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as tail-recursive. Depth=${limits.depth} max=${MAX_EVALUATION_DEPTH}`,
    );
  }
}

async function onExit(_expr: unknown, _input: unknown, environment: Environment, result: unknown): Promise<void> {
  const limits = environment.lookup(LIMITS) as Limits | undefined;
  if (limits) limits.depth--;
  if ((Array.isArray(result) && result.length > MAX_ARRAY_ITEMS) || (typeof result === 'string' && result.length > MAX_STRING_CHARS))
    throw memoryLimitError();
}

function evaluationError(e: CompiledExpression, where: string, detail: string): SfnError {
  return new SfnError(
    StatesErrors.QueryEvaluationError,
    `An error occurred while executing the state ${where}. The JSONata expression '${e.text}' specified for the field '${e.field}' ${detail}`,
  );
}

/**
 * Evaluates one expression. `where` names the state as causes do: `'Name' (entered at the event id #N)`.
 * A JSONata error keeps its code in the cause (`threw an error during evaluation. T0410: …`), as the
 * service passes it on.
 */
export async function evaluateExpression(e: CompiledExpression, bindings: object, where: string): Promise<unknown> {
  if (e.fast) {
    const v = e.fast(bindings as Record<string, unknown>);
    if (v !== SLOW) return v;
  }
  let raw: unknown;
  try {
    const scoped = Object.create(bindings) as Record<string, unknown>;
    if (e.keepsExact) scoped[EXACT] = true;
    else if (exactIntegersSeen()) {
      // The expression computes: it sees each exact whole number as its nearest double.
      for (const name in bindings) {
        const value = (bindings as Record<string, unknown>)[name];
        const d = withDoubles(value);
        if (d !== value) scoped[name] = d;
      }
    }
    scoped[LIMITS] = { depth: 0 } satisfies Limits;
    raw = await e.expr.evaluate(undefined, scoped);
  } catch (err) {
    if (err instanceof SfnError) throw err;
    const x = err as { message?: string; code?: string };
    const message = x instanceof RangeError ? memoryOrStack(x) : (x.message ?? String(err));
    throw evaluationError(e, where, `threw an error during evaluation. ${x.code ? `${x.code}: ` : ''}${message}`);
  }
  if (raw === undefined) throw evaluationError(e, where, 'returned nothing (undefined).');
  try {
    return toJson(raw, () => 'the expression');
  } catch (err) {
    throw evaluationError(e, where, (err as Error).message.replace(/^the expression /, ''));
  }
}

/** An engine RangeError (call stack, array or string size) as the service's limit errors. */
function memoryOrStack(err: RangeError): string {
  return /call stack/i.test(err.message)
    ? `Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as tail-recursive.`
    : memoryLimitError().message;
}

/** Evaluates a template; every `{% %}` inside must produce a value (undefined → States.QueryEvaluationError). */
export async function evaluateTemplate(t: Template, bindings: object, where: string): Promise<unknown> {
  switch (t.k) {
    case 'const':
      return t.v;
    case 'expr':
      return evaluateExpression(t.e, bindings, where);
    case 'object': {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < t.keys.length; i++) out[t.keys[i]!] = await evaluateTemplate(t.vals[i]!, bindings, where);
      return out;
    }
    case 'array': {
      const out: unknown[] = [];
      for (const item of t.items) out.push(await evaluateTemplate(item, bindings, where));
      return out;
    }
  }
}
