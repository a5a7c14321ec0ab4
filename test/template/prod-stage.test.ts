/**
 * What changes on the prod stage with the optional settings given (`-c stage=prod -c alarmEmail=...
 * -c senderEmail=...`): deletion protection and retention, MFA and threat protection, the SES channel
 * with its least-privilege grants, the alarm e-mail — and cdk-nag still clean. Plus the settings parser.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { stageSettings } from '../../infra/aws/settings.js';
import {
  actionsOf,
  functionByEntry,
  getAtt,
  nagFindings,
  ofType,
  only,
  ref,
  statementsOfFunction,
  synthesize,
  type Synthesized,
} from './synth.js';

const DISPATCHER = 'functions/notifications/dispatcher.ts';
const SWEEP = 'functions/schedules/daily-sweep.ts';
const ALARM_EMAIL = 'ops@example.org';
const SENDER = 'noreply@example.org';

let s: Synthesized;
beforeAll(() => {
  s = synthesize({ stage: 'prod', alarmEmail: ALARM_EMAIL, senderEmail: SENDER });
});

const fn = (entry: string) => functionByEntry(s.resources, entry);

describe('the prod stack', () => {
  it('is named after its stage', () => {
    expect(s.stack.stackName).toBe('CosMilestones-prod');
  });

  it('passes cdk-nag AwsSolutions with no acknowledgment of MFA or the feature plan', () => {
    expect(nagFindings(s.nag)).toEqual([]);
  });

  it('protects and retains the table', () => {
    const [, table] = only(s.resources, 'AWS::DynamoDB::GlobalTable');
    expect(table.Properties!.Replicas[0]).toMatchObject({
      DeletionProtectionEnabled: true,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
  });

  it('requires TOTP MFA, runs threat protection and protects the user pool', () => {
    const [, pool] = only(s.resources, 'AWS::Cognito::UserPool');
    expect(pool.Properties).toMatchObject({
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
      DeletionProtection: 'ACTIVE',
    });
    expect(pool.DeletionPolicy).toBe('Retain');
  });

  it('keeps logs for a year at INFO and throttles the API at the prod defaults', () => {
    for (const [id, group] of ofType(s.resources, 'AWS::Logs::LogGroup')) {
      expect(group.Properties!.RetentionInDays, id).toBe(365);
      expect(group.DeletionPolicy, id).toBe('Retain');
    }
    for (const [id, f] of ofType(s.resources, 'AWS::Lambda::Function')) {
      expect(f.Properties!.Environment.Variables.POWERTOOLS_LOG_LEVEL, id).toBe('INFO');
      expect(f.Properties!.LoggingConfig.ApplicationLogLevel, id).toBe('INFO');
    }
    const [, stage] = only(s.resources, 'AWS::ApiGatewayV2::Stage');
    expect(stage.Properties!.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
  });

  it('subscribes the alarm e-mail to the alarm topic only', () => {
    const subscriptions = ofType(s.resources, 'AWS::SNS::Subscription').map(([, sub]) => sub.Properties!);
    expect(subscriptions).toEqual([
      { Protocol: 'email', Endpoint: ALARM_EMAIL, TopicArn: s.template.toJSON().Outputs.AlarmTopicArn.Value },
    ]);
  });
});

describe('the SES channel', () => {
  it('verifies the sender identity', () => {
    s.template.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: SENDER });
  });

  it('configures the dispatcher and the digest to send e-mail, recipients from the user pool', () => {
    const [poolId] = only(s.resources, 'AWS::Cognito::UserPool');
    for (const entry of [DISPATCHER, SWEEP]) {
      expect(fn(entry)[1].Properties!.Environment.Variables, entry).toMatchObject({
        NOTIFY_CHANNEL: 'ses',
        SES_FROM_ADDRESS: SENDER,
        USER_POOL_ID: ref(poolId),
      });
    }
  });

  it('grants SendEmail on the identity and ListUsersInGroup on the pool, and no SNS publish', () => {
    const [poolId] = only(s.resources, 'AWS::Cognito::UserPool');
    const [identityId] = only(s.resources, 'AWS::SES::EmailIdentity');
    for (const entry of [DISPATCHER, SWEEP]) {
      const statements = statementsOfFunction(s.resources, fn(entry)[0]);
      const ses = statements.filter((st) => actionsOf(st).includes('ses:SendEmail'));
      expect(ses, entry).toHaveLength(1);
      const resource = JSON.stringify(ses[0]!.Resource);
      expect(resource, entry).toContain(':identity/');
      expect(resource, entry).toContain(JSON.stringify(ref(identityId)));
      const cognito = statements.filter((st) => actionsOf(st).some((a) => a.startsWith('cognito-idp:')));
      expect(
        cognito.map((st) => [actionsOf(st), st.Resource]),
        entry,
      ).toEqual([[['cognito-idp:ListUsersInGroup'], getAtt(poolId, 'Arn')]]);
      expect(statements.flatMap(actionsOf), entry).not.toContain('sns:Publish');
    }
  });
});

describe('stage settings', () => {
  const read = (ctx: Record<string, unknown>) => (key: string) => ctx[key];

  it('default to dev', () => {
    const dev = stageSettings(read({}));
    expect(dev).toMatchObject({
      stage: 'dev',
      stackName: 'CosMilestones-dev',
      deletionProtection: false,
      removalPolicy: RemovalPolicy.DESTROY,
      mfaRequired: false,
    });
    expect(dev.alarmEmail).toBeUndefined();
    expect(dev.senderEmail).toBeUndefined();
  });

  it('refuse an unknown stage and malformed values', () => {
    expect(() => stageSettings(read({ stage: 'staging' }))).toThrow(/stage/);
    expect(() => stageSettings(read({ alarmEmail: 'not-an-address' }))).toThrow(/alarmEmail/);
    expect(() => stageSettings(read({ apiRateLimit: '-3' }))).toThrow(/apiRateLimit/);
  });

  it('treat an empty value as unset and read numbers given as strings', () => {
    const s2 = stageSettings(read({ stage: 'prod', alarmEmail: '', apiRateLimit: '120', apiBurstLimit: 240 }));
    expect(s2.alarmEmail).toBeUndefined();
    expect(s2.apiThrottle).toEqual({ rateLimit: 120, burstLimit: 240 });
  });
});
