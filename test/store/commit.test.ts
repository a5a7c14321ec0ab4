import { GetItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DuplicateNotificationError,
  INDEX,
  StoreError,
  TaskTokenRejectedError,
  VersionConflictError,
  createStore,
  keys,
  toItem,
  type MilestoneStore,
} from '../../shared/store/index.js';
import type { MilestoneState } from '../../shared/program/model.js';
import { createTestTable } from '../support/table.js';
import { notification, pending, reschedule, school, start, waive } from './fixtures.js';

let client: DynamoDBClient;
let tableName: string;
let store: MilestoneStore;

beforeAll(async () => {
  ({ client, tableName } = await createTestTable('commit'));
  store = createStore({ client, tableName });
});

async function rawItem(key: { PK: string; SK: string }) {
  return (await client.send(new GetItemCommand({ TableName: tableName, Key: toItem(key), ConsistentRead: true }))).Item;
}

async function events(schoolId: string) {
  return (await store.history(schoolId, { limit: 1000 })).items;
}

async function begin(schoolId: string, key = 'connection'): Promise<MilestoneState> {
  const s = pending(schoolId, key);
  await store.initMilestones([s]);
  return s;
}

describe('commit', () => {
  it('writes state, audit events and outbox items in one transaction', async () => {
    const s0 = await begin('c-1');
    const { state, event } = start(s0, 'rostelecom');
    const n = notification('status:c-1:connection:1', 'c-1', { kind: 'status' });
    expect(
      await store.commit({ schoolId: 'c-1', key: 'connection', expectedVersion: 0, state, events: [event], notifications: [n] }),
    ).toEqual({ version: 1, signal: null });
    expect((await store.getMilestone('c-1', 'connection'))?.state).toEqual(state);
    expect(await events('c-1')).toEqual([event]);
    expect(await store.getNotification(n.id)).toEqual({ notification: n, deliveredAt: null, deliveredTo: [] });
  });

  it('creates a milestone never stored when committed at version 0', async () => {
    const { state, event } = start(pending('c-new'), 'rostelecom');
    await store.commit({ schoolId: 'c-new', key: 'connection', expectedVersion: 0, state, events: [event] });
    expect((await store.getMilestone('c-new', 'connection'))?.state).toEqual(state);
    // …but version 1 of a milestone that does not exist is a conflict with "no version".
    const later = reschedule(state, '2022-06-01');
    const error = await store
      .commit({
        schoolId: 'c-none',
        key: 'connection',
        expectedVersion: 1,
        state: { ...later.state, schoolId: 'c-none' },
        events: [{ ...later.event, schoolId: 'c-none' }],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VersionConflictError);
    expect((error as VersionConflictError).actual).toBeNull();
  });

  it('refuses a stale version and writes nothing: no event, no outbox item', async () => {
    const s0 = await begin('c-2');
    const first = start(s0, 'rostelecom');
    await store.commit({ schoolId: 'c-2', key: 'connection', expectedVersion: 0, state: first.state, events: [first.event] });
    const stale = start(s0, 'other', '2021-02-05T09:00:00.000Z');
    const n = notification('status:c-2:stale', 'c-2');
    const error = await store
      .commit({ schoolId: 'c-2', key: 'connection', expectedVersion: 0, state: stale.state, events: [stale.event], notifications: [n] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VersionConflictError);
    expect((error as VersionConflictError).actual).toBe(1);
    expect((await store.getMilestone('c-2', 'connection'))?.state).toEqual(first.state);
    expect(await events('c-2')).toEqual([first.event]);
    expect(await rawItem(keys.notification(n.id))).toBeUndefined();
  });

  it('refuses a commit whose events do not follow the expected version', async () => {
    const s0 = await begin('c-3');
    const { state, event } = start(s0, 'rostelecom');
    await expect(store.commit({ schoolId: 'c-3', key: 'connection', expectedVersion: 0, state, events: [] })).rejects.toBeInstanceOf(
      StoreError,
    );
    await expect(
      store.commit({ schoolId: 'c-3', key: 'connection', expectedVersion: 0, state, events: [{ ...event, version: 2 }] }),
    ).rejects.toThrow(/version 2/);
    expect(await events('c-3')).toEqual([]);
  });

  it('lets exactly one of 50 concurrent conflicting commands commit', async () => {
    const s0 = await begin('race');
    const attempts = Array.from({ length: 50 }, (_, i) => {
      const { state, event } = start(s0, `contractor-${i}`, `2021-02-01T09:00:${String(i % 60).padStart(2, '0')}.000Z`);
      return store
        .commit({
          schoolId: 'race',
          key: 'connection',
          expectedVersion: 0,
          state,
          events: [event],
          notifications: [notification(`race-${i}`, 'race')],
        })
        .then(
          () => 'committed' as const,
          (e: unknown) => e,
        );
    });
    const results = await Promise.all(attempts);
    const winners = results.filter((r) => r === 'committed');
    expect(winners).toHaveLength(1);
    const losers = results.filter((r) => r !== 'committed');
    expect(losers).toHaveLength(49);
    for (const l of losers) {
      expect(l).toBeInstanceOf(VersionConflictError);
      expect((l as VersionConflictError).actual).toBe(1);
    }
    const log = await events('race');
    expect(log).toHaveLength(1);
    const stored = (await store.getMilestone('race', 'connection'))!.state;
    expect(stored.version).toBe(1);
    expect(log[0]).toMatchObject({ type: 'started', assignee: stored.assignee });
    const outbox = await Promise.all(Array.from({ length: 50 }, (_, i) => store.getNotification(`race-${i}`)));
    expect(outbox.filter(Boolean)).toHaveLength(1);
  });

  it('does not duplicate an outbox id: the second commit is cancelled as a whole', async () => {
    const s0 = await begin('dup');
    const n = notification('reminder:dup:connection:2021-12-31:30', 'dup');
    const first = start(s0, 'rostelecom');
    await store.commit({
      schoolId: 'dup',
      key: 'connection',
      expectedVersion: 0,
      state: first.state,
      events: [first.event],
      notifications: [n, n],
    });
    const again = reschedule(first.state, '2022-01-31');
    const error = await store
      .commit({
        schoolId: 'dup',
        key: 'connection',
        expectedVersion: 1,
        state: again.state,
        events: [again.event],
        notifications: [{ ...n, createdAt: '2021-12-02T03:00:00.000Z' }],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DuplicateNotificationError);
    expect((error as DuplicateNotificationError).ids).toEqual([n.id]);
    expect((await store.getMilestone('dup', 'connection'))?.state.version).toBe(1);
    expect(await events('dup')).toHaveLength(1);
    expect(await store.getNotification(n.id)).toEqual({ notification: n, deliveredAt: null, deliveredTo: [] });
  });

  it('keeps the sparse indexes: a waived milestone leaves open-by-deadline and the assignments', async () => {
    const s0 = pending('sparse', 'onboarding', { deadline: '2030-01-15' });
    await store.initMilestones([s0]);
    const active = start(s0, 'sparse-org');
    await store.commit({ schoolId: 'sparse', key: 'onboarding', expectedVersion: 0, state: active.state, events: [active.event] });
    const open = await store.listOpenByDeadline({ from: '2030-01-01', to: '2030-01-31' });
    expect(open.items.map((s) => s.schoolId)).toEqual(['sparse']);
    expect((await store.listAssignments('sparse-org')).items).toHaveLength(1);

    const closed = waive(active.state);
    await store.commit({ schoolId: 'sparse', key: 'onboarding', expectedVersion: 1, state: closed.state, events: [closed.event] });
    expect((await store.listOpenByDeadline({ from: '2030-01-01', to: '2030-01-31' })).items).toEqual([]);
    expect((await store.listAssignments('sparse-org')).items).toEqual([]);
    const item = await rawItem(keys.milestone('sparse', 'onboarding'));
    for (const attr of [INDEX.due.pk, INDEX.due.sk, INDEX.party.pk, INDEX.party.sk]) expect(item?.[attr]).toBeUndefined();
    // The index itself holds nothing for that partition any more.
    const inIndex = await client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: INDEX.party.name,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': INDEX.party.pk },
        ExpressionAttributeValues: { ':pk': { S: 'ASSIGNEE#sparse-org' } },
      }),
    );
    expect(inIndex.Count).toBe(0);
  });
});

describe('task tokens', () => {
  it('stores the waiting task only in the status its phase needs, and clears only its own token', async () => {
    await store.putSchool(school('task'));
    const s0 = await begin('task');
    await expect(
      store.setTaskToken('task', 'connection', { token: 't1', executionArn: 'arn:exec:1', phase: 'submission' }),
    ).rejects.toBeInstanceOf(TaskTokenRejectedError);
    const active = start(s0, 'rostelecom');
    await store.commit({ schoolId: 'task', key: 'connection', expectedVersion: 0, state: active.state, events: [active.event] });
    await expect(
      store.setTaskToken('task', 'connection', { token: 't1', executionArn: 'arn:exec:1', phase: 'submission', expectedVersion: 0 }),
    ).rejects.toThrow(/version 1/);
    await store.setTaskToken('task', 'connection', { token: 't1', executionArn: 'arn:exec:1', phase: 'submission', expectedVersion: 1 });
    const stored = await store.getMilestone('task', 'connection');
    expect(stored?.task).toMatchObject({ token: 't1', executionArn: 'arn:exec:1', phase: 'submission' });
    expect((await store.getSchool('task'))?.milestones[0]?.task?.token).toBe('t1');

    // A commit keeps the token, so the API can signal the waiting execution after it.
    const moved = reschedule(active.state, '2022-03-01');
    await store.commit({ schoolId: 'task', key: 'connection', expectedVersion: 1, state: moved.state, events: [moved.event] });
    expect((await store.getMilestone('task', 'connection'))?.task?.token).toBe('t1');

    expect(await store.clearTaskToken('task', 'connection', { token: 'someone-else' })).toBe(false);
    expect(await store.clearTaskToken('task', 'connection', { token: 't1' })).toBe(true);
    expect((await store.getMilestone('task', 'connection'))?.task).toBeNull();
    expect(await store.clearTaskToken('task', 'connection')).toBe(false);
    await expect(store.setTaskToken('ghost', 'connection', { token: 't', executionArn: 'a', phase: 'acceptance' })).rejects.toThrow(
      /does not exist/,
    );
  });
});

describe('outbox', () => {
  it('lists pending notifications, marks them delivered, and lists a recipient’s notifications newest first', async () => {
    let state = await begin('outbox');
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const next = i === 0 ? start(state, 'inbox-org') : reschedule(state, `2022-01-${String(i + 1).padStart(2, '0')}`);
      const id = `outbox-${i}`;
      ids.push(id);
      const n = notification(id, 'outbox', {
        recipient: i % 3 === 0 ? { type: 'program-manager' } : { type: 'contractor', org: 'inbox-org' },
        createdAt: `2022-02-${String(i + 1).padStart(2, '0')}T03:00:00.000Z`,
      });
      await store.commit({
        schoolId: 'outbox',
        key: 'connection',
        expectedVersion: state.version,
        state: next.state,
        events: [next.event],
        notifications: [n],
      });
      state = next.state;
    }
    const pendingIds: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await store.listPendingNotifications({ limit: 5, cursor });
      pendingIds.push(...page.items.map((e) => e.notification.id));
      cursor = page.cursor;
    } while (cursor);
    // Other tests of this file leave pending notifications too; these twelve come in creation order.
    expect(pendingIds.filter((id) => id.startsWith('outbox-'))).toEqual(ids);

    expect(await store.markDelivered('outbox-0', '2022-02-01T03:00:05.000Z')).toBe(true);
    expect(await store.markDelivered('outbox-0', '2022-02-01T03:00:09.000Z')).toBe(false);
    await expect(store.markDelivered('never-written', '2022-02-01T03:00:09.000Z')).rejects.toThrow(/not in the outbox/);
    expect(await store.getNotification('outbox-0')).toMatchObject({ deliveredAt: '2022-02-01T03:00:05.000Z' });

    // The last destination's record marks it delivered in the same write; not again, and not a missing one.
    await store.recordDestination('outbox-2', 'a@isp.example');
    expect(await store.recordDestination('outbox-2', 'b@isp.example', { deliveredAt: '2022-02-01T03:00:07.000Z' })).toBe(true);
    expect(await store.getNotification('outbox-2')).toMatchObject({
      deliveredAt: '2022-02-01T03:00:07.000Z',
      deliveredTo: ['a@isp.example', 'b@isp.example'],
    });
    expect(await store.recordDestination('outbox-2', 'c@isp.example', { deliveredAt: '2022-02-01T03:00:08.000Z' })).toBe(false);
    expect(await store.getNotification('outbox-2')).toMatchObject({
      deliveredAt: '2022-02-01T03:00:07.000Z',
      deliveredTo: ['a@isp.example', 'b@isp.example'],
    });
    expect(await store.markDelivered('outbox-2', '2022-02-01T03:00:09.000Z')).toBe(false);
    await expect(store.recordDestination('never-written', 'a@isp.example', { deliveredAt: '2022-02-01T03:00:09.000Z' })).rejects.toThrow(
      /not in the outbox/,
    );
    const stillPending = (await store.listPendingNotifications({ limit: 1000 })).items.map((e) => e.notification.id);
    expect(stillPending).not.toContain('outbox-0');
    expect(stillPending).not.toContain('outbox-2');
    expect(stillPending).toContain('outbox-1');

    const inbox = await store.listNotificationsFor({ type: 'contractor', org: 'inbox-org' }, { limit: 3 });
    expect(inbox.items.map((e) => e.notification.id)).toEqual(['outbox-11', 'outbox-10', 'outbox-8']);
    const managers = await store.listNotificationsFor({ type: 'program-manager' });
    expect(managers.items.map((e) => [e.notification.id, e.deliveredAt !== null])).toEqual([
      ['outbox-9', false],
      ['outbox-6', false],
      ['outbox-3', false],
      ['outbox-0', true],
    ]);
  });
});

describe('the state a signal carries', () => {
  const signalOf = (state: MilestoneState, committed: boolean) => ({
    schoolId: state.schoolId,
    milestone: state.key,
    version: state.version,
    event: 'x',
    status: state.status,
    at: state.updatedAt,
    ...(committed ? { committed: { state, programVersion: 2 } } : {}),
  });

  it('is stored with the signal, and dropped by a later signal that carries none', async () => {
    const s0 = await begin('c-carry');
    const started = start(s0, 'rostelecom');
    await store.commit({
      schoolId: 'c-carry',
      key: 'connection',
      expectedVersion: 0,
      state: started.state,
      events: [started.event],
      signal: signalOf(started.state, true),
    });
    expect((await store.getSignal('c-carry', 'connection'))?.committed).toEqual({ state: started.state, programVersion: 2 });

    // Replaced before it was delivered, by a signal that does not say: no older state is left beside it.
    const later = reschedule(started.state, '2022-06-01');
    await store.commit({
      schoolId: 'c-carry',
      key: 'connection',
      expectedVersion: 1,
      state: later.state,
      events: [later.event],
      signal: signalOf(later.state, false),
    });
    const replaced = await store.getSignal('c-carry', 'connection');
    expect(replaced).toMatchObject({ version: 2 });
    expect(replaced?.committed).toBeUndefined();
  });

  it('must be the state the commit writes', async () => {
    const s0 = await begin('c-carry-2');
    const started = start(s0, 'rostelecom');
    const wrong = { ...signalOf(started.state, false), committed: { state: s0, programVersion: 1 } };
    await expect(
      store.commit({
        schoolId: 'c-carry-2',
        key: 'connection',
        expectedVersion: 0,
        state: started.state,
        events: [started.event],
        signal: wrong,
      }),
    ).rejects.toThrow(RangeError);
    expect((await store.getMilestone('c-carry-2', 'connection'))?.state).toEqual(s0);
  });
});
