import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { CorruptItemError, InvalidCursorError, createStore, toItem, type MilestoneStore, type Page } from '../../shared/store/index.js';
import type { MilestoneState, School } from '../../shared/program/model.js';
import { createTestTable } from '../support/table.js';
import { contractor, pending, reschedule, school, start, waive } from './fixtures.js';

let client: DynamoDBClient;
let tableName: string;
let store: MilestoneStore;

beforeAll(async () => {
  ({ client, tableName } = await createTestTable('queries'));
  store = createStore({ client, tableName });
});

async function all<T>(fetch: (cursor: string | null) => Promise<Page<T>>): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: Page<T> = await fetch(cursor);
    items.push(...page.items);
    cursor = page.cursor;
    pages++;
  } while (cursor);
  return { items, pages };
}

describe('schools', () => {
  const districts = ['azovo', 'omsk', 'tara'];
  const schools: School[] = Array.from({ length: 60 }, (_, i) => school(`s${String(i).padStart(3, '0')}`, districts[i % 3]!));

  beforeAll(async () => {
    await store.putSchools(schools);
    await store.putSchools(schools.slice(0, 30)); // idempotent: the same items again
  });

  it('round-trips a school with its milestones in one read', async () => {
    await store.initMilestones([pending('s000', 'connection'), pending('s000', 'equipment', { deadline: '2022-12-01' })]);
    const record = await store.getSchool('s000');
    expect(record?.school).toEqual(schools[0]);
    expect(record?.milestones.map((m) => m.state.key)).toEqual(['connection', 'equipment']);
    expect(record?.milestones[1]).toEqual({ state: pending('s000', 'equipment', { deadline: '2022-12-01' }), task: null });
    expect(await store.getSchool('nope')).toBeNull();
    expect(await store.getMilestone('s000', 'training')).toBeNull();
  });

  it('lists every school over pages with an opaque cursor, ordered by district then id', async () => {
    const { items, pages } = await all((cursor) => store.listAllSchools({ limit: 25, cursor }));
    expect(items).toHaveLength(60);
    expect(pages).toBeGreaterThanOrEqual(3);
    const expected = [...schools].sort((a, b) => a.district.localeCompare(b.district) || a.id.localeCompare(b.id));
    expect(items.map((s) => s.id)).toEqual(expected.map((s) => s.id));
  });

  it('lists the schools of one district', async () => {
    const { items } = await all((cursor) => store.listSchoolsByDistrict('omsk', { limit: 7, cursor }));
    expect(items.map((s) => s.id)).toEqual(schools.filter((s) => s.district === 'omsk').map((s) => s.id));
    expect((await store.listSchoolsByDistrict('nowhere')).items).toEqual([]);
  });

  it('refuses a tampered, foreign or malformed cursor with InvalidCursorError', async () => {
    const page = await store.listSchoolsByDistrict('omsk', { limit: 5 });
    const cursor = page.cursor!;
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as { q: string; k: Record<string, string> };

    const retarget = (k: Record<string, string>) => Buffer.from(JSON.stringify({ ...decoded, k })).toString('base64url');
    const bad = [
      cursor.slice(0, -3) + 'xyz',
      'not a cursor!',
      retarget({ ...decoded.k, GSI3SK: 'tara#s002' }), // another district's position
      retarget({ ...decoded.k, extra: 'x' }),
      Buffer.from(JSON.stringify({ ...decoded, q: 'schools' })).toString('base64url'),
    ];
    for (const c of bad) await expect(store.listSchoolsByDistrict('omsk', { cursor: c })).rejects.toBeInstanceOf(InvalidCursorError);
    // A cursor from one listing is not accepted by another.
    await expect(store.listAllSchools({ cursor })).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(store.listSchoolsByDistrict('tara', { cursor })).rejects.toBeInstanceOf(InvalidCursorError);
  });
});

describe('contractors', () => {
  it('puts, gets and lists contractors from their partition', async () => {
    await store.putContractor(contractor('rostelecom'));
    await store.putContractor(contractor('svyaz', { kind: 'equipment-supplier', districts: ['tara'] }));
    expect(await store.getContractor('svyaz')).toEqual(contractor('svyaz', { kind: 'equipment-supplier', districts: ['tara'] }));
    expect((await store.listContractors()).map((c) => c.id)).toEqual(['rostelecom', 'svyaz']);
    expect(await store.getContractor('unknown')).toBeNull();
  });
});

describe('milestones', () => {
  it('initMilestones creates what is missing and leaves existing items untouched', async () => {
    const first = pending('init-1');
    expect(await store.initMilestones([first])).toEqual({ created: 1, existing: 0 });
    const started = start(first, 'rostelecom');
    await store.commit({ schoolId: 'init-1', key: 'connection', expectedVersion: 0, state: started.state, events: [started.event] });
    expect(await store.initMilestones([first, pending('init-1', 'training')])).toEqual({ created: 1, existing: 1 });
    expect((await store.getMilestone('init-1', 'connection'))?.state).toEqual(started.state);
  });

  it('lists open milestones by deadline, merged over the shards, within a range', async () => {
    // 40 schools, deadlines spread over 2023; every fifth is waived (terminal), so not open.
    const states: MilestoneState[] = [];
    for (let i = 0; i < 40; i++) {
      const day = String((i % 28) + 1).padStart(2, '0');
      const month = String((i % 12) + 1).padStart(2, '0');
      states.push(pending(`open-${i}`, 'training', { deadline: `2023-${month}-${day}` }));
    }
    await store.initMilestones(states);
    for (let i = 0; i < 40; i += 5) {
      const w = waive(states[i]!);
      await store.commit({ schoolId: w.state.schoolId, key: 'training', expectedVersion: 0, state: w.state, events: [w.event] });
    }
    const open = states.filter((_, i) => i % 5 !== 0);
    const order = (a: MilestoneState, b: MilestoneState) => a.deadline.localeCompare(b.deadline) || a.schoolId.localeCompare(b.schoolId);

    const year = await all((cursor) => store.listOpenByDeadline({ from: '2023-01-01', to: '2023-12-31', limit: 7, cursor }));
    expect(year.items.map((s) => s.schoolId)).toEqual([...open].sort(order).map((s) => s.schoolId));
    expect(year.pages).toBeGreaterThan(4);

    const spring = await all((cursor) => store.listOpenByDeadline({ from: '2023-03-01', to: '2023-05-31', limit: 3, cursor }));
    const inSpring = open.filter((s) => s.deadline >= '2023-03-01' && s.deadline <= '2023-05-31').sort(order);
    expect(inSpring.length).toBeGreaterThan(3);
    expect(spring.items.map((s) => s.schoolId)).toEqual(inSpring.map((s) => s.schoolId));

    // Only an upper bound: what is overdue on a day.
    const overdue = (await store.listOpenByDeadline({ to: '2023-02-28', limit: 1000 })).items.filter((s) => s.schoolId.startsWith('open-'));
    expect(overdue.map((s) => s.schoolId)).toEqual(
      open
        .filter((s) => s.deadline <= '2023-02-28')
        .sort(order)
        .map((s) => s.schoolId),
    );
    expect(overdue.length).toBeGreaterThan(0);

    const page = await store.listOpenByDeadline({ limit: 3, from: '2023-01-01', to: '2023-12-31' });
    const tampered = Buffer.from(JSON.stringify({ q: 'open', s: [null, 'done'] })).toString('base64url');
    await expect(store.listOpenByDeadline({ cursor: tampered })).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(store.listPendingNotifications({ cursor: page.cursor })).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it('lists the open assignments of a contractor, soonest deadline first', async () => {
    const a = start(pending('asg-1', 'equipment', { deadline: '2024-12-01' }), 'techno');
    const b = start(pending('asg-2', 'equipment', { deadline: '2024-06-01' }), 'techno');
    const c = start(pending('asg-3', 'equipment', { deadline: '2024-01-01' }), 'other');
    for (const x of [a, b, c])
      await store.commit({ schoolId: x.state.schoolId, key: 'equipment', expectedVersion: 0, state: x.state, events: [x.event] });
    const page = await store.listAssignments('techno', { limit: 1 });
    expect(page.items.map((s) => s.schoolId)).toEqual(['asg-2']);
    const rest = await store.listAssignments('techno', { cursor: page.cursor });
    expect(rest.items.map((s) => s.schoolId)).toEqual(['asg-1']);
    expect(rest.cursor).toBeNull();
    // A moved deadline moves the item in the index.
    const moved = reschedule(a.state, '2024-02-01');
    await store.commit({ schoolId: 'asg-1', key: 'equipment', expectedVersion: 1, state: moved.state, events: [moved.event] });
    expect((await store.listAssignments('techno')).items.map((s) => s.schoolId)).toEqual(['asg-1', 'asg-2']);
  });

  it('reads the audit history newest or oldest first, per milestone, over pages', async () => {
    let conn = pending('hist-1', 'connection');
    let train = pending('hist-1', 'training');
    const times = ['2021-02-01T09:00:00.000Z', '2021-02-02T09:00:00.000+06:00', '2021-02-03T09:00:00.000Z'];
    for (const [i, at] of times.entries()) {
      const next = i === 0 ? start(conn, 'rostelecom', at) : reschedule(conn, `2022-0${i}-01`, at);
      await store.commit({ schoolId: 'hist-1', key: 'connection', expectedVersion: conn.version, state: next.state, events: [next.event] });
      conn = next.state;
      const t = i === 0 ? start(train, 'trainer', at) : reschedule(train, `2022-0${i}-02`, at);
      await store.commit({ schoolId: 'hist-1', key: 'training', expectedVersion: train.version, state: t.state, events: [t.event] });
      train = t.state;
    }
    const newest = await all((cursor) => store.history('hist-1', { limit: 4, cursor }));
    expect(newest.items).toHaveLength(6);
    const instants = newest.items.map((e) => Date.parse(e.at));
    expect(instants).toEqual([...instants].sort((x, y) => y - x));
    expect(newest.items[0]?.at).toBe(times[2]);

    const oldest = await store.history('hist-1', { order: 'oldest-first', milestone: 'training', limit: 2 });
    expect(oldest.items.map((e) => [e.milestone, e.version])).toEqual([
      ['training', 1],
      ['training', 2],
    ]);
    const rest = await store.history('hist-1', { order: 'oldest-first', milestone: 'training', limit: 2, cursor: oldest.cursor });
    expect(rest.items.map((e) => e.version)).toEqual([3]);
    await expect(store.history('hist-2', { cursor: oldest.cursor })).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it('names the key of a corrupt item read back', async () => {
    const item = toItem({ PK: 'SCHOOL#bad', SK: 'MILESTONE#connection', entity: 'milestone', ...pending('bad'), status: 'lost' });
    await client.send(new PutItemCommand({ TableName: tableName, Item: item }));
    const error = await store.getMilestone('bad', 'connection').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptItemError);
    expect((error as Error).message).toContain('SCHOOL#bad / MILESTONE#connection');
    expect((error as Error).message).toContain('status');
  });
});
