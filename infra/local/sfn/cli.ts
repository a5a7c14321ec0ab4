/**
 * Command line of the local Step Functions runtime.
 *
 *   npm run sfn -- run --definition FILE [--input JSON | --input-file FILE] [--start ISO]
 *     Runs one definition on a virtual clock (starting now, or at --start), advancing through every
 *     timer until the execution ends, and prints one JSON line {"status","output","error","cause"}
 *     (exit 0 whatever the status). Lambda resources have no handler here: such a task fails with
 *     Lambda.ResourceNotFoundException. An invalid or unsupported definition exits 2 (message on stderr).
 *
 *   npm run sfn -- serve --data DIR [--port N] [--host H] [--template FILE] [--root DIR]
 *                        [--handlers MODULE] [--dynamodb-endpoint URL] [--region R] [--account ID]
 *     Runs the runtime as a process on the system clock with durable storage in DIR (resuming every
 *     RUNNING execution found there) and serves the Step Functions API. With --template, the template's
 *     state machines are created/updated and its functions' handlers are imported from their
 *     `cos:entry` Metadata (paths relative to --root, default the current directory). --handlers names a
 *     module whose `handlers` (or default) export maps function names/ARNs to handlers. Prints one JSON
 *     line {"endpoint","port","resumed"} when ready; stops cleanly on SIGTERM/SIGINT.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { VirtualClock } from '../../../shared/clock.js';
import { loadTemplate } from '../template.js';
import { serveSfnApi } from './api-server.js';
import { ApiError } from './errors.js';
import { parseJsonText } from './json-text.js';
import type { LambdaHandler } from './integrations.js';
import { createRuntime } from './runtime.js';
import { deployTemplate, templateHandlers } from './stack.js';

class UsageError extends Error {}

function parseArgs(argv: string[]): { command: string | undefined; flags: Record<string, string> } {
  const [command, ...rest] = argv;
  const flags: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`Unexpected argument: ${arg}`);
    const eq = arg.indexOf('=');
    if (eq > 0) flags[arg.slice(2, eq)] = arg.slice(eq + 1);
    else {
      const value = rest[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      flags[arg.slice(2)] = value;
      i++;
    }
  }
  return { command, flags };
}

async function run(flags: Record<string, string>): Promise<number> {
  if (!flags.definition) throw new UsageError('run needs --definition FILE');
  const definition = readFileSync(flags.definition, 'utf8');
  const inputText = flags['input-file'] ? readFileSync(flags['input-file'], 'utf8') : (flags.input ?? '{}');
  try {
    JSON.parse(inputText);
  } catch (err) {
    throw new UsageError(`--input is not JSON: ${(err as Error).message}`);
  }
  const start = flags.start ? new Date(flags.start) : new Date();
  if (!Number.isFinite(start.getTime())) throw new UsageError(`--start is not a date: ${flags.start}`);
  const clock = new VirtualClock(start);
  const runtime = createRuntime({ clock, store: 'memory' });
  try {
    let stateMachineArn: string;
    try {
      ({ stateMachineArn } = runtime.createStateMachine({ name: 'cli', definition }));
    } catch (err) {
      if (err instanceof ApiError && err.code === 'InvalidDefinition') {
        process.stderr.write(`${err.message}\n`);
        return 2;
      }
      throw err;
    }
    const { executionArn } = runtime.startExecution({ stateMachineArn, name: 'cli', input: inputText });
    await runtime.runUntilIdle();
    const d = runtime.describeExecution({ executionArn });
    process.stdout.write(
      `${JSON.stringify({
        status: d.status,
        output: d.output === undefined ? null : parseJsonText(d.output),
        error: d.error ?? null,
        cause: d.cause ?? null,
      })}\n`,
    );
    return 0;
  } finally {
    await runtime.close();
  }
}

async function serve(flags: Record<string, string>): Promise<void> {
  if (!flags.data) throw new UsageError('serve needs --data DIR');
  const region = flags.region ?? 'eu-central-1';
  const accountId = flags.account ?? '000000000000';
  const dynamoEndpoint = flags['dynamodb-endpoint'] ?? process.env.DYNAMODB_ENDPOINT;
  const dynamodb = dynamoEndpoint
    ? new DynamoDBClient({ endpoint: dynamoEndpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } })
    : undefined;
  let handlers: Record<string, LambdaHandler> = {};
  if (flags.handlers) {
    const mod = (await import(pathToFileURL(path.resolve(flags.handlers)).href)) as { handlers?: unknown; default?: unknown };
    const exported = mod.handlers ?? mod.default;
    if (!exported || typeof exported !== 'object') throw new UsageError(`${flags.handlers} exports no 'handlers' object`);
    handlers = exported as Record<string, LambdaHandler>;
  }
  // Handlers are imported before the runtime starts: resumed executions may invoke tasks at once.
  const stack = flags.template ? loadTemplate(flags.template, { region, accountId }) : undefined;
  const deployOptions = { importEntriesFrom: path.resolve(flags.root ?? '.'), applyEnvironment: true, handlers };
  const imported = stack ? await templateHandlers(stack, deployOptions) : {};
  const runtime = createRuntime({
    store: { dataDir: path.resolve(flags.data) },
    region,
    accountId,
    lambdas: { ...handlers, ...imported },
    ...(dynamodb ? { dynamodb } : {}),
  });
  if (stack) await deployTemplate(runtime, stack, { ...deployOptions, handlers: { ...handlers, ...imported } });
  const api = await serveSfnApi(runtime, { port: Number(flags.port ?? 0), host: flags.host ?? '127.0.0.1' });
  process.stdout.write(`${JSON.stringify({ endpoint: api.endpoint, port: api.port, resumed: runtime.stats().running })}\n`);
  const stop = async () => {
    await api.close();
    await runtime.close();
    dynamodb?.destroy();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

async function main(): Promise<void> {
  try {
    const { command, flags } = parseArgs(process.argv.slice(2));
    if (command === 'run') process.exitCode = await run(flags);
    else if (command === 'serve') await serve(flags);
    else throw new UsageError(`Unknown command ${command ?? '(none)'}: use 'run' or 'serve'`);
  } catch (err) {
    if (err instanceof UsageError || (err as NodeJS.ErrnoException).code === 'ENOENT') {
      process.stderr.write(`sfn: ${(err as Error).message}\n`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
}

await main();
