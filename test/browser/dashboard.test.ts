/**
 * The dashboard in real headless Chromium against the real local stack (the API function behind the
 * local gateway, the local Step Functions runtime running the school workflows, DynamoDB Local), on a
 * virtual clock in September 2021 with a few months of history made through the API:
 *
 * a contractor submits a connection confirmation — first with nothing filled in (the page's own zod
 * check), then with a bandwidth below the standard (the API's 422, shown at the field), then a good
 * one; the program manager signs in by pasting a token, accepts it and sees the overview change; the
 * language switches to English and stays; the report is built for a past date and exported.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SchoolDetail } from '../../shared/api/schemas.js';
import { VirtualClock } from '../../shared/clock.js';
import type { School } from '../../shared/program/model.js';
import { buildWeb } from '../../functions/web/build.js';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.js';
import { launchChromium, screenshot, SCREENSHOT_DIR } from '../support/browser.js';
import { dynamodbEndpoint } from '../support/dynamodb.js';
import { at, browserHelpers, evidenceFor, until } from './helpers.js';

const SCHOOLS = 60;
const TODAY = '2021-09-15';

let stack: LocalStack;
let clock: VirtualClock;
let browser: Browser;
let managerToken: string;

const { call, get, allSchools, moveTo, contractorToken, attachDocuments, completeViaApi, newPage } = browserHelpers(() => ({
  stack,
  clock,
  browser,
  managerToken,
}));

let subject: School;
let subjectOrg: string;

beforeAll(async () => {
  await buildWeb();
  clock = new VirtualClock(at('2021-02-01'));
  stack = await startLocalStack({
    dynamodbEndpoint: dynamodbEndpoint(),
    tableName: `browser-${randomBytes(4).toString('hex')}`,
    clock,
    seed: { seed: 'browser-test', schools: SCHOOLS },
    rateLimit: false,
  });
  managerToken = await stack.token({ role: 'program-manager', sub: 'pm-1', name: 'Ирина Петрова' });

  // The school workflows start every connection milestone (its planned start, 2021-01-01, has passed).
  await until('the workflows to start the connection milestones', async () => {
    const active = await allSchools('&milestone=connection&status=active');
    return active.length === SCHOOLS ? active : undefined;
  });

  // A few months of history: each month some schools are connected, and the 2021 cohort equipped and trained.
  const schools = await allSchools();
  const months = ['2021-03-15', '2021-04-15', '2021-05-17', '2021-06-15', '2021-07-15', '2021-08-16', TODAY];
  const cohort2021 = schools.filter((s) => s.cohortYear === 2021);
  for (const [i, date] of months.entries()) {
    await moveTo(date);
    for (const s of schools.slice(i * 6, i * 6 + 6)) await completeViaApi(s.id, 'connection');
    for (const s of cohort2021.slice(i * 2, i * 2 + 2)) {
      await completeViaApi(s.id, 'equipment');
      await completeViaApi(s.id, 'training');
    }
  }

  // The test's own school: its connection is still waiting for the contractor.
  const open = await allSchools('&milestone=connection&status=active');
  const pick = open[open.length - 1]!;
  subject = pick;
  subjectOrg = pick.milestones.find((m) => m.key === 'connection')!.assignee!;
  // The connection's act and speed test are attached (the form's upload is not part of this test).
  await attachDocuments((await get<SchoolDetail>(`schools/${pick.id}`)).school, 'connection', subjectOrg);
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('dashboard', () => {
  it('a contractor sees field errors from the page and from the API, then submits a connection confirmation', async () => {
    const { context, page } = await newPage();
    const submits: number[] = [];
    page.on('response', (r) => {
      if (r.request().method() === 'POST' && r.url().endsWith('/milestones/connection/submit')) submits.push(r.status());
    });
    await page.goto(`${stack.url}/#token=${await contractorToken(subjectOrg)}`);

    // Signed in from the link: the token left the address bar, the header says who is signed in.
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/');
    await page.getByRole('heading', { level: 1, name: 'Мои задачи' }).waitFor();
    expect(await page.getByTestId('whoami').innerText()).toContain(`Подрядчик · организация ${subjectOrg}`);
    expect(await page.evaluate(() => sessionStorage.getItem('cos.token'))).toMatch(/^eyJ/);

    const card = page.locator(`li[data-school="${subject.id}"][data-milestone="connection"]`);
    await card.getByRole('button', { name: 'Заполнить подтверждение' }).click();
    const prefix = `as-${subject.id}-connection`;
    const errorOf = (field: string) => page.locator(`#${prefix}-evidence-${field}-error`);
    const submit = card.locator('form[data-action="submit"] button[type="submit"]');

    // Nothing filled in: the page's zod check stops it, every field says why, nothing is sent.
    await submit.click();
    await expect.poll(() => errorOf('actNumber').textContent()).toBe('Обязательное поле.');
    expect(await errorOf('actDate').textContent()).toBe('Обязательное поле.');
    expect(await errorOf('bandwidthMbps').textContent()).toBe('Обязательное поле.');
    expect(submits).toEqual([]);

    // Below the standard: the API refuses it (422) and its error is shown at the bandwidth field.
    const bandwidth = card.getByLabel('Измеренная скорость, Мбит/с');
    await card.getByLabel('Номер акта').fill('АКТ-2021/417');
    await card.getByLabel('Дата акта').fill('2021-09-10');
    await bandwidth.fill('10');
    await submit.click();
    const minimum = subject.urban ? 100 : 50;
    await expect
      .poll(() => errorOf('bandwidthMbps').textContent())
      .toBe(`Ниже норматива: для этой школы нужно не менее ${minimum} Мбит/с.`);
    expect(submits).toEqual([422]);
    expect(await bandwidth.getAttribute('aria-invalid')).toBe('true');
    expect(await bandwidth.getAttribute('aria-describedby')).toContain(`${prefix}-evidence-bandwidthMbps-error`);
    expect(await errorOf('actNumber').count()).toBe(0);
    await screenshot(page, 'contractor-submit-error', { fullPage: false });

    // A good one goes through; the assignment now waits for review.
    await bandwidth.fill(String(minimum + 20));
    await submit.click();
    await page.getByText('подтверждение отправлено').waitFor();
    expect(submits).toEqual([422, 200]);
    await expect.poll(() => card.locator('.badge').first().textContent()).toBe('На проверке');
    await screenshot(page, 'contractor-assignments', { fullPage: false });

    // The notifications page opens for a contractor too.
    await page.getByRole('link', { name: 'Уведомления', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Уведомления' }).waitFor();
    await page.locator('.notification-list, .empty').first().waitFor();
    await screenshot(page, 'contractor-notifications', { fullPage: false });

    // Signing out forgets the token. The page then goes to the sign-in service's logout and back, so a
    // read while it navigates meets no page: it is read again until the page is back.
    await page.getByRole('button', { name: 'Выйти' }).click();
    await page.getByRole('heading', { level: 1, name: 'Вход' }).waitFor();
    await expect
      .poll(() => page.evaluate(() => sessionStorage.getItem('cos.token')).catch(() => 'navigating'), { timeout: 10_000 })
      .toBeNull();
    await page.getByRole('heading', { level: 1, name: 'Вход' }).waitFor();
    await context.close();
  });

  it('the program manager signs in with a pasted token, accepts the confirmation and sees the overview change', async () => {
    const { context, page } = await newPage();
    await page.goto(stack.url);
    await page.getByRole('heading', { level: 1, name: 'Вход' }).waitFor();
    await screenshot(page, 'sign-in', { fullPage: false });

    // The second way in, beside the directory's sign-in page: a pasted token. One the API does not accept
    // is refused at the field.
    await page.getByText('Войти с токеном доступа').click();
    await page.getByLabel('Токен доступа').fill('not-a-token');
    await page.locator('form').getByRole('button', { name: 'Войти' }).click();
    await expect.poll(() => page.locator('#token-error').textContent()).toMatch(/^Токен не принят/);

    await page.getByLabel('Токен доступа').fill(managerToken);
    await page.locator('form').getByRole('button', { name: 'Войти' }).click();
    await page.getByRole('heading', { level: 1, name: 'Обзор программы' }).waitFor();
    expect(await page.getByTestId('whoami').innerText()).toContain('Руководитель программы');
    const totalCell = page.locator('td[data-total="connection"] .heat-count');
    await totalCell.waitFor();
    const before = await totalCell.textContent();
    const reachedBefore = Number(before!.split('/')[0]);
    expect(before).toBe(`${reachedBefore}/${SCHOOLS}`);
    const shareBefore = await page.getByTestId('share-connection').textContent();

    // Find the school by name on the schools page and open it.
    await page.getByRole('link', { name: 'Школы', exact: true }).click();
    await page.getByLabel('Поиск по названию').fill(subject.name);
    await page.getByRole('button', { name: 'Показать' }).click();
    await expect.poll(() => page.evaluate(() => location.hash)).toContain('q=');
    await page.locator('.schools-table').waitFor();
    await screenshot(page, 'schools', { fullPage: false });
    await page.locator('.schools-table').getByRole('link', { name: subject.name, exact: true }).first().click();
    await page.getByRole('heading', { level: 1, name: subject.name }).waitFor();

    // The school's staff confirmed the connection at the school (through the API here): the manager may accept.
    const staff = await stack.token({ role: 'school-staff', sub: `director-${subject.id}`, school: subject.id, name: 'Директор школы' });
    const signed = await call(staff, 'POST', `schools/${subject.id}/milestones/connection/signoff`, {
      measuredMbps: subject.urban ? 150 : 75,
    });
    expect(signed.status).toBe(200);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: subject.name }).waitFor();
    const item = page.locator('li[data-milestone="connection"]');
    await expect.poll(() => item.locator('.badge').first().textContent()).toBe('На проверке');
    expect(await item.locator('.evidence').innerText()).toContain('АКТ-2021/417');
    await item.getByRole('button', { name: 'Принять' }).click();
    await item.locator('form[data-action="accept"]').getByLabel('Комментарий').fill('Акт проверен');
    await item.locator('form[data-action="accept"] button[type="submit"]').click();
    await page.getByText('Сохранено: работа принята.').waitFor();
    await expect.poll(() => item.locator('.badge').first().textContent()).toBe('Выполнен');
    await page.locator('.history-table tr[data-event="accepted"]').first().waitFor();
    expect(await page.locator('.history-table tr[data-event="submitted"]').first().innerText()).toContain('АКТ-2021/417');
    await screenshot(page, 'school');

    // The overview counts one more connected school.
    await page.getByRole('link', { name: 'Обзор', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Обзор программы' }).waitFor();
    await expect.poll(() => totalCell.textContent()).toBe(`${reachedBefore + 1}/${SCHOOLS}`);
    expect(await page.getByTestId('share-connection').textContent()).not.toBe(shareBefore);
    expect(await page.locator('.chart-card').count()).toBe(4);
    await screenshot(page, 'overview');
    // A picture of the top of the overview (targets, charts), the size of a laptop screen.
    await page.setViewportSize({ width: 1366, height: 1200 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'dashboard-overview', { fullPage: false, file: path.join(SCREENSHOT_DIR, '..', 'dashboard-overview.png') });
    await context.close();
  });

  it('switches to English, keeps the choice, and switches back', async () => {
    const { context, page } = await newPage();
    await page.goto(`${stack.url}/#token=${managerToken}`);
    await page.getByRole('heading', { level: 1, name: 'Обзор программы' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('ru');

    await page.getByRole('group', { name: 'Язык' }).getByRole('button', { name: 'EN' }).click();
    await page.getByRole('heading', { level: 1, name: 'Program overview' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    expect(await page.getByRole('button', { name: 'EN' }).getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByRole('navigation', { name: 'Main sections' }).innerText()).toContain('Schools');
    expect(await page.locator('td[data-total="connection"]').count()).toBe(1);
    await page.locator('.chart-card').first().waitFor();
    await screenshot(page, 'overview-en');

    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Program overview' }).waitFor();
    expect(await page.evaluate(() => localStorage.getItem('cos.lang'))).toBe('en');

    await page.getByRole('group', { name: 'Language' }).getByRole('button', { name: 'RU' }).click();
    await page.getByRole('heading', { level: 1, name: 'Обзор программы' }).waitFor();
    await context.close();
  });

  it('builds the report for a past date and exports it as CSV and XLSX', async () => {
    const { context, page } = await newPage();
    await page.goto(`${stack.url}/#token=${managerToken}`);
    await page.getByRole('link', { name: 'Отчёт', exact: true }).click();
    await page.locator('.report-table').waitFor();
    expect(await page.getByLabel('На дату').inputValue()).toBe(TODAY);

    const asOf = '2021-06-30';
    const expected = await get<{ total: { milestones: Record<string, { reached: number }> } }>(`reports/progress?asOf=${asOf}`);
    const reachedThen = expected.total.milestones.connection!.reached;
    await page.getByLabel('На дату').fill(asOf);
    await page.getByRole('button', { name: 'Сформировать' }).click();
    await page.getByText('на 30.06.2021').waitFor();
    const totalRow = page.locator('.report-table tr.total');
    // District, schools, then per milestone: reached, waived, share.
    expect(await totalRow.locator('td').nth(1).textContent()).toBe(String(reachedThen));
    await screenshot(page, 'report', { fullPage: false });

    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Скачать CSV' }).click()]);
    expect(csv.suggestedFilename()).toBe(`cos-otchet-${asOf}.csv`);
    const text = readFileSync((await csv.path())!, 'utf8');
    const lines = text
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines[0]).toContain('Район,Школ,Подключение к сети «Интернет»: выполнено');
    expect(lines).toHaveLength(1 + 33 + 1);
    expect(lines[lines.length - 1]).toMatch(new RegExp(`^Всего,${SCHOOLS},${reachedThen},`));

    const [xlsx] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Скачать XLSX' }).click()]);
    expect(xlsx.suggestedFilename()).toBe(`cos-otchet-${asOf}.xlsx`);
    const bytes = readFileSync((await xlsx.path())!);
    expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK');
    expect(bytes.includes(Buffer.from('xl/worksheets/sheet1.xml'))).toBe(true);
    await context.close();
  });

  it('is usable from the keyboard, pages the school list, and gives a viewer no actions', async () => {
    const { context, page } = await newPage();
    await page.goto(`${stack.url}/#token=${await stack.token({ role: 'viewer', sub: 'viewer-1', name: 'Аудитор' })}`);
    await page.getByRole('heading', { level: 1, name: 'Обзор программы' }).waitFor();

    // The first Tab reaches the skip link; following it puts the focus on the content.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Перейти к содержанию');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    // Every focused control shows a visible focus ring.
    await page.keyboard.press('Tab');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).toBe('solid');

    // Every form control of the schools page has a label.
    await page.goto(`${stack.url}/#/schools`);
    await page.locator('.schools-table').waitFor();
    const unlabelled = await page.evaluate(() =>
      Array.from(document.querySelectorAll('input, select, textarea'))
        .filter((el) => !(el as HTMLInputElement).labels?.length && !el.getAttribute('aria-label'))
        .map((el) => el.id),
    );
    expect(unlabelled).toEqual([]);

    // Cursor pagination: 25 a page, forward and back.
    const pager = page.getByRole('navigation', { name: 'Страницы списка' });
    const firstOnPage = () => page.locator('.schools-table tbody th a').first().textContent();
    expect(await page.locator('.schools-table tbody tr').count()).toBe(25);
    const pageOneFirst = await firstOnPage();
    expect(await pager.getByRole('button', { name: /Предыдущая/ }).isDisabled()).toBe(true);
    await pager.getByRole('button', { name: /Следующая/ }).click();
    await expect.poll(() => pager.innerText()).toContain('Страница 2');
    await expect.poll(firstOnPage).not.toBe(pageOneFirst);
    await pager.getByRole('button', { name: /Предыдущая/ }).click();
    await expect.poll(() => pager.innerText()).toContain('Страница 1');
    await expect.poll(firstOnPage).toBe(pageOneFirst);

    await page.goto(`${stack.url}/#/school/${subject.id}`);
    await page.getByRole('heading', { level: 1, name: subject.name }).waitFor();
    await page.locator('li[data-milestone="connection"]').waitFor();
    expect(await page.locator('.timeline .actions').count()).toBe(0);
    await context.close();
  });
});

describe('equal conditions and contractor scorecards', () => {
  interface Split {
    rows: { group: string; schools: number; milestones: Record<string, { reached: number }> }[];
    gap: { between: [string, string]; points: Record<string, number | null> } | null;
  }
  interface Cards {
    rows: { contractor: string; name: string; milestone: string; open: number; rejectionRate: number | null }[];
  }
  /** The number of "−6,7 п. п." / "-6.7 pp". */
  const points = (text: string | null) => {
    const [, sign, digits] = /^([−-]?)([\d\s\u00a0]*\d(?:[.,]\d+)?)/.exec(text!)!;
    return Number(`${sign ? '-' : ''}${digits!.replace(/[\s\u00a0]/g, '').replace(',', '.')}`);
  };

  it('the overview shows the urban/rural split with the gap, and the district-size split on the switch', async () => {
    const { context, page } = await newPage();
    await page.goto(`${stack.url}/#token=${managerToken}`);
    await page.getByRole('heading', { level: 1, name: 'Обзор программы' }).waitFor();
    const section = page.locator('section.equal-conditions');
    await section.getByRole('heading', { name: 'Равные условия: город, село, размер района' }).waitFor();
    await section.locator('table[data-group-by="settlement"]').waitFor();

    const settlement = await get<Split>('reports/progress?groupBy=settlement');
    expect(settlement.rows.map((r) => r.group)).toEqual(['urban', 'rural']);
    expect(settlement.rows.every((r) => r.schools > 0)).toBe(true);
    for (const row of settlement.rows) {
      const cell = section.locator(`tr[data-group="${row.group}"] td[data-milestone="connection"] .heat-count`);
      expect(await cell.textContent()).toBe(`${row.milestones.connection!.reached}/${row.schools}`);
    }
    expect(await section.locator('tr[data-group="rural"] th').textContent()).toBe('Сельские школы');
    const gapCell = section.locator('td[data-gap="connection"]');
    expect(await gapCell.textContent()).toMatch(/п\. п\.$/);
    expect(points(await gapCell.textContent())).toBe(settlement.gap!.points.connection);
    await section.locator('tr.gap-row').screenshot({ path: path.join(SCREENSHOT_DIR, 'equal-conditions-gap.png') });

    await section.getByLabel('По размеру района').check();
    await section.locator('table[data-group-by="district-size"]').waitFor();
    const size = await get<Split>('reports/progress?groupBy=district-size');
    expect(await section.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-group')))).toEqual([
      'small',
      'medium',
      'large',
    ]);
    for (const row of size.rows) {
      expect(await section.locator(`tr[data-group="${row.group}"] td[data-milestone="connection"] .heat-count`).textContent()).toBe(
        `${row.milestones.connection!.reached}/${row.schools}`,
      );
    }

    // In English.
    await page.getByRole('group', { name: 'Язык' }).getByRole('button', { name: 'EN' }).click();
    await section.getByRole('heading', { name: 'Equal conditions: urban, rural, district size' }).waitFor();
    await section.getByLabel('Urban and rural').check();
    await expect.poll(() => section.locator('tr[data-group="urban"] th').textContent()).toBe('Urban schools');
    expect(await gapCell.textContent()).toMatch(/pp$/);
    await page.getByRole('group', { name: 'Language' }).getByRole('button', { name: 'RU' }).click();
    await context.close();
  });

  it('the scorecard page sorts by each column and exports CSV and XLSX', async () => {
    // One rejected submission, so that the rejection rates differ.
    const [open] = await allSchools('&milestone=connection&status=active');
    const org = open!.milestones.find((m) => m.key === 'connection')!.assignee!;
    const detail = await get<SchoolDetail>(`schools/${open!.id}`);
    await attachDocuments(detail.school, 'connection', org);
    const submitted = await call(await contractorToken(org), 'POST', `schools/${open!.id}/milestones/connection/submit`, {
      evidence: evidenceFor('connection', detail.school, TODAY),
    });
    expect(submitted.status).toBe(200);
    expect(
      (await call(managerToken, 'POST', `schools/${open!.id}/milestones/connection/reject`, { reason: 'Акт без подписи' })).status,
    ).toBe(200);
    const cards = await get<Cards>('reports/contractors');
    expect(cards.rows.find((r) => r.contractor === org && r.milestone === 'connection')!.rejectionRate).toBeGreaterThan(0);

    const { context, page } = await newPage();
    await page.goto(`${stack.url}/#token=${managerToken}`);
    await page.getByRole('link', { name: 'Подрядчики', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Показатели подрядчиков' }).waitFor();
    const table = page.locator('.scorecard-table');
    await table.waitFor();
    expect(await table.locator('tbody tr').count()).toBe(cards.rows.length);
    const column = (key: string) => table.locator(`tbody td[data-column="${key}"]`).allTextContents();
    const header = (name: string) => table.getByRole('button', { name: new RegExp(`^${name}`) });

    // Open work, most first, then least first.
    await header('В работе').click();
    expect(await table.locator('th[data-column="open"]').getAttribute('aria-sort')).toBe('descending');
    const descending = (await column('open')).map(Number);
    expect(descending).toEqual(cards.rows.map((r) => r.open).sort((a, b) => b - a));
    await header('В работе').click();
    expect(await table.locator('th[data-column="open"]').getAttribute('aria-sort')).toBe('ascending');
    expect((await column('open')).map(Number)).toEqual([...descending].reverse());

    // Rejection rate: the contractor rejected above comes first.
    await header('Доля отклонённых').click();
    const first = table.locator('tbody tr').first();
    expect(await first.getAttribute('data-contractor')).toBe(
      cards.rows.filter((r) => r.rejectionRate !== null).sort((a, b) => b.rejectionRate! - a.rejectionRate!)[0]!.contractor,
    );
    // By name, A to Я.
    await header('Подрядчик').click();
    const names = await table.locator('tbody th').allTextContents();
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b, 'ru')));
    await screenshot(page, 'scorecards', { fullPage: false });

    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Скачать CSV' }).click()]);
    expect(csv.suggestedFilename()).toBe(`cos-podryadchiki-${TODAY}.csv`);
    const lines = readFileSync((await csv.path())!, 'utf8')
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines[0]).toBe(
      'Подрядчик,Этап,Принято,В срок,"Средняя задержка, раб. дн.","Задержка P90, раб. дн.",Доля отклонённых,В работе,Просрочено',
    );
    expect(lines).toHaveLength(cards.rows.length + 1);
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(names);

    const [xlsx] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Скачать XLSX' }).click()]);
    expect(xlsx.suggestedFilename()).toBe(`cos-podryadchiki-${TODAY}.xlsx`);
    const bytes = readFileSync((await xlsx.path())!);
    expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK');
    await context.close();
  });
});
