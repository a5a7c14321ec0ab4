/**
 * Reading a synthesized CloudFormation template (JSON) for the local cloud: intrinsic functions are
 * resolved to local names and ARNs, and the resources the local runtime needs are listed: state
 * machines (name, ARN, definition), Lambda functions (logical id, name, ARN, handler, environment,
 * Metadata such as `cos:entry`), DynamoDB tables (name, ARN, properties).
 *
 * Resolution rules (account 000000000000 unless told otherwise):
 * - `Ref`: a table → its TableName (or the logical id); a function → its FunctionName (or the logical
 *   id); a state machine → its ARN; a role → its name; a queue → its URL; a topic → its ARN; a
 *   parameter → its Default; `AWS::Partition` → `aws`, `AWS::Region`, `AWS::AccountId`,
 *   `AWS::StackName`, `AWS::URLSuffix`, `AWS::NoValue` (the member is dropped).
 * - `Fn::GetAtt`: `Arn` of a function → `arn:aws:lambda:<region>:<account>:function:<name>`, of a
 *   state machine → its ARN (and `Name`), of a table → its ARN (`StreamArn` too), of a role, queue,
 *   topic…; other attributes → `<logicalId>.<attribute>`.
 * - `Fn::Join`, `Fn::Sub` (both forms, `${!Literal}`), `Fn::Select`, `Fn::Split`, `Fn::If` with
 *   `Conditions` (`Fn::Equals`, `Fn::And`, `Fn::Or`, `Fn::Not`, `Condition`), `Fn::FindInMap`,
 *   `Fn::Base64`, `Fn::GetAZs`. `Fn::ImportValue` is refused (no other stacks exist locally).
 */
import { readFileSync } from 'node:fs';

export interface TemplateContext {
  region?: string;
  accountId?: string;
  partition?: string;
  stackName?: string;
}

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  Condition?: string;
  DependsOn?: unknown;
}

export interface CfnTemplate {
  Resources?: Record<string, CfnResource>;
  Parameters?: Record<string, { Default?: unknown; Type?: string }>;
  Conditions?: Record<string, unknown>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Outputs?: Record<string, unknown>;
}

export interface LocalFunction {
  logicalId: string;
  name: string;
  arn: string;
  /** The Handler property, e.g. `index.handler`. */
  handler?: string;
  runtime?: string;
  timeoutSeconds?: number;
  environment: Record<string, string>;
  /** The resource's Metadata (e.g. `cos:entry`: the source file of the handler). */
  metadata: Record<string, unknown>;
  /** All properties, resolved. */
  properties: Record<string, unknown>;
}

export interface LocalStateMachine {
  logicalId: string;
  name: string;
  arn: string;
  definition: Record<string, unknown>;
  definitionString: string;
  roleArn?: string;
  metadata: Record<string, unknown>;
}

export interface LocalTable {
  logicalId: string;
  name: string;
  arn: string;
  properties: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

/** An S3 bucket of the template: its local name and resolved properties (CORS, lifecycle rules…). */
export type LocalBucket = LocalTable;

export interface LocalStack {
  template: CfnTemplate;
  resolver: TemplateResolver;
  functions: LocalFunction[];
  buckets: LocalBucket[];
  stateMachines: LocalStateMachine[];
  tables: LocalTable[];
}

/** Marker for AWS::NoValue: the member holding it is removed. */
const NO_VALUE = Symbol('AWS::NoValue');

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

export class TemplateResolver {
  readonly template: CfnTemplate;
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  readonly stackName: string;
  readonly #resources: Record<string, CfnResource>;

  constructor(template: CfnTemplate, ctx: TemplateContext = {}) {
    this.template = template;
    this.region = ctx.region ?? 'eu-central-1';
    this.accountId = ctx.accountId ?? '000000000000';
    this.partition = ctx.partition ?? 'aws';
    this.stackName = ctx.stackName ?? 'local';
    this.#resources = template.Resources ?? {};
  }

  resource(logicalId: string): CfnResource {
    const r = this.#resources[logicalId];
    if (!r) throw new TemplateError(`The template has no resource '${logicalId}'`);
    return r;
  }

  /** A property of a resource, resolved (undefined when absent). */
  property(logicalId: string, name: string): unknown {
    const v = this.resource(logicalId).Properties?.[name];
    return v === undefined ? undefined : this.resolve(v);
  }

  /** The physical name of a named resource: its name property when set, else the logical id. */
  physicalName(logicalId: string): string {
    const r = this.resource(logicalId);
    const prop = (
      {
        'AWS::Lambda::Function': 'FunctionName',
        'AWS::DynamoDB::Table': 'TableName',
        'AWS::DynamoDB::GlobalTable': 'TableName',
        'AWS::StepFunctions::StateMachine': 'StateMachineName',
        'AWS::IAM::Role': 'RoleName',
        'AWS::SQS::Queue': 'QueueName',
        'AWS::SNS::Topic': 'TopicName',
        'AWS::Events::Rule': 'Name',
        'AWS::Scheduler::Schedule': 'Name',
        'AWS::Logs::LogGroup': 'LogGroupName',
        'AWS::S3::Bucket': 'BucketName',
      } as Record<string, string>
    )[r.Type];
    const v = prop ? this.property(logicalId, prop) : undefined;
    if (typeof v === 'string') return v;
    // Bucket names are lower-case (CloudFormation generates them so).
    return r.Type === 'AWS::S3::Bucket' ? logicalId.toLowerCase() : logicalId;
  }

  arnOf(logicalId: string): string {
    const r = this.resource(logicalId);
    const name = this.physicalName(logicalId);
    const p = this.partition;
    const ra = `${this.region}:${this.accountId}`;
    switch (r.Type) {
      case 'AWS::Lambda::Function':
        return `arn:${p}:lambda:${ra}:function:${name}`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:${p}:states:${ra}:stateMachine:${name}`;
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable':
        return `arn:${p}:dynamodb:${ra}:table/${name}`;
      case 'AWS::IAM::Role':
        return `arn:${p}:iam::${this.accountId}:role/${name}`;
      case 'AWS::SQS::Queue':
        return `arn:${p}:sqs:${ra}:${name}`;
      case 'AWS::SNS::Topic':
        return `arn:${p}:sns:${ra}:${name}`;
      case 'AWS::Events::Rule':
        return `arn:${p}:events:${ra}:rule/${name}`;
      case 'AWS::Scheduler::Schedule':
        return `arn:${p}:scheduler:${ra}:schedule/default/${name}`;
      case 'AWS::Logs::LogGroup':
        return `arn:${p}:logs:${ra}:log-group:${name}:*`;
      case 'AWS::S3::Bucket':
        return `arn:${p}:s3:::${name}`;
      default: {
        const service = r.Type.split('::')[1]?.toLowerCase() ?? 'local';
        return `arn:${p}:${service}:${ra}:${logicalId}`;
      }
    }
  }

  ref(name: string): unknown {
    switch (name) {
      case 'AWS::Partition':
        return this.partition;
      case 'AWS::Region':
        return this.region;
      case 'AWS::AccountId':
        return this.accountId;
      case 'AWS::StackName':
        return this.stackName;
      case 'AWS::StackId':
        return `arn:${this.partition}:cloudformation:${this.region}:${this.accountId}:stack/${this.stackName}/00000000-0000-0000-0000-000000000000`;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::NoValue':
        return NO_VALUE;
      case 'AWS::NotificationARNs':
        return [];
      default:
        break;
    }
    const param = this.template.Parameters?.[name];
    if (param) {
      if (param.Default === undefined) throw new TemplateError(`The parameter '${name}' has no Default value`);
      return param.Default;
    }
    const r = this.resource(name);
    switch (r.Type) {
      case 'AWS::StepFunctions::StateMachine':
      case 'AWS::SNS::Topic':
        return this.arnOf(name);
      case 'AWS::SQS::Queue':
        return `https://sqs.${this.region}.amazonaws.com/${this.accountId}/${this.physicalName(name)}`;
      default:
        return this.physicalName(name);
    }
  }

  getAtt(logicalId: string, attribute: string): unknown {
    const r = this.resource(logicalId);
    if (attribute === 'Arn') return this.arnOf(logicalId);
    if (attribute === 'Name' || attribute === 'StateMachineName' || attribute === 'QueueName' || attribute === 'TopicName')
      return this.physicalName(logicalId);
    if (attribute === 'StreamArn' && r.Type.startsWith('AWS::DynamoDB::')) return `${this.arnOf(logicalId)}/stream/1970-01-01T00:00:00.000`;
    if (attribute === 'QueueUrl') return this.ref(logicalId);
    if (attribute === 'TopicArn') return this.arnOf(logicalId);
    if (attribute === 'RoleId')
      return `AROA${logicalId
        .toUpperCase()
        .replace(/[^A-Z0-9]/g, '')
        .slice(0, 17)}`;
    return `${logicalId}.${attribute}`;
  }

  condition(name: string): boolean {
    const c = this.template.Conditions?.[name];
    if (c === undefined) throw new TemplateError(`The template has no condition '${name}'`);
    return this.#truthy(c);
  }

  #truthy(c: unknown): boolean {
    if (typeof c === 'boolean') return c;
    if (c && typeof c === 'object' && !Array.isArray(c)) {
      const [fn, arg] = Object.entries(c)[0] ?? [];
      const args = Array.isArray(arg) ? arg : [arg];
      switch (fn) {
        case 'Fn::Equals':
          return JSON.stringify(this.resolve(args[0])) === JSON.stringify(this.resolve(args[1]));
        case 'Fn::And':
          return args.every((a) => this.#truthy(a));
        case 'Fn::Or':
          return args.some((a) => this.#truthy(a));
        case 'Fn::Not':
          return !this.#truthy(args[0]);
        case 'Condition':
          return this.condition(String(arg));
        default:
          break;
      }
    }
    const v = this.resolve(c);
    return v === true || v === 'true';
  }

  #sub(text: string, vars: Record<string, unknown>): string {
    return text.replace(/\$\{([^}]*)\}/g, (whole, inner: string) => {
      if (inner.startsWith('!')) return `\${${inner.slice(1)}}`;
      const name = inner.trim();
      if (name in vars) return String(this.resolve(vars[name]));
      if (name.includes('.') && !name.startsWith('AWS::')) {
        const dot = name.indexOf('.');
        return String(this.getAtt(name.slice(0, dot), name.slice(dot + 1)));
      }
      const v = this.ref(name);
      if (v === NO_VALUE) return '';
      return String(v);
    });
  }

  /** Resolves every intrinsic function inside a value. */
  resolve(value: unknown): unknown {
    const v = this.#resolve(value);
    return v === NO_VALUE ? undefined : v;
  }

  #resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.#resolve(v)).filter((v) => v !== NO_VALUE);
    if (!value || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [key, arg] = entries[0]!;
      switch (key) {
        case 'Ref':
          return this.ref(String(arg));
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(arg) ? (arg as string[]) : String(arg).split(/\.(.*)/);
          return this.getAtt(String(id), String(this.#resolve(attr)));
        }
        case 'Fn::Join': {
          const [sep, list] = arg as [string, unknown];
          const items = this.#resolve(list);
          if (!Array.isArray(items)) throw new TemplateError('Fn::Join needs a list');
          return items.map((i) => (typeof i === 'string' ? i : JSON.stringify(i))).join(String(sep));
        }
        case 'Fn::Sub': {
          if (typeof arg === 'string') return this.#sub(arg, {});
          const [text, vars] = arg as [string, Record<string, unknown>];
          return this.#sub(text, vars ?? {});
        }
        case 'Fn::Select': {
          const [index, list] = arg as [unknown, unknown];
          const items = this.#resolve(list) as unknown[];
          return items[Number(this.#resolve(index))];
        }
        case 'Fn::Split': {
          const [sep, text] = arg as [string, unknown];
          return String(this.#resolve(text)).split(sep);
        }
        case 'Fn::If': {
          const [cond, yes, no] = arg as [string, unknown, unknown];
          return this.#resolve(this.condition(cond) ? yes : no);
        }
        case 'Fn::FindInMap': {
          const [map, top, second] = (arg as unknown[]).map((a) => String(this.#resolve(a)));
          const v = this.template.Mappings?.[map!]?.[top!]?.[second!];
          if (v === undefined) throw new TemplateError(`Fn::FindInMap: no ${map}.${top}.${second}`);
          return this.#resolve(v);
        }
        case 'Fn::Base64':
          return Buffer.from(String(this.#resolve(arg))).toString('base64');
        case 'Fn::GetAZs':
          return ['a', 'b', 'c'].map((z) => `${this.region}${z}`);
        case 'Fn::ImportValue':
          throw new TemplateError(`Fn::ImportValue is not supported locally (${JSON.stringify(arg)})`);
        case 'Condition':
          return this.condition(String(arg));
        default:
          break;
      }
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      const r = this.#resolve(v);
      if (r !== NO_VALUE) out[k] = r;
    }
    return out;
  }
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out[k] = typeof x === 'string' ? x : JSON.stringify(x);
  return out;
}

/** Reads a template (a file path or an object) and lists its functions, state machines and tables. */
export function loadTemplate(source: string | CfnTemplate, ctx: TemplateContext = {}): LocalStack {
  const template = typeof source === 'string' ? (JSON.parse(readFileSync(source, 'utf8')) as CfnTemplate) : source;
  const resolver = new TemplateResolver(template, ctx);
  const functions: LocalFunction[] = [];
  const stateMachines: LocalStateMachine[] = [];
  const tables: LocalTable[] = [];
  const buckets: LocalBucket[] = [];
  for (const [logicalId, r] of Object.entries(template.Resources ?? {})) {
    if (r.Condition && !resolver.condition(r.Condition)) continue;
    const metadata = r.Metadata ?? {};
    switch (r.Type) {
      case 'AWS::Lambda::Function': {
        const props = (resolver.resolve(r.Properties ?? {}) ?? {}) as Record<string, unknown>;
        const env = (props.Environment as { Variables?: unknown } | undefined)?.Variables;
        functions.push({
          logicalId,
          name: resolver.physicalName(logicalId),
          arn: resolver.arnOf(logicalId),
          ...(typeof props.Handler === 'string' ? { handler: props.Handler } : {}),
          ...(typeof props.Runtime === 'string' ? { runtime: props.Runtime } : {}),
          ...(typeof props.Timeout === 'number' ? { timeoutSeconds: props.Timeout } : {}),
          environment: stringMap(env),
          metadata,
          properties: props,
        });
        break;
      }
      case 'AWS::StepFunctions::StateMachine': {
        const p = r.Properties ?? {};
        let text: string;
        if (p.DefinitionString !== undefined) {
          const v = resolver.resolve(p.DefinitionString);
          text = typeof v === 'string' ? v : JSON.stringify(v);
        } else if (p.Definition !== undefined) {
          text = JSON.stringify(resolver.resolve(p.Definition));
        } else if (p.DefinitionS3Location !== undefined) {
          throw new TemplateError(`State machine '${logicalId}': DefinitionS3Location is not supported locally`);
        } else {
          throw new TemplateError(`State machine '${logicalId}' has no DefinitionString or Definition`);
        }
        const subs = p.DefinitionSubstitutions ? (resolver.resolve(p.DefinitionSubstitutions) as Record<string, unknown>) : {};
        text = text.replace(/\$\{([^}]+)\}/g, (whole, key: string) =>
          key in subs ? (typeof subs[key] === 'string' ? (subs[key] as string) : JSON.stringify(subs[key])) : whole,
        );
        let definition: Record<string, unknown>;
        try {
          definition = JSON.parse(text) as Record<string, unknown>;
        } catch (err) {
          throw new TemplateError(`State machine '${logicalId}': the resolved definition is not JSON: ${(err as Error).message}`);
        }
        const roleArn = p.RoleArn !== undefined ? resolver.resolve(p.RoleArn) : undefined;
        stateMachines.push({
          logicalId,
          name: resolver.physicalName(logicalId),
          arn: resolver.arnOf(logicalId),
          definition,
          definitionString: text,
          ...(typeof roleArn === 'string' ? { roleArn } : {}),
          metadata,
        });
        break;
      }
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable':
      case 'AWS::S3::Bucket':
        (r.Type === 'AWS::S3::Bucket' ? buckets : tables).push({
          logicalId,
          name: resolver.physicalName(logicalId),
          arn: resolver.arnOf(logicalId),
          properties: (resolver.resolve(r.Properties ?? {}) ?? {}) as Record<string, unknown>,
          metadata,
        });
        break;
      default:
        break;
    }
  }
  return { template, resolver, functions, stateMachines, tables, buckets };
}
