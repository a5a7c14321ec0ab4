/**
 * Generated evidence documents against DynamoDB Local: a submission's documents are attached together
 * while the milestone is active, all of them or none.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { attachGeneratedDocuments } from '../../shared/documents/generated.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import { AttachRefusedError } from '../../shared/store/documents.js';
import { createStore, type MilestoneStore } from '../../shared/store/index.js';
import { createTestTable } from '../support/table.js';
import { pending, school, start } from './fixtures.js';

let client: DynamoDBClient;
let store: MilestoneStore;

beforeAll(async () => {
  let tableName: string;
  ({ client, tableName } = await createTestTable('documents'));
  store = createStore({ client, tableName });
});

const connection = REFERENCE_PROGRAM.milestones.find((m) => m.key === 'connection')!;
const CONTRACTOR = { role: 'contractor' as const, sub: 'isp-1-user', org: 'isp-1' };
const AT = new Date('2021-03-01T05:00:00.000Z');

describe('attaching generated documents', () => {
  it('attaches every document the evidence requires while the milestone is active, and none twice', async () => {
    const s0 = pending('d-1');
    await store.initMilestones([s0]);
    const { state, event } = start(s0, 'isp-1');
    await store.commit({ schoolId: 'd-1', key: 'connection', expectedVersion: 0, state, events: [event] });

    const written = await attachGeneratedDocuments({ store, bucket: null }, connection, school('d-1'), CONTRACTOR, AT);
    const required = connection.documents.filter((r) => r.required || r.type === 'photo').map((r) => r.type);
    expect(written.map((d) => d.type).sort()).toEqual([...required].sort());
    expect(written.length).toBeGreaterThan(1);
    const stored = await store.listDocuments('d-1', 'connection');
    expect(stored.map((d) => d.id).sort()).toEqual(written.map((d) => d.id).sort());
    // Again: the milestone has them all, nothing more is written.
    expect(await attachGeneratedDocuments({ store, bucket: null }, connection, school('d-1'), CONTRACTOR, AT)).toEqual([]);
    expect(await store.listDocuments('d-1', 'connection')).toHaveLength(stored.length);
  });

  it('refuses them all when the milestone is not active, and writes none', async () => {
    await store.initMilestones([pending('d-2')]);
    const error = await attachGeneratedDocuments({ store, bucket: null }, connection, school('d-2'), CONTRACTOR, AT).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AttachRefusedError);
    expect((error as AttachRefusedError).reason).toBe('not-active');
    expect(await store.listDocuments('d-2', 'connection')).toEqual([]);
  });
});
