/** Reading every page of a query: a whole partition of the table, or what a sort-key prefix selects in it. */
import { QueryCommand, type DynamoDBClient, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { PK, SK } from './keys.js';
import { toAttr, type Item } from './marshall.js';

export async function queryAll(client: DynamoDBClient, input: QueryCommandInput): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const out = await client.send(new QueryCommand({ ...input, ...(start ? { ExclusiveStartKey: start } : {}) }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Every item of `partition` whose sort key starts with `prefix` (every item without one), read consistently. */
export function queryPartition(client: DynamoDBClient, table: string, partition: string, prefix: string | null): Promise<Item[]> {
  return queryAll(client, {
    TableName: table,
    ...(prefix === null
      ? {
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': PK },
          ExpressionAttributeValues: { ':pk': toAttr(partition) },
        }
      : {
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
          ExpressionAttributeValues: { ':pk': toAttr(partition), ':prefix': toAttr(prefix) },
        }),
    ConsistentRead: true,
  });
}
