/**
 * The template's user pool on the local user directory (the emulator of Cognito's API): the pool with
 * its custom attributes, one group per `AWS::Cognito::UserPoolGroup`, and the dashboard's app client
 * with the template's token lifetimes and OAuth settings — its callback URLs the local dashboard's.
 * With a data folder the pool is kept (its ids in `<dataDir>/auth/directory.json`) and brought up to
 * date with the template at every start: missing groups and attributes are added, the client updated.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  AddCustomAttributesCommand,
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DescribeUserPoolCommand,
  InitiateAuthCommand,
  ListGroupsCommand,
  ListUsersCommand,
  ResourceNotFoundException,
  UpdateUserPoolClientCommand,
  type SchemaAttributeType,
  type UserPoolClientType,
} from '@aws-sdk/client-cognito-identity-provider';
import type { Role } from '../../shared/program/model.js';
import { newTemporaryPassword } from '../../shared/users/directory.js';
import { ROLE_SCOPE, SCOPE_ATTRIBUTE } from '../../shared/users/model.js';
import type { CfnTemplate } from './template.js';

export interface LocalDirectoryIds {
  userPoolId: string;
  clientId: string;
}

export interface LocalDirectory extends LocalDirectoryIds {
  readonly endpoint: string;
  readonly client: CognitoIdentityProviderClient;
  /** The `iss` of the directory's tokens. */
  readonly issuer: string;
  readonly jwksUrl: string;
}

type Props = Record<string, unknown>;

function onlyResource(template: CfnTemplate, type: string): Props {
  const found = Object.entries(template.Resources ?? {}).filter(([, r]) => r.Type === type);
  if (found.length !== 1) throw new Error(`expected one ${type} in the template, found ${found.length}`);
  return (found[0]![1].Properties ?? {}) as Props;
}

/** Literal values only: what the template leaves to CloudFormation (ids, ARNs) has no local meaning. */
function literal<T>(value: unknown): T | undefined {
  return value === undefined ||
    (typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      Object.keys(value).some((k) => k.startsWith('Fn::') || k === 'Ref'))
    ? undefined
    : (value as T);
}

function clientSettings(
  template: CfnTemplate,
  callbackUrls: string[],
): Omit<UserPoolClientType, 'UserPoolId' | 'ClientId'> & { ClientName: string } {
  const p = onlyResource(template, 'AWS::Cognito::UserPoolClient');
  return {
    ClientName: 'dashboard',
    // The local sign-in page checks passwords with USER_PASSWORD_AUTH; managed login uses SRP in AWS.
    ExplicitAuthFlows: [...new Set([...(literal<string[]>(p.ExplicitAuthFlows) ?? []), 'ALLOW_USER_PASSWORD_AUTH'])] as never,
    ...(literal<number>(p.IdTokenValidity) !== undefined ? { IdTokenValidity: p.IdTokenValidity as number } : {}),
    ...(literal<number>(p.AccessTokenValidity) !== undefined ? { AccessTokenValidity: p.AccessTokenValidity as number } : {}),
    ...(literal<number>(p.RefreshTokenValidity) !== undefined ? { RefreshTokenValidity: p.RefreshTokenValidity as number } : {}),
    ...(literal(p.TokenValidityUnits) ? { TokenValidityUnits: p.TokenValidityUnits as never } : {}),
    AllowedOAuthFlows: (literal<string[]>(p.AllowedOAuthFlows) ?? ['code']) as never,
    AllowedOAuthScopes: literal<string[]>(p.AllowedOAuthScopes) ?? ['openid'],
    AllowedOAuthFlowsUserPoolClient: true,
    ...(literal<string[]>(p.ReadAttributes) ? { ReadAttributes: p.ReadAttributes as string[] } : {}),
    ...(literal<string[]>(p.WriteAttributes) ? { WriteAttributes: p.WriteAttributes as string[] } : {}),
    CallbackURLs: callbackUrls,
    LogoutURLs: callbackUrls,
  };
}

function customAttributes(template: CfnTemplate): SchemaAttributeType[] {
  const schema = literal<SchemaAttributeType[]>(onlyResource(template, 'AWS::Cognito::UserPool').Schema) ?? [];
  // Standard attributes (email, name) are the emulator's own; the custom ones are declared here.
  return schema
    .filter((a) => a.Name && !['email', 'name', 'phone_number', 'given_name', 'family_name'].includes(a.Name))
    .map((a) => ({ ...a, Required: false }));
}

function groups(template: CfnTemplate): { GroupName: string; Description?: string }[] {
  return Object.values(template.Resources ?? {})
    .filter((r) => r.Type === 'AWS::Cognito::UserPoolGroup')
    .map((r) => {
      const p = r.Properties as { GroupName: string; Description?: unknown };
      return { GroupName: p.GroupName, ...(typeof p.Description === 'string' ? { Description: p.Description } : {}) };
    });
}

export async function provisionLocalDirectory(options: {
  endpoint: string;
  template: CfnTemplate;
  callbackUrls: string[];
  /** Keep the pool across starts (its ids are written here). */
  stateFile?: string;
}): Promise<LocalDirectory> {
  const client = directoryClient(options.endpoint);
  const pool = onlyResource(options.template, 'AWS::Cognito::UserPool');
  const attributes = customAttributes(options.template);
  let ids =
    options.stateFile && existsSync(options.stateFile)
      ? (JSON.parse(readFileSync(options.stateFile, 'utf8')) as LocalDirectoryIds)
      : undefined;
  if (ids) {
    try {
      const described = await client.send(new DescribeUserPoolCommand({ UserPoolId: ids.userPoolId }));
      const have = new Set((described.UserPool?.SchemaAttributes ?? []).map((a) => a.Name));
      const missing = attributes.filter((a) => !have.has(`custom:${a.Name}`));
      if (missing.length > 0) await client.send(new AddCustomAttributesCommand({ UserPoolId: ids.userPoolId, CustomAttributes: missing }));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
      ids = undefined;
    }
  }
  if (!ids) {
    const created = await client.send(
      new CreateUserPoolCommand({
        PoolName: 'cos-milestones',
        UsernameAttributes: literal<string[]>(pool.UsernameAttributes) as never,
        Schema: attributes,
        ...(literal(pool.Policies) ? { Policies: pool.Policies as never } : {}),
        ...(literal(pool.AdminCreateUserConfig) ? { AdminCreateUserConfig: pool.AdminCreateUserConfig as never } : {}),
      }),
    );
    const userPoolId = created.UserPool!.Id!;
    const app = await client.send(
      new CreateUserPoolClientCommand({ UserPoolId: userPoolId, ...clientSettings(options.template, options.callbackUrls) }),
    );
    ids = { userPoolId, clientId: app.UserPoolClient!.ClientId! };
  } else {
    await client.send(
      new UpdateUserPoolClientCommand({
        UserPoolId: ids.userPoolId,
        ClientId: ids.clientId,
        ...clientSettings(options.template, options.callbackUrls),
      }),
    );
  }
  const existing = new Set(
    ((await client.send(new ListGroupsCommand({ UserPoolId: ids.userPoolId }))).Groups ?? []).map((g) => g.GroupName),
  );
  for (const group of groups(options.template)) {
    if (!existing.has(group.GroupName)) await client.send(new CreateGroupCommand({ UserPoolId: ids.userPoolId, ...group }));
  }
  if (options.stateFile) {
    mkdirSync(path.dirname(options.stateFile), { recursive: true });
    const tmp = `${options.stateFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(ids, null, 2));
    renameSync(tmp, options.stateFile);
  }
  return localDirectory(options.endpoint, ids, client);
}

/** The directory of a pool already provisioned (by `provisionLocalDirectory`, e.g. in another thread). */
export function localDirectory(endpoint: string, ids: LocalDirectoryIds, client = directoryClient(endpoint)): LocalDirectory {
  const issuer = `${endpoint}/${ids.userPoolId}`;
  return { userPoolId: ids.userPoolId, clientId: ids.clientId, endpoint, client, issuer, jwksUrl: `${issuer}/.well-known/jwks.json` };
}

function directoryClient(endpoint: string): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    endpoint,
    region: process.env.AWS_REGION ?? 'eu-central-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** Who a local token is for: a user of the directory, made on first use. */
export interface TokenClaims {
  role: Role;
  /** Names the user (its e-mail is `<sub>@users.local.test` unless `email` is given). */
  sub?: string;
  district?: string;
  org?: string;
  school?: string;
  name?: string;
  email?: string;
}

/**
 * An ID token of the directory for the user the claims describe, through the directory's own password
 * flow (InitiateAuth): the user is created on first use with its group and scope, and given a fresh
 * password each time (tests, the demo users of `npm start`, `npm run token`).
 */
export async function signInAs(directory: LocalDirectory, claims: TokenClaims): Promise<string> {
  const { client, userPoolId, clientId } = directory;
  const scope = ROLE_SCOPE[claims.role];
  if (scope && !claims[scope]) throw new Error(`a ${claims.role} needs ${scope}`);
  const slug = (claims.sub ?? [claims.role, scope ? claims[scope] : undefined].filter(Boolean).join('.'))
    .toLowerCase()
    .replace(/[^a-z0-9._-]/g, '-');
  const email = (claims.email ?? `${slug}@users.local.test`).toLowerCase();
  const found = await client.send(new ListUsersCommand({ UserPoolId: userPoolId, Filter: `email = "${email}"`, Limit: 1 }));
  let username = found.Users?.[0]?.Username;
  if (!username) {
    const created = await client.send(
      new AdminCreateUserCommand({
        UserPoolId: userPoolId,
        Username: email,
        MessageAction: 'SUPPRESS',
        TemporaryPassword: newTemporaryPassword(),
        UserAttributes: [
          { Name: 'email', Value: email },
          { Name: 'email_verified', Value: 'true' },
          { Name: 'name', Value: claims.name ?? slug },
          ...(scope ? [{ Name: SCOPE_ATTRIBUTE[scope], Value: claims[scope]! }] : []),
        ],
      }),
    );
    username = created.User!.Username!;
    await client.send(new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: username, GroupName: claims.role }));
  }
  const password = `${randomBytes(18).toString('base64url')}-A1a!`;
  await client.send(new AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username: username, Password: password, Permanent: true }));
  const auth = await client.send(
    new InitiateAuthCommand({
      ClientId: clientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: email, PASSWORD: password },
    }),
  );
  const token = auth.AuthenticationResult?.IdToken;
  if (!token) throw new Error(`the directory did not sign ${email} in (${auth.ChallengeName ?? 'no tokens'})`);
  return token;
}
