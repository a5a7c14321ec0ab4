/**
 * Each local Lambda function sees exactly its own environment, as each function does in Lambda, although
 * all of them run in this one process.
 *
 * How: `process.env` is replaced, once, by a view that answers from the environment of the function
 * whose code is running, found through an AsyncLocalStorage context, and from the process's own
 * variables outside any function (and for names the function does not set: the SDK's endpoints and
 * credentials, log levels). A function's handler runs inside its context (`withFunctionEnvironment`),
 * and so does everything it awaits. Its entry module is imported inside the context too, as a module
 * instance of its own (a `?function=` query on the URL), so a module that reads `process.env` when it
 * is loaded sees its function's values as well as one that reads them at each call; two functions
 * built from the same source file get two instances. What the entry module imports is shared, as any
 * module is in one process: such a module must read the environment at call time (the project's
 * handlers do), not while it is being loaded.
 *
 * Why not a worker per function: handlers are called in-process with the runtime's clock, SDK clients
 * and registries, which a worker cannot share; the context costs one lookup per `process.env` read.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { pathToFileURL } from 'node:url';

export type FunctionEnvironment = Record<string, string | undefined>;
type Env = FunctionEnvironment;

const current = new AsyncLocalStorage<Env>();
let processEnv: NodeJS.ProcessEnv | undefined;

/** Replaces `process.env` by the per-function view (idempotent). */
function install(): void {
  if (processEnv) return;
  const base = process.env;
  processEnv = base;
  const own = (key: string | symbol): Env | undefined => {
    const env = current.getStore();
    return env && typeof key === 'string' && Object.prototype.hasOwnProperty.call(env, key) ? env : undefined;
  };
  process.env = new Proxy(base, {
    get: (target, key) => (own(key) ? own(key)![key as string] : Reflect.get(target, key)),
    set: (target, key, value) => {
      const env = current.getStore();
      if (env && typeof key === 'string') env[key] = String(value);
      else Reflect.set(target, key, String(value));
      return true;
    },
    deleteProperty: (target, key) => {
      const env = current.getStore();
      if (env && typeof key === 'string') env[key] = undefined;
      else Reflect.deleteProperty(target, key);
      return true;
    },
    has: (target, key) => (own(key) ? own(key)![key as string] !== undefined : Reflect.has(target, key)),
    ownKeys: (target) => {
      const env = current.getStore();
      if (!env) return Reflect.ownKeys(target);
      const keys = new Set<string | symbol>(Reflect.ownKeys(target));
      for (const [k, v] of Object.entries(env)) {
        if (v === undefined) keys.delete(k);
        else keys.add(k);
      }
      return [...keys];
    },
    getOwnPropertyDescriptor: (target, key) => {
      const env = own(key);
      if (!env) return Reflect.getOwnPropertyDescriptor(target, key);
      const value = env[key as string];
      return value === undefined ? undefined : { value, writable: true, enumerable: true, configurable: true };
    },
  });
}

/** Runs `fn` (and everything it awaits) with `environment` as the function's own variables. */
export function runInFunctionEnvironment<T>(environment: Env, fn: () => T): T {
  install();
  return current.run(environment, fn);
}

/**
 * A handler that runs inside its function's environment. Give each function one object of its own
 * (what the function sets in `process.env` is written there, and stays its own).
 */
export function withFunctionEnvironment<H extends (...args: never[]) => unknown>(environment: Env, handler: H): H {
  install();
  return ((...args: Parameters<H>) => current.run(environment, () => handler(...args))) as H;
}

/**
 * Imports a function's entry module inside its environment, as a module instance of its own
 * (keyed by `instance`, e.g. the function's logical id).
 */
export function importInFunctionEnvironment(file: string, instance: string, environment: Env): Promise<Record<string, unknown>> {
  const url = `${pathToFileURL(file).href}?function=${encodeURIComponent(instance)}`;
  return runInFunctionEnvironment(environment, () => import(url) as Promise<Record<string, unknown>>);
}
