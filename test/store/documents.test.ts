/**
 * Generated evidence documents against DynamoDB Local: a submission's documents are attached together
 * while the milestone is active, all of them or none.
 */
import { PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { attachGeneratedDocuments } from '../../shared/documents/generated.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import { AttachRefusedError } from '../../shared/store/documents.js';
import { refOf, type DocumentRecord } from '../../shared/documents/model.js';
import { createStore, type MilestoneStore } from '../../shared/store/index.js';
import { keys } from '../../shared/store/keys.js';
import { documentToItem, toItem } from '../../shared/store/marshall.js';
import { createTestTable } from '../support/table.js';
import { pending, school, start } from './fixtures.js';

let client: DynamoDBClient;
let store: MilestoneStore;
let tableName: string;

beforeAll(async () => {
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

describe('the milestone item lists its documents', () => {
  // The milestone item as every read of it gives it (the school's Query, a milestone's GetItem).
  const listed = async (schoolId: string) => (await store.getMilestone(schoolId, 'connection'))!.documents;
  const refs = async (schoolId: string) => (await store.listDocuments(schoolId, 'connection')).map(refOf);

  it('as the DOC# items do, through attaching and removing', async () => {
    const s0 = pending('d-3');
    await store.initMilestones([s0]);
    expect(await listed('d-3')).toBeUndefined(); // pending: not started, no list yet
    const { state, event } = start(s0, 'isp-1');
    await store.commit({ schoolId: 'd-3', key: 'connection', expectedVersion: 0, state, events: [event] });
    expect(await listed('d-3')).toEqual([]);

    await attachGeneratedDocuments({ store, bucket: null }, connection, school('d-3'), CONTRACTOR, AT);
    const all = await refs('d-3');
    expect(all.length).toBeGreaterThan(1);
    expect(await listed('d-3')).toEqual(all);

    const [first] = await store.listDocuments('d-3', 'connection');
    await store.detachDocument(first!);
    expect(await listed('d-3')).toEqual(all.slice(1));
    expect(await refs('d-3')).toEqual(all.slice(1));
  });

  it('of a milestone started before items listed them: read from the DOC# items, listed at the next attach', async () => {
    const s0 = pending('d-4');
    await store.initMilestones([s0]);
    const { state, event } = start(s0, 'isp-1');
    await store.commit({ schoolId: 'd-4', key: 'connection', expectedVersion: 0, state, events: [event] });
    // As such an item is: no list, and a document attached the way it was then (its DOC# item alone).
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: toItem(keys.milestone('d-4', 'connection')),
        UpdateExpression: 'REMOVE documentsListed',
      }),
    );
    const earlier: DocumentRecord = {
      id: 'doc-earlier',
      schoolId: 'd-4',
      milestone: 'connection',
      type: 'photo',
      contentType: 'image/jpeg',
      size: 1234,
      sha256: 'a'.repeat(64),
      fileName: 'photo.jpg',
      uploadedBy: { sub: CONTRACTOR.sub, role: 'contractor', org: 'isp-1' },
      uploadedAt: AT.toISOString(),
      key: 'documents/d-4/connection/doc-earlier.jpg',
      versionId: null,
    };
    await client.send(new PutItemCommand({ TableName: tableName, Item: documentToItem(earlier) }));
    expect(await listed('d-4')).toBeUndefined();

    await attachGeneratedDocuments({ store, bucket: null }, connection, school('d-4'), CONTRACTOR, AT);
    const all = await refs('d-4');
    expect(all.map((r) => r.id)).toContain('doc-earlier');
    expect(await listed('d-4')).toEqual(all);
  });
});
