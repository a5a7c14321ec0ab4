import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { MilestoneTable } from '../../infra/aws/constructs/milestone-table.js';
import { createTablesFromTemplate, tableDefinitions, type CfnTemplate } from '../../infra/local/tables.js';
import { INDEX, TTL_ATTRIBUTE } from '../../shared/store/index.js';
import { createTestTable, milestoneTableTemplate } from '../support/table.js';

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };

function onlyTable(template: CfnTemplate): Resource {
  const tables = Object.values(template.Resources ?? {}).filter((r) => r.Type === 'AWS::DynamoDB::GlobalTable');
  expect(tables).toHaveLength(1);
  return tables[0] as Resource;
}

describe('MilestoneTable construct', () => {
  it('declares the single table: on-demand, keys, sparse GSIs with projection ALL, TTL, stream, PITR', () => {
    const p = onlyTable(milestoneTableTemplate()).Properties;
    expect(p.BillingMode).toBe('PAY_PER_REQUEST');
    expect(p.KeySchema).toEqual([
      { AttributeName: 'PK', KeyType: 'HASH' },
      { AttributeName: 'SK', KeyType: 'RANGE' },
    ]);
    expect(p.GlobalSecondaryIndexes).toEqual(
      Object.values(INDEX).map((i) => ({
        IndexName: i.name,
        KeySchema: [
          { AttributeName: i.pk, KeyType: 'HASH' },
          { AttributeName: i.sk, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    );
    expect(p.TimeToLiveSpecification).toEqual({ AttributeName: TTL_ATTRIBUTE, Enabled: true });
    expect(p.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
    expect(p.Replicas).toEqual([
      expect.objectContaining({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: false }),
    ]);
  });

  it('takes deletion protection from its props and retains the table by default', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'milestone-table-'));
    const app = new App({ outdir });
    const stack = new Stack(app, 'Prod');
    new MilestoneTable(stack, 'Milestones', { deletionProtection: true, tableName: 'milestones-prod' });
    const table = onlyTable(app.synth().getStackByName('Prod').template as CfnTemplate);
    rmSync(outdir, { recursive: true, force: true });
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.Properties.TableName).toBe('milestones-prod');
    expect(table.Properties.Replicas).toEqual([expect.objectContaining({ DeletionProtectionEnabled: true })]);
  });

  it('offers the stream filter that selects new outbox items', () => {
    expect(JSON.parse(MilestoneTable.outboxFilter().pattern as string)).toEqual({
      eventName: ['INSERT'],
      dynamodb: { NewImage: { entity: { S: ['notification'] } } },
    });
  });
});

describe('tables from the template on DynamoDB Local', () => {
  it('creates the table with its indexes, stream and TTL', async () => {
    const { client, tableName } = await createTestTable('template');
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'PK', KeyType: 'HASH' },
      { AttributeName: 'SK', KeyType: 'RANGE' },
    ]);
    expect(Table?.GlobalSecondaryIndexes?.map((g) => [g.IndexName, g.Projection?.ProjectionType]).sort()).toEqual([
      ['GSI1', 'ALL'],
      ['GSI2', 'ALL'],
      ['GSI3', 'ALL'],
    ]);
    expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_IMAGE' });
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ AttributeName: TTL_ATTRIBUTE, TimeToLiveStatus: 'ENABLED' });
  });

  it('switches the stream of a table kept with it off on again, and says so', async () => {
    const { client, tableName } = await createTestTable('stream-off');
    const item = { PK: { S: 'SCHOOL#sch-1' }, SK: { S: 'PROFILE' } };
    await client.send(new UpdateTableCommand({ TableName: tableName, StreamSpecification: { StreamEnabled: false } }));
    await client.send(new PutItemCommand({ TableName: tableName, Item: item }));
    const again = await createTablesFromTemplate(client, milestoneTableTemplate(), { tableName: () => tableName });
    expect(again).toEqual([expect.objectContaining({ tableName, created: false, streamRestarted: true })]);
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_IMAGE' });
    expect((await client.send(new GetItemCommand({ TableName: tableName, Key: item }))).Item).toEqual(item);
    // On: left as it is.
    const third = await createTablesFromTemplate(client, milestoneTableTemplate(), { tableName: () => tableName });
    expect(third).toEqual([expect.objectContaining({ created: false, streamRestarted: false })]);
  });

  it('leaves a switched-off stream off for a system that reads none (restartStream: false)', async () => {
    const { client, tableName } = await createTestTable('stream-kept-off');
    await client.send(new UpdateTableCommand({ TableName: tableName, StreamSpecification: { StreamEnabled: false } }));
    const again = await createTablesFromTemplate(client, milestoneTableTemplate(), { tableName: () => tableName, restartStream: false });
    expect(again).toEqual([expect.objectContaining({ tableName, created: false, streamRestarted: false })]);
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.StreamSpecification?.StreamEnabled ?? false).toBe(false);
  });

  it('reads AWS::DynamoDB::Table too, and refuses what it cannot create', () => {
    const template: CfnTemplate = {
      Resources: {
        Plain: {
          Type: 'AWS::DynamoDB::Table',
          Properties: {
            TableName: 'plain',
            KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
            AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
            BillingMode: 'PROVISIONED',
            ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
          },
        },
        Other: { Type: 'AWS::SQS::Queue', Properties: {} },
      },
    };
    expect(tableDefinitions(template)).toEqual([
      {
        logicalId: 'Plain',
        input: {
          TableName: 'plain',
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          BillingMode: 'PAY_PER_REQUEST',
        },
      },
    ]);
    const computed = structuredClone(template);
    computed.Resources!.Plain!.Properties!.KeySchema = [{ AttributeName: { Ref: 'KeyName' }, KeyType: 'HASH' }];
    expect(() => tableDefinitions(computed)).toThrow(/Plain .*KeySchema.AttributeName must be a literal string/);
    const imported = structuredClone(template);
    imported.Resources!.Plain!.Properties!.ImportSourceSpecification = {};
    expect(() => tableDefinitions(imported)).toThrow(/ImportSourceSpecification is not supported/);
  });
});
