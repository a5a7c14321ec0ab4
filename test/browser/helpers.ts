/**
 * What the browser tests share: the local stack's API as the test's own client (a manager's calls,
 * a contractor's token, a milestone completed through the API with its documents), the virtual clock
 * moved until the system has caught up, and a Russian-locale browser page in Omsk's time zone.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { SchoolDetail, SchoolList } from '../../shared/api/schemas.js';
import type { VirtualClock } from '../../shared/clock.js';
import { attachGeneratedDocuments } from '../../shared/documents/generated.js';
import type { Evidence, School } from '../../shared/program/model.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import type { LocalStack } from '../../infra/local/stack.js';

/** 09:00 in Omsk. */
export const at = (date: string) => new Date(`${date}T03:00:00Z`);

export interface BrowserTestState {
  stack: LocalStack;
  clock: VirtualClock;
  browser: Browser;
  managerToken: string;
}

export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export function evidenceFor(key: string, school: School, actDate: string): Evidence {
  const act = { actNumber: `АКТ-${school.id}-${key}`, actDate };
  switch (key) {
    case 'connection':
      return { kind: 'connection', ...act, bandwidthMbps: school.urban ? 200 : 100 };
    case 'equipment':
      return {
        kind: 'equipment',
        ...act,
        items: Object.entries(school.plannedKit).map(([item, quantity]) => ({ item, quantity })) as never,
      };
    case 'training':
      return { kind: 'training', ...act, teachersTrained: school.teachersToTrain };
    default:
      throw new Error(`no evidence for ${key}`);
  }
}

/** The helpers over a test file's state, read when called (the state is set up in its beforeAll). */
export function browserHelpers(state: () => BrowserTestState) {
  // ---------- the API, as the test's own client ----------

  async function call<T>(token: string, method: 'GET' | 'POST', route: string, body?: unknown): Promise<{ status: number; json: T }> {
    const res = await fetch(`${state().stack.url}/api/${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as T };
  }

  async function get<T>(route: string): Promise<T> {
    const { status, json } = await call<T>(state().managerToken, 'GET', route);
    if (status !== 200) throw new Error(`GET ${route}: ${status} ${JSON.stringify(json)}`);
    return json;
  }

  async function allSchools(query = ''): Promise<SchoolList['items']> {
    const items: SchoolList['items'] = [];
    let cursor: string | null = null;
    do {
      const page: SchoolList = await get(`schools?limit=200${query}${cursor ? `&cursor=${cursor}` : ''}`);
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  }

  /**
   * Moves the virtual clock and waits until the system has caught up: the workflows' timers fired in
   * order, the daily schedules run for every day passed, the streams delivered. The browser then talks to
   * a stack that is not busy with the past.
   */
  async function moveTo(date: string): Promise<void> {
    await state().stack.runtime.advanceTo(at(date));
    await until(
      'the schedules to catch up with the virtual clock',
      async () => {
        const behind = state()
          .stack.events.describe()
          .filter((line) => {
            const next = / next (\S+)$/.exec(line)?.[1];
            return next !== undefined && Date.parse(next) <= state().clock.nowMs();
          });
        return behind.length === 0 ? true : undefined;
      },
      120_000,
    );
    await state().stack.runtime.idle();
    await state().stack.events.drain();
    // The signals the stream delivered (the API's commands leave theirs to it) move the workflows on.
    await state().stack.runtime.idle();
    await state().stack.events.drain();
    await state().stack.idle();
  }

  const contractorToken = (org: string) => state().stack.token({ role: 'contractor', sub: `user-${org}`, org, name: 'Иван Сидоров' });

  /** The documents a submission needs, generated and put in the bucket as a confirmed upload would be. */
  async function attachDocuments(school: School, key: string, org: string): Promise<void> {
    const def = REFERENCE_PROGRAM.milestones.find((d) => d.key === key)!;
    await attachGeneratedDocuments(
      { store: state().stack.store, bucket: { s3: state().stack.s3, bucket: state().stack.documentBucket } },
      def,
      school,
      { role: 'contractor', sub: `${org}-user`, org },
      state().clock.now(),
    );
  }

  /** A contractor submits, the school signs off where the program asks it, and the manager accepts, through the API, on the virtual clock's day. */
  async function completeViaApi(schoolId: string, key: string): Promise<void> {
    const detail = await get<SchoolDetail>(`schools/${schoolId}`);
    const m = detail.milestones.find((x) => x.key === key);
    if (!m || m.status !== 'active' || !m.assignee) return;
    const today = state().clock.now().toISOString().slice(0, 10);
    await attachDocuments(detail.school, key, m.assignee);
    const submitted = await call(await contractorToken(m.assignee), 'POST', `schools/${schoolId}/milestones/${key}/submit`, {
      evidence: evidenceFor(key, detail.school, today),
    });
    if (submitted.status !== 200) throw new Error(`submit ${schoolId}/${key}: ${submitted.status} ${JSON.stringify(submitted.json)}`);
    if (key === 'connection' || key === 'equipment') {
      const staff = await state().stack.token({
        role: 'school-staff',
        sub: `director-${schoolId}`,
        school: schoolId,
        name: 'Директор школы',
      });
      const measured = key === 'connection' ? { measuredMbps: detail.school.urban ? 150 : 75 } : {};
      const signed = await call(staff, 'POST', `schools/${schoolId}/milestones/${key}/signoff`, measured);
      if (signed.status !== 200) throw new Error(`signoff ${schoolId}/${key}: ${signed.status} ${JSON.stringify(signed.json)}`);
    }
    const accepted = await call(state().managerToken, 'POST', `schools/${schoolId}/milestones/${key}/accept`, {});
    if (accepted.status !== 200) throw new Error(`accept ${schoolId}/${key}: ${accepted.status} ${JSON.stringify(accepted.json)}`);
  }

  // ---------- the browser ----------

  async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await state().browser.newContext({
      locale: 'ru-RU',
      timezoneId: 'Asia/Omsk',
      viewport: { width: 1366, height: 900 },
      acceptDownloads: true,
    });
    const page = await context.newPage();
    page.on('pageerror', (e) => {
      throw new Error(`page error: ${e.message}`);
    });
    return { context, page };
  }

  return { call, get, allSchools, moveTo, contractorToken, attachDocuments, completeViaApi, newPage };
}
