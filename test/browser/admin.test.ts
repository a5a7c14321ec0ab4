/**
 * The administration screens in real headless Chromium against the local stack (the API function behind
 * the local gateway, DynamoDB Local, the user-directory emulator), with a small seeded region and the
 * reference programme as published version 1:
 *
 * a program manager invites a district coordinator (the page's own checks first, then the API's field
 * error for an e-mail that is taken), sees them listed, disables and re-enables them after confirming,
 * in Russian and in English; a coordinator can invite only school staff of their own district and sees
 * only that district's schools; other roles see neither screen; a manager drafts a programme version from
 * the current one, moves a deadline with the structured fields, introduces a dependency cycle, sees the
 * problem named at its field, fixes it and publishes; the published version is then read-only.
 */
import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SchoolList } from '../../shared/api/schemas.js';
import { ProgramVersionList } from '../../shared/api/program-versions.js';
import { REFERENCE_PROGRAM_ID } from '../../shared/programs/index.js';
import { UserList } from '../../shared/users/model.js';
import { buildWeb } from '../../functions/web/build.js';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.js';
import { launchChromium, screenshot, signedInPage } from '../support/browser.js';
import { cognitoEndpoint } from '../support/directory.js';
import { dynamodbEndpoint } from '../support/dynamodb.js';

let stack: LocalStack;
let browser: Browser;
let managerToken: string;
let schools: SchoolList['items'];
/** The coordinator's district (the one with the most schools) and another district with schools. */
let district: string;
let otherDistrict: string;

async function api(token: string, method: string, route: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${stack.url}/api/${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

const newPage = (token: string, hash: string) => signedInPage(browser, stack.url, token, hash);

const usersOf = async (token: string) => UserList.parse((await api(token, 'GET', 'users')).json).items;

beforeAll(async () => {
  await buildWeb();
  stack = await startLocalStack({
    dynamodbEndpoint: dynamodbEndpoint(),
    cognitoEndpoint: cognitoEndpoint(),
    tableName: `browser-admin-${randomBytes(4).toString('hex')}`,
    seed: { seed: 'admin-screens', schools: 40 },
    startWorkflows: false,
    rateLimit: false,
  });
  managerToken = await stack.token({ role: 'program-manager', sub: 'pm-admin', name: 'Ирина Петрова' });
  schools = ((await api(managerToken, 'GET', 'schools?limit=200')).json as SchoolList).items;
  const counts = new Map<string, number>();
  for (const s of schools) counts.set(s.district, (counts.get(s.district) ?? 0) + 1);
  const byCount = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  district = byCount[0]![0];
  otherDistrict = byCount[1]![0];
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('users', () => {
  it('a program manager invites a coordinator, sees them listed, disables and re-enables them, in Russian and English', async () => {
    const { context, page } = await newPage(managerToken, '#/');
    await page.getByRole('navigation', { name: 'Основные разделы' }).getByRole('link', { name: 'Пользователи' }).click();
    await page.getByRole('heading', { level: 1, name: 'Пользователи' }).waitFor();
    const posts: number[] = [];
    page.on('response', (r) => {
      if (r.request().method() === 'POST' && new URL(r.url()).pathname.startsWith('/api/users')) posts.push(r.status());
    });

    // Nothing filled in: the page's own check (the API's Invitation schema) names every field, nothing is sent.
    const form = page.locator('form.invite-form');
    const send = form.getByRole('button', { name: 'Отправить приглашение' });
    await send.click();
    await expect.poll(() => page.locator('#invite-name-error').textContent()).toBe('Обязательное поле.');
    expect(await page.locator('#invite-email-error').textContent()).toBe('Обязательное поле.');
    expect(await page.locator('#invite-role-error').textContent()).toBe('Обязательное поле.');

    // A coordinator needs a district; a malformed e-mail is named.
    await form.getByLabel('Имя и фамилия').fill('Анна Координатор');
    await form.getByLabel('Электронная почта').fill('anna@');
    await form.getByLabel('Роль').selectOption({ label: 'Координатор района' });
    await send.click();
    await expect.poll(() => page.locator('#invite-email-error').textContent()).toBe('Введите адрес электронной почты.');
    expect(await page.locator('#invite-district-error').textContent()).toBe('Обязательное поле.');
    expect(await page.locator('#invite-name-error').count()).toBe(0);
    expect(posts).toEqual([]);

    await form.getByLabel('Электронная почта').fill('Anna@Example.org');
    await form.getByLabel('Район', { exact: true }).selectOption(otherDistrict);
    await send.click();
    await page.getByTestId('users-notice').getByText('Приглашение создано: anna@example.org.').waitFor();
    expect(await page.getByTestId('users-notice').innerText()).toMatch(/Временный пароль .*: \S+/);
    expect(posts).toEqual([201]);
    const row = page.locator('tr[data-email="anna@example.org"]');
    await expect.poll(() => row.getAttribute('data-status')).toBe('invited');
    expect(await row.innerText()).toContain('Координатор района');
    expect(await row.locator('td').nth(3).textContent()).not.toBe('—');
    await screenshot(page, 'users');

    // The same e-mail again: the API's 409 names the field, and the page shows it there.
    await form.getByLabel('Имя и фамилия').fill('Анна Другая');
    await form.getByLabel('Электронная почта').fill('anna@example.org');
    await form.getByLabel('Роль').selectOption({ label: 'Наблюдатель' });
    await send.click();
    await expect.poll(() => page.locator('#invite-email-error').textContent()).toBe('Пользователь с таким адресом уже есть.');
    expect(await form.getByLabel('Электронная почта').getAttribute('aria-invalid')).toBe('true');
    expect(posts).toEqual([201, 409]);

    // Disabling asks first; "Cancel" changes nothing.
    await row.getByRole('button', { name: 'Отключить' }).click();
    const confirm = page.getByRole('alertdialog');
    await expect.poll(() => confirm.textContent()).toContain('Отключить учётную запись «Анна Координатор»?');
    await confirm.getByRole('button', { name: 'Отмена' }).click();
    expect(await confirm.count()).toBe(0);
    expect(posts).toEqual([201, 409]);

    await row.getByRole('button', { name: 'Отключить' }).click();
    await confirm.getByRole('button', { name: 'Да, отключить' }).click();
    await page.getByText('Учётная запись «Анна Координатор» отключена.').waitFor();
    await expect.poll(() => row.getAttribute('data-status')).toBe('disabled');
    expect(await row.locator('.badge').textContent()).toBe('Отключён');
    expect((await usersOf(managerToken)).find((u) => u.email === 'anna@example.org')?.enabled).toBe(false);

    // In English, the same screen; re-enabling asks again.
    await page.getByRole('group', { name: 'Язык' }).getByRole('button', { name: 'EN' }).click();
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main sections' }).innerText()).toContain('Programme');
    expect(await row.locator('.badge').textContent()).toBe('Disabled');
    expect(await form.getByRole('button', { name: 'Send invitation' }).count()).toBe(1);
    await row.getByRole('button', { name: 'Enable' }).click();
    await expect.poll(() => confirm.textContent()).toContain('Enable the account of “Анна Координатор” again?');
    await confirm.getByRole('button', { name: 'Yes, enable' }).click();
    await page.getByText('The account of “Анна Координатор” is enabled.').waitFor();
    await expect.poll(() => row.getAttribute('data-status')).toBe('invited');
    expect(await row.locator('.badge').textContent()).toBe('Invited');
    expect((await usersOf(managerToken)).find((u) => u.email === 'anna@example.org')?.enabled).toBe(true);
    await screenshot(page, 'users-en');
    await context.close();
  });

  it('a coordinator may invite only school staff of their own district, and sees only that district', async () => {
    const coordinator = await stack.token({ role: 'district-coordinator', sub: 'dc-admin', district, name: 'Олег Координатор' });
    const { context, page } = await newPage(coordinator, '#/users');
    await page.getByRole('heading', { level: 1, name: 'Пользователи' }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Основные разделы' });
    expect(await nav.getByRole('link', { name: 'Пользователи' }).count()).toBe(1);
    expect(await nav.getByRole('link', { name: 'Программа' }).count()).toBe(0);

    const form = page.locator('form.invite-form');
    // One role on offer; the school's district is the coordinator's and cannot change.
    const roles = await form.getByLabel('Роль').locator('option').allTextContents();
    expect(roles).toEqual(['Сотрудник школы']);
    const schoolDistrict = form.getByLabel('Район школы');
    expect(await schoolDistrict.inputValue()).toBe(district);
    expect(await schoolDistrict.isDisabled()).toBe(true);
    const schoolSelect = form.getByLabel('Школа', { exact: true });
    const own = schools.filter((s) => s.district === district);
    await expect.poll(async () => (await schoolSelect.locator('option').count()) - 1).toBe(own.length);
    const offered = await schoolSelect
      .locator('option')
      .evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value).filter(Boolean));
    expect(offered.sort()).toEqual(own.map((s) => s.id).sort());

    await form.getByLabel('Имя и фамилия').fill('Мария Директор');
    await form.getByLabel('Электронная почта').fill('director@example.org');
    await schoolSelect.selectOption(own[0]!.id);
    await form.getByRole('button', { name: 'Отправить приглашение' }).click();
    await page.getByText('Приглашение создано: director@example.org.').waitFor();
    const row = page.locator('tr[data-email="director@example.org"]');
    await row.waitFor();
    expect(await row.innerText()).toContain('Сотрудник школы');
    expect(await row.getByRole('button', { name: 'Отключить' }).count()).toBe(1);
    // The coordinator invited by the manager works in another district: not listed here.
    expect(await page.locator('tr[data-email="anna@example.org"]').count()).toBe(0);
    expect((await usersOf(coordinator)).map((u) => u.email)).not.toContain('anna@example.org');
    await screenshot(page, 'users-coordinator');

    // The programme screen is not theirs, even by its address.
    await page.evaluate(() => (location.hash = '#/programs'));
    await page.getByRole('alert').getByText('Недостаточно прав для этого раздела.').waitFor();
    await context.close();

    // A viewer sees neither screen.
    const viewer = await stack.token({ role: 'viewer', sub: 'viewer-admin', name: 'Аудитор' });
    const asViewer = await newPage(viewer, '#/users');
    await asViewer.page.getByRole('alert').getByText('Недостаточно прав для этого раздела.').waitFor();
    const viewerNav = await asViewer.page.getByRole('navigation', { name: 'Основные разделы' }).innerText();
    expect(viewerNav).not.toContain('Пользователи');
    expect(viewerNav).not.toContain('Программа');
    await asViewer.context.close();
  });
});

describe('programme versions', () => {
  it('a manager drafts a version, moves a deadline, sees a dependency cycle named, fixes it and publishes; then it is read-only', async () => {
    const { context, page } = await newPage(managerToken, '#/');
    await page.getByRole('navigation', { name: 'Основные разделы' }).getByRole('link', { name: 'Программа' }).click();
    await page.getByRole('heading', { level: 1, name: 'Версии программы' }).waitFor();
    const v1 = page.locator('tr[data-version="1"]');
    await v1.waitFor();
    expect(await v1.getAttribute('data-status')).toBe('published');
    expect(await v1.innerText()).toContain('действующая');

    // Version 1, readable: milestones, dependencies, dates per cohort, evidence; and nothing to edit.
    await v1.getByRole('link', { name: 'Версия 1' }).click();
    await page.getByRole('heading', { level: 1, name: 'Версия 1' }).waitFor();
    const milestones = page.locator('.milestones-table tbody tr');
    await expect.poll(() => milestones.count()).toBe(4);
    expect(await page.locator('tr[data-milestone="connection"] td[data-rule="deadline"]').textContent()).toBe('31.12.2021');
    const equipmentDeadline = page.locator('tr[data-milestone="equipment"] td[data-rule="deadline"]');
    expect(await equipmentDeadline.innerText()).toContain('1 декабря года поставки');
    expect(await equipmentDeadline.innerText()).toContain('2021 — 01.12.2021; 2022 — 01.12.2022');
    expect(await page.locator('tr[data-milestone="training"] td[data-rule="deadline"]').innerText()).toContain(
      'как у этапа «Поставка оборудования»',
    );
    expect(await page.locator('tr[data-milestone="onboarding"] td[data-depends-on]').textContent()).toBe(
      'Подключение к сети «Интернет», Поставка оборудования',
    );
    expect(await page.locator('tr[data-milestone="connection"]').innerText()).toContain('акт и измеренная скорость');
    expect(await page.getByText('Опубликованная версия не изменяется.', { exact: false }).count()).toBe(1);
    expect(await page.locator('#definition').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Опубликовать' }).count()).toBe(0);

    // A draft from the current version.
    await page.getByRole('link', { name: 'Все версии' }).click();
    await page.getByRole('button', { name: 'Создать черновик из действующей версии' }).click();
    await page.getByRole('heading', { level: 1, name: 'Версия 2' }).waitFor();
    await page.getByTestId('programs-notice').getByText('Создан черновик версии 2.').waitFor();
    await page.getByTestId('no-problems').waitFor();
    const editor = page.locator('#definition');
    const save = page.getByRole('button', { name: 'Сохранить черновик' });
    const publish = page.getByRole('button', { name: 'Опубликовать', exact: true });

    // The equipment deadline moves to 15 December with the structured fields; the JSON follows.
    await page.locator('#deadline-equipment-day').fill('15');
    await expect
      .poll(async () => JSON.parse(await editor.inputValue()).milestones[1].deadline)
      .toEqual({ kind: 'cohort-year', month: 12, day: 15 });
    expect(await equipmentDeadline.innerText()).toContain('15 декабря года поставки');

    // A dependency cycle: connection now waits for onboarding, which waits for connection.
    const definition = JSON.parse(await editor.inputValue()) as { milestones: { key: string; dependsOn?: string[] }[] };
    definition.milestones[0]!.dependsOn = ['onboarding'];
    await editor.fill(JSON.stringify(definition, null, 2));
    expect(await publish.isDisabled()).toBe(true);
    await save.click();
    await page.getByTestId('programs-notice').getByText('Черновик сохранён.').waitFor();
    const problem = page.locator('.problems-table tr[data-field="definition.milestones.0.dependsOn"]');
    await problem.waitFor();
    expect(await problem.innerText()).toContain('цикл зависимостей: connection -> onboarding -> connection');
    expect(await problem.innerText()).toContain('этап «Подключение к сети «Интернет»»');
    // "Show in the editor" selects the field's line in the JSON.
    await problem.getByRole('button', { name: 'Показать в редакторе' }).click();
    const selected = await editor.evaluate((el: HTMLTextAreaElement) => ({
      text: el.value.slice(el.selectionStart, el.selectionEnd),
      before: el.value.slice(0, el.selectionStart),
      focused: document.activeElement === el,
    }));
    expect(selected.text.trim()).toBe('"dependsOn": [');
    expect(selected.focused).toBe(true);
    // It is the first milestone's: no other milestone's key comes before it.
    expect(selected.before).toContain('"key": "connection"');
    expect(selected.before).not.toContain('"key": "equipment"');
    expect(await editor.getAttribute('aria-invalid')).toBe('true');
    expect(await publish.isDisabled()).toBe(true);
    await screenshot(page, 'program-draft-problem');

    // The API agrees: publishing now is refused with the problem named, and nothing is published.
    const refused = await api(managerToken, 'POST', `programs/${REFERENCE_PROGRAM_ID}/versions/2/publish`);
    expect(refused.status).toBe(422);
    expect(JSON.stringify(refused.json)).toContain('definition.milestones.0.dependsOn');

    // Fixed, saved, published after confirming.
    definition.milestones[0]!.dependsOn = [];
    await editor.fill(JSON.stringify(definition, null, 2));
    await save.click();
    await page.getByTestId('no-problems').waitFor();
    expect(await problem.count()).toBe(0);
    await publish.click();
    const confirm = page.getByRole('alertdialog');
    expect(await confirm.textContent()).toContain('Опубликовать версию 2? После публикации её нельзя будет изменить.');
    await confirm.getByRole('button', { name: 'Да, опубликовать' }).click();
    await page.getByTestId('programs-notice').getByText('Версия 2 опубликована.').waitFor();

    // Published: read-only in the page and at the API.
    await page.locator('[data-version-status="published"]').waitFor();
    expect(await page.locator('#definition').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Опубликовать' }).count()).toBe(0);
    expect(await equipmentDeadline.innerText()).toContain('15 декабря года поставки');
    const rewrite = await api(managerToken, 'PUT', `programs/${REFERENCE_PROGRAM_ID}/versions/2`, { definition });
    expect(rewrite.status).toBe(409);
    const versions = ProgramVersionList.parse((await api(managerToken, 'GET', `programs/${REFERENCE_PROGRAM_ID}/versions`)).json).items;
    expect(versions.map((v) => [v.version, v.status])).toEqual([
      [1, 'published'],
      [2, 'published'],
    ]);
    expect((versions[1]!.definition as typeof definition & { milestones: { deadline: unknown }[] }).milestones[1]!.deadline).toEqual({
      kind: 'cohort-year',
      month: 12,
      day: 15,
    });
    await screenshot(page, 'program-published');

    // The list: version 2 is now the current one.
    await page.getByRole('link', { name: 'Все версии' }).click();
    const v2 = page.locator('tr[data-version="2"]');
    await v2.waitFor();
    expect(await v2.innerText()).toContain('действующая');
    expect(await page.locator('tr[data-version="1"]').innerText()).not.toContain('действующая');
    await context.close();
  });
});
