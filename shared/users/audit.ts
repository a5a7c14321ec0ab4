/**
 * The audit of the user directory, in the milestone table: `USER#<username>` / `EVENT#<time>#<id>`,
 * written with a condition so that a retry never writes an event twice.
 */
import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { ENTITY, PK, SK } from '../store/keys.js';
import { fromItem, toAttr, toItem } from '../store/marshall.js';
import { UserEvent } from './model.js';

export const USER_EVENT_ENTITY = 'user-event';

export interface UserAudit {
  record(event: Omit<UserEvent, 'id'> & { id?: string }): Promise<UserEvent>;
  /** A user's events, oldest first. */
  history(username: string): Promise<UserEvent[]>;
}

export function createUserAudit(client: DynamoDBClient, tableName: string): UserAudit {
  return {
    async record(input) {
      const event = UserEvent.parse({ ...input, id: input.id ?? randomUUID() });
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: toItem({ [PK]: `USER#${event.username}`, [SK]: `EVENT#${event.at}#${event.id}`, [ENTITY]: USER_EVENT_ENTITY, ...event }),
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': PK },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
      return event;
    },
    async history(username) {
      const events: UserEvent[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :event)',
            ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
            ExpressionAttributeValues: { ':pk': toAttr(`USER#${username}`), ':event': toAttr('EVENT#') },
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const item of page.Items ?? []) {
          const { [PK]: _pk, [SK]: _sk, [ENTITY]: _entity, ...rest } = fromItem(item);
          events.push(UserEvent.parse(rest));
        }
        start = page.LastEvaluatedKey;
      } while (start);
      return events;
    },
  };
}
