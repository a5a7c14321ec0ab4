/**
 * The screens that run a region, in real headless Chromium against the local stack (a small seeded
 * region, no running workflows): a program manager registers a contractor (the page's own checks, then
 * the API's field error at its field) and edits its contract, and invites the contractor's user, who
 * signs in through the sign-in page; deactivating a contractor that holds open work shows that work and
 * hands it over in the same step; the manager edits a school and its timeline shows the new deadline,
 * and an edit that crossed someone else's is refused and the school shown as it is now; the update
 * import's dry run shows the change row by row before it is applied, new schools are imported by a job
 * with each school's outcome (one is then archived from its page), and the contractor register from
 * CSV; a bulk action's outcome per school; and the school's staff confirm the connection at their
 * school. Russian by default, English after the switch.
 */
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractorView } from '../../shared/api/administration.js';
import { SchoolDetail, type SchoolList } from '../../shared/api/schemas.js';
import { mayBeAssigned } from '../../shared/domain/assignees.js';
import type { Contractor } from '../../shared/program/model.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import { schoolsToCsv } from '../../shared/region/csv-import.js';
import { buildWeb } from '../../functions/web/build.js';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.js';
import { attachRequiredDocuments, httpClient, todayInOmsk } from '../api/helpers.js';
import { launchChromium, screenshot } from '../support/browser.js';
import { cognitoEndpoint } from '../support/directory.js';
import { dynamodbEndpoint } from '../support/dynamodb.js';

let stack: LocalStack;
let browser: Browser;
let manager: string;
let schools: SchoolList['items'];
let contractors: Contractor[];
let request: ReturnType<typeof httpClient>;

beforeAll(async () => {
  await buildWeb();
  stack = await startLocalStack({
    dynamodbEndpoint: dynamodbEndpoint(),
    cognitoEndpoint: cognitoEndpoint(),
    tableName: `browser-region-${randomBytes(4).toString('hex')}`,
    seed: { seed: 'region-screens', schools: 6 },
    startWorkflows: false,
    rateLimit: false,
  });
  manager = await stack.token({ role: 'program-manager', sub: 'pm-region', name: 'Ирина Петрова' });
  request = httpClient(stack.url);
  schools = ((await request('GET', '/api/schools?limit=200', { token: manager })).json as SchoolList).items;
  contractors = await stack.store.listContractors();
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function newPage(token: string | null, hash: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ locale: 'ru-RU', timezoneId: 'Asia/Omsk', viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => {
    throw new Error(`page error: ${e.message}`);
  });
  if (token) {
    await page.goto(`${stack.url}/#token=${token}`);
    await page.locator('[data-testid=whoami]').waitFor();
    await page.evaluate((h) => (location.hash = h), hash);
  } else {
    await page.goto(`${stack.url}/${hash}`);
  }
  return { context, page };
}

/** The statuses of the API calls the page makes to paths starting with `prefix` (method `method`). */
function watch(page: Page, method: string, prefix: string): number[] {
  const seen: number[] = [];
  page.on('response', (r) => {
    if (r.request().method() === method && new URL(r.url()).pathname.startsWith(prefix)) seen.push(r.status());
  });
  return seen;
}

const connection = REFERENCE_PROGRAM.milestones.find((m) => m.key === 'connection')!;

/** A school and the internet providers that may take its connection today. */
function schoolWithProviders(min: number) {
  for (const s of schools) {
    const eligible = contractors.filter((c) => mayBeAssigned(c, connection, s, todayInOmsk()));
    if (eligible.length >= min) return { school: s, providers: eligible };
  }
  throw new Error(`no school with ${min} eligible internet providers`);
}

describe('the contractor register', () => {
  it('a manager registers a contractor and invites its user, who signs in through the sign-in page', async () => {
    const { school } = schoolWithProviders(1);
    const { context, page } = await newPage(manager, '#/');
    await page.getByRole('navigation', { name: 'Основные разделы' }).getByRole('link', { name: 'Реестр подрядчиков' }).click();
    await page.getByRole('heading', { level: 1, name: 'Реестр подрядчиков' }).waitFor();
    const posts = watch(page, 'POST', '/api/contractors');

    // Nothing filled in: the page's own check names the fields; nothing is sent.
    await page.getByRole('button', { name: 'Новый подрядчик' }).click();
    const form = page.locator('form.contractor-form');
    const save = form.getByRole('button', { name: 'Сохранить' });
    await save.click();
    await expect.poll(() => page.locator('#contractor-name-error').textContent()).toBe('Обязательное поле.');
    expect(await page.locator('#contractor-kind-error').count()).toBe(1);
    expect(posts).toEqual([]);
    // Once drawn, the focus is on the form's message, the first of what it refused.
    await expect.poll(() => page.evaluate(() => document.activeElement?.classList.contains('form-error') ?? false)).toBe(true);
    // A field the user goes to before that frame keeps the focus: what they type next goes into it.
    const focused = await page.evaluate(async () => {
      document.querySelector<HTMLFormElement>('form.contractor-form')!.requestSubmit();
      document.getElementById('contractor-name')!.focus();
      await new Promise((frame) => requestAnimationFrame(() => requestAnimationFrame(frame)));
      return document.activeElement?.id;
    });
    expect(focused).toBe('contractor-name');
    expect(posts).toEqual([]);

    await form.getByLabel('Код').fill('isp-new');
    await form.getByLabel('Название').fill('ООО «Новая связь»');
    await form.getByLabel('Вид работ').selectOption({ label: 'Интернет-провайдер' });
    await form.getByLabel('Районы работы').selectOption([school.district]);
    await form.getByLabel('Электронная почта для уведомлений').fill('office@newlink.example.org');
    await form.getByRole('button', { name: 'Добавить договор' }).click();
    await form.getByLabel('Номер договора').fill('С-2026-1');
    await form.getByLabel('Дата договора').fill('2021-01-01');
    await form.getByLabel('Этап').selectOption('connection');
    await form.getByLabel('Действует до').fill('2020-12-31');
    await save.click();
    // The contract ends before it begins: the API's own rule, checked in the page.
    await expect.poll(() => page.locator('#contract-0-endDate-error').count()).toBe(1);
    expect(posts).toEqual([]);

    // A district that does not exist passes the shape check: the API names it, and the page shows it at the field.
    await form.getByLabel('Действует до').fill('2030-12-31');
    await form.getByLabel('Районы договора').fill('atlantis');
    await save.click();
    await expect.poll(() => page.locator('#contract-0-districts-error').textContent()).toBe('Такого района нет: atlantis.');
    expect(await form.getByLabel('Районы договора').getAttribute('aria-invalid')).toBe('true');
    expect(posts).toEqual([400]);

    await form.getByLabel('Районы договора').fill('');
    // The answer first, so that a failure says what the API answered rather than only that no notice came.
    const answer = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/contractors');
    await save.click();
    const created = await answer;
    expect(created.status(), await created.text()).toBe(201);
    await page.getByTestId('contractors-notice').getByText('Подрядчик «ООО «Новая связь»» добавлен.').waitFor();
    expect(posts).toEqual([400, 201]);
    const row = page.locator('tr[data-contractor="isp-new"]');
    await row.waitFor();
    expect(await row.innerText()).toContain('Интернет-провайдер');
    expect(await row.innerText()).toContain('office@newlink.example.org');
    expect(await row.locator('td.num').textContent()).toBe('1');
    expect(await row.locator('.badge').textContent()).toBe('Активен');
    const stored = ContractorView.parse((await request('GET', '/api/contractors/isp-new', { token: manager })).json);
    expect(stored.contractor).toMatchObject({ kind: 'internet-provider', districts: [school.district], active: true });
    expect(stored.contractor.contracts).toEqual([
      { number: 'С-2026-1', date: '2021-01-01', milestone: 'connection', districts: [], schools: [], endDate: '2030-12-31' },
    ]);
    await screenshot(page, 'contractors');

    // Editing: the contract runs a year longer; the form sends the version it read.
    await row.getByRole('button', { name: 'Изменить' }).click();
    await form.getByLabel('Действует до').fill('2031-12-31');
    await save.click();
    await page.getByTestId('contractors-notice').getByText('Изменения подрядчика «ООО «Новая связь»» сохранены.').waitFor();
    const edited = ContractorView.parse((await request('GET', '/api/contractors/isp-new', { token: manager })).json);
    expect(edited).toMatchObject({ version: 2, contractor: { contracts: [expect.objectContaining({ endDate: '2031-12-31' })] } });

    // In English, the same register.
    await page.getByRole('group', { name: 'Язык' }).getByRole('button', { name: 'EN' }).click();
    await page.getByRole('heading', { level: 1, name: 'Contractor register' }).waitFor();
    expect(await row.locator('.badge').textContent()).toBe('Active');
    expect(await row.innerText()).toContain('Internet provider');
    expect(await page.getByRole('navigation', { name: 'Main sections' }).innerText()).toContain('Imports');
    await page.getByRole('group', { name: 'Language' }).getByRole('button', { name: 'RU' }).click();

    // The contractor's user: invited on the users screen, with the temporary password shown once.
    await page.getByRole('navigation', { name: 'Основные разделы' }).getByRole('link', { name: 'Пользователи' }).click();
    const invite = page.locator('form.invite-form');
    await invite.getByLabel('Имя и фамилия').fill('Олег Связист');
    await invite.getByLabel('Электронная почта').fill('oleg@newlink.example.org');
    await invite.getByLabel('Роль').selectOption({ label: 'Подрядчик' });
    await invite.getByLabel('Организация (код подрядчика)').fill('isp-new');
    await invite.getByRole('button', { name: 'Отправить приглашение' }).click();
    const notice = page.getByTestId('users-notice');
    await notice.getByText('Приглашение создано: oleg@newlink.example.org.').waitFor();
    const password = /: (\S+)$/.exec((await notice.innerText()).trim())?.[1];
    expect(password).toBeDefined();
    await context.close();

    // The user signs in through the sign-in page with it, sets a password, and is the contractor.
    const user = await newPage(null, '');
    await user.page.click('#sign-in');
    await user.page.waitForURL(/\/oauth2\/authorize/);
    await user.page.fill('#username', 'oleg@newlink.example.org');
    await user.page.fill('#password', password!);
    await user.page.click('button[type=submit]');
    await user.page.fill('#new_password', 'Olegs-own-pass-1!');
    await user.page.fill('#new_password_again', 'Olegs-own-pass-1!');
    await user.page.click('button[type=submit]');
    const whoami = user.page.locator('[data-testid=whoami]');
    await whoami.waitFor();
    expect(await whoami.textContent()).toContain('Подрядчик');
    expect(await whoami.textContent()).toContain('isp-new');
    expect(await user.page.getByRole('navigation', { name: 'Основные разделы' }).innerText()).not.toContain('Реестр подрядчиков');
    await user.context.close();
  });

  it('deactivating a contractor that holds open work lists the work and hands it over in the same step', async () => {
    const { school, providers } = schoolWithProviders(2);
    const [holder, heir] = providers;
    const started = await request('POST', `/api/schools/${school.id}/milestones/connection/start`, {
      token: manager,
      body: { assignee: holder!.id },
    });
    expect(started.status, started.text).toBe(200);

    const { context, page } = await newPage(manager, '#/contractors');
    const row = page.locator(`tr[data-contractor="${holder!.id}"]`);
    await row.getByRole('button', { name: 'Отключить' }).click();
    const panel = page.locator('.deactivate-panel');
    await panel.getByLabel('Причина').fill('Договор расторгнут');
    await panel.getByRole('button', { name: 'Отключить' }).click();
    // Refused with the open work listed; the page offers to hand it over.
    const work = page.getByTestId('open-work');
    await work.waitFor();
    expect(await work.innerText()).toContain(school.id);
    expect(await work.innerText()).toContain('Подключение к сети «Интернет»');
    expect(await row.getAttribute('data-active')).toBe('true');
    await panel.getByRole('button', { name: 'Отключить и передать работы' }).click();
    await expect.poll(() => panel.locator('.field-error').textContent()).toBe('Выберите, кому передать незавершённые работы.');
    await work.getByLabel('Передать работы подрядчику').selectOption(heir!.id);
    await panel.getByRole('button', { name: 'Отключить и передать работы' }).click();
    await page.getByTestId('contractors-notice').getByText('передано работ: 1', { exact: false }).waitFor();
    await expect.poll(() => row.getAttribute('data-active')).toBe('false');
    expect(await row.locator('.badge').textContent()).toBe('Отключён');
    const after = SchoolDetail.parse((await request('GET', `/api/schools/${school.id}`, { token: manager })).json);
    expect(after.milestones.find((m) => m.key === 'connection')!.assignee).toBe(heir!.id);
    await context.close();
  });
});

describe('school profiles', () => {
  it('a manager edits a school: the timeline shows the new deadline; an edit that crossed another is refused and reloaded', async () => {
    const school = schools.find((s) => s.cohortYear !== 2024 && !s.archived)!;
    const { context, page } = await newPage(manager, `#/school/${school.id}`);
    await page.getByRole('heading', { level: 1, name: school.name }).waitFor();
    const equipment = page.locator('li[data-milestone="equipment"]');
    expect(await equipment.innerText()).toContain(`01.12.${school.cohortYear}`);

    await page.getByRole('button', { name: 'Изменить профиль' }).click();
    const form = page.locator('form.profile-form');
    await form.getByLabel('Год поставки', { exact: false }).selectOption('2024');
    await form.getByRole('button', { name: 'Сохранить профиль' }).click();
    const notice = page.getByTestId('profile-notice');
    await notice.getByText('Профиль школы сохранён.', { exact: false }).waitFor();
    expect(await notice.innerText()).toContain('Поставка оборудования: 01.12.2024');
    await expect.poll(() => equipment.innerText()).toContain('01.12.2024');
    expect(await page.locator('.history-table').innerText()).toContain('01.12.2024');
    await screenshot(page, 'school-profile-edited');

    // Someone else changes the school while the form is open: the save is refused and the page reloads.
    await page.getByRole('button', { name: 'Изменить профиль' }).click();
    await form.getByLabel('Педагогов к обучению', { exact: false }).fill(String(school.teachersToTrain + 5));
    const current = SchoolDetail.parse((await request('GET', `/api/schools/${school.id}`, { token: manager })).json);
    const elsewhere = await request('PATCH', `/api/schools/${school.id}`, {
      token: manager,
      body: { name: `${school.name} (переименована)` },
      headers: { 'if-match': `"${current.version}"` },
    });
    expect(elsewhere.status).toBe(200);
    await form.getByRole('button', { name: 'Сохранить профиль' }).click();
    await notice.getByText('Профиль школы только что изменил кто-то другой.', { exact: false }).waitFor();
    await page.getByRole('heading', { level: 1, name: `${school.name} (переименована)` }).waitFor();
    const stored = SchoolDetail.parse((await request('GET', `/api/schools/${school.id}`, { token: manager })).json);
    expect(stored.school.teachersToTrain).toBe(school.teachersToTrain);
    expect(stored.version).toBe(current.version + 1);

    // In English, the profile tools.
    await page.getByRole('group', { name: 'Язык' }).getByRole('button', { name: 'EN' }).click();
    await page.getByRole('button', { name: 'Edit profile' }).waitFor();
    expect(await page.getByRole('button', { name: 'Archive the school' }).count()).toBe(1);
    await context.close();
  });

  it("the update import's dry run shows the change row by row before it is applied; new schools import as a job; contractors from CSV", async () => {
    const school = schools.find((s) => !s.archived && s.id !== schools[0]!.id)!;
    const before = SchoolDetail.parse((await request('GET', `/api/schools/${school.id}`, { token: manager })).json).school;
    const csv = schoolsToCsv([{ ...before, teachersToTrain: before.teachersToTrain + 3 }]);
    const { context, page } = await newPage(manager, '#/imports');
    await page.getByRole('heading', { level: 1, name: 'Импорт из CSV' }).waitFor();
    await page.getByLabel('Изменения существующих школ').check();
    await page.getByLabel('Файл CSV').setInputFiles({ name: 'schools.csv', mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') });
    await page.getByRole('button', { name: 'Проверить' }).click();
    const preview = page.getByTestId('update-preview');
    await preview.waitFor();
    expect(await preview.getAttribute('data-dry-run')).toBe('true');
    const row = preview.locator(`tr[data-school="${school.id}"]`);
    expect(await row.innerText()).toContain(`teachersToTrain: ${before.teachersToTrain} → ${before.teachersToTrain + 3}`);
    expect(SchoolDetail.parse((await request('GET', `/api/schools/${school.id}`, { token: manager })).json).school.teachersToTrain).toBe(
      before.teachersToTrain,
    );

    await preview.getByRole('button', { name: 'Применить изменения (1)' }).click();
    await page.getByText('Изменения применены: школ — 1.').waitFor();
    expect(SchoolDetail.parse((await request('GET', `/api/schools/${school.id}`, { token: manager })).json).school.teachersToTrain).toBe(
      before.teachersToTrain + 3,
    );

    // A bad file is refused whole, every bad row named.
    await page.getByLabel('Новые школы').check();
    const bad = csv.replace(`\n${school.id},`, `\n${school.id}-new,`).replace(/,(\d{4}),/, ',1999,');
    await page.getByLabel('Файл CSV').setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad, 'utf8') });
    await page.getByRole('button', { name: 'Загрузить' }).click();
    const errors = page.getByTestId('import-errors');
    await errors.waitFor();
    expect(await errors.locator('tr[data-line="2"]').count()).toBeGreaterThan(0);

    // A good file of new schools: a job that creates each school, its outcome per school.
    const fresh = schoolsToCsv([{ ...before, id: 'sch-new-1', name: 'МБОУ «Новая школа»' }]);
    await page.getByLabel('Файл CSV').setInputFiles({ name: 'new.csv', mimeType: 'text/csv', buffer: Buffer.from(fresh, 'utf8') });
    await page.getByRole('button', { name: 'Загрузить' }).click();
    const job = page.getByTestId('job');
    await expect.poll(() => job.getAttribute('data-status'), { timeout: 30_000 }).toBe('done');
    expect(await job.locator('tr[data-school="sch-new-1"]').getAttribute('data-outcome')).toBe('ok');
    expect((await request('GET', '/api/schools/sch-new-1', { token: manager })).status).toBe(200);

    // The new school closes: archived from its page after a confirmation.
    await page.evaluate(() => (location.hash = '#/school/sch-new-1'));
    await page.getByRole('button', { name: 'Архивировать школу' }).click();
    const archive = page.locator('form.archive-form');
    await archive.getByRole('button', { name: 'Архивировать школу' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Да, архивировать' }).click();
    await page.getByTestId('profile-notice').getByText('Школа перенесена в архив.').waitFor();
    await page.getByTestId('archived').waitFor();
    const archived = SchoolDetail.parse((await request('GET', '/api/schools/sch-new-1', { token: manager })).json);
    expect(archived.school.archived).toMatchObject({ reason: 'closed', on: todayInOmsk() });
    expect(archived.milestones.every((m) => m.status === 'waived' || m.status === 'completed')).toBe(true);
    await page.evaluate(() => (location.hash = '#/imports'));

    // The contractor register from CSV, all or nothing.
    await page.getByLabel('Подрядчики и договоры').check();
    const register = [
      'id,name,kind,districts,emails,contract_number,contract_date,contract_milestone,contract_districts,contract_schools,contract_end',
      'sup-csv,Поставщик из файла,equipment-supplier,,sup@example.org,П-1,2021-01-01,equipment,,,2030-12-31',
    ].join('\n');
    await page.getByLabel('Файл CSV').setInputFiles({ name: 'c.csv', mimeType: 'text/csv', buffer: Buffer.from(register, 'utf8') });
    await page.getByRole('button', { name: 'Загрузить' }).click();
    await page.getByText('Загружено подрядчиков: 1 (sup-csv).').waitFor();
    expect((await request('GET', '/api/contractors/sup-csv', { token: manager })).status).toBe(200);
    await context.close();
  });

  it('a bulk action on schools ticked in the list shows each school’s outcome', async () => {
    const ticked = schools.filter((s) => !s.archived).slice(-2);
    const { context, page } = await newPage(manager, '#/schools');
    for (const s of ticked) await page.locator(`input[data-select="${s.id}"]`).check();
    const panel = page.locator('form.bulk-panel');
    await panel.getByLabel('Действие').selectOption('waive');
    await panel.getByLabel('Этап').selectOption('training');
    await panel.getByRole('button', { name: 'Выполнить для 2 школ' }).click();
    // The single-school command's own schema: a reason is needed.
    await expect.poll(() => panel.locator('#bulk-reason-error').count()).toBe(1);
    await panel.getByLabel('Причина').fill('Обучение проведено федеральным центром');
    await panel.getByRole('button', { name: 'Выполнить для 2 школ' }).click();
    const job = panel.getByTestId('job');
    await expect.poll(() => job.getAttribute('data-status'), { timeout: 30_000 }).toBe('done');
    for (const s of ticked) expect(await job.locator(`tr[data-school="${s.id}"]`).getAttribute('data-outcome')).toBe('ok');
    for (const s of ticked) {
      const d = SchoolDetail.parse((await request('GET', `/api/schools/${s.id}`, { token: manager })).json);
      expect(d.milestones.find((m) => m.key === 'training')!.status).toBe('waived');
    }
    await context.close();
  });
});

describe("the school's own role", () => {
  it('school staff confirm the connection at their school, with the speed they measured', async () => {
    const { school, providers } = schoolWithProviders(1);
    const provider = providers.find((p) => p.active)!;
    const started = await request('POST', `/api/schools/${school.id}/milestones/connection/start`, {
      token: manager,
      body: { assignee: provider.id },
    });
    // The deactivation test may have started this school's connection already.
    expect([200, 409]).toContain(started.status);
    const detail = SchoolDetail.parse((await request('GET', `/api/schools/${school.id}`, { token: manager })).json);
    const assignee = detail.milestones.find((m) => m.key === 'connection')!.assignee!;
    const contractor = await stack.token({ role: 'contractor', sub: 'isp-user', org: assignee });
    await attachRequiredDocuments({ request }, school.id, 'connection', { token: contractor });
    const submitted = await request('POST', `/api/schools/${school.id}/milestones/connection/submit`, {
      token: contractor,
      body: { evidence: { kind: 'connection', actNumber: 'АКТ-1', actDate: todayInOmsk(), bandwidthMbps: 200 } },
    });
    expect(submitted.status, submitted.text).toBe(200);

    const staff = await stack.token({ role: 'school-staff', sub: 'director-region', school: school.id, name: 'Мария Директор' });
    const { context, page } = await newPage(staff, `#/school/${school.id}`);
    const item = page.locator('li[data-milestone="connection"]');
    await item.getByRole('button', { name: 'Подписать' }).click();
    await item.getByLabel('Скорость, измеренная в школе, Мбит/с').fill(school.urban ? '120' : '60');
    await item.locator('form').getByRole('button', { name: 'Подписать' }).click();
    await page.getByText('Сохранено:', { exact: false }).waitFor();
    const after = SchoolDetail.parse((await request('GET', `/api/schools/${school.id}`, { token: manager })).json);
    expect(after.milestones.find((m) => m.key === 'connection')!.signOffs).toEqual([
      expect.objectContaining({ role: 'school-staff', measuredMbps: school.urban ? 120 : 60 }),
    ]);
    // Staff neither edit the profile nor see the administration.
    expect(await page.getByRole('button', { name: 'Изменить профиль' }).count()).toBe(0);
    expect(await page.getByRole('navigation', { name: 'Основные разделы' }).innerText()).not.toContain('Импорт');
    await context.close();
  });
});
