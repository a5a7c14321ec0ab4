/**
 * The local event source mappings read the stream with `recordReader`: the records as the stream sends
 * them, which is how Lambda hands them to a function, without the SDK's deserialization. Against the
 * run's DynamoDB Local: the same records the SDK's GetRecords returns, in Lambda's event format; the
 * service's errors by name.
 */
import { CreateTableCommand, DeleteTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordReader, StreamApiError } from '../../infra/local/stream-records.js';
import { dynamodbEndpoint, localDynamoClient } from '../support/dynamodb.js';

const dynamodb = localDynamoClient();
const streams = new DynamoDBStreamsClient({
  endpoint: dynamodbEndpoint(),
  region: 'eu-central-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const table = `stream-records-${randomBytes(4).toString('hex')}`;
const reader = recordReader(streams);

beforeAll(async () => {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'PK', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'PK', KeyType: 'HASH' }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
    }),
  );
});

afterAll(async () => {
  await dynamodb.send(new DeleteTableCommand({ TableName: table }));
  streams.destroy();
});

async function firstIterator(): Promise<string> {
  const arn = (await streams.send(new ListStreamsCommand({ TableName: table }))).Streams?.[0]?.StreamArn;
  const shard = (await streams.send(new DescribeStreamCommand({ StreamArn: arn }))).StreamDescription?.Shards?.[0]?.ShardId;
  const it = await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shard, ShardIteratorType: 'TRIM_HORIZON' }));
  return it.ShardIterator!;
}

describe('recordReader', () => {
  it("reads the records the SDK's GetRecords reads, as the stream sends them", async () => {
    const binary = Uint8Array.from([0, 1, 2, 250, 251, 252]);
    await dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          PK: { S: 'a' },
          n: { N: '42.5' },
          b: { B: binary },
          l: { L: [{ S: 'x' }, { BOOL: true }, { NULL: true }] },
          m: { M: { k: { SS: ['p', 'q'] } } },
        },
      }),
    );
    await dynamodb.send(new PutItemCommand({ TableName: table, Item: { PK: { S: 'b' }, n: { N: '1' } } }));
    const iterator = await firstIterator();

    const raw = await reader.getRecords(iterator, 1000);
    const sdk = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));

    expect(raw.Records.map((r) => r.dynamodb?.SequenceNumber)).toEqual(sdk.Records?.map((r) => r.dynamodb?.SequenceNumber));
    expect(raw.Records).toHaveLength(2);
    const [first, second] = raw.Records;
    expect(first).toMatchObject({ eventName: 'INSERT', eventSource: 'aws:dynamodb', dynamodb: { Keys: { PK: { S: 'a' } } } });
    // Lambda's event format: binary values in base64, the numbers as strings, the creation time in epoch seconds.
    expect(first!.dynamodb!.NewImage).toEqual({
      PK: { S: 'a' },
      n: { N: '42.5' },
      b: { B: Buffer.from(binary).toString('base64') },
      l: { L: [{ S: 'x' }, { BOOL: true }, { NULL: true }] },
      m: { M: { k: { SS: ['p', 'q'] } } },
    });
    expect(typeof first!.dynamodb!.ApproximateCreationDateTime).toBe('number');
    expect(first!.dynamodb!.ApproximateCreationDateTime).toBe(sdk.Records![0]!.dynamodb!.ApproximateCreationDateTime!.getTime() / 1000);
    expect(second!.dynamodb!.NewImage).toEqual({ PK: { S: 'b' }, n: { N: '1' } });
    // An open shard always has a next iterator; reading on from it finds nothing new.
    expect(raw.NextShardIterator).toEqual(expect.any(String));
    expect((await reader.getRecords(raw.NextShardIterator!, 1000)).Records).toEqual([]);
  });

  it("names the service's error, as the SDK's exceptions do", async () => {
    const error = await reader.getRecords('not-an-iterator', 10).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamApiError);
    const sdkError = await streams.send(new GetRecordsCommand({ ShardIterator: 'not-an-iterator', Limit: 10 })).catch((e: unknown) => e);
    expect((error as StreamApiError).name).toBe((sdkError as Error).name);
    expect((error as StreamApiError).statusCode).toBe(400);
  });
});
