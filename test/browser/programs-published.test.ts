/**
 * The dashboard reads the published programme versions from the API, in real headless Chromium against
 * the local stack (a few seeded schools, version 2 published): a version 3 published through the API adds
 * a milestone the code does not know, and the schools page offers it in its milestone filter, by its
 * title, and as a column of the table.
 */
import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildWeb } from '../../functions/web/build.js';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.js';
import { REFERENCE_PROGRAM_ID, REFERENCE_PROGRAM_V2_DATA } from '../../shared/programs/index.js';
import { launchChromium, openDashboard } from '../support/browser.js';
import { cognitoEndpoint } from '../support/directory.js';
import { dynamodbEndpoint } from '../support/dynamodb.js';

let stack: LocalStack;
let browser: Browser;
let token: string;

beforeAll(async () => {
  await buildWeb();
  stack = await startLocalStack({
    dynamodbEndpoint: dynamodbEndpoint(),
    cognitoEndpoint: cognitoEndpoint(),
    tableName: `browser-published-${randomBytes(4).toString('hex')}`,
    seed: { seed: 'published-versions', schools: 4 },
    referenceVersion2: 'published',
    startWorkflows: false,
    rateLimit: false,
  });
  token = await stack.token({ role: 'program-manager', sub: 'pm-published', name: 'Ирина Петрова' });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${stack.url}/api${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}

it('offers a milestone of a later published version in the schools filter', { timeout: 180_000 }, async () => {
  const v2 = REFERENCE_PROGRAM_V2_DATA as { milestones: Record<string, unknown>[] };
  const audit = {
    ...v2.milestones.find((m) => m.key === 'content-filtering')!,
    key: 'security-audit',
    title: { ru: 'Аудит информационной безопасности', en: 'Security audit' },
  };
  const definition = { ...v2, milestones: [...v2.milestones, audit] };
  const base = `/programs/${REFERENCE_PROGRAM_ID}/versions`;
  const draft = await call('POST', base, { definition });
  expect(draft).toMatchObject({ status: 201, json: { version: 3, problems: [] } });
  expect((await call('POST', `${base}/3/publish`)).status).toBe(200);

  const { context, page } = await openDashboard(browser, stack.url, token, '#/schools');
  const filter = page.locator('#f-milestone');
  await expect.poll(() => filter.locator('option[value="security-audit"]').count(), { timeout: 20_000 }).toBe(1);
  expect(await filter.locator('option[value="security-audit"]').innerText()).toBe('Аудит информационной безопасности');
  expect(await filter.locator('option[value="content-filtering"]').innerText()).toBe('Система контентной фильтрации');
  await page.getByRole('columnheader', { name: 'Аудит информационной безопасности' }).waitFor();
  await context.close();
});
