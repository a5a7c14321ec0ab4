/**
 * Where a school program waits: its task token, stored on the item `SCHOOL#<id>` / `PROGRAM` while its
 * `AwaitChange` step waits (DESIGN.md §6: "current task token, execution"). A lifecycle that ends sends
 * success to it, so the program plans again at once instead of at its next timer.
 *
 * The item sits in the school's partition beside `PROFILE`; the store's school read (`MILESTONE#` …
 * `PROFILE`) and the audit reads (`EVENT#`) do not reach it. Like the milestone's waiting task, it is
 * only a hint: a token that is gone (`TaskDoesNotExist`, …) just means the program is not waiting, and
 * the stored milestone states stay the truth.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { Id, IsoInstant } from '../program/model.js';
import { ENTITY, Entity, keys, PK, SK, type Key } from './keys.js';
import { fromItem, toAttr, toItem } from './marshall.js';

export const ProgramWait = z
  .object({
    schoolId: Id,
    token: z.string().min(1),
    executionArn: z.string().min(1),
    /** When the program started waiting. */
    since: IsoInstant,
  })
  .strict();
export type ProgramWait = z.infer<typeof ProgramWait>;

export function programWaitKey(schoolId: string): Key {
  return keys.programWait(Id.parse(schoolId));
}

export interface ProgramWaits {
  /** Stores the token the program now waits with (replacing an older one). */
  put(wait: ProgramWait): Promise<void>;
  get(schoolId: string): Promise<ProgramWait | null>;
  /** Deletes the item if it still holds `token`; false when another token (or none) is stored. */
  clear(schoolId: string, token: string): Promise<boolean>;
}

export function programWaits(client: DynamoDBClient, tableName: string): ProgramWaits {
  return {
    async put(wait) {
      const item = ProgramWait.parse(wait);
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: toItem({ ...programWaitKey(item.schoolId), [ENTITY]: Entity.programWait, ...item }),
        }),
      );
    },

    async get(schoolId) {
      const out = await client.send(
        new GetItemCommand({ TableName: tableName, Key: toItem(programWaitKey(schoolId)), ConsistentRead: true }),
      );
      if (!out.Item) return null;
      const { [PK]: _pk, [SK]: _sk, [ENTITY]: entity, ...fields } = fromItem(out.Item);
      if (entity !== Entity.programWait)
        throw new Error(`${programWaitKey(schoolId).PK} / ${programWaitKey(schoolId).SK} is not a ${Entity.programWait} item`);
      return ProgramWait.parse(fields);
    },

    async clear(schoolId, token) {
      try {
        await client.send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: toItem(programWaitKey(schoolId)),
            ConditionExpression: '#token = :token',
            ExpressionAttributeNames: { '#token': 'token' },
            ExpressionAttributeValues: { ':token': toAttr(token) },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
  };
}
