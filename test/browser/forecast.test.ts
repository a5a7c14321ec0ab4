/**
 * The forecast, the urban/rural split and the contractor scorecards in real headless Chromium against
 * the local stack, on a small region (12 schools) with a few weeks of connections made through the API:
 * the overview shows each milestone's forecast beside its target, as the API computes it, and the
 * urban/rural split; the scorecard page sorts and exports a CSV that is downloaded and read.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ForecastReport, ProgressReport, Scorecards } from '../../shared/api/schemas.js';
import { VirtualClock } from '../../shared/clock.js';
import { buildWeb } from '../../functions/web/build.js';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.js';
import { launchChromium, screenshot } from '../support/browser.js';
import { dynamodbEndpoint } from '../support/dynamodb.js';
import { at, browserHelpers, until } from './helpers.js';

const SCHOOLS = 12;
/** One connection a week from 1 March on: a steady pace for the forecast. */
const WEEKS = ['2021-03-01', '2021-03-09', '2021-03-15', '2021-03-22', '2021-03-29', '2021-04-05'];

let stack: LocalStack;
let clock: VirtualClock;
let browser: Browser;
let managerToken: string;
const { get, allSchools, moveTo, completeViaApi, newPage } = browserHelpers(() => ({ stack, clock, browser, managerToken }));

/** 01.06.2021, as the Russian dashboard writes a date. */
const ruDate = (iso: string) => `${iso.slice(8, 10)}.${iso.slice(5, 7)}.${iso.slice(0, 4)}`;

beforeAll(async () => {
  await buildWeb();
  clock = new VirtualClock(at('2021-02-01'));
  stack = await startLocalStack({
    dynamodbEndpoint: dynamodbEndpoint(),
    tableName: `browser-forecast-${randomBytes(4).toString('hex')}`,
    clock,
    seed: { seed: 'forecast-browser', schools: SCHOOLS },
    rateLimit: false,
  });
  managerToken = await stack.token({ role: 'program-manager', sub: 'pm-forecast', name: 'Ирина Петрова' });
  await until('the workflows to start the connection milestones', async () => {
    const active = await allSchools('&milestone=connection&status=active');
    return active.length === SCHOOLS ? active : undefined;
  });
  const schools = await allSchools();
  for (const [i, date] of WEEKS.entries()) {
    await moveTo(date);
    await completeViaApi(schools[i]!.id, 'connection');
  }
  await moveTo('2021-04-12');
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('forecast on the overview', () => {
  it('shows each milestone forecast beside its target, as the API computes it, and the urban/rural split', async () => {
    const forecast = await get<ForecastReport>('reports/forecast?weeks=8');
    const connection = forecast.rows.find((r) => r.milestone === 'connection' && r.district === null)!;
    // Six schools in the last six weeks of eight, six to go: eight weeks from 12 April.
    expect(connection).toMatchObject({ reached: 6, needed: 6, pacePerWeek: 0.75, status: 'on-track', targetDate: '2021-12-31' });
    expect(connection.forecast).toBe('2021-06-07');

    const { context, page } = await newPage();
    await page.goto(`${stack.url}/#token=${managerToken}`);
    await page.getByRole('heading', { level: 1, name: 'Обзор программы' }).waitFor();
    const section = page.locator('section.forecast');
    await section.getByRole('heading', { name: 'Прогноз достижения целей' }).waitFor();
    const card = section.locator('article[data-milestone="connection"]');
    expect(await card.locator('.forecast-target').textContent()).toMatch(/^Цель: 100\s?% к 31\.12\.2021$/);
    const high = connection.high ? ruDate(connection.high) : 'позже';
    expect(await card.getByTestId('forecast-connection').textContent()).toBe(
      `Прогноз: ${ruDate(connection.forecast!)} (диапазон ${ruDate(connection.low!)} — ${high})`,
    );
    expect(await card.getAttribute('data-status')).toBe('on-track');
    expect(await card.locator('.forecast-status').textContent()).toBe('Успевает к сроку');
    // The schools holding it back link to their pages.
    const holding = card.locator('.forecast-schools a');
    expect(await holding.count()).toBe(Math.min(3, connection.holdingBack.length));
    expect(await holding.first().textContent()).toBe(connection.holdingBack[0]!.name);
    // A milestone nobody has reached yet has no date at a pace of zero.
    const stalled = forecast.rows.find((r) => r.district === null && r.status === 'stalled');
    if (stalled) expect(await section.getByTestId(`forecast-${stalled.milestone}`).textContent()).toMatch(/^Нет движения/);
    await screenshot(page, 'forecast', { fullPage: false });

    // The urban/rural split beside it, counted as the API counts.
    const split = page.locator('section.equal-conditions table[data-group-by="settlement"]');
    await split.waitFor();
    const settlement = await get<ProgressReport>('reports/progress?groupBy=settlement');
    for (const row of settlement.rows) {
      expect(await split.locator(`tr[data-group="${row.group}"] td[data-milestone="connection"] .heat-count`).textContent()).toBe(
        `${row.milestones.connection!.reached}/${row.schools}`,
      );
    }

    // In English.
    await page.getByRole('group', { name: 'Язык' }).getByRole('button', { name: 'EN' }).click();
    await section.getByRole('heading', { name: 'Forecast of the targets' }).waitFor();
    expect(await card.locator('.forecast-status').textContent()).toBe('On track');
    expect(await card.getByTestId('forecast-connection').textContent()).toMatch(/^Forecast: /);
    await page.getByRole('group', { name: 'Language' }).getByRole('button', { name: 'RU' }).click();
    await context.close();
  });

  it('the scorecard page sorts by accepted work and exports the sorted table as CSV', async () => {
    const cards = await get<Scorecards>('reports/contractors');
    const { context, page } = await newPage();
    await page.goto(`${stack.url}/#token=${managerToken}`);
    await page.getByRole('link', { name: 'Подрядчики', exact: true }).click();
    const table = page.locator('.scorecard-table');
    await table.waitFor();
    await table.getByRole('button', { name: /^Принято/ }).click();
    const accepted = (await table.locator('tbody td[data-column="accepted"]').allTextContents()).map(Number);
    expect(accepted).toEqual(cards.rows.map((r) => r.accepted).sort((a, b) => b - a));
    expect(accepted.reduce((a, b) => a + b, 0)).toBe(WEEKS.length);
    await screenshot(page, 'forecast-scorecards', { fullPage: false });

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Скачать CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^cos-podryadchiki-\d{4}-\d{2}-\d{2}\.csv$/);
    const rows = readFileSync((await download.path())!, 'utf8')
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(rows).toHaveLength(cards.rows.length + 1);
    // The file keeps the page's order: accepted work, most first (the third column).
    expect(rows.slice(1).map((l) => Number(l.split(',')[2]))).toEqual(accepted);
    await context.close();
  });
});
