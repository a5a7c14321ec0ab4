/** The dynamodb:*Item integrations against DynamoDB Local (started once by the test run's global setup). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { localDynamoClient } from '../support/dynamodb.js';
import { machine, runDefinition } from './helpers.js';

const dynamodb = localDynamoClient();
const table = `sfn-it-${process.pid}`;

beforeAll(async () => {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
});

afterAll(async () => {
  await dynamodb.send(new DeleteTableCommand({ TableName: table }));
  dynamodb.destroy();
});

describe('connect-ddb (DynamoDB integration)', () => {
  it('putItem, updateItem, getItem and deleteItem, with the service result shapes', async () => {
    const r = await runDefinition(
      machine({
        Put: {
          Type: 'Task',
          Resource: 'arn:aws:states:::dynamodb:putItem',
          Arguments: {
            TableName: table,
            Item: { pk: { S: '{% $states.input.id %}' }, count: { N: '1' } },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
          Next: 'Update',
        },
        Update: {
          Type: 'Task',
          Resource: 'arn:aws:states:::dynamodb:updateItem',
          Arguments: {
            TableName: table,
            Key: { pk: { S: '{% $states.context.Execution.Input.id %}' } },
            UpdateExpression: 'SET #c = #c + :one',
            ExpressionAttributeNames: { '#c': 'count' },
            ExpressionAttributeValues: { ':one': { N: '1' } },
            ReturnValues: 'ALL_NEW',
          },
          Assign: { updated: '{% $states.result.Attributes.count.N %}' },
          Next: 'Get',
        },
        Get: {
          Type: 'Task',
          Resource: 'arn:aws:states:::dynamodb:getItem',
          Arguments: { TableName: table, Key: { pk: { S: '{% $states.context.Execution.Input.id %}' } } },
          Output: { item: '{% $states.result.Item %}', updated: '{% $updated %}' },
          Next: 'Delete',
        },
        Delete: {
          Type: 'Task',
          Resource: 'arn:aws:states:::dynamodb:deleteItem',
          Arguments: { TableName: table, Key: { pk: { S: '{% $states.context.Execution.Input.id %}' } } },
          Output: '{% $states.input %}',
          End: true,
        },
      }),
      { id: 'school-1' },
      { dynamodb },
    );
    expect(r.status).toBe('SUCCEEDED');
    expect(r.output).toEqual({ item: { pk: { S: 'school-1' }, count: { N: '2' } }, updated: '2' });
  });

  it('SDK errors become DynamoDB.<ExceptionName> errors that Catch can handle', async () => {
    const put = (next: string | undefined) => ({
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:putItem',
      Arguments: { TableName: table, Item: { pk: { S: 'dup' } }, ConditionExpression: 'attribute_not_exists(pk)' },
      ...(next
        ? { Next: next }
        : {
            Catch: [{ ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], Output: '{% $states.errorOutput %}', Next: 'Dup' }],
            End: true,
          }),
    });
    const r = await runDefinition(
      machine({ First: put('Second'), Second: put(undefined), Dup: { Type: 'Pass', End: true } }),
      {},
      { dynamodb },
    );
    expect(r.status).toBe('SUCCEEDED');
    expect((r.output as { Error: string }).Error).toBe('DynamoDB.ConditionalCheckFailedException');
    const missing = await runDefinition(
      machine({
        G: {
          Type: 'Task',
          Resource: 'arn:aws:states:::dynamodb:getItem',
          Arguments: { TableName: 'no-such-table', Key: { pk: { S: 'x' } } },
          End: true,
        },
      }),
      {},
      { dynamodb },
    );
    expect(missing.error).toBe('DynamoDB.ResourceNotFoundException');
  });
});
