/**
 * Idempotency keys (DESIGN.md principle 6). A record `IDEMPOTENCY#<scope>#<key>` holds the hash of the
 * request that first used the key and, once it finished, its JSON response; TTL `expiresAt` removes it.
 *
 * - First use: a conditional Put of an in-progress marker with a lease token; only one concurrent caller
 *   wins it and runs the work, the others wait for the stored response.
 * - The response is stored by a conditional update on the lease token, or, better, inside the commit
 *   transaction that changes the state (`commit({ idempotency: { lease, response } })`), so a crash
 *   between the state change and the response cannot make a retry run the work again.
 * - Same key, different body: IdempotencyConflictError. A marker whose lease ran out (its holder crashed)
 *   is taken over; the work it was doing is protected by the version check of the commit.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { CorruptItemError, IdempotencyConflictError, IdempotencyInProgressError, StoreError } from './errors.js';
import { ENTITY, Entity, TTL_ATTRIBUTE, keys } from './keys.js';
import { describeKey, fromItem, toAttr, toItem, type Item } from './marshall.js';
import type { StoreContext } from './store.js';

/** Held by the one caller that runs the work for a key; pass it to `commit` to store the response there. */
export interface IdempotencyLease {
  readonly scope: string;
  readonly key: string;
  readonly requestHash: string;
  readonly token: string;
}

export interface IdempotencyOptions {
  /** How long the record (and so the stored response) is kept. Default 24 h. */
  ttlSeconds?: number;
  /** How long the marker protects a running request before another caller may take over. Default 30 s. */
  leaseMs?: number;
  /** How long a concurrent caller waits (real time) for the running request. Default 10 s. */
  waitMs?: number;
  /**
   * Take over a marker still in progress, however long its lease: for a caller that knows its holder is
   * gone (a process resuming after a crash of the whole system retries the request it was running when
   * it died). The commit's version check still protects the state; a finished record is replayed as ever.
   */
  takeOver?: boolean;
}

export interface IdempotentResult<T> {
  /** The work's result: this call's, or the first call's stored JSON response on a replay. */
  result: T;
  replayed: boolean;
}

const ScopeId = z.string().regex(/^[A-Za-z0-9:._-]{1,64}$/, 'scope: letters, digits, ":", ".", "_" and "-", at most 64');
const IdemKey = z.string().regex(/^[\x21-\x7e]{1,255}$/, 'idempotency key: 1 to 255 visible ASCII characters');
const RequestHash = z.string().min(1, 'request hash: required').max(256);

const IdempotencyRecord = z.object({
  [ENTITY]: z.literal(Entity.idempotency),
  requestHash: z.string(),
  status: z.enum(['in-progress', 'done']),
  token: z.string(),
  leaseUntil: z.number().optional(),
  response: z.string().optional(),
  [TTL_ATTRIBUTE]: z.number(),
});
type IdempotencyRecord = z.infer<typeof IdempotencyRecord>;

/** A stable hash of a request body: SHA-256 of its JSON with object keys sorted. */
export function hashRequest(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/** JSON with object keys sorted (and undefined members left out): equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function parseRecord(item: Item): IdempotencyRecord {
  const parsed = IdempotencyRecord.safeParse(fromItem(item));
  if (!parsed.success)
    throw new CorruptItemError(describeKey(item), parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return parsed.data;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function withIdempotency<T>(
  ctx: StoreContext,
  scope: string,
  key: string,
  requestHash: string,
  fn: (lease: IdempotencyLease) => Promise<T>,
  options: IdempotencyOptions = {},
): Promise<IdempotentResult<T>> {
  for (const [schema, value] of [
    [ScopeId, scope],
    [IdemKey, key],
    [RequestHash, requestHash],
  ] as const) {
    const checked = schema.safeParse(value);
    if (!checked.success) throw new StoreError('invalid-idempotency-key', checked.error.issues[0]?.message ?? 'invalid');
  }
  const ttlSeconds = options.ttlSeconds ?? 24 * 3600;
  const leaseMs = options.leaseMs ?? 30_000;
  const giveUpAt = Date.now() + (options.waitMs ?? 10_000);
  const itemKey = toItem(keys.idempotency(scope, key));
  let pause = 20;

  for (;;) {
    const nowMs = ctx.clock.nowMs();
    const lease: IdempotencyLease = { scope, key, requestHash, token: randomUUID() };
    let existing: Item | undefined;
    try {
      await ctx.client.send(
        new PutItemCommand({
          TableName: ctx.tableName,
          Item: {
            ...itemKey,
            ...toItem({
              [ENTITY]: Entity.idempotency,
              requestHash,
              status: 'in-progress',
              token: lease.token,
              leaseUntil: nowMs + leaseMs,
              [TTL_ATTRIBUTE]: Math.floor(nowMs / 1000) + ttlSeconds,
            }),
          },
          ConditionExpression: options.takeOver
            ? 'attribute_not_exists(PK) OR #exp < :nowS OR (#status = :inProgress AND (#lease < :nowMs OR #requestHash = :requestHash))'
            : 'attribute_not_exists(PK) OR #exp < :nowS OR (#status = :inProgress AND #lease < :nowMs)',
          ExpressionAttributeNames: {
            '#exp': TTL_ATTRIBUTE,
            '#status': 'status',
            '#lease': 'leaseUntil',
            ...(options.takeOver ? { '#requestHash': 'requestHash' } : {}),
          },
          ExpressionAttributeValues: {
            ':nowS': toAttr(Math.floor(nowMs / 1000)),
            ':nowMs': toAttr(nowMs),
            ':inProgress': toAttr('in-progress'),
            ...(options.takeOver ? { ':requestHash': toAttr(requestHash) } : {}),
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      existing =
        error.Item ?? (await ctx.client.send(new GetItemCommand({ TableName: ctx.tableName, Key: itemKey, ConsistentRead: true }))).Item;
      if (!existing) continue; // deleted in between (the holder failed): try again at once
    }

    if (!existing) return { result: await run(ctx, lease, itemKey, fn), replayed: false };

    const record = parseRecord(existing);
    if (record.requestHash !== requestHash) throw new IdempotencyConflictError(scope, key);
    if (record.status === 'done') return { result: JSON.parse(record.response ?? 'null') as T, replayed: true };
    if (Date.now() >= giveUpAt) throw new IdempotencyInProgressError(scope, key);
    await sleep(pause);
    pause = Math.min(pause * 2, 250);
  }
}

async function run<T>(ctx: StoreContext, lease: IdempotencyLease, itemKey: Item, fn: (lease: IdempotencyLease) => Promise<T>): Promise<T> {
  const mine = {
    ConditionExpression: '#token = :token AND #status = :inProgress',
    ExpressionAttributeNames: { '#token': 'token', '#status': 'status' },
  };
  let result: T;
  try {
    result = await fn(lease);
  } catch (error) {
    // Release the key so that a retry can run; unless the work already stored its response (commit).
    await ctx.client
      .send(
        new DeleteItemCommand({
          TableName: ctx.tableName,
          Key: itemKey,
          ...mine,
          ExpressionAttributeValues: { ':token': toAttr(lease.token), ':inProgress': toAttr('in-progress') },
        }),
      )
      .catch((e: unknown) => {
        if (!(e instanceof ConditionalCheckFailedException)) throw e;
      });
    throw error;
  }
  try {
    await ctx.client.send(new UpdateItemCommand(completeInput(ctx, lease, result)));
  } catch (error) {
    // Already completed inside the commit transaction with this lease, or the lease was taken over after
    // it ran out: the work has happened either way, so its result is returned.
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
  return result;
}

function completeInput(ctx: StoreContext, lease: IdempotencyLease, response: unknown) {
  return {
    TableName: ctx.tableName,
    Key: toItem(keys.idempotency(lease.scope, lease.key)),
    UpdateExpression: 'SET #status = :done, #response = :response REMOVE #lease',
    ConditionExpression: '#token = :token AND #status = :inProgress',
    ExpressionAttributeNames: { '#status': 'status', '#response': 'response', '#lease': 'leaseUntil', '#token': 'token' },
    ExpressionAttributeValues: {
      ':done': toAttr('done'),
      ':response': toAttr(JSON.stringify(response ?? null)),
      ':token': toAttr(lease.token),
      ':inProgress': toAttr('in-progress'),
    },
  };
}

/** The transaction item that stores the response together with a commit (condition: the lease is held). */
export function completeInTransaction(ctx: StoreContext, lease: IdempotencyLease, response: unknown): TransactWriteItem {
  return { Update: { ...completeInput(ctx, lease, response), ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } };
}
