/**
 * The cost benchmark's count of the stream-fed functions: the records each event source mapping of the
 * template selects (filters checked against the records themselves), and the work the real outbox
 * dispatcher and the signal dispatcher's calls do for them.
 */
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import type { _Record } from '@aws-sdk/client-dynamodb-streams';
import { describe, expect, it } from 'vitest';
import { recordSelector } from '../../infra/local/events.js';
import { MilestoneTable } from '../../infra/aws/constructs/milestone-table.js';
import { DISPATCHER_ENTRY } from '../../infra/aws/wiring.js';
import { WORKFLOW_ENTRIES } from '../../infra/aws/constructs/workflows.js';
import { ENTITY, Entity, keys } from '../../shared/store/index.js';
import { dynamodbEndpoint } from '../support/dynamodb.js';
import { contractor, evidence, MANAGER, omsk, school } from '../workflow/fixtures.js';
import { workflowTemplate } from '../workflow/harness.js';
import { connectionUnderWay, harnessPerTest } from '../workflow/per-test.js';
import { streamFedWork } from './stream-fed.helpers.js';

const harness = harnessPerTest();

const asProperties = (filters: Record<string, unknown>[]) => ({
  FilterCriteria: { Filters: filters.map((f) => ({ Pattern: (f as { pattern: string }).pattern })) },
});
const record = (eventName: 'INSERT' | 'MODIFY' | 'REMOVE', key: { PK: string; SK: string }, entity?: string): _Record => ({
  eventName,
  dynamodb: {
    Keys: { PK: { S: key.PK }, SK: { S: key.SK } },
    ...(entity && eventName !== 'REMOVE' ? { NewImage: { PK: { S: key.PK }, SK: { S: key.SK }, [ENTITY]: { S: entity } } } : {}),
  },
});

describe('the stream-fed functions in the cost benchmark', () => {
  it("select the records the template's filters select", () => {
    const signals = recordSelector(asProperties(MilestoneTable.signalFilters()));
    const outbox = recordSelector(asProperties([MilestoneTable.outboxFilter()]));
    const signal = keys.signal('sch-1', 'connection');
    const milestone = keys.milestone('sch-1', 'connection');
    const notification = keys.notification('n-1');
    expect(signals(record('INSERT', signal, Entity.signal))).toBe(true);
    expect(signals(record('MODIFY', signal, Entity.signal))).toBe(true);
    expect(signals(record('REMOVE', signal))).toBe(true);
    expect(signals(record('MODIFY', milestone, Entity.milestone))).toBe(false);
    expect(signals(record('INSERT', notification, Entity.notification))).toBe(false);
    expect(outbox(record('INSERT', notification, Entity.notification))).toBe(true);
    expect(outbox(record('MODIFY', notification, Entity.notification))).toBe(false);
    expect(outbox(record('INSERT', signal, Entity.signal))).toBe(false);
  });

  it('count every signal and notification of a run, and the outbox is delivered by the real dispatcher', { timeout: 180_000 }, async () => {
    const h = await harness(new Date('2020-12-31T04:00:00Z'));
    const s = school('sch-stream-fed', 2023);
    const { assignee } = await connectionUnderWay(h, s);
    // Two accepted commands: each commits a signal (INSERT, then MODIFY for the second) and delivers it (REMOVE).
    const submitted = await h.command(
      s.id,
      'connection',
      { type: 'submit', evidence: evidence('connection', s, '2021-03-01') },
      contractor(assignee),
    );
    expect(submitted.outcome.ok).toBe(true);
    await h.advanceTo(omsk('2021-03-02'));
    const rejected = await h.command(s.id, 'connection', { type: 'reject', reason: 'The act is not signed.' }, MANAGER);
    expect(rejected.outcome.ok).toBe(true);
    const pending = (await h.store.listPendingNotifications({ limit: 1000 })).items;
    expect(pending.length).toBeGreaterThan(0);

    const work = await streamFedWork({
      template: workflowTemplate().template,
      dynamodb: h.dynamodb,
      direct: dynamodbEndpoint(),
      counted: dynamodbEndpoint(),
      tableName: h.tableName,
      clock: h.clock,
    });

    const byEntry = new Map(work.functions.map((f) => [f.entry, f]));
    expect([...byEntry.keys()].sort()).toEqual([DISPATCHER_ENTRY, WORKFLOW_ENTRIES.signals].sort());
    const outbox = byEntry.get(DISPATCHER_ENTRY)!;
    expect(outbox.records).toBe(pending.length);
    expect(outbox.removals).toBe(0);
    expect(work.notifications).toBe(pending.length);
    // The real dispatcher delivered each one.
    expect((await h.store.listPendingNotifications({ limit: 1000 })).items).toEqual([]);
    for (const n of pending) expect((await h.store.getNotification(n.notification.id))?.deliveredAt).not.toBeNull();
    // Both signals written, both removed after their delivery.
    const signals = byEntry.get(WORKFLOW_ENTRIES.signals)!;
    expect(signals).toMatchObject({ records: 4, removals: 2 });
    // The scratch table for the signal dispatcher's calls is gone.
    const tables = (await h.dynamodb.send(new ListTablesCommand({}))).TableNames ?? [];
    expect(tables.filter((t) => t.startsWith('signals-'))).toEqual([]);
  });
});
