/**
 * In Chromium: a program manager invites a user over the API; the user opens the dashboard, is sent to
 * the sign-in page (authorization code with PKCE), signs in with the temporary password, sets a new one
 * and lands on the dashboard signed in; signing out ends the session.
 */
import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildWeb } from '../../functions/web/build.js';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.js';
import { InvitedUser } from '../../shared/users/model.js';
import { launchChromium, screenshot } from '../support/browser.js';
import { cognitoEndpoint } from '../support/directory.js';
import { dynamodbEndpoint } from '../support/dynamodb.js';

let stack: LocalStack;
let browser: Browser;

beforeAll(async () => {
  await buildWeb();
  stack = await startLocalStack({
    dynamodbEndpoint: dynamodbEndpoint(),
    cognitoEndpoint: cognitoEndpoint(),
    tableName: `browser-signin-${randomBytes(4).toString('hex')}`,
    seed: false,
    startWorkflows: false,
    rateLimit: false,
  });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

it('an invited user signs in through the sign-in page, sets a password and signs out', async () => {
  const manager = await stack.token({ role: 'program-manager', sub: 'pm-browser', name: 'Ирина Петрова' });
  const res = await fetch(`${stack.url}/api/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${manager}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Олег Наблюдатель', email: 'oleg@example.org', role: 'viewer' }),
  });
  expect(res.status).toBe(201);
  const { temporaryPassword } = InvitedUser.parse(await res.json());

  const page = await (await browser.newContext()).newPage();
  await page.goto(`${stack.url}/`);
  await page.click('#sign-in');
  await page.waitForURL(/\/oauth2\/authorize/);
  await page.fill('#username', 'oleg@example.org');
  await page.fill('#password', 'not-the-password');
  await page.click('button[type=submit]');
  await expect(page.locator('[role=alert]').textContent()).resolves.toContain('Incorrect');
  await page.fill('#password', temporaryPassword!);
  await page.click('button[type=submit]');
  await page.fill('#new_password', 'Olegs-own-pass-1!');
  await page.fill('#new_password_again', 'Olegs-own-pass-1!');
  await screenshot(page, 'sign-in-new-password');
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-testid=whoami]');
  await expect(page.locator('[data-testid=whoami]').textContent()).resolves.toContain('oleg@example.org');
  expect(new URL(page.url()).search).toBe('');
  await screenshot(page, 'signed-in-through-the-sign-in-page');

  await page.getByRole('button', { name: /Выйти|Sign out/ }).click();
  await page.waitForSelector('#sign-in');
});
