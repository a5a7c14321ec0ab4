/**
 * Tables for DynamoDB Local from a synthesized CloudFormation template (DESIGN.md principle 3): every
 * `AWS::DynamoDB::Table` and `AWS::DynamoDB::GlobalTable` becomes a CreateTable with the template's key
 * schema, attribute definitions, secondary indexes, stream and TTL. What only matters in AWS (billing,
 * point-in-time recovery, deletion protection, encryption, replicas, tags) is left to AWS.
 */
import { readFileSync } from 'node:fs';
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type LocalSecondaryIndex,
  type Projection,
  type StreamViewType,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';

export interface CfnTemplate {
  Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

export interface TableDefinition {
  logicalId: string;
  /** CreateTable input; TableName is the template's literal name, or the logical id when it has none. */
  input: CreateTableCommandInput;
  ttlAttribute?: string;
}

export interface CreatedTable {
  logicalId: string;
  tableName: string;
  created: boolean;
  /**
   * The table existed with its stream switched off (a simulation switches it off while it writes) and
   * the stream was switched on again: it holds none of the writes made before.
   */
  streamRestarted: boolean;
}

const TABLE_TYPES = new Set(['AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable']);
/** Properties that need something DynamoDB Local cannot give; refused rather than silently ignored. */
const UNSUPPORTED = ['ImportSourceSpecification'];

export function readTemplate(file: string): CfnTemplate {
  return JSON.parse(readFileSync(file, 'utf8')) as CfnTemplate;
}

function list<T>(value: unknown, what: string): T[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`${what} is not a list`);
  return value as T[];
}

function literal(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what} must be a literal string in the template, found ${JSON.stringify(value)}`);
  return value;
}

function keySchema(value: unknown, what: string): KeySchemaElement[] {
  const schema = list<{ AttributeName: unknown; KeyType: unknown }>(value, what);
  if (schema.length === 0) throw new Error(`${what} is missing`);
  return schema.map((k) => ({
    AttributeName: literal(k.AttributeName, `${what}.AttributeName`),
    KeyType: literal(k.KeyType, `${what}.KeyType`) as KeySchemaElement['KeyType'],
  }));
}

function projection(value: unknown): Projection {
  const p = (value ?? {}) as { ProjectionType?: string; NonKeyAttributes?: string[] };
  return {
    ProjectionType: (p.ProjectionType ?? 'KEYS_ONLY') as Projection['ProjectionType'],
    ...(p.NonKeyAttributes ? { NonKeyAttributes: p.NonKeyAttributes } : {}),
  };
}

/** The tables a template declares. */
export function tableDefinitions(template: CfnTemplate): TableDefinition[] {
  return Object.entries(template.Resources ?? {})
    .filter(([, r]) => TABLE_TYPES.has(r.Type))
    .map(([logicalId, resource]) => {
      const p = resource.Properties ?? {};
      const where = `${logicalId} (${resource.Type})`;
      for (const name of UNSUPPORTED) if (p[name] !== undefined) throw new Error(`${where}: ${name} is not supported locally`);
      const gsis = list<Record<string, unknown>>(p.GlobalSecondaryIndexes, `${where}.GlobalSecondaryIndexes`).map(
        (g, i): GlobalSecondaryIndex => ({
          IndexName: literal(g.IndexName, `${where}.GlobalSecondaryIndexes[${i}].IndexName`),
          KeySchema: keySchema(g.KeySchema, `${where}.GlobalSecondaryIndexes[${i}].KeySchema`),
          Projection: projection(g.Projection),
        }),
      );
      const lsis = list<Record<string, unknown>>(p.LocalSecondaryIndexes, `${where}.LocalSecondaryIndexes`).map(
        (l, i): LocalSecondaryIndex => ({
          IndexName: literal(l.IndexName, `${where}.LocalSecondaryIndexes[${i}].IndexName`),
          KeySchema: keySchema(l.KeySchema, `${where}.LocalSecondaryIndexes[${i}].KeySchema`),
          Projection: projection(l.Projection),
        }),
      );
      const attributes = list<{ AttributeName: unknown; AttributeType: unknown }>(
        p.AttributeDefinitions,
        `${where}.AttributeDefinitions`,
      ).map((a): AttributeDefinition => ({
        AttributeName: literal(a.AttributeName, `${where}.AttributeDefinitions.AttributeName`),
        AttributeType: literal(a.AttributeType, `${where}.AttributeDefinitions.AttributeType`) as AttributeDefinition['AttributeType'],
      }));
      const stream = p.StreamSpecification as { StreamViewType?: string } | undefined;
      const ttl = p.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
      const input: CreateTableCommandInput = {
        TableName: typeof p.TableName === 'string' ? p.TableName : logicalId,
        KeySchema: keySchema(p.KeySchema, `${where}.KeySchema`),
        AttributeDefinitions: attributes,
        BillingMode: 'PAY_PER_REQUEST',
        ...(gsis.length ? { GlobalSecondaryIndexes: gsis } : {}),
        ...(lsis.length ? { LocalSecondaryIndexes: lsis } : {}),
        ...(stream?.StreamViewType
          ? { StreamSpecification: { StreamEnabled: true, StreamViewType: stream.StreamViewType as StreamViewType } }
          : {}),
      };
      return { logicalId, input, ...(ttl?.Enabled && ttl.AttributeName ? { ttlAttribute: ttl.AttributeName } : {}) };
    });
}

export interface CreateTablesOptions {
  /** Physical name per logical id (tests use a unique name per file); default the definition's name. */
  tableName?: (logicalId: string, templateName: string) => string;
  /** Only these logical ids. */
  only?: readonly string[];
  /**
   * Switch a switched-off stream on again (default true). A system that reads no stream (a simulation's,
   * whose event sources are off) leaves it off: it would only switch it off again, and the shards of a
   * parallel simulation start side by side over one table.
   */
  restartStream?: boolean;
}

/**
 * Creates the template's tables on DynamoDB Local and waits until they are active. A table that exists
 * already (data kept across restarts) is left as it is (`created: false`), but for its stream: one the
 * template has and the table has not (switched off by the simulation that wrote the data) is switched
 * on again (`streamRestarted`).
 */
export async function createTablesFromTemplate(
  client: DynamoDBClient,
  template: CfnTemplate,
  options: CreateTablesOptions = {},
): Promise<CreatedTable[]> {
  const definitions = tableDefinitions(template).filter((d) => !options.only || options.only.includes(d.logicalId));
  const out: CreatedTable[] = [];
  for (const def of definitions) {
    const tableName = options.tableName ? options.tableName(def.logicalId, def.input.TableName!) : def.input.TableName!;
    let created = true;
    try {
      await client.send(new CreateTableCommand({ ...def.input, TableName: tableName }));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
      created = false;
    }
    const existing = await waitActive(client, tableName);
    let streamRestarted = false;
    const stream = def.input.StreamSpecification;
    if (options.restartStream !== false && !created && stream?.StreamEnabled && !existing?.StreamSpecification?.StreamEnabled) {
      await client.send(new UpdateTableCommand({ TableName: tableName, StreamSpecification: stream }));
      await waitActive(client, tableName);
      streamRestarted = true;
    }
    if (created && def.ttlAttribute) {
      await client.send(
        new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: def.ttlAttribute, Enabled: true } }),
      );
    }
    out.push({ logicalId: def.logicalId, tableName, created, streamRestarted });
  }
  return out;
}

async function waitActive(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === undefined || g.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return Table;
    if (Date.now() > deadline) throw new Error(`table ${tableName} not active after 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
