/**
 * Per-stage settings of the CDK app. Everything that differs between `dev` and `prod` is decided here,
 * from the CDK context (`-c stage=prod -c alarmEmail=... -c senderEmail=...`), so the stack itself has
 * no stage conditionals beyond reading these values.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

export const STAGES = ['dev', 'prod'] as const;
export type StageName = (typeof STAGES)[number];

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface StageSettings {
  readonly stage: StageName;
  /** CloudFormation stack name; `cdk.out/<stackName>.template.json` is the template the local runtime reads. */
  readonly stackName: string;
  /** Table deletion protection and Cognito user pool deletion protection. */
  readonly deletionProtection: boolean;
  /** What happens to stateful resources (table, user pool, log groups, queues) when the stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
  /** Retention of every Lambda, API access and state machine log group. */
  readonly logRetention: RetentionDays;
  /** Powertools and Lambda application log level. */
  readonly logLevel: LogLevel;
  /** Stage-wide default route throttling of the HTTP API (requests per second and burst). */
  readonly apiThrottle: { readonly rateLimit: number; readonly burstLimit: number };
  /** Cognito MFA: required in production; optional where only test accounts live. */
  readonly mfaRequired: boolean;
  /** Cognito Plus feature plan with full-function threat protection (costs per active user). */
  readonly threatProtection: boolean;
  /**
   * Object Lock on the document bucket (governance mode, this many days from confirmation); unset: no
   * Object Lock (versioning and the retained bucket still keep every version).
   */
  readonly documentRetentionDays?: number;
  /** Optional e-mail subscribed to the alarm topic. */
  readonly alarmEmail?: string;
  /** Optional SES sender address; when set, notifications go out by SES e-mail, otherwise to the SNS topic. */
  readonly senderEmail?: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Reads a context value as an optional string ('' counts as unset, so `-c alarmEmail=` clears it). */
type ContextReader = (key: string) => unknown;

function optionalEmail(read: ContextReader, key: string): string | undefined {
  const value = read(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !EMAIL.test(value)) {
    throw new Error(`Context "${key}" must be an e-mail address, got ${JSON.stringify(value)}`);
  }
  return value;
}

function positiveNumber(read: ContextReader, key: string, fallback: number): number {
  const value = read(key);
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`Context "${key}" must be a positive number, got ${JSON.stringify(value)}`);
  return n;
}

export function stackNameFor(stage: StageName): string {
  return `CosMilestones-${stage}`;
}

/**
 * Builds the settings of a stage from CDK context values.
 * Keys: `stage` (dev|prod, default dev), `alarmEmail`, `senderEmail`, `apiRateLimit`, `apiBurstLimit`.
 */
export function stageSettings(read: ContextReader): StageSettings {
  const stage = read('stage') ?? 'dev';
  if (typeof stage !== 'string' || !(STAGES as readonly string[]).includes(stage)) {
    throw new Error(`Context "stage" must be one of ${STAGES.join(', ')}, got ${JSON.stringify(stage)}`);
  }
  const prod = stage === 'prod';
  const alarmEmail = optionalEmail(read, 'alarmEmail');
  const senderEmail = optionalEmail(read, 'senderEmail');
  return {
    stage: stage as StageName,
    stackName: stackNameFor(stage as StageName),
    deletionProtection: prod,
    removalPolicy: prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    logRetention: prod ? RetentionDays.ONE_YEAR : RetentionDays.TWO_WEEKS,
    logLevel: prod ? 'INFO' : 'DEBUG',
    apiThrottle: {
      rateLimit: positiveNumber(read, 'apiRateLimit', prod ? 50 : 10),
      burstLimit: positiveNumber(read, 'apiBurstLimit', prod ? 100 : 20),
    },
    mfaRequired: prod,
    threatProtection: prod,
    // Five years: the programme's four plus the year of its audit.
    ...(prod ? { documentRetentionDays: 5 * 366 } : {}),
    ...(alarmEmail ? { alarmEmail } : {}),
    ...(senderEmail ? { senderEmail } : {}),
  };
}
