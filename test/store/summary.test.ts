/**
 * Reads for lists and reports: the batch read of many schools, and the milestone summary each profile
 * carries (written with every commit and every milestone created), read through the schools index.
 */
import { DeleteItemCommand, GetItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createStore, keys, lineOf, toItem, type MilestoneStore, type SchoolSummary } from '../../shared/store/index.js';
import { createTestTable } from '../support/table.js';
import { pending, reschedule, school, start, waive } from './fixtures.js';

let client: DynamoDBClient;
let tableName: string;
let store: MilestoneStore;

beforeAll(async () => {
  ({ client, tableName } = await createTestTable('summary'));
  store = createStore({ client, tableName });
});

const KEYS = ['connection', 'equipment', 'training', 'onboarding'];

async function summaries(district: string): Promise<SchoolSummary[]> {
  const out: SchoolSummary[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.listSchoolSummaries({ district, milestones: KEYS, limit: 3, cursor });
    out.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return out;
}

async function profileAttributes(schoolId: string): Promise<string[]> {
  const out = await client.send(new GetItemCommand({ TableName: tableName, Key: toItem(keys.school(schoolId)), ConsistentRead: true }));
  return Object.keys(out.Item ?? {}).sort();
}

describe('getSchools', () => {
  it('reads the profiles and the named milestones of many schools at once, in the order asked, null for unknown ids', async () => {
    const schools = Array.from({ length: 30 }, (_, i) => school(`batch-${String(i).padStart(2, '0')}`, 'batch'));
    await store.putSchools(schools);
    // 120 milestone keys and 30 profiles: more than one BatchGetItem request.
    await store.initMilestones(schools.flatMap((s) => KEYS.map((k) => pending(s.id, k))));
    const ids = ['batch-07', 'nobody', ...schools.map((s) => s.id).reverse()];
    const records = await store.getSchools(ids, KEYS);
    expect(records).toHaveLength(ids.length);
    expect(records[1]).toBeNull();
    expect(records[0]).toEqual(await store.getSchool('batch-07'));
    expect(records.slice(2).map((r) => r?.school.id)).toEqual(schools.map((s) => s.id).reverse());
    for (const r of records.slice(2)) expect(r!.milestones.map((m) => m.state.key)).toEqual([...KEYS].sort());
    // Profiles only.
    expect((await store.getSchools(['batch-01'], []))[0]).toEqual({ school: schools[1], version: 0, milestones: [] });
  });
});

describe('the milestone summary on the profile', () => {
  it('is written when milestones are created and with every commit; the list reads it from the index alone', async () => {
    const [a, b] = [school('sum-a', 'sum'), school('sum-b', 'sum')];
    await store.putSchools([a, b]);
    const created = await store.initMilestones([
      pending('sum-a', 'connection'),
      pending('sum-a', 'training'),
      pending('sum-b', 'connection'),
    ]);
    expect(created).toEqual({ created: 3, existing: 0 });
    expect(await profileAttributes('sum-a')).toEqual(expect.arrayContaining(['milestone:connection', 'milestone:training']));

    const started = start(pending('sum-a', 'connection'), 'rostelecom');
    await store.commit({ schoolId: 'sum-a', key: 'connection', expectedVersion: 0, state: started.state, events: [started.event] });
    const moved = reschedule(started.state, '2022-06-30');
    await store.commit({ schoolId: 'sum-a', key: 'connection', expectedVersion: 1, state: moved.state, events: [moved.event] });
    const waived = waive(pending('sum-b', 'connection'));
    await store.commit({ schoolId: 'sum-b', key: 'connection', expectedVersion: 0, state: waived.state, events: [waived.event] });

    expect(await summaries('sum')).toEqual([
      { school: a, milestones: [lineOf(moved.state), lineOf(pending('sum-a', 'training'))] },
      { school: b, milestones: [lineOf(waived.state)] },
    ]);
    // The profile read as a school is unchanged by its summary.
    expect((await store.getSchool('sum-a'))!.school).toEqual(a);
    expect((await store.listSchoolsByDistrict('sum')).items).toEqual([a, b]);
  });

  it('falls back to the milestone items for lines a profile lacks (written again, or stored before lines existed)', async () => {
    const c = school('sum-c', 'sum2');
    await store.putSchools([c]);
    await store.initMilestones([pending('sum-c', 'connection'), pending('sum-c', 'equipment')]);
    const started = start(pending('sum-c', 'connection'), 'rostelecom');
    await store.commit({ schoolId: 'sum-c', key: 'connection', expectedVersion: 0, state: started.state, events: [started.event] });

    // A profile written again loses its summary; a profile from before lines has none.
    await store.putSchools([c]);
    expect((await profileAttributes('sum-c')).filter((k) => k.startsWith('milestone:'))).toEqual([]);
    expect(await summaries('sum2')).toEqual([{ school: c, milestones: [lineOf(started.state), lineOf(pending('sum-c', 'equipment'))] }]);

    // Lines that are there are used, the missing ones read from the items.
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: toItem(keys.school('sum-c')),
        UpdateExpression: 'SET #l = :l',
        ExpressionAttributeNames: { '#l': 'milestone:equipment' },
        ExpressionAttributeValues: { ':l': { M: toItem(lineOf(pending('sum-c', 'equipment'))) } },
      }),
    );
    expect(await summaries('sum2')).toEqual([{ school: c, milestones: [lineOf(started.state), lineOf(pending('sum-c', 'equipment'))] }]);
  });

  it('commits and creates milestones of a school without a profile, without a summary', async () => {
    expect(await store.initMilestones([pending('no-profile', 'connection')])).toEqual({ created: 1, existing: 0 });
    const started = start(pending('no-profile', 'connection'), 'rostelecom');
    await store.commit({ schoolId: 'no-profile', key: 'connection', expectedVersion: 0, state: started.state, events: [started.event] });
    expect(await profileAttributes('no-profile')).toEqual([]);
    expect((await store.getMilestone('no-profile', 'connection'))!.state).toEqual(started.state);
    // Created again: nothing changes.
    expect(await store.initMilestones([pending('no-profile', 'connection'), pending('no-profile', 'training')])).toEqual({
      created: 1,
      existing: 1,
    });
  });

  it('initMilestones leaves existing items and their lines alone and writes the lines of the new ones', async () => {
    const d = school('sum-d', 'sum3');
    await store.putSchools([d]);
    await store.initMilestones([pending('sum-d', 'connection')]);
    const started = start(pending('sum-d', 'connection'), 'rostelecom');
    await store.commit({ schoolId: 'sum-d', key: 'connection', expectedVersion: 0, state: started.state, events: [started.event] });
    expect(await store.initMilestones([pending('sum-d', 'connection'), pending('sum-d', 'onboarding')])).toEqual({
      created: 1,
      existing: 1,
    });
    expect(await summaries('sum3')).toEqual([{ school: d, milestones: [lineOf(started.state), lineOf(pending('sum-d', 'onboarding'))] }]);
    // The school deleted: its summary is gone with it; the items stay.
    await client.send(new DeleteItemCommand({ TableName: tableName, Key: toItem(keys.school('sum-d')) }));
    expect(await summaries('sum3')).toEqual([]);
  });
});
