/**
 * The HTTP API (API Gateway v2, payload format 2.0) in front of one Lambda function that serves
 * everything: the JSON API under `/api`, `/healthz`, `/openapi.json`, `/docs`, and the dashboard's static
 * files (`/`, `/index.html`, `/assets/*`, `/favicon.*`), built into the function's bundle.
 *
 * `GET /auth/config` tells the dashboard where to sign in (managed login's URL, the app client id).
 * `/api` and `/api/{proxy+}` require a Cognito ID token (JWT authorizer, audience = the dashboard's app
 * client); the function verifies the token again itself (the same code runs locally behind a local
 * gateway). Every other route is explicitly listed and open; unknown paths are answered 404 by API
 * Gateway. The `$default` stage throttles every route, so clients see 429 under load, and writes JSON
 * access logs.
 *
 * Bulk jobs run in an asynchronous invocation of the same function (it may invoke its own ARN); a
 * dead-letter queue keeps the invocations that failed every retry.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpApi, HttpMethod, LogGroupLogDestination, type HttpRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { AppFunction, AppFunctionFactory } from './app-function.js';
import { acknowledgeNag } from './nag.js';
import { API_HANDLER_ENTRY } from '../wiring.js';
import type { OperationalAlarms } from './operational-alarms.js';
import type { UserDirectory } from './user-directory.js';

/** Routes that need no token: health, API description, and the dashboard's static files. */
export const OPEN_ROUTES: readonly string[] = [
  'GET /healthz',
  'GET /openapi.json',
  'GET /docs',
  'GET /',
  'GET /index.html',
  'GET /assets/{proxy+}',
  'GET /favicon.ico',
  'GET /favicon.svg',
  'GET /auth/config',
];
/** Routes behind the JWT authorizer. */
export const PROTECTED_ROUTES: readonly string[] = ['ANY /api', 'ANY /api/{proxy+}'];

export interface MilestoneHttpApiProps {
  readonly functions: AppFunctionFactory;
  readonly directory: UserDirectory;
  readonly alarms: OperationalAlarms;
  /** Environment the handler needs besides the auth settings (the table, the state machines). */
  readonly environment: Record<string, string>;
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly apiName: string;
}

export class MilestoneHttpApi extends Construct {
  readonly handler: AppFunction;
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: MilestoneHttpApiProps) {
    super(scope, id);
    const { directory } = props;

    this.httpApi = new HttpApi(this, 'HttpApi', {
      apiName: props.apiName,
      description: 'COS milestone engine: API, OpenAPI document and dashboard',
      createDefaultStage: false,
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttle.rateLimit, burstLimit: props.throttle.burstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            userAgent: '$context.identity.userAgent',
            method: '$context.httpMethod',
            path: '$context.path',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integration.latency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            user: '$context.authorizer.claims.sub',
          }),
        ),
      },
    });

    // The app client needs the dashboard's URL (its callback), and the function the client's id: the API
    // and its stage come first, the function and its integration after them (no cycle in the template).
    const client = directory.addDashboardClient(this.url);
    this.handler = props.functions.create(this, 'Handler', {
      entry: API_HANDLER_ENTRY,
      serviceName: 'api',
      description: 'HTTP API, OpenAPI document and dashboard of the COS milestone engine',
      timeout: Duration.seconds(28),
      memorySize: 1024,
      // Bulk jobs run in an asynchronous invocation of this same function (Event invocation).
      invokedAsynchronously: true,
      environment: {
        ...props.environment,
        AUTH_ISSUER: directory.issuerUrl,
        AUTH_AUDIENCE: client.userPoolClientId,
        AUTH_JWKS_URL: `${directory.issuerUrl}/.well-known/jwks.json`,
        AUTH_SIGN_IN_URL: directory.signInBaseUrl,
        USER_POOL_ID: directory.userPool.userPoolId,
      },
      // serve.ts reads the dashboard from `dist/` next to the module: in the bundle, next to index.mjs.
      afterBundling: (inputDir, outputDir) => [
        `cd "${inputDir}" && node_modules/.bin/tsx functions/web/build.ts --out "${outputDir}/dist"`,
      ],
    });

    // A separate policy (not the role's default policy, which the function depends on) avoids a cycle.
    new Policy(this, 'SelfInvokePolicy', {
      roles: [this.handler.role!],
      statements: [
        new PolicyStatement({
          sid: 'RunBulkJobsAsynchronously',
          actions: ['lambda:InvokeFunction'],
          resources: [this.handler.functionArn],
        }),
      ],
    });

    const integration = new HttpLambdaIntegration('HandlerIntegration', this.handler);
    const authorizer = new HttpUserPoolAuthorizer('CognitoAuthorizer', directory.userPool, {
      userPoolClients: [client],
      authorizerName: 'cognito-id-token',
    });

    for (const route of PROTECTED_ROUTES) this.#addRoute(route, integration, authorizer);
    for (const route of OPEN_ROUTES) {
      for (const created of this.#addRoute(route, integration)) {
        acknowledgeNag(
          created,
          'AwsSolutions-APIG4',
          `"${route}" is public by design (health check, API description or the dashboard's static files); every /api route requires a Cognito JWT.`,
        );
      }
    }

    props.alarms.watchHttpApi('HttpApi', this.stage);
  }

  /** The API's base URL (`https://<id>.execute-api.<region>.amazonaws.com/`). */
  get url(): string {
    return this.stage.url;
  }

  #addRoute(route: string, integration: HttpLambdaIntegration, authorizer?: HttpUserPoolAuthorizer): HttpRoute[] {
    const [method, path] = route.split(' ') as [keyof typeof HttpMethod, string];
    return this.httpApi.addRoutes({
      path,
      methods: [HttpMethod[method]],
      integration,
      ...(authorizer ? { authorizer } : {}),
    });
  }
}
