/**
 * Every Lambda function of the system, built one way: a `NodejsFunction` bundled by the local esbuild
 * into one ESM file (AWS SDK included, so the cloud runs the same SDK version as a laptop), Node.js 24 on
 * arm64, JSON logs at the stage's level, Powertools service name and metrics namespace, X-Ray tracing,
 * its own log group with the stage's retention, its own role (only the grants its caller adds), a
 * dead-letter queue when it is invoked asynchronously, and error/throttle alarms.
 *
 * The CloudFormation resource carries Metadata `{"cos:entry": "<repo-relative TS source>",
 * "cos:handler": "<export name>"}` — the local runtime reads it from the synthesized template to import
 * the same handler in-process, with the environment the template gives the function.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  type CfnFunction,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { LogLevel } from '../settings.js';
import { acknowledgeNag } from './nag.js';
import type { OperationalAlarms } from './operational-alarms.js';

/** The repository root (this file is infra/aws/constructs/app-function.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Lambda runtime of every function: the same Node.js major as the project's own toolchain. */
export const LAMBDA_RUNTIME = Runtime.NODEJS_24_X;
const ESBUILD_TARGET = 'node24';

/** Metadata keys on every AWS::Lambda::Function resource. */
export const ENTRY_METADATA = 'cos:entry';
export const HANDLER_METADATA = 'cos:handler';

/** Settings shared by all functions of a stack. */
export interface AppFunctionDefaults {
  /** CloudWatch metrics namespace of Powertools Metrics (`POWERTOOLS_METRICS_NAMESPACE`). */
  readonly metricsNamespace: string;
  readonly logLevel: LogLevel;
  readonly logRetention: RetentionDays;
  /** For log groups and dead-letter queues. */
  readonly removalPolicy: RemovalPolicy;
  /** Error/throttle alarms of every function, depth alarms of every dead-letter queue. */
  readonly alarms: OperationalAlarms;
}

export interface AppFunctionOptions {
  /** Repo-relative path of the TypeScript source, e.g. `functions/api/handler.ts`. */
  readonly entry: string;
  /** Exported handler name; default `handler`. */
  readonly handler?: string;
  /** Powertools service name (`POWERTOOLS_SERVICE_NAME`), e.g. `api`. */
  readonly serviceName: string;
  readonly description: string;
  readonly environment?: Record<string, string>;
  /** Default 30 seconds. */
  readonly timeout?: Duration;
  /** Default 256 MB. */
  readonly memorySize?: number;
  /**
   * The function is invoked asynchronously (a schedule, an `Event` invocation): it gets a dead-letter
   * queue for invocations that still fail after Lambda's retries, and an alarm on that queue.
   */
  readonly invokedAsynchronously?: boolean;
  /** Retries of an asynchronous invocation (0–2); default 2. */
  readonly asyncRetryAttempts?: number;
  /**
   * Shell commands run after esbuild, in the repository root, to add files to the bundle (e.g. the
   * dashboard's static files next to the API handler). Skipped when bundling is skipped.
   */
  readonly afterBundling?: (inputDir: string, outputDir: string) => string[];
}

export interface AppFunctionProps extends AppFunctionOptions {
  readonly defaults: AppFunctionDefaults;
}

export class AppFunction extends NodejsFunction {
  /** Repo-relative TS source (also the `cos:entry` metadata). */
  readonly entryPath: string;
  /** Powertools service name. */
  readonly serviceName: string;
  readonly handlerExport: string;
  /** The function's own log group (named apart from `Function.logGroup`, which this class does not override). */
  readonly functionLogGroup: LogGroup;
  /** Dead-letter queue of asynchronous invocations; present when `invokedAsynchronously`. */
  readonly asyncDeadLetterQueue?: Queue;

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    const entryPath = normaliseEntry(props.entry);
    const handlerExport = props.handler ?? 'handler';
    const { defaults } = props;

    // Created in the parent scope: NodejsFunction must be constructed before `this` exists.
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: defaults.logRetention,
      removalPolicy: defaults.removalPolicy,
    });
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${props.serviceName} function`,
    });
    const deadLetterQueue = props.invokedAsynchronously
      ? new Queue(scope, `${id}Dlq`, {
          encryption: QueueEncryption.SQS_MANAGED,
          enforceSSL: true,
          retentionPeriod: Duration.days(14),
          removalPolicy: defaults.removalPolicy,
        })
      : undefined;

    super(scope, id, {
      entry: join(REPO_ROOT, entryPath),
      handler: handlerExport,
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      runtime: LAMBDA_RUNTIME,
      architecture: Architecture.ARM_64,
      description: props.description,
      timeout: props.timeout ?? Duration.seconds(30),
      memorySize: props.memorySize ?? 256,
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel[props.defaults.logLevel],
      systemLogLevelV2: SystemLogLevel.WARN,
      tracing: Tracing.ACTIVE,
      ...(deadLetterQueue ? { deadLetterQueue, retryAttempts: props.asyncRetryAttempts ?? 2 } : {}),
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: defaults.metricsNamespace,
        POWERTOOLS_LOG_LEVEL: defaults.logLevel,
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: ESBUILD_TARGET,
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        bundleAwsSDK: true,
        // CommonJS dependencies inside the ESM bundle still call `require`.
        banner: "import { createRequire as __cosCreateRequire } from 'node:module'; const require = __cosCreateRequire(import.meta.url);",
        forceDockerBundling: false,
        ...(props.afterBundling
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: props.afterBundling,
              },
            }
          : {}),
      },
    });

    this.entryPath = entryPath;
    this.serviceName = props.serviceName;
    this.handlerExport = handlerExport;
    this.functionLogGroup = logGroup;
    if (deadLetterQueue) this.asyncDeadLetterQueue = deadLetterQueue;

    logGroup.grantWrite(role);
    (this.node.defaultChild as CfnFunction).addMetadata(ENTRY_METADATA, entryPath);
    (this.node.defaultChild as CfnFunction).addMetadata(HANDLER_METADATA, handlerExport);

    const alarmName = pascalCase(props.serviceName);
    defaults.alarms.watchFunction(alarmName, this);
    if (deadLetterQueue) {
      defaults.alarms.watchQueue(`${alarmName}Dlq`, deadLetterQueue);
      acknowledgeNag(
        deadLetterQueue,
        'AwsSolutions-SQS3',
        `This queue is the dead-letter queue of the ${props.serviceName} function's asynchronous invocations.`,
      );
    }
    acknowledgeNag(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions, so active tracing needs Resource "*".',
    );
  }
}

/** Creates functions with the stack's shared defaults; handed to constructs that add functions. */
export class AppFunctionFactory {
  constructor(readonly defaults: AppFunctionDefaults) {}

  create(scope: Construct, id: string, options: AppFunctionOptions): AppFunction {
    return new AppFunction(scope, id, { ...options, defaults: this.defaults });
  }
}

function pascalCase(name: string): string {
  return name.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}

function normaliseEntry(entry: string): string {
  const relativePath = isAbsolute(entry) ? relative(REPO_ROOT, entry) : entry;
  const posix = relativePath.split(sep).join('/');
  if (posix.startsWith('..') || !/\.(ts|mts)$/.test(posix)) {
    throw new Error(`AppFunction entry must be a TypeScript file inside the repository, got "${entry}"`);
  }
  if (!existsSync(join(REPO_ROOT, posix))) {
    throw new Error(`AppFunction entry "${posix}" does not exist`);
  }
  return posix;
}
