/**
 * `npm run admin` against a running local system with an empty table (no demo, no seeding): the first
 * program manager is created by the command, signs in through the sign-in pages with the temporary
 * password it printed, and from then on works through the API alone (here: invites a coordinator). The
 * command also publishes the reference program: version 1 where a deployment has none (a deployed stack
 * has no first start to write it), version 2 (content filtering) from its data file.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO_ROOT, startLocalStack, type LocalStack } from '../../infra/local/stack.js';
import { InvitedUser, UserDetail } from '../../shared/users/model.js';
import { REFERENCE_PROGRAM_DATA } from '../../shared/program/reference-program.js';
import { REFERENCE_PROGRAM_ID, REFERENCE_PROGRAM_V2_DATA } from '../../shared/programs/index.js';
import { keys } from '../../shared/store/keys.js';
import { toItem } from '../../shared/store/marshall.js';
import { cognitoEndpoint } from '../support/directory.js';
import { dynamodbEndpoint } from '../support/dynamodb.js';
import { signInThroughPages } from '../support/sign-in.js';

const run = promisify(execFile);
let stack: LocalStack;
let dataDir: string;

const admin = (...args: string[]) =>
  run(path.join(REPO_ROOT, 'node_modules/.bin/tsx'), ['infra/admin.ts', ...args, '--data', dataDir], { cwd: REPO_ROOT, timeout: 60_000 });

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'admin-'));
  stack = await startLocalStack({
    dynamodbEndpoint: dynamodbEndpoint(),
    cognitoEndpoint: cognitoEndpoint(),
    tableName: `admin-${Date.now()}`,
    seed: false,
    startWorkflows: false,
    stateFile: path.join(dataDir, 'local-stack.json'),
  });
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('creates the first program manager of an empty system, who then signs in and invites through the API', async () => {
  expect((await stack.store.listAllSchools({ limit: 1 })).items).toEqual([]);
  const { stdout } = await admin('create-manager', '--email', 'First.Manager@example.org', '--name', 'Первый руководитель');
  const password = /temporary password[^:]*: (\S+)/.exec(stdout)?.[1];
  expect(password, stdout).toBeDefined();

  const token = await signInThroughPages(stack.url, 'first.manager@example.org', password!, { newPassword: 'First-manager-1!' });
  const me = await (await fetch(`${stack.url}/api/me`, { headers: { authorization: `Bearer ${token}` } })).json();
  // The emulator's ID tokens carry no `name` claim (Cognito's do): the API names the user by e-mail then.
  expect(me).toMatchObject({ role: 'program-manager', email: 'first.manager@example.org' });

  const invited = await fetch(`${stack.url}/api/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Анна Координатор', email: 'anna@example.org', role: 'district-coordinator', district: 'tarsky' }),
  });
  expect(invited.status).toBe(201);
  expect(InvitedUser.parse(await invited.json()).user.role).toBe('district-coordinator');

  // The command's own change is audited like the API's.
  const manager = await (await fetch(`${stack.url}/api/users/${me.sub}`, { headers: { authorization: `Bearer ${token}` } })).json();
  expect(UserDetail.parse(manager).history.map((e) => [e.type, e.actor.name])).toEqual([['user-invited', 'npm run admin']]);

  const listed = await admin('list-users');
  expect(listed.stdout).toContain('first.manager@example.org\tПервый руководитель\tprogram-manager');
  expect(listed.stdout).toContain('anna@example.org\tАнна Координатор\tdistrict-coordinator\ttarsky\tinvited');
  expect((await admin('disable', '--email', 'anna@example.org')).stdout).toContain('disabled');
  expect((await admin('list-users', '--role', 'district-coordinator')).stdout).toContain('\tdisabled');
});

it('says so when the local system is not running', async () => {
  await expect(
    run(path.join(REPO_ROOT, 'node_modules/.bin/tsx'), ['infra/admin.ts', 'list-users', '--data', path.join(dataDir, 'nothing-here')], {
      cwd: REPO_ROOT,
    }),
  ).rejects.toThrow(/not running/);
});

it('publishes version 1 of the reference program on a table without it, and version 2 from its data file', async () => {
  // The first start wrote version 1; a deployed stack's table has none until the command writes it.
  expect((await admin('publish-reference')).stdout).toContain('was already published');
  await stack.dynamodb.send(
    new DeleteItemCommand({ TableName: stack.tableName, Key: toItem(keys.programVersion(REFERENCE_PROGRAM_ID, 1)) }),
  );
  expect(await stack.store.getProgramVersion(REFERENCE_PROGRAM_ID, 1)).toBeNull();
  expect((await admin('publish-reference')).stdout).toContain('published version 1');
  expect(await stack.store.getProgramVersion(REFERENCE_PROGRAM_ID, 1)).toMatchObject({
    status: 'published',
    definition: JSON.parse(JSON.stringify(REFERENCE_PROGRAM_DATA)),
  });

  expect((await admin('publish-reference', '--version', '2')).stdout).toContain('published version 2');
  const v2 = await stack.store.getProgramVersion(REFERENCE_PROGRAM_ID, 2);
  expect(v2).toMatchObject({ status: 'published', definition: REFERENCE_PROGRAM_V2_DATA });
  // Once published, a version is never written again.
  expect((await admin('publish-reference', '--version', '2')).stdout).toContain('nothing written');
  expect(await stack.store.getProgramVersion(REFERENCE_PROGRAM_ID, 2)).toEqual(v2);
  await expect(admin('publish-reference', '--version', '3')).rejects.toThrow(/--version: 1 or 2/);
});
