/**
 * The API Lambda function (`handler`): API Gateway HTTP API events (payload format 2.0) and the
 * asynchronous self-invocations that run bulk jobs. The same code runs locally behind the local gateway
 * (infra/local/http-gateway.ts), which turns each Node request into exactly such an event.
 *
 * Configuration (environment):
 *   TABLE_NAME                          the milestone table (required)
 *   AUTH_ISSUER                         the token issuer, e.g. https://cognito-idp.<region>.amazonaws.com/<poolId> (required)
 *   AUTH_AUDIENCE                       the app client id the ID tokens are for (required: an empty one is a configuration error)
 *   AUTH_JWKS_URL                       where the issuer's keys are (default `<issuer>/.well-known/jwks.json`)
 *   AUTH_SIGN_IN_URL                    where the dashboard signs in (Cognito's managed login domain; optional)
 *   USER_POOL_ID                        the user directory of the users routes (optional: they answer 503 without)
 *   USER_INVITATIONS                    `email` (default: the directory e-mails the temporary password) or
 *                                       `return` (it is handed back once to who invited: a directory that sends no e-mail)
 *   SCHOOL_PROGRAM_STATE_MACHINE_ARN    the school-program state machine (optional until the workflows exist)
 *   MILESTONE_LIFECYCLE_STATE_MACHINE_ARN  the milestone-lifecycle state machine (a command on a milestone whose
 *                                       lifecycle is gone wakes the school program, which re-creates it)
 *   JOBS_FUNCTION_NAME                  the function that runs bulk jobs (default: this one, AWS_LAMBDA_FUNCTION_NAME)
 *   API_RATE_PER_SECOND, API_RATE_BURST per-user throttling (default 50/s, burst 200; 0 turns it off)
 * AWS endpoints and credentials come from the SDK's standard variables (AWS_REGION,
 * AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SFN, AWS_ENDPOINT_URL_LAMBDA, ...).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { handle } from 'hono/aws-lambda';
import { z } from 'zod';
import { SystemClock, type Clock } from '../../shared/clock.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import { createProgramResolver } from '../../shared/programs/resolver.js';
import { OMSK_OBLAST_DISTRICTS } from '../../shared/region/districts.js';
import { createJobStore } from '../../shared/store/jobs.js';
import { createStore } from '../../shared/store/store.js';
import { logTo } from '../common/log.js';
import { programWaits } from '../../shared/store/program-wait.js';
import { createWorkflowSignal } from '../common/workflow-signal.js';
import { allowConnections, serveWeb } from '../web/serve.js';
import { uploadOrigin } from '../../shared/documents/storage.js';
import { createApp } from './app.js';
import { createVerifier } from './auth.js';
import { JobEvent, lambdaJobQueue, runJob } from './jobs.js';
import { signInConfig } from './routes/sign-in.js';
import { createUserAudit } from '../../shared/users/audit.js';
import { createUserDirectory } from '../../shared/users/directory.js';

const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const count = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? fallback : Number(v)))
    .pipe(z.number().min(0));

export const ApiEnv = z.object({
  TABLE_NAME: z.string().min(1, 'TABLE_NAME is required'),
  AUTH_ISSUER: z.string().min(1, 'AUTH_ISSUER is required'),
  AUTH_AUDIENCE: z.string().trim().min(1, 'AUTH_AUDIENCE (the app client id the ID tokens are for) is required'),
  AUTH_JWKS_URL: optional,
  AUTH_SIGN_IN_URL: optional,
  USER_POOL_ID: optional,
  USER_INVITATIONS: z.enum(['email', 'return']).default('email'),
  SCHOOL_PROGRAM_STATE_MACHINE_ARN: optional,
  MILESTONE_LIFECYCLE_STATE_MACHINE_ARN: optional,
  JOBS_FUNCTION_NAME: optional,
  AWS_LAMBDA_FUNCTION_NAME: optional,
  API_RATE_PER_SECOND: count(50),
  API_RATE_BURST: count(200),
  API_VERSION: optional,
  DOCUMENT_BUCKET: optional,
  DOCUMENT_RETENTION_DAYS: optional,
  POWERTOOLS_LOG_LEVEL: optional,
});
export type ApiEnv = z.infer<typeof ApiEnv>;

export interface HandlerOptions {
  /** Default `process.env`, read at the first invocation. */
  env?: NodeJS.ProcessEnv;
  /** Default the system clock; a simulation passes its virtual clock. */
  clock?: Clock;
}

export type ApiHandler = (
  event: APIGatewayProxyEventV2 | JobEvent,
  context: Context,
) => Promise<APIGatewayProxyResultV2 | { jobId: string; done: true }>;

function build(options: HandlerOptions) {
  const env = ApiEnv.parse(options.env ?? process.env);
  // The level from the configuration the handler is built from (tests and simulations pass their own).
  const log = logTo(
    new Logger({
      serviceName: 'api',
      ...(env.POWERTOOLS_LOG_LEVEL ? { logLevel: env.POWERTOOLS_LOG_LEVEL.toUpperCase() as LogLevel } : {}),
    }),
  );
  const clock = options.clock ?? new SystemClock();
  const dynamodb = new DynamoDBClient({});
  const sfn = new SFNClient({});
  const store = createStore({ client: dynamodb, tableName: env.TABLE_NAME, clock });
  const signal = createWorkflowSignal({
    sfn,
    store,
    stateMachineArn: env.SCHOOL_PROGRAM_STATE_MACHINE_ARN,
    lifecycleStateMachineArn: env.MILESTONE_LIFECYCLE_STATE_MACHINE_ARN,
    programWaits: programWaits(dynamodb, env.TABLE_NAME),
    log,
  });
  const jobs = createJobStore({ client: dynamodb, tableName: env.TABLE_NAME, clock });
  const jobsFunction = env.JOBS_FUNCTION_NAME ?? env.AWS_LAMBDA_FUNCTION_NAME;
  const deps = { store, program: REFERENCE_PROGRAM, programs: createProgramResolver(store), clock };
  const documents = env.DOCUMENT_BUCKET
    ? {
        s3: new S3Client({}),
        bucket: env.DOCUMENT_BUCKET,
        ...(env.DOCUMENT_RETENTION_DAYS ? { retentionDays: Number(env.DOCUMENT_RETENTION_DAYS) } : {}),
      }
    : null;
  // The dashboard may send evidence files to the bucket: the origin its presigned POSTs go to.
  const uploadOrigins: Promise<string[]> = documents
    ? uploadOrigin(documents).then(
        (o) => [o],
        (error: unknown) => {
          log('error', 'the document store origin could not be resolved: the dashboard cannot upload', { error: String(error) });
          return [];
        },
      )
    : Promise.resolve([]);
  const app = createApp({
    ...deps,
    districts: OMSK_OBLAST_DISTRICTS,
    authenticate: createVerifier({
      issuer: env.AUTH_ISSUER,
      audience: env.AUTH_AUDIENCE,
      jwksUrl: env.AUTH_JWKS_URL ?? `${env.AUTH_ISSUER.replace(/\/$/, '')}/.well-known/jwks.json`,
    }),
    signal,
    jobs,
    queue: jobsFunction ? lambdaJobQueue(new LambdaClient({}), jobsFunction) : null,
    web: async (request) => allowConnections(serveWeb(request), await uploadOrigins),
    users: env.USER_POOL_ID
      ? {
          directory: createUserDirectory({
            client: new CognitoIdentityProviderClient({}),
            userPoolId: env.USER_POOL_ID,
            invitations: env.USER_INVITATIONS,
          }),
          audit: createUserAudit(dynamodb, env.TABLE_NAME),
        }
      : null,
    signIn: env.AUTH_SIGN_IN_URL && env.AUTH_AUDIENCE ? signInConfig(env.AUTH_SIGN_IN_URL, env.AUTH_AUDIENCE) : null,
    documents,
    rateLimit: env.API_RATE_PER_SECOND > 0 ? { perSecond: env.API_RATE_PER_SECOND, burst: Math.max(1, env.API_RATE_BURST) } : null,
    log,
    ...(env.API_VERSION ? { version: env.API_VERSION } : {}),
  });
  return {
    http: handle(app),
    runJob: (jobId: string) => runJob({ ...deps, jobs, signal, log }, jobId),
  };
}

/** The variables the handler is built from: when one changes (a new local stack in the same process), it is built again. */
const ENV_KEYS = Object.keys(ApiEnv.shape);

/** A handler over its own configuration (tests and simulations pass a clock; Lambda uses `handler`). */
export function createHandler(options: HandlerOptions = {}): ApiHandler {
  let runtime: ReturnType<typeof build> | undefined;
  let builtFrom = '';
  return async (event, context) => {
    const env = options.env ?? process.env;
    const fingerprint = ENV_KEYS.map((k) => env[k] ?? '').join('\u0000');
    if (!runtime || fingerprint !== builtFrom) {
      runtime = build({ ...options, env });
      builtFrom = fingerprint;
    }
    const job = JobEvent.safeParse(event);
    if (job.success) {
      await runtime.runJob(job.data.jobId);
      return { jobId: job.data.jobId, done: true };
    }
    return (await runtime.http(event as never, context)) as APIGatewayProxyResultV2;
  };
}

export const handler = createHandler();
