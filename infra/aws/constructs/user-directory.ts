/**
 * Who may sign in: a Cognito user pool with one group per role (program-manager, district-coordinator,
 * contractor, viewer) and two custom attributes that scope a user — `custom:district` (a district
 * coordinator's district) and `custom:org` (a contractor's organization). ID tokens carry all three as
 * claims (`cognito:groups`, `custom:district`, `custom:org`); the API reads its actor from them.
 *
 * Users are created by an administrator (no self sign-up), and the app client cannot write the scoping
 * attributes, so nobody can move themselves to another district or organization.
 */
import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccountRecovery,
  ClientAttributes,
  FeaturePlan,
  Mfa,
  StandardThreatProtectionMode,
  StringAttribute,
  UserPool,
  type UserPoolClient,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { Role } from '../../../shared/program/model.js';
import { acknowledgeNag } from './nag.js';

export interface UserDirectoryProps {
  readonly mfaRequired: boolean;
  readonly threatProtection: boolean;
  readonly deletionProtection: boolean;
  readonly removalPolicy: RemovalPolicy;
}

export class UserDirectory extends Construct {
  readonly userPool: UserPool;
  /** The dashboard's app client: its id is the `aud` of the ID tokens the API accepts. */
  readonly client: UserPoolClient;
  /** Group names, one per role. */
  readonly groupNames: readonly string[] = Role.options;

  constructor(scope: Construct, id: string, props: UserDirectoryProps) {
    super(scope, id);
    this.userPool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      keepOriginal: { email: true },
      standardAttributes: {
        email: { required: true, mutable: true },
        fullname: { required: false, mutable: true },
      },
      customAttributes: {
        district: new StringAttribute({ minLen: 1, maxLen: 64, mutable: true }),
        org: new StringAttribute({ minLen: 1, maxLen: 64, mutable: true }),
      },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: props.mfaRequired ? Mfa.REQUIRED : Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: props.threatProtection ? FeaturePlan.PLUS : FeaturePlan.ESSENTIALS,
      ...(props.threatProtection ? { standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION } : {}),
      deletionProtection: props.deletionProtection,
      removalPolicy: props.removalPolicy,
    });

    for (const role of Role.options) {
      this.userPool.addGroup(groupId(role), { groupName: role, description: `Users acting as ${role}` });
    }

    const readable = new ClientAttributes()
      .withStandardAttributes({ email: true, emailVerified: true, fullname: true })
      .withCustomAttributes('district', 'org');
    this.client = this.userPool.addClient('DashboardClient', {
      authFlows: { userSrp: true },
      // Sign-in by SRP from the dashboard; no OAuth flows (CDK would otherwise enable implicit grant).
      disableOAuth: true,
      generateSecret: false,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(1),
      readAttributes: readable,
      // Only the display name; e-mail changes and the scoping attributes are an administrator's job.
      writeAttributes: new ClientAttributes().withStandardAttributes({ fullname: true }),
    });

    if (!props.mfaRequired) {
      acknowledgeNag(this.userPool, 'AwsSolutions-COG2', 'MFA is optional only on the dev stage, whose pool holds test accounts; prod requires TOTP MFA.');
    }
    if (!props.threatProtection) {
      acknowledgeNag(
        this.userPool,
        'AwsSolutions-COG8',
        'The Plus feature plan (threat protection, billed per active user) is enabled on prod only; dev holds test accounts.',
      );
    }
  }

  /** `https://cognito-idp.<region>.amazonaws.com/<pool id>`: the `iss` of the pool's tokens. */
  get issuerUrl(): string {
    return `https://cognito-idp.${Stack.of(this).region}.${Stack.of(this).urlSuffix}/${this.userPool.userPoolId}`;
  }
}

function groupId(role: string): string {
  return `${role.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase())}Group`;
}
