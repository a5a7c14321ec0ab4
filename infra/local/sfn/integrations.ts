/**
 * Task integrations: what a Task's Resource does.
 *
 * - `arn:aws:states:::lambda:invoke` (optimized integration; result `{ExecutedVersion, Payload,
 *   SdkHttpMetadata, SdkResponseMetadata, StatusCode}`), a plain Lambda function ARN (result = the
 *   function's return value), both backed by in-process handlers from a `LambdaRegistry`.
 * - `arn:aws:states:::dynamodb:getItem|putItem|updateItem|deleteItem` against the DynamoDB client given
 *   to the runtime (DynamoDB Local); SDK errors become `DynamoDB.<ExceptionName>`.
 * - `arn:aws:states:::states:startExecution` is carried out by the runtime itself (see runtime.ts).
 *
 * A handler error becomes error = the error's `name` and cause = `{"errorMessage","errorType","stackTrace"}`,
 * as Lambda reports a function error.
 */
import { createHash } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { lambdaFunctionArn, lambdaFunctionName, type ArnContext } from './arn.js';
import { SfnError, StatesErrors } from './errors.js';
import type { ResourceKind } from './definition.js';

/** The Lambda context object handed to local handlers (the `aws-lambda` Context). */
export type LambdaContext = Context;

/** An in-process Lambda handler: `(event, context) => result`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LambdaHandler = (event: any, context: LambdaContext) => Promise<unknown> | unknown;

export interface RegisteredFunction {
  readonly name: string;
  readonly arn: string;
  readonly handler: LambdaHandler;
  readonly timeoutSeconds: number;
}

/**
 * How many handlers of a registry run at once; further invocations wait for a turn, first come first
 * served. In AWS every concurrent invocation has an environment of its own, with its own SDK clients;
 * here they share one process and the clients their modules hold, so the 750 school programs that start
 * together would queue hundreds of requests behind one client's 50 sockets (the SDK warns "socket usage
 * at capacity"). This is Lambda's concurrency limit, scaled to one machine: DynamoDB Local serves no
 * more at once anyway.
 */
export const LOCAL_LAMBDA_CONCURRENCY = 32;

/** Maps Lambda function names and ARNs to in-process handlers. */
export class LambdaRegistry {
  readonly #byName = new Map<string, RegisteredFunction>();
  readonly #ctx: ArnContext;
  readonly #maxConcurrency: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(ctx: ArnContext, handlers?: Record<string, LambdaHandler>, options: { maxConcurrency?: number } = {}) {
    this.#ctx = ctx;
    this.#maxConcurrency = Math.max(1, options.maxConcurrency ?? LOCAL_LAMBDA_CONCURRENCY);
    for (const [ref, handler] of Object.entries(handlers ?? {})) this.register(ref, handler);
  }

  /** Runs a handler invocation when a turn is free (see LOCAL_LAMBDA_CONCURRENCY). */
  async run<T>(invocation: () => Promise<T> | T): Promise<T> {
    if (this.#running >= this.#maxConcurrency) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#running++;
    try {
      return await invocation();
    } finally {
      // The turn passes to the next waiting invocation, or is given back.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }

  /** Registers a handler under a function name or ARN (`arn:aws:lambda:<region>:<account>:function:<name>`). */
  register(nameOrArn: string, handler: LambdaHandler, options: { timeoutSeconds?: number } = {}): RegisteredFunction {
    const { name } = lambdaFunctionName(nameOrArn);
    const arn = nameOrArn.startsWith('arn:')
      ? nameOrArn.replace(/^(arn:[^:]+:lambda:[^:]+:[^:]+:function:[^:]+).*$/, '$1')
      : lambdaFunctionArn(this.#ctx, name);
    const fn: RegisteredFunction = { name, arn, handler, timeoutSeconds: options.timeoutSeconds ?? 900 };
    this.#byName.set(name, fn);
    return fn;
  }

  unregister(nameOrArn: string): void {
    this.#byName.delete(lambdaFunctionName(nameOrArn).name);
  }

  /** Finds the handler for a FunctionName as the Lambda API accepts it (name, partial or full ARN, qualifier). */
  resolve(ref: string): RegisteredFunction | undefined {
    return this.#byName.get(lambdaFunctionName(ref).name);
  }

  names(): string[] {
    return [...this.#byName.keys()];
  }
}

function requestId(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Lambda's JSON serialisation of a handler result (undefined → null). */
function serialise(value: unknown): unknown {
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as unknown);
}

export function lambdaErrorFromThrown(thrown: unknown): SfnError {
  const err = thrown instanceof Error ? thrown : new Error(typeof thrown === 'string' ? thrown : JSON.stringify(thrown));
  const errorType = err.name || 'Error';
  const cause = JSON.stringify({
    errorMessage: err.message,
    errorType,
    stackTrace: (err.stack ?? '')
      .split('\n')
      .slice(1)
      .map((line) => line.trim())
      .filter(Boolean),
  });
  return new SfnError(errorType, cause);
}

export interface LambdaCall {
  readonly registry: LambdaRegistry;
  readonly kind: 'lambda:invoke' | 'lambda:function';
  /** The evaluated Arguments (for lambda:invoke: {FunctionName, Payload, InvocationType?, …}; for a function ARN: the payload). */
  readonly args: unknown;
  readonly functionArn?: string;
  /** A stable id for this attempt (the request id handed to the handler). */
  readonly attemptKey: string;
  readonly nowMs: () => number;
  readonly deadlineMs?: number;
}

export async function invokeLambda(call: LambdaCall): Promise<unknown> {
  let functionRef: string;
  let payload: unknown;
  let invocationType = 'RequestResponse';
  if (call.kind === 'lambda:invoke') {
    const args = call.args as Record<string, unknown> | null;
    if (!args || typeof args !== 'object' || typeof args.FunctionName !== 'string') {
      throw new SfnError('States.Runtime', 'The lambda:invoke Arguments must be an object with a FunctionName string');
    }
    functionRef = args.FunctionName;
    payload = args.Payload === undefined ? {} : args.Payload;
    if (typeof payload === 'string') {
      // The Lambda API takes the payload as JSON text; a string that is not JSON is sent as a JSON string.
      try {
        payload = JSON.parse(payload);
      } catch {
        /* keep the string */
      }
    }
    if (typeof args.InvocationType === 'string') invocationType = args.InvocationType;
  } else {
    functionRef = call.functionArn!;
    payload = call.args;
  }
  const fn = call.registry.resolve(functionRef);
  if (!fn) {
    throw new SfnError(
      call.kind === 'lambda:invoke' ? 'Lambda.ResourceNotFoundException' : 'Lambda.ResourceNotFoundException',
      `Function not found: ${functionRef} (no local handler is registered for it; registered: ${call.registry.names().join(', ') || 'none'})`,
    );
  }
  const awsRequestId = requestId(call.attemptKey);
  const deadline = Math.min(call.deadlineMs ?? Infinity, call.nowMs() + fn.timeoutSeconds * 1000);
  const context: LambdaContext = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: fn.arn,
    memoryLimitInMB: '128',
    awsRequestId,
    logGroupName: `/aws/lambda/${fn.name}`,
    logStreamName: `local/[$LATEST]${awsRequestId.replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - call.nowMs()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  // The handler gets the payload as Node's JSON.parse reads it (whole numbers past 2^53 as doubles).
  const event = payload === undefined ? {} : (JSON.parse(JSON.stringify(payload)) as unknown);
  let result: unknown;
  if (invocationType === 'Event') {
    // Asynchronous invocation: the handler runs, its result and errors are not the task's.
    void Promise.resolve()
      .then(() => call.registry.run(() => fn.handler(event, context)))
      .catch(() => undefined);
    return { Payload: '', StatusCode: 202, SdkHttpMetadata: { HttpStatusCode: 202 } };
  }
  try {
    result = await call.registry.run(() => fn.handler(event, context));
  } catch (thrown) {
    throw lambdaErrorFromThrown(thrown);
  }
  const body = serialise(result);
  if (call.kind === 'lambda:function') return body;
  return {
    ExecutedVersion: '$LATEST',
    Payload: body,
    SdkHttpMetadata: {
      AllHttpHeaders: { 'X-Amz-Executed-Version': ['$LATEST'], 'x-amzn-RequestId': [awsRequestId], 'Content-Type': ['application/json'] },
      HttpHeaders: { 'X-Amz-Executed-Version': '$LATEST', 'x-amzn-RequestId': awsRequestId, 'Content-Type': 'application/json' },
      HttpStatusCode: 200,
    },
    SdkResponseMetadata: { RequestId: awsRequestId },
    StatusCode: 200,
  };
}

/** SDK output → the JSON the service returns: without `$metadata`, binary values as base64. */
function sdkOutputToJson(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(sdkOutputToJson);
  if (value instanceof Set) return [...value].map(sdkOutputToJson);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === '$metadata' || v === undefined) continue;
      out[k] = sdkOutputToJson(v);
    }
    return out;
  }
  return value;
}

/** JSON arguments → SDK input: `B`/`BS` attribute values are base64 text in the definition. */
function jsonToSdkInput(value: unknown, key?: string): unknown {
  if (key === 'B' && typeof value === 'string') return Buffer.from(value, 'base64');
  if (key === 'BS' && Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? Buffer.from(v, 'base64') : v));
  if (Array.isArray(value)) return value.map((v) => jsonToSdkInput(v));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = jsonToSdkInput(v, k);
    return out;
  }
  return value;
}

export async function invokeDynamoDb(client: DynamoDBClient | undefined, kind: ResourceKind, args: unknown): Promise<unknown> {
  if (!client) throw new SfnError(StatesErrors.TaskFailed, `No DynamoDB client is configured in the local runtime, so ${kind} cannot run`);
  if (!args || typeof args !== 'object' || Array.isArray(args))
    throw new SfnError('States.Runtime', `The ${kind} Arguments must be an object`);
  const input = jsonToSdkInput(args) as never;
  try {
    switch (kind) {
      case 'dynamodb:getItem':
        return sdkOutputToJson(await client.send(new GetItemCommand(input)));
      case 'dynamodb:putItem':
        return sdkOutputToJson(await client.send(new PutItemCommand(input)));
      case 'dynamodb:updateItem':
        return sdkOutputToJson(await client.send(new UpdateItemCommand(input)));
      case 'dynamodb:deleteItem':
        return sdkOutputToJson(await client.send(new DeleteItemCommand(input)));
      default:
        throw new SfnError('States.Runtime', `Not a DynamoDB resource: ${kind}`);
    }
  } catch (err) {
    if (err instanceof SfnError) throw err;
    const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number; requestId?: string } };
    const name = e.name && e.name !== 'Error' ? e.name : 'AmazonDynamoDBException';
    throw new SfnError(
      `DynamoDB.${name}`,
      `${e.message ?? String(err)} (Service: DynamoDb, Status Code: ${e.$metadata?.httpStatusCode ?? 400}, Request ID: ${e.$metadata?.requestId ?? 'local'})`,
    );
  }
}
