/**
 * The outbox re-drive the local stack runs when it switches a kept table's stream on again (the demo
 * history is written with it off): it delivers what was written before, however young; a stop cuts it
 * short, and the next start runs it again until it is done. Real components: DynamoDB Local, the stack,
 * the outbox dispatcher.
 */
import { UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { MAILBOX_FILE, readMailbox } from '../../infra/local/mailbox.js';
import { startLocalStack } from '../../infra/local/stack.js';
import { dynamodbEndpoint, localDynamoClient } from '../support/dynamodb.js';
import { notification } from '../store/fixtures.js';

const COUNT = 400;

describe('the re-drive when a kept table gets its stream back', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cos-go-live-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const tableName = `go-live-${randomBytes(4).toString('hex')}`;
  const marker = path.join(dataDir, 'streams', 'outbox-redrive-pending');
  const start = (logs: string[]) =>
    startLocalStack({ dataDir, dynamodbEndpoint: dynamodbEndpoint(), tableName, seed: false, log: (line) => logs.push(line) });

  it('delivers what was written with the stream off, goes on after a stop, and then stays quiet', { timeout: 240_000 }, async () => {
    // The table, then notifications written while its stream is off (as the demo history's are).
    const first = await startLocalStack({ dataDir, dynamodbEndpoint: dynamodbEndpoint(), tableName, seed: false, eventSources: false });
    const ids = Array.from({ length: COUNT }, (_, i) => `go-live-${i}`);
    try {
      await localDynamoClient().send(new UpdateTableCommand({ TableName: tableName, StreamSpecification: { StreamEnabled: false } }));
      // Ten seconds old: younger than the re-drive's minimum age, which must not leave them behind.
      const createdAt = new Date(first.clock.nowMs() - 10_000).toISOString();
      for (const id of ids) expect(await first.store.enqueueNotification(notification(id, 'sch-1', { createdAt }))).toBe(true);
    } finally {
      await first.stop();
    }

    // The stream comes back on and the re-drive starts; a stop at once cuts it short and leaves the marker.
    const logs: string[] = [];
    const second = await start(logs);
    await second.stop();
    expect(logs.some((l) => l.includes('outbox re-drive delivers what is pending'))).toBe(true);
    expect(existsSync(marker)).toBe(true);

    // The next start runs it again, to the end.
    const again: string[] = [];
    const third = await start(again);
    try {
      const deadline = Date.now() + 120_000;
      while (existsSync(marker) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(existsSync(marker)).toBe(false);
      expect((await third.store.listPendingNotifications({ limit: 1000 })).items).toEqual([]);
    } finally {
      await third.stop();
    }
    const lines = readMailbox(path.join(dataDir, MAILBOX_FILE));
    expect(lines.filter((l) => l.duplicate)).toEqual([]);
    const mailbox = lines.map((l) => l.id);
    expect(new Set(mailbox)).toEqual(new Set(ids));
    expect(mailbox.length).toBe(COUNT);

    // The stream is on and nothing is left: a later start runs no re-drive.
    const quiet: string[] = [];
    const fourth = await start(quiet);
    await fourth.stop();
    expect(quiet.some((l) => l.includes('outbox re-drive'))).toBe(false);
  });
});
