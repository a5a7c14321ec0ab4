/**
 * The contractor register and school profile edits against DynamoDB Local: versions, all-or-nothing
 * saves with their audit events, and a profile edit that keeps the school's milestone summary.
 */
import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AdminEvent, Contractor } from '../../shared/program/model.js';
import { createStore, toItem, type MilestoneStore } from '../../shared/store/index.js';
import { createTestTable } from '../support/table.js';
import { contractor, pending, school, start } from './fixtures.js';

let client: DynamoDBClient;
let tableName: string;
let store: MilestoneStore;

beforeAll(async () => {
  ({ client, tableName } = await createTestTable('admin'));
  store = createStore({ client, tableName });
});

const MANAGER = { role: 'program-manager' as const, sub: 'pm-1' };
function audit(type: AdminEvent['subject']['type'], id: string, version: number, at = '2022-03-01T05:00:00.000Z'): AdminEvent {
  return {
    subject: { type, id },
    type: version === 1 ? 'created' : 'updated',
    at,
    actor: MANAGER,
    version,
    changes: [{ field: 'name', from: null, to: id }],
  };
}
const contract = { number: 'K-1', date: '2021-01-01', milestone: 'connection', districts: [], schools: [], endDate: '2024-12-31' };

describe('the contractor register', () => {
  it('creates contractors all or nothing, with their audit events', async () => {
    const a = contractor('isp-a', { contracts: [contract], emails: ['a@example.org'] });
    const b = contractor('isp-b');
    await store.saveContractors([
      { contractor: a, expectedVersion: 0, event: audit('contractor', 'isp-a', 1) },
      { contractor: b, expectedVersion: 0, event: audit('contractor', 'isp-b', 1) },
    ]);
    expect(await store.getContractorRecord('isp-a')).toEqual({ contractor: a, version: 1 });
    // A batch with one contractor that exists already writes nothing at all.
    const c = contractor('isp-c');
    await expect(
      store.saveContractors([
        { contractor: c, expectedVersion: 0, event: audit('contractor', 'isp-c', 1) },
        { contractor: { ...b, name: 'B again' }, expectedVersion: 0, event: audit('contractor', 'isp-b', 1, '2022-03-02T05:00:00.000Z') },
      ]),
    ).rejects.toMatchObject({ code: 'version-conflict', message: 'contractor isp-b already exists' });
    expect(await store.getContractorRecord('isp-c')).toBeNull();
    expect((await store.adminHistory({ type: 'contractor', id: 'isp-c' })).items).toEqual([]);
    expect((await store.getContractorRecord('isp-b'))!.contractor.name).toBe(b.name);
  });

  it('changes a contractor only at its version, and keeps every change in its history, newest first', async () => {
    const before = (await store.getContractorRecord('isp-a'))!;
    const deactivated: Contractor = { ...before.contractor, active: false };
    await store.saveContractors([
      {
        contractor: deactivated,
        expectedVersion: 1,
        event: { ...audit('contractor', 'isp-a', 2, '2022-04-01T05:00:00.000Z'), type: 'deactivated' },
      },
    ]);
    await expect(
      store.saveContractors([
        { contractor: before.contractor, expectedVersion: 1, event: audit('contractor', 'isp-a', 2, '2022-04-02T05:00:00.000Z') },
      ]),
    ).rejects.toMatchObject({ code: 'version-conflict' });
    expect(await store.getContractorRecord('isp-a')).toEqual({ contractor: deactivated, version: 2 });
    expect((await store.listContractorRecords()).map((r) => [r.contractor.id, r.version])).toEqual([
      ['isp-a', 2],
      ['isp-b', 1],
    ]);
    expect((await store.adminHistory({ type: 'contractor', id: 'isp-a' })).items.map((e) => [e.type, e.version])).toEqual([
      ['deactivated', 2],
      ['created', 1],
    ]);
  });

  it('reads a record written before contractors had contracts and versions', async () => {
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: toItem({
          PK: 'CONTRACTORS',
          SK: 'CONTRACTOR#old-isp',
          entity: 'contractor',
          id: 'old-isp',
          name: 'Old',
          kind: 'internet-provider',
          districts: [],
          email: 'old@example.org',
        }),
      }),
    );
    expect(await store.getContractorRecord('old-isp')).toEqual({
      contractor: {
        id: 'old-isp',
        name: 'Old',
        kind: 'internet-provider',
        districts: [],
        emails: ['old@example.org'],
        active: true,
        contracts: [],
      },
      version: 1,
    });
  });
});

describe('school profiles', () => {
  it('an edit changes the profile at its version, moves it in the district index, and keeps the milestone summary', async () => {
    await store.putSchools([school('p-1', 'omsk', { students: 300 })]);
    const started = start(pending('p-1', 'connection'), 'isp-b');
    await store.initMilestones([pending('p-1', 'connection')]);
    await store.commit({ schoolId: 'p-1', key: 'connection', expectedVersion: 0, state: started.state, events: [started.event] });
    expect((await store.getSchool('p-1'))!.version).toBe(0);

    const { students: _students, ...withoutStudents } = school('p-1', 'tara');
    const edited = { ...withoutStudents, cohortYear: 2023, name: 'Школа p-1 (новое здание)' };
    expect(await store.updateSchoolProfile(edited, 0, audit('school', 'p-1', 1))).toEqual({ version: 1 });
    await expect(store.updateSchoolProfile(edited, 0, audit('school', 'p-1', 1, '2022-03-05T05:00:00.000Z'))).rejects.toMatchObject({
      code: 'version-conflict',
    });
    await expect(store.updateSchoolProfile(school('nobody'), 0, audit('school', 'nobody', 1))).rejects.toMatchObject({
      code: 'version-conflict',
    });

    const record = (await store.getSchool('p-1'))!;
    expect(record.school).toEqual(edited);
    expect(record.version).toBe(1);
    expect((await store.listSchoolsByDistrict('tara')).items.map((s) => s.id)).toContain('p-1');
    expect((await store.listSchoolsByDistrict('omsk')).items.map((s) => s.id)).not.toContain('p-1');
    const summary = (await store.listSchoolSummaries({ district: 'tara', milestones: ['connection'] })).items.find(
      (s) => s.school.id === 'p-1',
    )!;
    expect(summary.milestones).toEqual([expect.objectContaining({ key: 'connection', status: 'active', assignee: 'isp-b', version: 1 })]);
    expect((await store.adminHistory({ type: 'school', id: 'p-1' })).items).toHaveLength(1);

    const archived = { ...edited, archived: { on: '2023-09-01', reason: 'merged' as const, mergedInto: 's000' } };
    await store.updateSchoolProfile(archived, 1, { ...audit('school', 'p-1', 2, '2023-09-01T05:00:00.000Z'), type: 'archived' });
    expect((await store.getSchools(['p-1'], []))[0]).toMatchObject({ school: archived, version: 2 });
  });
});
