/**
 * The synthesized template of the dev stage, checked resource by resource: the table, every function
 * (runtime, architecture, tracing, logging, environment, the `cos:entry` metadata the local runtime
 * reads), least-privilege IAM, the HTTP API and its authorizer, Cognito, the notification path, the
 * schedules, the alarms and the dead-letter queues — and cdk-nag's AwsSolutions pack over all of it.
 */
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { MilestoneTable } from '../../infra/aws/constructs/milestone-table.js';
import { OPEN_ROUTES, PROTECTED_ROUTES } from '../../infra/aws/constructs/milestone-http-api.js';
import { OUTBOX_PREFIX } from '../../shared/store/keys.js';
import { DIRECTORY_ADMIN_ACTIONS, METRICS_NAMESPACE } from '../../infra/aws/stacks/milestone-stack.js';
import { Role } from '../../shared/program/model.js';
import { INDEX, keys, PK, SK, TTL_ATTRIBUTE } from '../../shared/store/keys.js';
import {
  acknowledgments,
  actionsOf,
  exportsHandler,
  functionByEntry,
  getAtt,
  nagFindings,
  ofType,
  only,
  ref,
  resourcesOf,
  statementsOfFunction,
  synthesize,
  type Statement,
  type Synthesized,
} from './synth.js';

const API = 'functions/api/handler.ts';
const DISPATCHER = 'functions/notifications/dispatcher.ts';
const SWEEP = 'functions/schedules/daily-sweep.ts';
const WEEKLY_DIGEST = 'functions/schedules/weekly-digest.ts';
const SIGNALS = 'functions/workflow/signal-dispatcher.ts';

const DYNAMODB_WRITES = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:TransactWriteItems',
  'dynamodb:*',
];

let s: Synthesized;
let tableId: string;

beforeAll(() => {
  s = synthesize({ stage: 'dev' });
  [tableId] = only(s.resources, 'AWS::DynamoDB::GlobalTable');
});

const fnId = (entry: string) => functionByEntry(s.resources, entry)[0];
const env = (entry: string) => functionByEntry(s.resources, entry)[1].Properties!.Environment.Variables as Record<string, unknown>;

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged finding, error or warning', () => {
    expect(nagFindings(s.nag)).toEqual([]);
    expect(s.nag.success).toBe(true);
  });

  it('has every acknowledgment name one exact finding with a specific reason', () => {
    const acks = acknowledgments(s.app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id, ack.path).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThanOrEqual(30);
    }
    // No acknowledgment on the stack or the app as a whole.
    expect(acks.filter((a) => !a.path.includes('/'))).toEqual([]);
    // Wildcard acknowledgments only for what has no narrower form.
    const wildcards = [...new Set(acks.filter((a) => a.id.startsWith('AwsSolutions-IAM5')).map((a) => a.id.replace(/<[^>]+>/g, '<ref>')))];
    const allowed = [
      /^AwsSolutions-IAM5\[Resource::\*\]$/, // X-Ray
      /^AwsSolutions-IAM5\[Resource::<ref>\/index\/\*\]$/, // the table's own indexes
      /^AwsSolutions-IAM5\[Resource::<ref>:\*\]$/, // a function's versions (scheduler target)
      /^AwsSolutions-IAM5\[Action::kms:GenerateDataKey\*\]$/, // publishing to the encrypted topic
      /^AwsSolutions-IAM5\[Resource::arn:<ref>:states:<ref>:<ref>:execution:.+:\*\]$/, // executions of a state machine
      /^AwsSolutions-IAM5\[Resource::<ref>\/(incoming|documents|dossiers)\/\*\]$/, // objects under one prefix of the document bucket
    ];
    for (const id of wildcards)
      expect(
        allowed.some((re) => re.test(id)),
        id,
      ).toBe(true);
    for (const re of allowed.slice(0, 4))
      expect(
        wildcards.some((id) => re.test(id)),
        String(re),
      ).toBe(true);
  });

  it('leaves no CDK warning or error', () => {
    expect(Annotations.fromStack(s.stack).findWarning('*', Match.anyValue())).toEqual([]);
    expect(Annotations.fromStack(s.stack).findError('*', Match.anyValue())).toEqual([]);
  });
});

describe('the table', () => {
  it('is on-demand, with point-in-time recovery, a NEW_IMAGE stream and the TTL attribute', () => {
    s.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: PK, KeyType: 'HASH' },
        { AttributeName: SK, KeyType: 'RANGE' },
      ],
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
    });
  });

  it('has no deletion protection and is deleted with the dev stack', () => {
    const table = s.resources[tableId]!;
    expect(table.Properties!.Replicas[0].DeletionProtectionEnabled).toBe(false);
    expect(table.DeletionPolicy).toBe('Delete');
  });

  it('has the three sparse GSIs of the store layout, projection ALL', () => {
    const gsis = s.resources[tableId]!.Properties!.GlobalSecondaryIndexes as {
      IndexName: string;
      KeySchema: unknown;
      Projection: unknown;
    }[];
    expect(gsis.map((g) => g.IndexName).sort()).toEqual([INDEX.due.name, INDEX.party.name, INDEX.schools.name].sort());
    for (const index of Object.values(INDEX)) {
      expect(gsis.find((g) => g.IndexName === index.name)).toEqual({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.pk, KeyType: 'HASH' },
          { AttributeName: index.sk, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      });
    }
  });
});

describe('every Lambda function', () => {
  const functions = () => ofType(s.resources, 'AWS::Lambda::Function');

  it('includes the API, the dispatcher and the sweep, each once', () => {
    const entries = functions().map(([, f]) => f.Metadata?.['cos:entry']);
    for (const entry of [API, SWEEP, DISPATCHER])
      expect(
        entries.filter((e) => e === entry),
        entry,
      ).toHaveLength(1);
  });

  it('runs Node.js 24 or newer on arm64, with active tracing and JSON logs', () => {
    for (const [id, f] of functions()) {
      const p = f.Properties!;
      expect(p.Runtime, id).toMatch(/^nodejs(\d+)\.x$/);
      expect(Number(/^nodejs(\d+)\.x$/.exec(p.Runtime)![1]), id).toBeGreaterThanOrEqual(24);
      expect(p.Architectures, id).toEqual(['arm64']);
      expect(p.TracingConfig, id).toEqual({ Mode: 'Active' });
      expect(p.Handler, id).toBe(`index.${f.Metadata!['cos:handler']}`);
      expect(p.LoggingConfig, id).toMatchObject({ LogFormat: 'JSON', ApplicationLogLevel: 'DEBUG', SystemLogLevel: 'WARN' });
    }
  });

  it('carries cos:entry / cos:handler metadata naming an existing source that exports the handler', () => {
    for (const [id, f] of functions()) {
      const entry = f.Metadata?.['cos:entry'] as string;
      const handler = f.Metadata?.['cos:handler'] as string;
      expect(entry, id).toMatch(/^(functions|shared)\/[\w/.-]+\.ts$/);
      expect(handler, id).toMatch(/^[A-Za-z_$][\w$]*$/);
      expect(exportsHandler(entry, handler), `${entry} exports ${handler}`).toBe(true);
    }
  });

  it('has the Powertools settings in its environment', () => {
    const services = new Set<string>();
    for (const [id, f] of functions()) {
      const vars = f.Properties!.Environment.Variables as Record<string, unknown>;
      expect(vars.POWERTOOLS_METRICS_NAMESPACE, id).toBe(METRICS_NAMESPACE);
      expect(vars.POWERTOOLS_LOG_LEVEL, id).toBe('DEBUG');
      expect(vars.POWERTOOLS_SERVICE_NAME, id).toMatch(/^[a-z][a-z-]+$/);
      services.add(vars.POWERTOOLS_SERVICE_NAME as string);
    }
    expect(services.size).toBe(functions().length);
  });

  it('logs to its own log group with the stage retention', () => {
    for (const [id, f] of functions()) {
      const group = f.Properties!.LoggingConfig.LogGroup.Ref as string;
      expect(s.resources[group]?.Type, id).toBe('AWS::Logs::LogGroup');
      expect(s.resources[group]!.Properties!.RetentionInDays, id).toBe(14);
    }
  });

  it('has a role of its own with no managed policy and no wildcard action', () => {
    const roles = new Set<string>();
    for (const [id] of functions()) {
      const role = s.resources[id]!.Properties!.Role['Fn::GetAtt'][0] as string;
      roles.add(role);
      expect(s.resources[role]!.Properties!.ManagedPolicyArns, id).toBeUndefined();
      for (const st of statementsOfFunction(s.resources, id)) {
        for (const action of actionsOf(st)) expect(action, `${id}: ${action}`).not.toMatch(/^(\*|[a-z0-9-]+:\*)$/);
      }
    }
    expect(roles.size).toBe(functions().length);
  });

  it('points at the table through TABLE_NAME', () => {
    for (const entry of [API, DISPATCHER, SWEEP]) expect(env(entry).TABLE_NAME, entry).toEqual(ref(tableId));
  });
});

describe('least privilege', () => {
  const writes = (st: Statement) => st.Effect === 'Allow' && actionsOf(st).some((a) => DYNAMODB_WRITES.includes(a));

  it('lets the dispatcher read and mark outbox items only (it cannot write schools or milestones)', () => {
    const statements = statementsOfFunction(s.resources, fnId(DISPATCHER));
    const writing = statements.filter(writes);
    expect(writing).toHaveLength(1);
    expect(actionsOf(writing[0]!).filter((a) => DYNAMODB_WRITES.includes(a))).toEqual(['dynamodb:UpdateItem']);
    expect(writing[0]!.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${OUTBOX_PREFIX}*`] } });
    expect(keys.notification('n-1').PK.startsWith(OUTBOX_PREFIX)).toBe(true);
    expect(keys.school('s-1').PK.startsWith(OUTBOX_PREFIX)).toBe(false);
    // Everything else on DynamoDB: the stream, the "due" index (pending notifications), or outbox items.
    const streamOrIndex = [getAtt(tableId, 'StreamArn'), { 'Fn::Join': ['', [getAtt(tableId, 'Arn'), `/index/${INDEX.due.name}`]] }];
    for (const st of statements.filter((x) => actionsOf(x).some((a) => a.startsWith('dynamodb:')))) {
      for (const resource of resourcesOf(st)) {
        if (JSON.stringify(resource) === JSON.stringify(getAtt(tableId, 'Arn')))
          expect(st.Condition, JSON.stringify(st)).toEqual(writing[0]!.Condition);
        else expect(streamOrIndex, JSON.stringify(st)).toContainEqual(resource);
      }
    }
    expect(statements.flatMap(actionsOf)).not.toContain('dynamodb:Scan');
  });

  it('lets the sweep read, and write only its idempotency records', () => {
    const statements = statementsOfFunction(s.resources, fnId(SWEEP));
    expect(statements.flatMap(actionsOf)).not.toContain('dynamodb:Scan');
    const writing = statements.filter(writes);
    expect(writing).toHaveLength(1);
    expect(writing[0]!.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['IDEMPOTENCY#*'] } });
    expect(keys.idempotency('digest', 'x').PK.startsWith('IDEMPOTENCY#')).toBe(true);
  });

  it('lets both lifecycle steps that send reminders (Refresh: a missed one, Remind: the one its wait timed out for) read the school and commit', () => {
    const byHandler = (name: string) => {
      const found = ofType(s.resources, 'AWS::Lambda::Function').filter(([, r]) => String(r.Properties?.Handler).endsWith(`.${name}`));
      expect(found, name).toHaveLength(1);
      return found[0]![0];
    };
    for (const handler of ['refreshHandler', 'remindHandler']) {
      const actions = statementsOfFunction(s.resources, byHandler(handler)).flatMap(actionsOf);
      // The school is one Query; the reminder, its event and its notifications one transaction of puts and updates.
      expect(actions, handler).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem']));
      for (const other of ['dynamodb:Scan', 'dynamodb:DeleteItem']) expect(actions, handler).not.toContain(other);
    }
  });

  it('lets the weekly digest read, and write only outbox items, without delivering anything itself', () => {
    const statements = statementsOfFunction(s.resources, fnId(WEEKLY_DIGEST));
    const actions = statements.flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
    for (const other of ['dynamodb:Scan', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'sns:Publish', 'ses:SendEmail']) {
      expect(actions).not.toContain(other);
    }
    const writing = statements.filter(writes);
    expect(writing.map(actionsOf)).toEqual([['dynamodb:PutItem']]);
    expect(writing[0]!.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${OUTBOX_PREFIX}*`] } });
    expect(env(WEEKLY_DIGEST).TABLE_NAME).toBeDefined();
    expect(env(WEEKLY_DIGEST).NOTIFY_CHANNEL).toBeUndefined();
  });

  it('lets the API read and write items but never manage or delete the table', () => {
    const actions = statementsOfFunction(s.resources, fnId(API)).flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem']));
    for (const forbidden of ['dynamodb:DeleteTable', 'dynamodb:UpdateTable', 'dynamodb:CreateTable', 'dynamodb:*', 'dynamodb:Scan']) {
      expect(actions).not.toContain(forbidden);
    }
  });

  it('lets the API invoke only itself (bulk jobs), and no other function anything', () => {
    const invoking = ofType(s.resources, 'AWS::IAM::Policy').flatMap(([, p]) =>
      (p.Properties!.PolicyDocument.Statement as Statement[])
        .filter((st) => actionsOf(st).includes('lambda:InvokeFunction'))
        .map((st) => ({ roles: p.Properties!.Roles, st })),
    );
    const api = fnId(API);
    const apiRole = s.resources[api]!.Properties!.Role['Fn::GetAtt'][0];
    const fromApi = invoking.filter((i) => (i.roles as { Ref: string }[]).some((r) => r.Ref === apiRole));
    expect(fromApi.map((i) => i.st.Resource)).toEqual([getAtt(api, 'Arn')]);
  });

  it('publishes notifications from the dispatcher and the digest only', () => {
    const publishers = ofType(s.resources, 'AWS::Lambda::Function')
      .filter(([id]) => statementsOfFunction(s.resources, id).some((st) => actionsOf(st).includes('sns:Publish')))
      .map(([, f]) => f.Metadata!['cos:entry']);
    expect(publishers.sort()).toEqual([DISPATCHER, SWEEP].sort());
  });
});

describe('the HTTP API', () => {
  it('has exactly the documented routes: /api behind the JWT authorizer, the rest open', () => {
    const [authorizerId] = only(s.resources, 'AWS::ApiGatewayV2::Authorizer');
    const routes = ofType(s.resources, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties!);
    expect(routes.map((r) => r.RouteKey).sort()).toEqual([...PROTECTED_ROUTES, ...OPEN_ROUTES].sort());
    for (const r of routes) {
      if (PROTECTED_ROUTES.includes(r.RouteKey)) {
        expect(r, r.RouteKey).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: ref(authorizerId) });
      } else {
        expect(r.AuthorizationType, r.RouteKey).toBe('NONE');
      }
    }
    expect(OPEN_ROUTES).toEqual(
      expect.arrayContaining(['GET /healthz', 'GET /openapi.json', 'GET /docs', 'GET /', 'GET /assets/{proxy+}']),
    );
  });

  it('checks Cognito ID tokens for the dashboard client', () => {
    const [clientId] = only(s.resources, 'AWS::Cognito::UserPoolClient');
    const [poolId] = only(s.resources, 'AWS::Cognito::UserPool');
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [ref(clientId)],
        Issuer: { 'Fn::Join': ['', ['https://cognito-idp.', ref('AWS::Region'), '.amazonaws.com/', ref(poolId)]] },
      },
    });
    expect(env(API).AUTH_AUDIENCE).toEqual(ref(clientId));
    expect(JSON.stringify(env(API).AUTH_ISSUER)).toContain(poolId);
    expect(JSON.stringify(env(API).AUTH_JWKS_URL)).toContain('/.well-known/jwks.json');
  });

  it('sends every route to the API function (Lambda proxy, payload 2.0)', () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: getAtt(fnId(API), 'Arn'),
    });
    s.template.resourceCountIs('AWS::ApiGatewayV2::Integration', 1);
  });

  it('throttles the $default stage (so clients can get 429) and writes JSON access logs', () => {
    const [, stage] = only(s.resources, 'AWS::ApiGatewayV2::Stage');
    expect(stage.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
    });
    const logs = stage.Properties!.AccessLogSettings;
    expect(s.resources[logs.DestinationArn['Fn::GetAtt'][0]]!.Type).toBe('AWS::Logs::LogGroup');
    const format = JSON.parse(logs.Format) as Record<string, string>;
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status', routeKey: '$context.routeKey' });
  });
});

describe('Cognito', () => {
  it('has one group per role', () => {
    const groups = ofType(s.resources, 'AWS::Cognito::UserPoolGroup').map(([, g]) => g.Properties!.GroupName);
    expect(groups.sort()).toEqual([...Role.options].sort());
    expect(groups).toEqual(expect.arrayContaining(['program-manager', 'district-coordinator', 'contractor', 'viewer']));
  });

  it('has the district, org and school custom attributes, admin-created users and a strong password policy', () => {
    s.template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      Schema: Match.arrayWith([
        Match.objectLike({ Name: 'district', AttributeDataType: 'String', Mutable: true }),
        Match.objectLike({ Name: 'org', AttributeDataType: 'String', Mutable: true }),
        Match.objectLike({ Name: 'school', AttributeDataType: 'String', Mutable: true }),
      ]),
      Policies: {
        PasswordPolicy: Match.objectLike({ MinimumLength: 12, RequireSymbols: true, RequireNumbers: true, RequireUppercase: true }),
      },
      MfaConfiguration: 'OPTIONAL',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      UserPoolTier: 'ESSENTIALS',
    });
  });

  it('lets the client read the scoping claims but never write them; the code flow only, back to the dashboard', () => {
    const [, client] = only(s.resources, 'AWS::Cognito::UserPoolClient');
    const p = client.Properties!;
    expect(p.ReadAttributes).toEqual(expect.arrayContaining(['custom:district', 'custom:org', 'custom:school', 'email']));
    expect(p.WriteAttributes).toEqual(['name']);
    expect(p.ExplicitAuthFlows.sort()).toEqual(['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_SRP_AUTH']);
    // A public client: no secret, so the authorization code is bound to the browser by PKCE.
    expect(p.GenerateSecret).toBe(false);
    expect(p.AllowedOAuthFlows).toEqual(['code']);
    expect(p.AllowedOAuthFlowsUserPoolClient).toBe(true);
    expect([...p.AllowedOAuthScopes].sort()).toEqual(['email', 'openid', 'profile']);
    // The dashboard is the API's own stage URL: sign-in returns there, and so does sign-out.
    const [stageId] = only(s.resources, 'AWS::ApiGatewayV2::Stage');
    const [apiId] = only(s.resources, 'AWS::ApiGatewayV2::Api');
    expect(JSON.stringify(p.CallbackURLs)).toContain(apiId);
    expect(p.LogoutURLs).toEqual(p.CallbackURLs);
    expect(stageId).toBeTruthy();
  });

  it("serves managed login on a Cognito domain, with Cognito's own style for the dashboard client", () => {
    const [, domain] = only(s.resources, 'AWS::Cognito::UserPoolDomain');
    expect(domain.Properties!.ManagedLoginVersion).toBe(2);
    const [, branding] = only(s.resources, 'AWS::Cognito::ManagedLoginBranding');
    expect(branding.Properties!.UseCognitoProvidedValues).toBe(true);
    expect(branding.Properties!.ClientId).toEqual(ref(only(s.resources, 'AWS::Cognito::UserPoolClient')[0]));
  });

  it('gives the API the directory actions of the users routes, on this pool only', () => {
    const [poolId] = only(s.resources, 'AWS::Cognito::UserPool');
    const statements = ofType(s.resources, 'AWS::IAM::Policy').flatMap(
      ([, p]) => p.Properties!.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
    const cognito = statements.filter((st) => [st.Action].flat().some((a) => a === 'cognito-idp:AdminCreateUser'));
    expect(cognito).toHaveLength(1);
    expect([cognito[0]!.Action].flat().sort()).toEqual([...DIRECTORY_ADMIN_ACTIONS].sort());
    expect(JSON.stringify(cognito[0]!.Resource)).toContain(poolId);
  });
});

describe('the notification path', () => {
  it('feeds new outbox items from the stream to the dispatcher, with retries, bisection and a DLQ', () => {
    const mappings = ofType(s.resources, 'AWS::Lambda::EventSourceMapping').filter(
      ([, m]) => JSON.stringify(m.Properties!.FunctionName) === JSON.stringify(ref(fnId(DISPATCHER))),
    );
    expect(mappings).toHaveLength(1);
    const p = mappings[0]![1].Properties!;
    expect(p).toMatchObject({
      EventSourceArn: getAtt(tableId, 'StreamArn'),
      FunctionName: ref(fnId(DISPATCHER)),
      StartingPosition: 'TRIM_HORIZON',
      MaximumRetryAttempts: 5,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(p.FilterCriteria.Filters).toEqual([{ Pattern: (MilestoneTable.outboxFilter() as { pattern: string }).pattern }]);
    expect(JSON.parse(p.FilterCriteria.Filters[0].Pattern)).toEqual({
      eventName: ['INSERT'],
      dynamodb: { NewImage: { entity: { S: ['notification'] } } },
    });
    const dlq = p.DestinationConfig.OnFailure.Destination['Fn::GetAtt'][0] as string;
    expect(s.resources[dlq]!.Type).toBe('AWS::SQS::Queue');
  });

  it('feeds workflow signals (new, replaced or removed) from the stream to the signal dispatcher, with retries per record and a DLQ', () => {
    const mappings = ofType(s.resources, 'AWS::Lambda::EventSourceMapping').filter(
      ([, m]) => JSON.stringify(m.Properties!.FunctionName) === JSON.stringify(ref(fnId(SIGNALS))),
    );
    expect(mappings).toHaveLength(1);
    const p = mappings[0]![1].Properties!;
    expect(p).toMatchObject({
      EventSourceArn: getAtt(tableId, 'StreamArn'),
      MaximumRetryAttempts: 5,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(p.FilterCriteria.Filters.map((f: { Pattern: string }) => JSON.parse(f.Pattern) as unknown)).toEqual([
      { eventName: ['INSERT', 'MODIFY'], dynamodb: { NewImage: { entity: { S: ['signal'] } } } },
      { eventName: ['REMOVE'], dynamodb: { Keys: { SK: { S: [{ prefix: 'SIGNAL#' }] } } } },
    ]);
    expect(s.resources[p.DestinationConfig.OnFailure.Destination['Fn::GetAtt'][0] as string]!.Type).toBe('AWS::SQS::Queue');
    const actions = statementsOfFunction(s.resources, fnId(SIGNALS)).flatMap(actionsOf);
    expect(actions).toEqual(
      expect.arrayContaining([
        'dynamodb:GetItem',
        'dynamodb:DeleteItem',
        'states:SendTaskSuccess',
        'states:StartExecution',
        'states:DescribeExecution',
      ]),
    );
    expect(actions).not.toContain('dynamodb:PutItem');
  });

  it('delivers to the encrypted SNS topic when no SES sender is configured', () => {
    expect(env(DISPATCHER).NOTIFY_CHANNEL).toBe('sns');
    const topic = (env(DISPATCHER).NOTIFY_TOPIC_ARN as { Ref: string }).Ref;
    expect(s.resources[topic]!.Type).toBe('AWS::SNS::Topic');
    expect(s.resources[topic]!.Properties!.KmsMasterKeyId).toBeDefined();
    expect(env(SWEEP).NOTIFY_CHANNEL).toBe('sns');
    expect(env(SWEEP).NOTIFY_TOPIC_ARN).toEqual(ref(topic));
    s.template.resourceCountIs('AWS::SES::EmailIdentity', 0);
    expect(env(DISPATCHER).SES_FROM_ADDRESS).toBeUndefined();
  });
});

describe('the daily schedules', () => {
  const all = () => ofType(s.resources, 'AWS::Scheduler::Schedule').map(([, r]) => r.Properties!);
  const target = (p: Record<string, any>) => p.Target.Arn['Fn::GetAtt']?.[0] as string | undefined;
  const schedules = () => all().filter((p) => [fnId(SWEEP), fnId(DISPATCHER)].includes(target(p)!));

  it("all fire in the region's time zone", () => {
    for (const p of all()) expect(p.ScheduleExpressionTimezone, p.Description).toBe('Asia/Omsk');
  });

  it('run at 08:30 (sweep and digest) and 08:45 (re-drive), Asia/Omsk', () => {
    const byTarget = Object.fromEntries(schedules().map((p) => [target(p), p]));
    expect(Object.keys(byTarget).sort()).toEqual([fnId(SWEEP), fnId(DISPATCHER)].sort());
    const sweep = byTarget[fnId(SWEEP)]!;
    const redrive = byTarget[fnId(DISPATCHER)]!;
    for (const p of [sweep, redrive]) {
      expect(p.ScheduleExpressionTimezone).toBe('Asia/Omsk');
      expect(p.State).toBe('ENABLED');
      expect(p.FlexibleTimeWindow).toEqual({ Mode: 'OFF' });
    }
    expect(sweep.ScheduleExpression).toBe('cron(30 8 * * ? *)');
    expect(redrive.ScheduleExpression).toBe('cron(45 8 * * ? *)');
    expect(JSON.parse(sweep.Target.Input)).toEqual({ task: 'daily-sweep', scheduledTime: '<aws.scheduler.scheduled-time>' });
    expect(JSON.parse(redrive.Target.Input)).toEqual({ task: 'redrive-pending', scheduledTime: '<aws.scheduler.scheduled-time>' });
  });

  it("run the leadership's weekly digest on weekdays at 08:00 (the job keeps the week's first working day)", () => {
    const weekly = all().filter((p) => target(p) === fnId(WEEKLY_DIGEST));
    expect(weekly).toHaveLength(1);
    expect(weekly[0]).toMatchObject({
      ScheduleExpression: 'cron(0 8 ? * MON-FRI *)',
      ScheduleExpressionTimezone: 'Asia/Omsk',
      State: 'ENABLED',
    });
    expect(JSON.parse(weekly[0]!.Target.Input)).toEqual({ task: 'weekly-digest', scheduledTime: '<aws.scheduler.scheduled-time>' });
    expect(weekly[0]!.Target.RetryPolicy).toEqual({ MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 7200 });
  });

  it('retry, then park undeliverable invocations in a DLQ', () => {
    for (const p of schedules()) {
      expect(p.Target.RetryPolicy).toEqual({ MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 7200 });
      expect(s.resources[p.Target.DeadLetterConfig.Arn['Fn::GetAtt'][0]]!.Type).toBe('AWS::SQS::Queue');
    }
  });
});

describe('dead-letter queues', () => {
  it('exist for every asynchronous invocation, the stream and the daily schedules, encrypted and SSL-only', () => {
    for (const entry of [API, DISPATCHER, SWEEP])
      expect(functionByEntry(s.resources, entry)[1].Properties!.DeadLetterConfig, entry).toBeDefined();
    const queues = ofType(s.resources, 'AWS::SQS::Queue');
    const users = new Map<string, string[]>();
    const use = (queue: string, by: string) => users.set(queue, [...(users.get(queue) ?? []), by]);
    for (const [id, f] of ofType(s.resources, 'AWS::Lambda::Function')) {
      if (f.Properties!.DeadLetterConfig)
        use(f.Properties!.DeadLetterConfig.TargetArn['Fn::GetAtt'][0], `async ${f.Metadata!['cos:entry']} (${id})`);
    }
    for (const [id, m] of ofType(s.resources, 'AWS::Lambda::EventSourceMapping'))
      use(m.Properties!.DestinationConfig.OnFailure.Destination['Fn::GetAtt'][0], id);
    for (const [id, sch] of ofType(s.resources, 'AWS::Scheduler::Schedule')) {
      if (sch.Properties!.Target.DeadLetterConfig) use(sch.Properties!.Target.DeadLetterConfig.Arn['Fn::GetAtt'][0], id);
    }
    expect(queues.map(([id]) => id).sort()).toEqual([...users.keys()].sort());
    for (const [id, q] of queues) {
      expect(q.Properties, id).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    }
    const policies = ofType(s.resources, 'AWS::SQS::QueuePolicy');
    for (const [id] of queues) {
      const policy = policies.find(([, p]) => (p.Properties!.Queues as unknown[]).some((q) => (q as { Ref?: string }).Ref === id));
      expect(JSON.stringify(policy?.[1].Properties!.PolicyDocument), id).toContain('aws:SecureTransport');
    }
  });

  it('catch what the asynchronously invoked functions (API jobs, dispatcher, sweep) fail after two retries', () => {
    const configs = ofType(s.resources, 'AWS::Lambda::EventInvokeConfig').map(([, c]) => c.Properties!);
    expect(configs.map((c) => c.FunctionName.Ref)).toEqual(expect.arrayContaining([fnId(API), fnId(DISPATCHER), fnId(SWEEP)]));
    for (const c of configs) {
      expect(c.MaximumRetryAttempts).toBe(2);
      expect(s.resources[c.FunctionName.Ref]!.Properties!.DeadLetterConfig, c.FunctionName.Ref).toBeDefined();
    }
  });
});

describe('alarms', () => {
  const alarms = () => ofType(s.resources, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!);
  const alarmTopic = () => (s.template.toJSON().Outputs.AlarmTopicArn.Value as { Ref: string }).Ref;

  it('all notify the encrypted alarm topic, on alarm and on recovery', () => {
    expect(s.resources[alarmTopic()]!.Properties!.KmsMasterKeyId).toBeDefined();
    for (const a of alarms()) {
      expect(a.AlarmActions).toEqual([ref(alarmTopic())]);
      expect(a.OKActions).toEqual([ref(alarmTopic())]);
      expect(a.TreatMissingData).toBe('notBreaching');
    }
    s.template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('watch errors and throttles of every function', () => {
    for (const [id] of ofType(s.resources, 'AWS::Lambda::Function')) {
      const metrics = alarms()
        .filter(
          (a) =>
            a.Namespace === 'AWS/Lambda' && JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: ref(id) }]),
        )
        .map((a) => a.MetricName);
      expect(metrics.sort(), id).toEqual(['Errors', 'Throttles']);
    }
  });

  it('watch the depth of every dead-letter queue', () => {
    for (const [id] of ofType(s.resources, 'AWS::SQS::Queue')) {
      const watching = alarms().filter(
        (a) =>
          a.Namespace === 'AWS/SQS' &&
          a.MetricName === 'ApproximateNumberOfMessagesVisible' &&
          JSON.stringify(a.Dimensions).includes(`"${id}"`),
      );
      expect(watching, id).toHaveLength(1);
      expect(watching[0]!.Threshold).toBe(1);
    }
  });

  it('watch the API for server errors', () => {
    expect(alarms().filter((a) => a.Namespace === 'AWS/ApiGateway' && a.MetricName === '5xx')).toHaveLength(1);
  });

  it('can publish to the encrypted topic: the key lets CloudWatch use it and rotates', () => {
    const key = s.resources[alarmTopic()]!.Properties!.KmsMasterKeyId['Fn::GetAtt'][0] as string;
    expect(s.resources[key]!.Properties!.EnableKeyRotation).toBe(true);
    const statements = s.resources[key]!.Properties!.KeyPolicy.Statement as Statement[];
    expect(statements).toContainEqual(
      expect.objectContaining({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
    );
  });
});

describe('outputs', () => {
  it('name the API URL, the user pool and its client, and the table', () => {
    const outputs = s.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['ApiUrl', 'UserPoolId', 'UserPoolClientId', 'TableName']));
    expect(outputs.TableName!.Value).toEqual(ref(tableId));
    expect(outputs.UserPoolId!.Value).toEqual(ref(only(s.resources, 'AWS::Cognito::UserPool')[0]));
    expect(outputs.UserPoolClientId!.Value).toEqual(ref(only(s.resources, 'AWS::Cognito::UserPoolClient')[0]));
    expect(JSON.stringify(outputs.ApiUrl!.Value)).toContain('execute-api');
  });
});
