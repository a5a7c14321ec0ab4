/**
 * Evidence documents and the review queue in real headless Chromium against the local stack (the API
 * function behind the local gateway, DynamoDB Local, the local S3 server), with a small seeded region:
 *
 * a contractor opens the connection submission of a school: the form names the documents the evidence
 * rules require and keeps its submit button disabled while they are missing; a file of the wrong type
 * is refused by the page (an .exe) and by the API (an executable renamed .pdf), with the message at the
 * picker and nothing attached; the act (PDF), the speed test (PDF) and a photo (PNG), generated here, go
 * straight from the browser to S3 and are confirmed, with their hashes shown; an extra photo is removed;
 * the contractor submits. The school signs off (API); the program manager finds the submission in the
 * review queue, opens the act (the URL the page opens serves the very bytes uploaded), accepts it in
 * place, the queue empties, and the school's page shows the milestone completed and its documents with
 * their hashes. Russian and English labels are checked.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentList } from '../../shared/api/documents.js';
import { SchoolDetail } from '../../shared/api/schemas.js';
import { samplePdf, samplePng } from '../../shared/documents/samples.js';
import type { School } from '../../shared/program/model.js';
import { buildWeb } from '../../functions/web/build.js';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.js';
import { todayInOmsk } from '../api/helpers.js';
import { launchChromium, openDashboard, screenshot } from '../support/browser.js';
import { cognitoEndpoint } from '../support/directory.js';
import { dynamodbEndpoint } from '../support/dynamodb.js';

let stack: LocalStack;
let browser: Browser;
let managerToken: string;
let contractorToken: string;
let staffToken: string;
let school: School;
let provider: string;

/** Uploads go through the API, the bucket and the API again: more than a moment on a loaded machine. */
const SLOW = { timeout: 20_000 };
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const act = samplePdf(['Акт выполненных работ', 'Act of completed work', 'Connection at the standard speed']);
const speedTest = samplePdf(['Speed test', '180 Mbit/s down, 160 Mbit/s up']);
const photo = samplePng(64, 48, [40, 140, 90]);
const extraPhoto = samplePng(16, 16, [200, 20, 20]);
/** The first bytes of an ELF executable: not a PDF, whatever its name says. */
const executable = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, ...new Array<number>(120).fill(0)]);

async function api(token: string, method: string, route: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${stack.url}/api/${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function attached(): Promise<DocumentList['items']> {
  return DocumentList.parse((await api(managerToken, 'GET', `schools/${school.id}/documents`)).json).items;
}

const newPage = (token: string, hash: string) => openDashboard(browser, stack.url, token, hash);

beforeAll(async () => {
  await buildWeb();
  stack = await startLocalStack({
    dynamodbEndpoint: dynamodbEndpoint(),
    cognitoEndpoint: cognitoEndpoint(),
    tableName: `browser-documents-${randomBytes(4).toString('hex')}`,
    seed: { seed: 'documents-screens', schools: 8 },
    startWorkflows: false,
    rateLimit: false,
  });
  const schools = (await stack.store.listAllSchools({ limit: 100 })).items;
  const providers = (await stack.store.listContractors()).filter((c) => c.kind === 'internet-provider');
  const covers = (s: School) => providers.find((c) => c.districts.length === 0 || c.districts.includes(s.district));
  school = schools.find((s) => covers(s) !== undefined)!;
  provider = covers(school)!.id;
  managerToken = await stack.token({ role: 'program-manager', sub: 'pm-docs', name: 'Ирина Петрова' });
  contractorToken = await stack.token({ role: 'contractor', sub: 'isp-docs', org: provider, name: 'Иван Сидоров' });
  staffToken = await stack.token({ role: 'school-staff', sub: 'director-docs', school: school.id, name: 'Мария Директор' });
  const started = await api(managerToken, 'POST', `schools/${school.id}/milestones/connection/start`, { assignee: provider });
  if (started.status !== 200) throw new Error(`start: ${started.status} ${JSON.stringify(started.json)}`);
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('evidence documents and the review queue', () => {
  it('a contractor attaches the act, the speed test and a photo straight to S3 and submits; wrong files are refused', async () => {
    const { context, page } = await newPage(contractorToken, `#/school/${school.id}`);
    const card = page.locator('li[data-milestone=connection]');
    await card.getByRole('button', { name: 'Отправить подтверждение' }).click();
    const form = card.locator('form[data-action=submit]');
    const uploads = form.getByTestId('document-uploads');
    await uploads.getByText('Документы', { exact: true }).waitFor();
    const submit = form.getByRole('button', { name: 'Отправить подтверждение' });
    // The required documents are named, and the submit button waits for them.
    await expect
      .poll(() => uploads.getByTestId('documents-missing').textContent(), SLOW)
      .toBe('Не хватает документов: Акт выполненных работ, Результат замера скорости. Отправить подтверждение можно, когда они приложены.');
    expect(await submit.isDisabled()).toBe(true);

    const s3Posts: number[] = [];
    page.on('response', (r) => {
      if (r.request().method() === 'POST' && r.url().startsWith(stack.s3Endpoint)) s3Posts.push(r.status());
    });

    // The page's own check: an .exe is no PDF, JPEG or PNG; nothing is sent.
    const speedPicker = uploads.getByLabel('Выбрать файл: Результат замера скорости');
    await speedPicker.setInputFiles({ name: 'speedtest.exe', mimeType: 'application/x-msdownload', buffer: Buffer.from(executable) });
    const speedError = uploads.locator('[data-doc-type=speed-test] .field-error');
    await expect.poll(() => speedError.textContent(), SLOW).toBe('Файл «speedtest.exe» не принят: нужен PDF, JPEG или PNG.');
    expect(s3Posts).toEqual([]);

    // The API's check: an executable renamed .pdf reaches the bucket, and the confirmation refuses it by its first bytes.
    await speedPicker.setInputFiles({ name: 'speedtest.pdf', mimeType: 'application/pdf', buffer: Buffer.from(executable) });
    await expect
      .poll(() => speedError.textContent(), SLOW)
      .toBe(
        'Файл «speedtest.pdf» не принят: по содержимому это не PDF, JPEG или PNG либо не тот тип, что у имени файла. Ничего не приложено.',
      );
    expect(await speedPicker.getAttribute('aria-invalid')).toBe('true');
    expect(s3Posts).toEqual([204]);
    expect(await attached()).toEqual([]);
    expect(await uploads.locator('[data-doc-type=speed-test]').getAttribute('data-attached')).toBe('0');

    // The real files: each one listed with its kind, size and hash once confirmed.
    await uploads.getByLabel('Выбрать файл: Акт выполненных работ').setInputFiles({
      name: 'акт-подключения.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.from(act),
    });
    const actRow = uploads.locator('[data-doc-type=work-act] li');
    await actRow.waitFor();
    expect(await actRow.locator('.doc-name').textContent()).toBe('акт-подключения.pdf');
    expect(await actRow.locator('[data-sha256]').getAttribute('data-sha256')).toBe(sha256(act));
    expect(await actRow.locator('[data-sha256]').textContent()).toBe(`${sha256(act).slice(0, 12)}…`);
    expect(await actRow.innerText()).toContain('Акт выполненных работ');
    await expect.poll(() => uploads.getByTestId('documents-missing').textContent(), SLOW).toContain('Результат замера скорости');
    expect(await submit.isDisabled()).toBe(true);

    await speedPicker.setInputFiles({ name: 'speedtest.pdf', mimeType: 'application/pdf', buffer: Buffer.from(speedTest) });
    await uploads.locator('[data-doc-type=speed-test] li').waitFor();
    expect(await speedError.count()).toBe(0);
    const photoPicker = uploads.getByLabel('Выбрать файл: Фотография установленного оборудования');
    await photoPicker.setInputFiles({ name: 'router.png', mimeType: 'image/png', buffer: Buffer.from(photo) });
    await uploads.locator('[data-doc-type=photo] li').waitFor();
    await photoPicker.setInputFiles({ name: 'wrong-room.png', mimeType: 'image/png', buffer: Buffer.from(extraPhoto) });
    await expect.poll(() => uploads.locator('[data-doc-type=photo] li').count(), SLOW).toBe(2);
    expect(await uploads.getByTestId('documents-missing').count()).toBe(0);
    expect(await submit.isDisabled()).toBe(false);

    // While the submission is open, a document can be removed.
    await uploads.getByRole('button', { name: 'Удалить «wrong-room.png»' }).click();
    await expect.poll(() => uploads.locator('[data-doc-type=photo] li').count(), SLOW).toBe(1);
    expect((await attached()).map((d) => [d.fileName, d.sha256]).sort()).toEqual(
      [
        ['router.png', sha256(photo)],
        ['speedtest.pdf', sha256(speedTest)],
        ['акт-подключения.pdf', sha256(act)],
      ].sort(),
    );
    // The school's document list on the same page follows the uploads.
    await expect.poll(() => page.getByTestId('school-documents').locator('tr[data-document]').count(), SLOW).toBe(3);
    await screenshot(page, 'documents-upload');

    await form.getByLabel('Номер акта').fill('АКТ-2021/17');
    await form.getByLabel('Дата акта').fill(todayInOmsk());
    await form.getByLabel('Измеренная скорость, Мбит/с').fill('180');
    await submit.click();
    await page.getByText('Сохранено: подтверждение отправлено.').waitFor();
    const detail = SchoolDetail.parse((await api(managerToken, 'GET', `schools/${school.id}`)).json);
    expect(detail.milestones.find((m) => m.key === 'connection')?.status).toBe('submitted');
    await context.close();
  });

  it('the program manager opens the act from the review queue, gets the same bytes, and accepts; the milestone is completed', async () => {
    // The school confirms the connection first (its sign-off comes before acceptance).
    const signed = await api(staffToken, 'POST', `schools/${school.id}/milestones/connection/signoff`, { measuredMbps: 170 });
    expect(signed.status).toBe(200);

    const { context, page } = await newPage(managerToken, '#/');
    await page.getByRole('navigation', { name: 'Основные разделы' }).getByRole('link', { name: 'Проверка' }).click();
    await page.getByRole('heading', { level: 1, name: 'Проверка подтверждений' }).waitFor();
    const card = page.locator(`li.review-card[data-school="${school.id}"][data-milestone=connection]`);
    await card.waitFor();
    expect(await card.innerText()).toContain(school.name);
    expect(await card.innerText()).toContain(provider);
    expect(await card.innerText()).toContain('АКТ-2021/17');
    expect(await card.innerText()).toContain('Ожидает: приёмки');
    const rows = card.locator('tr[data-document]');
    await expect.poll(() => rows.count(), SLOW).toBe(3);

    // Opening the act: the page asks the API for a link and opens it in a new tab.
    const opened = context.waitForEvent('request', (r) => r.url().startsWith(stack.s3Endpoint) && r.url().includes('X-Amz-Signature'));
    await card.getByRole('button', { name: 'Открыть «акт-подключения.pdf»' }).click();
    const url = (await opened).url();
    const file = await fetch(url);
    expect(file.status).toBe(200);
    expect(sha256(new Uint8Array(await file.arrayBuffer()))).toBe(sha256(act));
    await screenshot(page, 'review-queue');

    await card.getByRole('button', { name: 'Принять', exact: true }).click();
    await card.locator('form[data-action=accept]').getByRole('button', { name: 'Принять' }).click();
    await page.getByText(`${school.name}, «Подключение к сети «Интернет»»: работа принята.`).waitFor();
    await page.getByText('Сейчас ничего не ждёт вашей проверки.').waitFor();

    // In English, the same screen.
    await page.getByRole('group', { name: 'Язык' }).getByRole('button', { name: 'EN' }).click();
    await page.getByRole('heading', { level: 1, name: 'Review queue' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main sections' }).getByRole('link', { name: 'Review' }).count()).toBe(1);
    await page.getByText('Nothing is waiting for your review.').waitFor();

    // The school's page: the milestone completed, and its documents with their hashes and the dossier.
    await page.evaluate((h) => (location.hash = h), `#/school/${school.id}`);
    const milestone = page.locator('li[data-milestone=connection]');
    await expect.poll(() => milestone.locator('.badge').first().textContent(), SLOW).toBe('Done');
    const section = page.getByTestId('school-documents');
    await section.getByRole('heading', { name: 'School documents' }).waitFor();
    await expect.poll(() => section.locator('tr[data-document]').count(), SLOW).toBe(3);
    const actLine = section.locator('tr[data-type=work-act]');
    expect(await actLine.locator('[data-sha256]').getAttribute('data-sha256')).toBe(sha256(act));
    expect(await actLine.innerText()).toContain('Act of completed work');
    expect(await actLine.innerText()).toContain(`Contractor · ${provider}`);
    expect(await section.getByRole('button', { name: 'Download the school dossier (ZIP)' }).count()).toBe(1);
    expect(SchoolDetail.parse((await api(managerToken, 'GET', `schools/${school.id}`)).json).milestones[0]).toMatchObject({
      key: 'connection',
      status: 'completed',
    });
    await context.close();
  });

  it('shows a viewer no documents and no review queue', async () => {
    const viewer = await stack.token({ role: 'viewer', sub: 'viewer-docs' });
    const { context, page } = await newPage(viewer, `#/school/${school.id}`);
    await page.locator('li[data-milestone=connection]').waitFor();
    expect(await page.getByTestId('school-documents').count()).toBe(0);
    expect(await page.getByRole('navigation', { name: 'Основные разделы' }).getByRole('link', { name: 'Проверка' }).count()).toBe(0);
    await context.close();
  });
});
