/**
 * The first `npm start` serves the dashboard while the demo history is generated: the history's own
 * stack answers on the port from its first seconds, read-only, with the history's progress at
 * `/local/demo-history`; the tokens it prints stay valid once the live system runs on the same data
 * folder. Real components: the history process, DynamoDB Local, the local runtime, the gateway.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { demoClock, generateDemoHistory } from '../../infra/local/demo.js';
import { freePort } from '../../infra/local/dynamodb-local.js';
import { DEMO_HISTORY_PATH, type DemoHistoryStatus } from '../../infra/local/history-routes.js';
import { startLocalStack } from '../../infra/local/stack.js';

describe('the dashboard during the first start', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cos-demo-serving-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it(
    'answers while the history is generated, read-only, with its progress; its tokens stay valid afterwards',
    { timeout: 400_000 },
    async () => {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const seen: {
        status?: DemoHistoryStatus;
        page?: number;
        me?: number;
        write?: { status: number; type: string | null; body: { status?: number; errors?: { field: string }[] } };
        token?: string;
      } = {};
      let checks: Promise<void> | undefined;
      const anchor = await generateDemoHistory({
        dataDir,
        demoDate: '2021-09-01',
        schools: 10,
        port,
        output: path.join(dataDir, 'logs', 'functions.log'),
        onReady: (banner) => {
          checks = (async () => {
            const token = /#token=(\S+)/.exec(banner)?.[1];
            seen.token = token;
            const status = await fetch(`${base}${DEMO_HISTORY_PATH}`);
            seen.status = (await status.json()) as DemoHistoryStatus;
            seen.page = (await fetch(`${base}/`)).status;
            seen.me = (await fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${token}` } })).status;
            const write = await fetch(`${base}/api/schools/any/milestones/connection/accept`, {
              method: 'POST',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'if-match': '"1"' },
              body: '{}',
            });
            seen.write = { status: write.status, type: write.headers.get('content-type'), body: (await write.json()) as never };
          })();
        },
      });
      await checks;
      expect(seen.status).toMatchObject({ state: 'generating', demoDate: '2021-09-01', schools: 10 });
      expect(seen.status!.fraction).toBeGreaterThanOrEqual(0);
      expect(seen.status!.fraction).toBeLessThanOrEqual(1);
      expect(seen.page).toBe(200);
      expect(seen.me).toBe(200);
      expect(seen.write?.status).toBe(503);
      expect(seen.write?.type).toMatch(/^application\/problem\+json/);
      expect(seen.write?.body.errors?.[0]?.field).toBe('request');

      // The history's stack is gone; the live system on the same data folder takes the same tokens.
      await expect(fetch(`${base}${DEMO_HISTORY_PATH}`)).rejects.toThrow();
      const stack = await startLocalStack({ dataDir, clock: demoClock(anchor), port });
      try {
        expect((await fetch(`${base}${DEMO_HISTORY_PATH}`)).status).toBe(404);
        const me = await fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${seen.token}` } });
        expect(me.status).toBe(200);
        expect((await stack.store.listAllSchools({ limit: 100 })).items).toHaveLength(10);
      } finally {
        await stack.stop();
      }
    },
  );
});
