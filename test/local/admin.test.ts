/**
 * `npm run admin` against a running local system with an empty table (no demo, no seeding): the first
 * program manager is created by the command, signs in through the sign-in pages with the temporary
 * password it printed, and from then on works through the API alone (here: invites a coordinator).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO_ROOT, startLocalStack, type LocalStack } from '../../infra/local/stack.js';
import { InvitedUser, UserDetail } from '../../shared/users/model.js';
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
