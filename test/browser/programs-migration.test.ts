/**
 * Publishing version 2 and moving a district to it, in real headless Chromium against the local stack
 * (a small seeded region, version 2 of the reference programme written as a draft, as `npm start` does):
 * the program manager breaks the draft, sees the problem at its field, fixes it, publishes, previews the
 * move of one district (content filtering added at each of its schools), runs the migration and follows
 * its outcome per school; the migrated school's page then shows the content-filtering milestone, and a
 * school of another district still follows version 1.
 */
import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { School } from '../../shared/program/model.js';
import { buildWeb } from '../../functions/web/build.js';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.js';
import { launchChromium, openDashboard, screenshot } from '../support/browser.js';
import { cognitoEndpoint } from '../support/directory.js';
import { dynamodbEndpoint } from '../support/dynamodb.js';

let stack: LocalStack;
let browser: Browser;
let token: string;
let district: string;
let inDistrict: School[];
let elsewhere: School;

beforeAll(async () => {
  await buildWeb();
  stack = await startLocalStack({
    dynamodbEndpoint: dynamodbEndpoint(),
    cognitoEndpoint: cognitoEndpoint(),
    tableName: `browser-migration-${randomBytes(4).toString('hex')}`,
    seed: { seed: 'migration-screen', schools: 12 },
    referenceVersion2: 'draft',
    startWorkflows: false,
    rateLimit: false,
  });
  token = await stack.token({ role: 'program-manager', sub: 'pm-migration', name: 'Ирина Петрова' });
  const all = (await stack.store.listAllSchools({ limit: 100 })).items;
  district = all[0]!.district;
  inDistrict = all.filter((s) => s.district === district);
  elsewhere = all.find((s) => s.district !== district)!;
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

it(
  'the manager fixes and publishes version 2, previews a district, migrates it, and the school shows content filtering',
  {
    timeout: 180_000,
  },
  async () => {
    const { context, page } = await openDashboard(browser, stack.url, token, '#/programs/2');
    await page.getByRole('heading', { level: 1, name: 'Версия 2' }).waitFor();
    await page.getByTestId('no-problems').waitFor();

    // A typo in content filtering's dependency: the problem is named at its field.
    const editor = page.locator('#definition');
    const definition = JSON.parse(await editor.inputValue()) as { milestones: { key: string; dependsOn: string[] }[] };
    const index = definition.milestones.findIndex((m) => m.key === 'content-filtering');
    definition.milestones[index]!.dependsOn = ['conection'];
    await editor.fill(JSON.stringify(definition, null, 2));
    await page.getByRole('button', { name: 'Сохранить черновик' }).click();
    const problem = page.locator(`.problems-table tr[data-field="definition.milestones.${index}.dependsOn.0"]`);
    await problem.waitFor();
    expect(await problem.innerText()).toContain('conection');
    expect(await problem.innerText()).toContain('Система контентной фильтрации');
    const publish = page.getByRole('button', { name: 'Опубликовать', exact: true });
    expect(await publish.isDisabled()).toBe(true);

    // Fixed, saved, published.
    definition.milestones[index]!.dependsOn = ['connection'];
    await editor.fill(JSON.stringify(definition, null, 2));
    await page.getByRole('button', { name: 'Сохранить черновик' }).click();
    await page.getByTestId('no-problems').waitFor();
    await publish.click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Да, опубликовать' }).click();
    await page.getByTestId('programs-notice').getByText('Версия 2 опубликована.').waitFor();

    // The preview of the district: content filtering added at each of its schools, nothing written yet.
    const panel = page.getByTestId('migration');
    await panel.getByRole('heading', { name: 'Перевод школ на версию 2' }).waitFor();
    await panel.locator('#migration-district').selectOption(district);
    await panel.getByRole('button', { name: 'Показать изменения' }).click();
    const rows = panel.locator('[data-testid=migration-preview] tbody tr');
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(inDistrict.length);
    for (const s of inDistrict) {
      expect(await panel.locator(`tr[data-school="${s.id}"] td[data-change="added"]`).innerText()).toBe(
        'Система контентной фильтрации (срок 01.09.2024)',
      );
    }
    expect((await stack.store.getSchool(inDistrict[0]!.id))!.school.programVersion).toBeUndefined();
    await screenshot(page, 'migration-preview');

    // The migration, confirmed; its outcome per school.
    await panel.getByRole('button', { name: `Перевести школы (${inDistrict.length})` }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Да, перевести' }).click();
    const job = panel.locator('[data-testid=migration-job][data-status=done]');
    await job.waitFor({ timeout: 60_000 });
    expect(await job.getByRole('status').innerText()).toBe(
      `Перевод завершён: ${inDistrict.length} из ${inDistrict.length} школ переведены, ошибок: 0.`,
    );
    expect(await job.locator('tbody tr[data-outcome=ok]').count()).toBe(inDistrict.length);
    await screenshot(page, 'migration-done');

    // The migrated school's page shows content filtering; a school elsewhere still follows version 1.
    const school = inDistrict[0]!;
    await job.getByRole('link', { name: school.id }).click();
    await page.getByRole('heading', { level: 1, name: school.name }).waitFor();
    await page.getByText('Система контентной фильтрации').first().waitFor();
    expect((await stack.store.getSchool(school.id))!.school.programVersion).toBe(2);
    await page.evaluate((id) => (location.hash = `#/school/${id}`), elsewhere.id);
    await page.getByRole('heading', { level: 1, name: elsewhere.name }).waitFor();
    expect(await page.getByText('Система контентной фильтрации').count()).toBe(0);
    await context.close();
  },
);
