/**
 * Putting a synthesized template's state machines and Lambda functions into a runtime: state machines
 * are created (or updated) under their names, functions are registered with handlers given by logical
 * id or name, or imported from their source file (`Metadata["cos:entry"]`, export named by the part of
 * `Handler` after the last dot, `handler` by default).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { importInFunctionEnvironment, withFunctionEnvironment, type FunctionEnvironment } from '../function-env.js';
import type { LocalFunction, LocalStack } from '../template.js';
import type { LambdaHandler } from './integrations.js';
import type { Runtime } from './runtime.js';

export const ENTRY_METADATA_KEY = 'cos:entry';

export interface DeployOptions {
  /** Handlers by function logical id or name (they win over imported ones). */
  handlers?: Record<string, LambdaHandler>;
  /** Import each function's `cos:entry` source file, relative to this directory. */
  importEntriesFrom?: string;
  /**
   * Run each function in its own environment: its template Environment (then `environment`) is what it
   * reads from `process.env`, at import time and at call time, and no other function sees it.
   */
  applyEnvironment?: boolean;
  /** Variables given to every function over its template ones (with applyEnvironment). */
  environment?: Record<string, string>;
}

export interface DeployResult {
  stateMachines: Record<string, string>;
  functions: Record<string, string>;
  /** Functions left without a handler: a task calling them fails with Lambda.ResourceNotFoundException. */
  withoutHandler: string[];
}

async function importHandler(fn: LocalFunction, root: string, env: FunctionEnvironment | undefined): Promise<LambdaHandler | undefined> {
  const entry = fn.metadata[ENTRY_METADATA_KEY];
  if (typeof entry !== 'string') return undefined;
  const exportName = fn.handler?.includes('.') ? fn.handler.slice(fn.handler.lastIndexOf('.') + 1) : 'handler';
  const file = path.resolve(root, entry);
  const mod = env
    ? await importInFunctionEnvironment(file, fn.logicalId, env)
    : ((await import(pathToFileURL(file).href)) as Record<string, unknown>);
  const handler = mod[exportName] ?? mod.handler ?? mod.default;
  if (typeof handler !== 'function') throw new Error(`Function '${fn.logicalId}': ${entry} exports no function '${exportName}'`);
  return handler as LambdaHandler;
}

/**
 * The handlers of the template's functions, by function ARN (given ones, then imported ones). Call it
 * before creating a runtime on durable data: resumed executions may invoke tasks at once.
 */
export async function templateHandlers(stack: LocalStack, options: DeployOptions = {}): Promise<Record<string, LambdaHandler>> {
  const out: Record<string, LambdaHandler> = {};
  for (const fn of stack.functions) {
    const env: FunctionEnvironment | undefined = options.applyEnvironment ? { ...fn.environment, ...options.environment } : undefined;
    let handler = options.handlers?.[fn.logicalId] ?? options.handlers?.[fn.name] ?? options.handlers?.[fn.arn];
    if (!handler && options.importEntriesFrom) handler = await importHandler(fn, options.importEntriesFrom, env);
    if (handler) out[fn.arn] = env ? withFunctionEnvironment(env, handler) : handler;
  }
  return out;
}

export async function deployTemplate(runtime: Runtime, stack: LocalStack, options: DeployOptions = {}): Promise<DeployResult> {
  const result: DeployResult = { stateMachines: {}, functions: {}, withoutHandler: [] };
  const handlers = await templateHandlers(stack, options);
  for (const fn of stack.functions) {
    const handler = handlers[fn.arn];
    if (!handler) {
      result.withoutHandler.push(fn.name);
      continue;
    }
    runtime.registerLambda(fn.arn, handler, fn.timeoutSeconds !== undefined ? { timeoutSeconds: fn.timeoutSeconds } : {});
    result.functions[fn.name] = fn.arn;
  }
  for (const sm of stack.stateMachines) {
    const { stateMachineArn } = runtime.putStateMachine({
      name: sm.name,
      definition: sm.definitionString,
      ...(sm.roleArn ? { roleArn: sm.roleArn } : {}),
    });
    result.stateMachines[sm.name] = stateMachineArn;
  }
  return result;
}
