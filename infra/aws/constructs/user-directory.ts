/**
 * Who may sign in: a Cognito user pool with one group per role (the `Role` list of the domain) and the
 * custom attributes that scope a user — `custom:district` (a district coordinator's district),
 * `custom:org` (a contractor's organization), `custom:school` (school staff's school). ID tokens carry
 * them as claims (`cognito:groups`, `custom:*`); the API reads its actor from them.
 *
 * Users are invited (no self sign-up): by the API's users routes or `npm run admin`, and Cognito e-mails
 * the temporary password. They sign in to the dashboard through Cognito's managed login with the
 * authorization-code flow and PKCE (a public app client, no secret); the app client cannot write the
 * scoping attributes, so nobody can move themselves to another district, organization or school.
 */
import { Aws, Duration, Fn, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccountRecovery,
  CfnManagedLoginBranding,
  ClientAttributes,
  FeaturePlan,
  ManagedLoginVersion,
  Mfa,
  OAuthScope,
  StandardThreatProtectionMode,
  StringAttribute,
  UserPool,
  type UserPoolClient,
  type UserPoolDomain,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { Role } from '../../../shared/program/model.js';
import { CUSTOM_ATTRIBUTES } from '../../../shared/users/model.js';
import { acknowledgeNag } from './nag.js';

export interface UserDirectoryProps {
  readonly mfaRequired: boolean;
  readonly threatProtection: boolean;
  readonly deletionProtection: boolean;
  readonly removalPolicy: RemovalPolicy;
  /** The managed login domain's prefix (`<prefix>.auth.<region>.amazoncognito.com`); default `cos-<stack name>-<account>`. */
  readonly domainPrefix?: string;
}

export class UserDirectory extends Construct {
  readonly userPool: UserPool;
  /** Cognito's managed login (`/oauth2/authorize`, `/oauth2/token`, `/logout`). */
  readonly domain: UserPoolDomain;
  #client?: UserPoolClient;
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
      customAttributes: Object.fromEntries(
        CUSTOM_ATTRIBUTES.map((name) => [name, new StringAttribute({ minLen: 1, maxLen: 64, mutable: true })]),
      ),
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

    const stackName = Stack.of(this)
      .stackName.toLowerCase()
      .replace(/[^a-z0-9-]/g, '-');
    this.domain = this.userPool.addDomain('ManagedLogin', {
      cognitoDomain: { domainPrefix: props.domainPrefix ?? Fn.join('-', ['cos', stackName.replace(/^cos-?/, ''), Aws.ACCOUNT_ID]) },
      managedLoginVersion: ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });

    if (!props.mfaRequired) {
      acknowledgeNag(
        this.userPool,
        'AwsSolutions-COG2',
        'MFA is optional only on the dev stage, whose pool holds test accounts; prod requires TOTP MFA.',
      );
    }
    if (!props.threatProtection) {
      acknowledgeNag(
        this.userPool,
        'AwsSolutions-COG8',
        'The Plus feature plan (threat protection, billed per active user) is enabled on prod only; dev holds test accounts.',
      );
    }
  }

  /**
   * The dashboard's app client, signing in through managed login with the authorization-code flow and
   * PKCE; `dashboardUrl` is where Cognito sends the browser back (and where sign-out returns to).
   */
  addDashboardClient(dashboardUrl: string): UserPoolClient {
    if (this.#client) throw new Error('the dashboard client exists already');
    const readable = new ClientAttributes()
      .withStandardAttributes({ email: true, emailVerified: true, fullname: true })
      .withCustomAttributes(...CUSTOM_ATTRIBUTES);
    this.#client = this.userPool.addClient('DashboardClient', {
      // Managed login signs in with SRP; no password ever reaches our code.
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: [dashboardUrl],
        logoutUrls: [dashboardUrl],
      },
      // A public client (a browser page): PKCE instead of a secret.
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
    // Managed login (the newer version) needs a style for the client: Cognito's own.
    new CfnManagedLoginBranding(this, 'ManagedLoginBranding', {
      userPoolId: this.userPool.userPoolId,
      clientId: this.#client.userPoolClientId,
      useCognitoProvidedValues: true,
    });
    return this.#client;
  }

  /** The dashboard's app client: its id is the `aud` of the ID tokens the API accepts. */
  get client(): UserPoolClient {
    if (!this.#client) throw new Error('addDashboardClient has not been called');
    return this.#client;
  }

  /** `https://<prefix>.auth.<region>.amazoncognito.com`: managed login's `/oauth2/*` endpoints. */
  get signInBaseUrl(): string {
    return this.domain.baseUrl();
  }

  /** `https://cognito-idp.<region>.amazonaws.com/<pool id>`: the `iss` of the pool's tokens. */
  get issuerUrl(): string {
    return `https://cognito-idp.${Stack.of(this).region}.${Stack.of(this).urlSuffix}/${this.userPool.userPoolId}`;
  }
}

function groupId(role: string): string {
  return `${role.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase())}Group`;
}
