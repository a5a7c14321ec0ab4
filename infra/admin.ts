/**
 * `npm run admin -- <command> [options]`: the user directory from the command line, for the first
 * program manager of a new deployment and for when nobody can sign in. The same directory code as the
 * API (shared/users), each change audited in the table like the API's.
 *
 *   create-manager --email E --name N   invite a program manager
 *   list-users [--role ROLE]            every user (of one role)
 *   disable --email E | enable --email E
 *   publish-reference [--version 1|2]    write the reference program as published version 1 (a new
 *                                       deployment), or publish version 2 (content filtering) from its data
 *
 * Where: `--stack NAME` (a deployed stack: its outputs name the user pool and the table; AWS credentials
 * and region from the usual AWS variables or profile), or the local system running from `--data DIR`
 * (default `.data`, started by `npm start`).
 * In AWS Cognito e-mails the temporary password; locally it is printed here, once.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Role, SYSTEM } from '../shared/program/model.js';
import { createUserAudit, type UserAudit } from '../shared/users/audit.js';
import { createUserDirectory, type UserDirectory } from '../shared/users/directory.js';
import { Email, Invitation, scopeOf, type DirectoryUser } from '../shared/users/model.js';
import type { LocalStackState } from './local/stack.js';
import { ensureProgramVersion1, ensureReferenceVersion2, REFERENCE_PROGRAM_ID } from '../shared/programs/index.js';
import { createStore } from '../shared/store/index.js';
import type { ProgramVersionStore } from '../shared/store/store.js';

const USAGE = `usage: npm run admin -- <command> [options] [--stack NAME | --data DIR]
  create-manager --email E --name N   invite the (first) program manager
  list-users [--role ROLE]            list users (${Role.options.join(', ')})
  disable --email E                   disable an account
  enable --email E                    enable it again
  publish-reference [--version 1|2]   publish version 1 of the reference program (a new deployment) or version 2
                                      (content filtering, from shared/program/data/reference-program-v2.json)
  --stack NAME   a deployed stack (e.g. CosMilestones-prod); otherwise the local system of --data (default .data)`;

interface Target {
  directory: UserDirectory;
  audit: UserAudit;
  /** The table's program versions. */
  programs: ProgramVersionStore;
  where: string;
  close(): void;
}

async function awsTarget(stackName: string): Promise<Target> {
  const cfn = new CloudFormationClient({});
  const described = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
  const outputs = Object.fromEntries((described.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
  const userPoolId = outputs.UserPoolId;
  const tableName = outputs.TableName;
  if (!userPoolId || !tableName) throw new Error(`stack ${stackName} has no UserPoolId/TableName outputs`);
  const cognito = new CognitoIdentityProviderClient({});
  const dynamodb = new DynamoDBClient({});
  return {
    directory: createUserDirectory({ client: cognito, userPoolId, invitations: 'email' }),
    audit: createUserAudit(dynamodb, tableName),
    programs: createStore({ client: dynamodb, tableName }),
    where: `stack ${stackName} (user pool ${userPoolId})`,
    close: () => {
      cognito.destroy();
      dynamodb.destroy();
      cfn.destroy();
    },
  };
}

function localTarget(dataDir: string): Target {
  const file = path.join(dataDir, 'local-stack.json');
  const running = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as LocalStackState) : undefined;
  if (!running || !alive(running.pid))
    throw new Error(`the local system of ${dataDir} is not running: start it with \`npm start\` (or name a deployed stack with --stack)`);
  const local = { region: process.env.AWS_REGION ?? 'eu-central-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  const cognito = new CognitoIdentityProviderClient({ ...local, endpoint: running.cognitoEndpoint });
  const dynamodb = new DynamoDBClient({ ...local, endpoint: running.dynamodbEndpoint });
  return {
    directory: createUserDirectory({ client: cognito, userPoolId: running.userPoolId, invitations: 'return' }),
    audit: createUserAudit(dynamodb, running.tableName),
    programs: createStore({ client: dynamodb, tableName: running.tableName }),
    where: `the local system at ${running.url}`,
    close: () => {
      cognito.destroy();
      dynamodb.destroy();
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const actor = { role: SYSTEM.role, sub: SYSTEM.sub, name: 'npm run admin' };

async function record(target: Target, type: 'user-invited' | 'user-disabled' | 'user-enabled', user: DirectoryUser): Promise<void> {
  await target.audit.record({
    type,
    at: new Date().toISOString(),
    username: user.username,
    email: user.email,
    role: user.role,
    scope: scopeOf(user),
    actor,
  });
}

export async function main(argv: string[], print: (line: string) => void = console.log): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      email: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string' },
      version: { type: 'string' },
      stack: { type: 'string' },
      data: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const command = positionals[0];
  if (values.help || !command) return print(USAGE);
  const root = fileURLToPath(new URL('../', import.meta.url));
  const target = values.stack
    ? await awsTarget(values.stack)
    : localTarget(path.resolve(root, values.data ?? process.env.DATA_DIR ?? '.data'));
  try {
    switch (command) {
      case 'create-manager': {
        const invitation = Invitation.safeParse({ name: values.name, email: values.email, role: 'program-manager' });
        if (!invitation.success)
          throw new Error(`${invitation.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ')}\n${USAGE}`);
        const { user, temporaryPassword } = await target.directory.invite(invitation.data);
        await record(target, 'user-invited', user);
        print(`program manager ${user.email} (user ${user.username}) invited in ${target.where}`);
        print(
          temporaryPassword
            ? `temporary password (shown once; a new one is set at the first sign-in): ${temporaryPassword}`
            : 'Cognito has e-mailed the temporary password; a new one is set at the first sign-in.',
        );
        return;
      }
      case 'list-users': {
        const role = values.role === undefined ? undefined : Role.parse(values.role);
        for (const u of await target.directory.list(role)) {
          print([u.email, u.name ?? '', u.role ?? '-', scopeOf(u) ?? '', u.enabled ? u.status : 'disabled'].join('\t'));
        }
        return;
      }
      case 'disable':
      case 'enable': {
        const email = Email.parse(values.email);
        const user = await target.directory.findByEmail(email);
        if (!user) throw new Error(`no user ${email} in ${target.where}`);
        const enabled = command === 'enable';
        await target.directory.setEnabled(user.username, enabled);
        if (user.enabled !== enabled) await record(target, enabled ? 'user-enabled' : 'user-disabled', { ...user, enabled });
        print(`${email} ${enabled ? 'enabled' : 'disabled'}`);
        return;
      }
      case 'publish-reference': {
        const version = values.version ?? '1';
        if (version !== '1' && version !== '2') throw new Error(`--version: 1 or 2, not ${version}\n${USAGE}`);
        const now = new Date();
        const wrote =
          version === '1'
            ? await ensureProgramVersion1(target.programs, now)
            : await ensureReferenceVersion2(target.programs, now, 'published');
        const stored = await target.programs.getProgramVersion(REFERENCE_PROGRAM_ID, Number(version));
        if (!wrote && stored?.status !== 'published')
          throw new Error(`version ${version} of ${REFERENCE_PROGRAM_ID} is a draft in ${target.where}: publish it in the dashboard`);
        print(
          wrote
            ? `published version ${version} of ${REFERENCE_PROGRAM_ID} in ${target.where}`
            : `version ${version} of ${REFERENCE_PROGRAM_ID} was already published in ${target.where} (${stored!.publishedAt}); nothing written`,
        );
        return;
      }
      default:
        throw new Error(`unknown command ${command}\n${USAGE}`);
    }
  } finally {
    target.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
