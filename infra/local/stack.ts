/**
 * The whole system on one machine, assembled from the synthesized template (DESIGN.md §7):
 *
 *   synthesize the CDK app (in-process, assets not bundled) → DynamoDB Local (a data folder, or in
 *   memory) → the template's tables → the local user directory (the Cognito emulator, the template's
 *   pool, groups and app client) → the API function behind the local HTTP gateway on `port`, with the
 *   local sign-in pages → the local S3 server and the template's buckets → the local Step Functions
 *   runtime and its API → the local Lambda API (asynchronous invocations) → the demo region on first
 *   start, with its workflows.
 *
 * `npm start` (start.ts, serve.ts) runs it with a data folder; tests and benchmarks run it in memory on a free
 * port, against the run's DynamoDB Local and a table of their own.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { S3Client } from '@aws-sdk/client-s3';
import { API_HANDLER_ENTRY, DISPATCHER_ENTRY, DOCUMENT_BUCKET_ENV } from '../aws/wiring.js';
import { lambdaContext } from './lambda-context.js';
import { SystemClock, type Clock } from '../../shared/clock.js';
import { initialState } from '../../shared/domain/index.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import { generateRegion } from '../../shared/region/demo-region.js';
import { createStore, type MilestoneStore } from '../../shared/store/store.js';
import { ensureProgramVersion1, ensureReferenceVersion2 } from '../../shared/programs/index.js';
import { createWorkflowSignal } from '../../functions/common/workflow-signal.js';
import type { RedriveResult } from '../../functions/notifications/dispatcher.js';
import type { DeliveryChannel } from '../../functions/notifications/channels.js';
import { REDRIVE_MIN_AGE_MS } from '../../functions/notifications/redrive-age.js';
import type { ApiHandler } from '../../functions/api/handler.js';
import { applyExpiry, createBucketsFromTemplate, startExpirySweep } from './buckets.js';
import { importInFunctionEnvironment, runInFunctionEnvironment, withFunctionEnvironment } from './function-env.js';
import { STARTING, startHttpGateway, type LocalRoute } from './http-gateway.js';
import { startApiThread, threadClock, type ApiThread } from './api-thread.js';
import { setSdkDefaults, startLocalServices, stopLocalServices, REGION, type LocalServices } from './services.js';
import { cachedTemplate } from './template-cache.js';
import { provisionLocalDirectory, signInAs, type LocalDirectory, type TokenClaims } from './directory.js';
import { localSignIn } from './sign-in.js';
import { Mailbox, MAILBOX_FILE } from './mailbox.js';
import { serveLambdaApi, type LambdaApiServer } from './lambda-api.js';
import { createRuntime, type Runtime } from './sfn/runtime.js';
import { serveSfnApi, type SfnApiServer } from './sfn/api-server.js';
import { createTablesFromTemplate } from './tables.js';
import { loadTemplate, type CfnTemplate } from './template.js';
import { deployTemplate, ENTRY_METADATA_KEY } from './sfn/stack.js';
import { startEventSources, type EventHandler, type EventSources } from './events.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ACCOUNT = '000000000000';

export interface LocalStackOptions {
  /** Keep everything (DynamoDB, executions, issuer key) in this folder; without it, all is in memory. */
  dataDir?: string;
  /** System clock by default. */
  clock?: Clock;
  /** HTTP port of the API and dashboard; 0 (default) picks a free one. */
  port?: number;
  host?: string;
  /** Use this DynamoDB Local instead of starting one (tests: the run's shared instance). */
  dynamodbEndpoint?: string;
  /** Use this user-directory emulator instead of starting one (tests: the run's shared instance; the stack makes its own pool). */
  cognitoEndpoint?: string;
  /** Where to write the endpoints of the running stack (for `npm run admin` and `npm run token`); default `<dataDir>/local-stack.json`. */
  stateFile?: string;
  /** Physical name of the milestone table (tests give each file its own). */
  tableName?: string;
  /** Use this S3 server instead of starting one. */
  s3Endpoint?: string;
  /** Seed the demo region when the table has no schools yet; default on. */
  seed?: false | { seed: number | string; schools?: number };
  /** Start the seeded schools' workflows (default true); otherwise the first command of a school starts its workflow. */
  startWorkflows?: boolean;
  /**
   * Also write version 2 of the reference program (content filtering), unless a version 2 exists: as a
   * draft for a program manager to review, publish and migrate schools to (`npm start`), or published.
   */
  referenceVersion2?: 'draft' | 'published';
  /** Where to write the synthesized template (`cdk.out` for npm start); default a temporary folder. */
  cdkOut?: string;
  /** More routes the gateway answers itself, before the API function (see http-gateway.ts). */
  routes?: LocalRoute[];
  /**
   * Run the template's event sources (the table's stream to its functions, the schedules on the clock);
   * default true. A program simulation turns them off: it drives time and delivery itself.
   */
  eventSources?: boolean;
  /**
   * Run the API function and its HTTP gateway in a thread of their own (api-thread.ts), as the API is a
   * function of its own in AWS: its requests do not wait behind the workflows' work on the main thread.
   * Needs a clock the thread can rebuild (the system clock, or the demo's offset from it) and no extra
   * `routes`. `npm start` and the API benchmarks run so; default off (tests count the API's calls in
   * this process, and run it on virtual clocks).
   */
  apiThread?: boolean;
  /**
   * With `apiThread`: once the stack serves, the main thread — the workflows, the local Step Functions
   * runtime, the stream dispatchers and schedules: the background — runs this many nice steps below the
   * API thread (Linux: a thread's own; see `ApiThread.lowerMainThread`), so that on a busy machine the
   * API's requests come before the background's, as they have compute of their own in AWS. Default:
   * left as it is.
   */
  backgroundNice?: number;
  /** Per-user throttling of the API (requests/s and burst); default the handler's. */
  rateLimit?: { perSecond: number; burst: number } | false;
  /**
   * The service processes, already being started (startLocalServices, given the same data folder and
   * endpoints); the stack owns them from then on. Default: the stack starts them itself.
   */
  services?: LocalServices;
  log?: (message: string) => void;
}

export interface LocalStack {
  /** `http://127.0.0.1:<port>`: the API and the dashboard. */
  readonly url: string;
  readonly port: number;
  readonly tableName: string;
  readonly dynamodb: DynamoDBClient;
  readonly dynamodbEndpoint: string;
  readonly store: MilestoneStore;
  /** The local S3 server and the evidence-document bucket on it. */
  readonly s3: S3Client;
  readonly s3Endpoint: string;
  readonly documentBucket: string;
  /** Applies the buckets' expiry rules as of `now` (the local lifecycle; also run hourly); the keys removed. */
  applyLifecycle(now?: Date): Promise<string[]>;
  readonly runtime: Runtime;
  readonly sfnEndpoint: string;
  readonly lambdaEndpoint: string;
  /** The user directory: its pool, app client, issuer and admin client. */
  readonly directory: LocalDirectory;
  readonly template: CfnTemplate;
  readonly clock: Clock;
  /** The API function as the gateway calls it (with `apiThread`: the main thread's instance, which runs the bulk jobs). */
  readonly apiHandler: ApiHandler;
  /** The API's own thread, when it runs in one (`apiThread`). */
  readonly apiThread: ApiThread | undefined;
  /** The school-program state machine, when the template has one. */
  readonly schoolProgramArn: string | undefined;
  /** The table's stream and the schedules, feeding their functions. */
  readonly events: EventSources;
  /** An ID token of the local directory for the user these claims describe (made on first use). */
  token(claims: TokenClaims): Promise<string>;
  /** Resolves when every asynchronous invocation (bulk jobs) started so far has finished. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const clock = options.clock ?? new SystemClock();
  const log = options.log ?? (() => undefined);
  const dataDir = options.dataDir ? path.resolve(options.dataDir) : undefined;
  const stops: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn();
    stops.length = 0;
  };

  // The service processes start side by side, beside the template and the modules loaded below.
  const services = options.services ?? startLocalServices({ ...options, ...(dataDir ? { dataDir } : {}) });
  stops.push(() => stopLocalServices(services));

  try {
    // 1. The template: the contract of what runs (read back when its sources are unchanged).
    const template = options.cdkOut ? (await cachedTemplate(options.cdkOut)).template : (await import('./synth.js')).synthTemplate();
    const local = loadTemplate(template, { region: REGION, accountId: ACCOUNT });
    log(
      `synthesized ${Object.keys(template.Resources ?? {}).length} resources: ${local.functions.length} functions, ${local.stateMachines.length} state machines, ${local.tables.length} table(s)`,
    );

    // 2. DynamoDB Local and the template's tables, awaited where the runtime first needs them (step 3
    //    waits for neither: DynamoDB Local's JVM is the slowest service to start).
    const tablesReady = (async () => {
      const dynamodbEndpoint = options.dynamodbEndpoint ?? (await services.dynamodb!).endpoint;
      setSdkEnvironment({ dynamodb: dynamodbEndpoint });
      const dynamodb = new DynamoDBClient({ endpoint: dynamodbEndpoint });
      stops.push(() => dynamodb.destroy());
      const tables = await createTablesFromTemplate(dynamodb, template, {
        ...(options.tableName ? { tableName: () => options.tableName! } : {}),
        restartStream: options.eventSources !== false,
      });
      const table = tables[0];
      if (!table || tables.length !== 1) throw new Error(`expected one table in the template, found ${tables.length}`);
      return { dynamodbEndpoint, dynamodb, tables, table, tableName: table.tableName };
    })();
    // A failure is thrown where it is awaited; this keeps it from also being an unhandled rejection.
    tablesReady.catch(() => undefined);

    // 3. The user directory, the gateway (the dashboard's URL is the app client's callback) and the
    //    local services' endpoints, before any handler is imported: handlers read their environment.
    const cognitoEndpoint = options.cognitoEndpoint ?? (await services.cognito!).endpoint;
    const signIn: { current?: ReturnType<typeof localSignIn> } = {};
    const handlers: Record<string, EventHandler> = {};
    const handlerOf = (name: string): EventHandler | undefined => {
      const fn = local.functions.find(
        (f) => f.logicalId === name || f.name === name || f.arn === name || name.endsWith(`:function:${f.name}`),
      );
      return fn ? handlers[fn.logicalId] : undefined;
    };
    const api = local.functions.find((f) => f.metadata[ENTRY_METADATA_KEY] === API_HANDLER_ENTRY);
    if (!api) throw new Error(`the template has no function with ${ENTRY_METADATA_KEY} ${API_HANDLER_ENTRY}`);
    let serving = false;
    const clockInThread = options.apiThread ? threadClock(clock) : undefined;
    if (options.apiThread && !clockInThread) throw new Error('apiThread needs the system clock or an offset from it');
    if (options.apiThread && options.routes?.length) throw new Error('apiThread takes no extra routes');
    const apiThread = options.apiThread
      ? await startApiThread({ port: options.port ?? 0, ...(options.host ? { host: options.host } : {}), functionName: api.name }, log)
      : undefined;
    const gateway: { url: string; port: number; close(): Promise<void> } =
      apiThread ??
      (await startHttpGateway({
        handler: async (event, context) => {
          // Until everything has started (the workflows deployed and resumed, the event sources running),
          // the API is not there yet: `/healthz` and every route answer 503, never an early 200.
          const fn = handlers[api.logicalId];
          if (!serving || !fn) return STARTING;
          return (await fn(event, context)) as never;
        },
        port: options.port ?? 0,
        ...(options.host ? { host: options.host } : {}),
        functionName: api.name,
        routes: [(req, res, body) => signIn.current?.route(req, res, body) ?? false, ...(options.routes ?? [])],
      }));
    stops.push(() => gateway.close());
    const callbackUrls = [`${gateway.url}/`, `http://localhost:${gateway.port}/`];
    const directory = await provisionLocalDirectory({
      endpoint: cognitoEndpoint,
      template,
      callbackUrls,
      ...(dataDir ? { stateFile: path.join(dataDir, 'auth', 'directory.json') } : {}),
    });
    stops.push(() => directory.client.destroy());
    signIn.current = localSignIn(directory, callbackUrls);
    process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER = cognitoEndpoint;
    log(`user directory ${directory.userPoolId} on ${cognitoEndpoint}; sign-in at ${gateway.url}/oauth2/authorize`);

    // The local S3 server and the template's buckets, CORS open to the local dashboard only.
    const s3Endpoint = options.s3Endpoint ?? (await services.s3!).endpoint;
    setSdkEnvironment({ s3: s3Endpoint });
    const s3 = new S3Client({ endpoint: s3Endpoint });
    stops.push(() => s3.destroy());
    const origins = [gateway.url, gateway.url.replace('127.0.0.1', 'localhost')];
    await createBucketsFromTemplate(s3, local.buckets, origins);
    const expiry = startExpirySweep(s3, local.buckets, { log });
    stops.push(() => expiry.stop());
    const documentBucket = local.functions
      .map((f) => f.environment[DOCUMENT_BUCKET_ENV])
      .find((name): name is string => typeof name === 'string' && local.buckets.some((b) => b.name === name));
    if (!documentBucket) throw new Error(`no function of the template names a bucket of the template in ${DOCUMENT_BUCKET_ENV}`);
    log(`S3 on ${s3Endpoint}: ${local.buckets.map((b) => b.name).join(', ')}`);

    const { dynamodbEndpoint, dynamodb, tables, table, tableName } = await tablesReady;
    const store = createStore({ client: dynamodb, tableName, clock });
    const runtime = createRuntime({
      clock,
      store: dataDir ? { dataDir: path.join(dataDir, 'sfn') } : 'memory',
      dynamodb,
      region: REGION,
      accountId: ACCOUNT,
      // Executions kept in the data folder wait for the functions (imported below, once the runtime's
      // API endpoint is known): one resumed before its task's handler is registered would fail.
      deferResume: true,
    });
    stops.push(() => runtime.close());
    const sfnApi: SfnApiServer = await serveSfnApi(runtime);
    stops.push(() => sfnApi.close());
    const lambdaApi: LambdaApiServer = await serveLambdaApi({
      resolve: (name) => {
        const handler = handlerOf(name);
        const fn = local.functions.find((f) => handlers[f.logicalId] === handler);
        return handler && fn ? { name: fn.name, handler, ...(fn.timeoutSeconds ? { timeoutSeconds: fn.timeoutSeconds } : {}) } : undefined;
      },
    });
    stops.push(() => lambdaApi.close());
    setSdkEnvironment({ sfn: sfnApi.endpoint, lambda: lambdaApi.endpoint });

    // What differs from AWS, for every function: the table's local name, the local directory and its
    // sign-in pages, invitations handed back instead of e-mailed, log delivery.
    const overrides: Record<string, string> = {
      TABLE_NAME: tableName,
      AUTH_ISSUER: directory.issuer,
      AUTH_AUDIENCE: directory.clientId,
      AUTH_JWKS_URL: directory.jwksUrl,
      AUTH_SIGN_IN_URL: gateway.url,
      USER_POOL_ID: directory.userPoolId,
      USER_INVITATIONS: 'return',
      NOTIFY_CHANNEL: 'log',
    };
    // The API's own settings (it reads them at its first request).
    overrides.JOBS_FUNCTION_NAME = api.name;
    if (options.rateLimit === false) overrides.API_RATE_PER_SECOND = '0';
    else if (options.rateLimit) {
      overrides.API_RATE_PER_SECOND = String(options.rateLimit.perSecond);
      overrides.API_RATE_BURST = String(options.rateLimit.burst);
    }

    // 4. The functions, each imported from its `cos:entry` source and called through its exported
    //    handler, as Lambda would, each in exactly its own environment (its template variables and the
    //    local overrides; function-env.ts) although they share this process. Given a clock (virtual, or
    //    the demo's), a module's `createHandler` builds the same handler on that clock. With a data folder,
    //    the outbox dispatcher's channel is the local mailbox there (mailbox.ts): what it sends arrives in
    //    `notifications.jsonl` as it is sent, the stream's deliveries and the re-drive's alike.
    const mailbox = dataDir ? new Mailbox(path.join(dataDir, MAILBOX_FILE), clock) : undefined;
    for (const fn of local.functions) {
      const entry = fn.metadata[ENTRY_METADATA_KEY];
      if (typeof entry !== 'string') continue;
      const exportName = (fn.metadata['cos:handler'] as string | undefined) ?? 'handler';
      const env = { ...fn.environment, ...overrides };
      const mod = await importInFunctionEnvironment(path.join(REPO_ROOT, entry), fn.logicalId, env);
      const channel = entry === DISPATCHER_ENTRY ? mailbox : undefined;
      // Every function module that exports `createHandler` (the API, the outbox dispatcher) is built on it.
      const handler =
        (options.clock || channel) && exportName === 'handler' && typeof mod.createHandler === 'function'
          ? runInFunctionEnvironment(env, () => (mod.createHandler as HandlerFactory)({ clock, ...(channel ? { channel } : {}) }))
          : mod[exportName];
      if (typeof handler !== 'function') throw new Error(`${fn.logicalId}: ${entry} exports no function ${exportName}`);
      handlers[fn.logicalId] = withFunctionEnvironment(env, handler as EventHandler);
    }
    // The outbox dispatcher, which re-drives the outbox below.
    const dispatcher = local.functions.find((f) => f.metadata[ENTRY_METADATA_KEY] === DISPATCHER_ENTRY);
    // The API thread loads its own instance of the API function meanwhile (a core of its own).
    const apiLoaded = apiThread?.load({
      entry: path.join(REPO_ROOT, API_HANDLER_ENTRY),
      env: definedOnly({ ...process.env, ...api.environment, ...overrides }),
      clock: clockInThread!,
      signIn: { endpoint: cognitoEndpoint, ids: { userPoolId: directory.userPoolId, clientId: directory.clientId }, callbackUrls },
    });
    const deployed = await deployTemplate(runtime, local, { handlers: handlers as never });
    const schoolProgramArn = local.functions.map((f) => f.environment.SCHOOL_PROGRAM_STATE_MACHINE_ARN).find((arn) => arn !== undefined);
    log(
      `state machines: ${Object.keys(deployed.stateMachines).join(', ') || 'none'}; functions: ${Object.keys(deployed.functions).length}`,
    );
    log(`API and dashboard on ${gateway.url} (table ${tableName})`);

    // 5. The reference program as published version 1 (a no-op once it exists), then the demo region,
    //    once, and its workflows.
    if (await ensureProgramVersion1(store, clock.now())) log('wrote the reference program as version 1');
    if (options.referenceVersion2 && (await ensureReferenceVersion2(store, clock.now(), options.referenceVersion2))) {
      log(
        `wrote version 2 of the reference program (content filtering) as ${options.referenceVersion2 === 'draft' ? 'a draft' : 'published'}`,
      );
    }
    if (options.seed !== false) {
      const existing = await store.listAllSchools({ limit: 1 });
      if (existing.items.length === 0) {
        const seed = options.seed ?? { seed: 1 };
        const region = generateRegion({ seed: seed.seed, ...(seed.schools ? { schools: seed.schools } : {}) });
        await store.putSchools(region.schools);
        for (const c of region.contractors) await store.putContractor(c);
        const now = clock.now();
        await store.initMilestones(
          region.schools.flatMap((s) => REFERENCE_PROGRAM.milestones.map((m) => initialState(REFERENCE_PROGRAM, s, m.key, now))),
        );
        log(`seeded ${region.schools.length} schools and ${region.contractors.length} contractors`);
        if (schoolProgramArn && options.startWorkflows !== false) {
          const signal = createWorkflowSignal({
            sfn: new SFNClient({ endpoint: sfnApi.endpoint }),
            store,
            stateMachineArn: schoolProgramArn,
          });
          let started = 0;
          for (const s of region.schools) if ((await signal.ensureExecution(s.id)).started) started++;
          log(`started ${started} school workflows`);
        }
      }
    }

    // 6. The kept executions resume, then the event sources start: the table's stream to the dispatchers
    //    (which signal those executions), the schedules on the clock. A restart's executions first catch
    //    up with what fell due while it was stopped, which floods DynamoDB Local, so the start's own
    //    requests above go before it. Executions started above (the seed's) run already.
    runtime.resumeExecutions();
    const events: EventSources =
      options.eventSources === false
        ? noEventSources
        : await startEventSources({
            template,
            handlers,
            tables: Object.fromEntries(tables.map((t) => [t.logicalId, t.tableName])),
            dynamodb,
            dynamodbEndpoint,
            clock,
            ...(dataDir ? { checkpointDir: path.join(dataDir, 'streams') } : {}),
            log,
          });
    stops.push(() => events.stop());
    for (const line of events.describe()) log(line);

    // A stream switched on again over kept data (the demo history is written with it off: less work for
    // DynamoDB Local) holds none of the notifications written before: the outbox dispatcher's re-drive,
    // which its daily schedule also runs, delivers them now, beside the live system. A stop cuts it short
    // after the page in hand; a marker in the data folder makes the next start run it again.
    const redriveMarker = dataDir ? path.join(dataDir, 'streams', 'outbox-redrive-pending') : undefined;
    if ((table.streamRestarted || (redriveMarker && existsSync(redriveMarker))) && options.eventSources !== false) {
      const redrive = dispatcher ? handlers[dispatcher.logicalId] : undefined;
      if (!dispatcher || !redrive) throw new Error(`the template has no function with ${ENTRY_METADATA_KEY} ${DISPATCHER_ENTRY}`);
      log(`the table's stream was off while its data was written: the outbox re-drive delivers what is pending`);
      if (redriveMarker) {
        mkdirSync(path.dirname(redriveMarker), { recursive: true });
        writeFileSync(redriveMarker, `${clock.now().toISOString()}\n`);
      }
      // Everything written before the stream was on, however young: the re-drive leaves what is younger than
      // its minimum age at its scheduled time to the stream, so that time is now plus that age.
      const scheduledTime = new Date(clock.nowMs() + REDRIVE_MIN_AGE_MS).toISOString();
      let stopping = false;
      const context = lambdaContext(dispatcher.name, { timeoutMs: 900_000 });
      const remaining = context.getRemainingTimeInMillis.bind(context);
      context.getRemainingTimeInMillis = () => (stopping ? 0 : remaining());
      const running = Promise.resolve(redrive({ task: 'redrive-pending', scheduledTime }, context)).then(
        (result) => {
          log(`outbox re-drive: ${JSON.stringify(result)}`);
          if (redriveMarker && !(result as RedriveResult).truncated) rmSync(redriveMarker, { force: true });
        },
        (error: unknown) => log(`outbox re-drive failed (the next start and the daily schedule try again): ${String(error)}`),
      );
      stops.push(async () => {
        stopping = true;
        await running;
      });
    }

    const stateFile = options.stateFile ?? (dataDir ? path.join(dataDir, 'local-stack.json') : undefined);
    if (stateFile) {
      writeState(stateFile, {
        pid: process.pid,
        url: gateway.url,
        cognitoEndpoint,
        userPoolId: directory.userPoolId,
        clientId: directory.clientId,
        dynamodbEndpoint,
        tableName,
      });
      stops.push(() => rmSync(stateFile, { force: true }));
    }

    await apiLoaded;
    serving = true;
    apiThread?.serve();
    if (apiThread && options.backgroundNice !== undefined && options.backgroundNice > 0) {
      // This thread only (Linux); the API thread keeps its own, and a restarted one stays above it.
      const nice = apiThread.lowerMainThread(options.backgroundNice);
      log(`the background (this process's main thread) runs at nice ${nice}, ${options.backgroundNice} below the API thread`);
    }
    return {
      url: gateway.url,
      port: gateway.port,
      tableName,
      dynamodb,
      dynamodbEndpoint,
      store,
      s3,
      s3Endpoint,
      documentBucket,
      applyLifecycle: (now) => applyExpiry(s3, local.buckets, now ?? new Date()),
      runtime,
      sfnEndpoint: sfnApi.endpoint,
      lambdaEndpoint: lambdaApi.endpoint,
      directory,
      template,
      clock,
      apiHandler: handlers[api.logicalId] as ApiHandler,
      apiThread,
      schoolProgramArn,
      events,
      token: (claims) => signInAs(directory, claims),
      idle: () => lambdaApi.idle(),
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

/** A function module's `createHandler`: its handler on the local clock (and, for the outbox dispatcher, channel). */
type HandlerFactory = (options: { clock: Clock; channel?: DeliveryChannel }) => unknown;

/** The variables that have a value (what a process environment holds). */
function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** What runs when the stack has its event sources turned off: nothing. */
const noEventSources: EventSources = { describe: () => [], drain: async () => undefined, stop: async () => undefined };

/** The AWS SDK's own variables: every client made without options (the handlers') talks to the local services. */
function setSdkEnvironment(endpoints: { dynamodb?: string; sfn?: string; lambda?: string; s3?: string }): void {
  setSdkDefaults();
  if (endpoints.dynamodb) process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoints.dynamodb;
  if (endpoints.sfn) process.env.AWS_ENDPOINT_URL_SFN = endpoints.sfn;
  if (endpoints.lambda) process.env.AWS_ENDPOINT_URL_LAMBDA = endpoints.lambda;
  if (endpoints.s3) process.env.AWS_ENDPOINT_URL_S3 = endpoints.s3;
}

/** The endpoints of a running local stack, for the commands that act on it (`npm run admin`, `npm run token`). */
export interface LocalStackState {
  pid: number;
  url: string;
  cognitoEndpoint: string;
  userPoolId: string;
  clientId: string;
  dynamodbEndpoint: string;
  tableName: string;
}

function writeState(file: string, state: LocalStackState): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2));
  renameSync(tmp, file);
}
