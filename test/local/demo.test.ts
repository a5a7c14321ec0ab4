/**
 * The demo timeline of `npm start`: the first start generates the history up to the demo date with the
 * program simulation into a data folder and runs on the demo clock; a second start on the same folder
 * continues the timeline and loses nothing. Real components: the history process, DynamoDB Local on the
 * data folder, the local runtime, the stack.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dataFolderState, demoClock, generateDemoHistory, historyPeriod, readDemoAnchor, type DemoAnchor } from '../../infra/local/demo.js';
import { MAILBOX_FILE, readMailbox } from '../../infra/local/mailbox.js';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.js';
import { todayInOmsk } from '../api/helpers.js';

const DEMO_DATE = '2023-03-15';

interface Counts {
  schools: number;
  byStatus: Record<string, number>;
  pendingNotifications: number;
  pendingIds: string[];
  kinds: Record<string, number>;
}

async function counts(stack: LocalStack): Promise<Counts> {
  const result: Counts = { schools: 0, byStatus: {}, pendingNotifications: 0, pendingIds: [], kinds: {} };
  let cursor: string | null = null;
  do {
    const page = await stack.store.listAllSchools({ limit: 100, cursor });
    for (const school of page.items) {
      result.schools++;
      const record = await stack.store.getSchool(school.id);
      for (const m of record?.milestones ?? []) {
        result.byStatus[m.state.status] = (result.byStatus[m.state.status] ?? 0) + 1;
      }
    }
    cursor = page.cursor;
  } while (cursor);
  cursor = null;
  do {
    const page = await stack.store.listPendingNotifications({ limit: 100, cursor });
    for (const entry of page.items) {
      result.pendingNotifications++;
      result.pendingIds.push(entry.notification.id);
      const kind = entry.notification.kind;
      result.kinds[kind] = (result.kinds[kind] ?? 0) + 1;
    }
    cursor = page.cursor;
  } while (cursor);
  return result;
}

describe('npm start demo timeline', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cos-demo-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  let anchor: DemoAnchor;
  let first: Counts;
  let firstStartedAt = 0;
  let delivered: string[] = [];

  it('first start: the history up to the demo date, then the demo clock', { timeout: 300_000 }, async () => {
    expect(dataFolderState(dataDir)).toBe('fresh');
    anchor = await generateDemoHistory({ dataDir, demoDate: DEMO_DATE, schools: 20, output: path.join(dataDir, 'logs', 'functions.log') });
    expect(readDemoAnchor(dataDir)).toEqual(anchor);
    expect(dataFolderState(dataDir)).toBe('anchored');
    expect(anchor.demoTime).toBe(new Date(historyPeriod(DEMO_DATE).endsAt).toISOString());

    const stack = await startLocalStack({ dataDir, clock: demoClock(anchor), apiThread: true });
    try {
      firstStartedAt = Date.now();
      const now = stack.clock.nowMs();
      const demoMs = Date.parse(anchor.demoTime);
      expect(now).toBeGreaterThanOrEqual(demoMs);
      expect(now - demoMs).toBeLessThan(Date.now() - Date.parse(anchor.wallTime) + 1000);
      expect(now - demoMs).toBeLessThan(120_000);
      first = await counts(stack);
      expect(first.schools).toBe(20);
      expect(first.byStatus.completed ?? 0).toBeGreaterThan(0);
      expect((first.byStatus.active ?? 0) + (first.byStatus.submitted ?? 0)).toBeGreaterThan(0);
      // The outbox re-drive the start began (a stop would cut it short): its marker goes when it is done.
      const marker = path.join(dataDir, 'streams', 'outbox-redrive-pending');
      const deadline = Date.now() + 120_000;
      while (existsSync(marker) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(existsSync(marker)).toBe(false);
    } finally {
      await stack.stop();
    }
    // The history was written with the table's stream off; the live stack switched it on again, and its
    // outbox re-drive delivered what the history left pending into the local mailbox. Work went late in
    // the history: reminders and escalations among them (20 schools may have nothing overdue at the demo
    // date itself; the 750 of npm start do).
    const mailbox = readMailbox(path.join(dataDir, MAILBOX_FILE));
    const kinds = new Map<string, number>();
    for (const n of mailbox) kinds.set(n.attributes.kind!, (kinds.get(n.attributes.kind!) ?? 0) + 1);
    expect(kinds.get('reminder') ?? 0).toBeGreaterThan(0);
    expect(kinds.get('escalation') ?? 0).toBeGreaterThan(0);
    expect(new Set(mailbox.map((n) => n.id)).size).toBe(mailbox.length);
    for (const n of mailbox) expect(Date.parse(n.receivedAt)).toBeGreaterThanOrEqual(Date.parse(anchor.demoTime));
    delivered = mailbox.map((n) => n.id);
  });

  it('second start: no new history, the timeline goes on, nothing lost', { timeout: 120_000 }, async () => {
    expect(anchor).toBeDefined();
    await new Promise((r) => setTimeout(r, 1500));
    expect(dataFolderState(dataDir)).toBe('anchored');
    const again = readDemoAnchor(dataDir)!;
    expect(again).toEqual(anchor);
    const stack = await startLocalStack({ dataDir, clock: demoClock(again), apiThread: true });
    try {
      // The kept executions were resumed by the start (once: a second resume is refused).
      expect(stack.runtime.stats().running).toBeGreaterThan(0);
      expect(() => stack.runtime.resumeExecutions()).toThrow(/resumed already/);
      const now = stack.clock.nowMs();
      const passed = Date.now() - firstStartedAt;
      const demoMs = Date.parse(anchor.demoTime);
      expect(now - demoMs).toBeGreaterThanOrEqual(passed);
      // The API, on its own thread as npm start runs it, is on the demo clock too.
      const token = await stack.token({ role: 'program-manager', sub: 'demo-manager' });
      const report = await fetch(`${stack.url}/api/reports/progress`, { headers: { authorization: `Bearer ${token}` } });
      expect(report.status).toBe(200);
      expect(((await report.json()) as { asOf: string }).asOf).toBe(todayInOmsk(stack.clock.now()));
      const second = await counts(stack);
      expect(second.schools).toBe(first.schools);
      expect(second.byStatus).toEqual(first.byStatus);
      // Every notification of the first start is still there, pending or delivered, and those the re-drive
      // delivered stay delivered.
      const missing: string[] = [];
      for (const id of first.pendingIds) if (!(await stack.store.getNotification(id))) missing.push(id);
      expect(missing).toEqual([]);
      expect(delivered.length).toBeGreaterThan(0);
      // The re-drive left none of the history's behind, however young: only the live system's own.
      const left = (await stack.store.listPendingNotifications({ limit: 1000 })).items;
      expect(left.filter((entry) => Date.parse(entry.notification.createdAt) < Date.parse(anchor.demoTime))).toEqual([]);
      for (const id of delivered) expect((await stack.store.getNotification(id))?.deliveredAt).toBeTruthy();
      // The stream was on already: no second re-drive, nothing delivered twice.
      const lines = readMailbox(path.join(dataDir, MAILBOX_FILE));
      expect(lines.filter((l) => l.duplicate)).toEqual([]);
      expect(new Set(lines.map((l) => l.id)).size).toBe(lines.length);
    } finally {
      await stack.stop();
    }
  });
});
