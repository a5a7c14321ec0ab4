/**
 * Evidence documents in the table: upload intents (an URL was issued, the file is not confirmed yet)
 * and the documents attached to a milestone. Attaching is one transaction: the milestone must still be
 * active (its submission open), the intent is consumed, the document is written once, and the milestone
 * item lists it (so a submission reads its documents with the milestone, in the same Query).
 */
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { DocumentRecord, refOf, UploadIntent } from '../documents/model.js';
import { DocumentRef, Id, MilestoneKey } from '../program/model.js';
import { StoreError } from './errors.js';
import { queryPartition } from './query.js';
import { keys } from './keys.js';
import {
  documentAttribute,
  documentFromItem,
  documentToItem,
  DOCUMENTS_LISTED,
  toAttr,
  toItem,
  uploadFromItem,
  uploadToItem,
} from './marshall.js';
import type { StoreContext } from './store.js';

/** The milestone's submission is not open (not active), or the upload was already used. */
export class AttachRefusedError extends StoreError {
  constructor(
    readonly reason: 'not-active' | 'upload-gone',
    message: string,
  ) {
    super('attach-refused', message);
  }
}

/**
 * The milestone item's part of attaching and removing documents: the condition both carry (the
 * milestone's submission is open: it is active) and the item's list of its documents (marshall.ts,
 * `doc:<id>`), kept in the same transaction as the `DOC#` items. `listed`: true when the item already
 * lists its documents (the usual case: the commit that started the milestone marked it); false for an
 * item from before items listed them, whose earlier documents are in `add` and which is marked now;
 * null (removing) when it does not matter.
 */
function milestoneUpdate(
  ctx: StoreContext,
  d: Pick<DocumentRecord, 'schoolId' | 'milestone'>,
  change: { add: readonly DocumentRef[]; remove: readonly string[]; listed: boolean | null },
) {
  const names: Record<string, string> = { '#status': 'status', '#listed': DOCUMENTS_LISTED };
  const values: Record<string, AttributeValue> = { ':active': toAttr('active') };
  const sets = change.add.map((ref, i) => {
    names[`#d${i}`] = documentAttribute(ref.id);
    values[`:d${i}`] = toAttr(DocumentRef.parse(ref));
    return `#d${i} = :d${i}`;
  });
  if (change.listed === false) {
    values[':true'] = toAttr(true);
    sets.push('#listed = :true');
  }
  const removes = change.remove.map((id, i) => {
    names[`#r${i}`] = documentAttribute(id);
    return `#r${i}`;
  });
  const condition =
    change.listed === null
      ? '#status = :active'
      : `#status = :active AND ${change.listed ? 'attribute_exists' : 'attribute_not_exists'}(#listed)`;
  if (change.listed === null) delete names['#listed'];
  return {
    Update: {
      TableName: ctx.tableName,
      Key: toItem(keys.milestone(d.schoolId, d.milestone)),
      UpdateExpression: [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : '']
        .join(' ')
        .trim(),
      ConditionExpression: condition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    },
  };
}

function notActive(d: Pick<DocumentRecord, 'schoolId' | 'milestone'>): AttachRefusedError {
  return new AttachRefusedError('not-active', `milestone ${d.milestone} of school ${d.schoolId} has no open submission (it is not active)`);
}

export async function putUploadIntent(ctx: StoreContext, intent: UploadIntent, expiresAt: number): Promise<void> {
  await ctx.client.send(
    new PutItemCommand({
      TableName: ctx.tableName,
      Item: uploadToItem(UploadIntent.parse(intent), expiresAt),
      ConditionExpression: 'attribute_not_exists(PK)',
    }),
  );
}

/** The intent, unless it is gone or its TTL passed (DynamoDB removes expired items only eventually). */
export async function getUploadIntent(ctx: StoreContext, uploadId: string): Promise<UploadIntent | null> {
  const out = await ctx.client.send(
    new GetItemCommand({ TableName: ctx.tableName, Key: toItem(keys.upload(Id.parse(uploadId))), ConsistentRead: true }),
  );
  if (!out.Item) return null;
  const expiresAt = Number(out.Item['expiresAt']?.N ?? 0);
  if (expiresAt * 1000 < ctx.clock.now().getTime()) return null;
  return uploadFromItem(out.Item);
}

export async function deleteUploadIntent(ctx: StoreContext, uploadId: string): Promise<void> {
  await ctx.client.send(new DeleteItemCommand({ TableName: ctx.tableName, Key: toItem(keys.upload(Id.parse(uploadId))) }));
}

/** Writes the document and consumes the intent, while the milestone is active; AttachRefusedError otherwise. */
export function attachDocument(ctx: StoreContext, uploadId: string | null, document: DocumentRecord): Promise<void> {
  return attach(ctx, uploadId, [document]);
}

/**
 * Writes documents of one milestone that came without an upload (generated evidence) in one
 * transaction, while the milestone is active: all of them or none; AttachRefusedError otherwise.
 */
export function attachDocuments(ctx: StoreContext, documents: readonly DocumentRecord[]): Promise<void> {
  return documents.length === 0 ? Promise.resolve() : attach(ctx, null, documents);
}

async function attach(ctx: StoreContext, uploadId: string | null, documents: readonly DocumentRecord[]): Promise<void> {
  const parsed = documents.map((d) => DocumentRecord.parse(d));
  const d = parsed[0]!;
  if (parsed.some((o) => o.schoolId !== d.schoolId || o.milestone !== d.milestone))
    throw new RangeError('the documents attached together belong to one milestone');
  // Usually the milestone item lists its documents already; one from before that lists its earlier ones now.
  let earlier: DocumentRef[] | null = null;
  for (let attempt = 1; ; attempt++) {
    try {
      await ctx.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            milestoneUpdate(ctx, d, {
              add: [...new Map([...(earlier ?? []), ...parsed.map(refOf)].map((r) => [r.id, r])).values()],
              remove: [],
              listed: earlier === null,
            }),
            ...parsed.map((o) => ({
              Put: { TableName: ctx.tableName, Item: documentToItem(o), ConditionExpression: 'attribute_not_exists(PK)' },
            })),
            ...(uploadId === null
              ? []
              : [
                  { Delete: { TableName: ctx.tableName, Key: toItem(keys.upload(uploadId)), ConditionExpression: 'attribute_exists(PK)' } },
                ]),
          ],
        }),
      );
      return;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      if (reasons[0]?.Code === 'ConditionalCheckFailed') {
        const old =
          reasons[0].Item ??
          (
            await ctx.client.send(
              new GetItemCommand({ TableName: ctx.tableName, Key: toItem(keys.milestone(d.schoolId, d.milestone)), ConsistentRead: true }),
            )
          ).Item;
        if (old?.['status']?.S !== 'active') throw notActive(d);
        // Listed or not, other than this attempt assumed (a first listing ran beside it): try again as it is.
        if (attempt >= 4) throw error;
        const listed = old[DOCUMENTS_LISTED]?.BOOL === true;
        earlier = listed ? null : (await listDocuments(ctx, d.schoolId, d.milestone)).map(refOf);
        continue;
      }
      if (reasons.slice(1).some((r) => r.Code === 'ConditionalCheckFailed')) {
        throw new AttachRefusedError('upload-gone', `upload ${uploadId ?? d.id} was already confirmed or has expired`);
      }
      throw error;
    }
  }
}

/**
 * Removes a document from the milestone's open submission: only while the milestone is active, and only
 * if it is still there. Which documents may be removed (none a submission already carried) is the
 * caller's rule; this is the conditional write. AttachRefusedError('not-active') when the submission is
 * closed, ('upload-gone') when the document is gone.
 */
export async function detachDocument(ctx: StoreContext, document: DocumentRecord): Promise<void> {
  try {
    await ctx.client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          milestoneUpdate(ctx, document, { add: [], remove: [document.id], listed: null }),
          {
            Delete: {
              TableName: ctx.tableName,
              Key: toItem(keys.document(document.schoolId, document.milestone, document.id)),
              ConditionExpression: 'attribute_exists(PK)',
            },
          },
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    const reasons = error.CancellationReasons ?? [];
    if (reasons[0]?.Code === 'ConditionalCheckFailed') throw notActive(document);
    if (reasons[1]?.Code === 'ConditionalCheckFailed')
      throw new AttachRefusedError('upload-gone', `document ${document.id} was already removed`);
    throw error;
  }
}

/** The documents of a school (of one milestone, when given), oldest first within each milestone. */
export async function listDocuments(ctx: StoreContext, schoolId: string, milestone?: string): Promise<DocumentRecord[]> {
  const prefix = keys.documentPrefix(milestone === undefined ? undefined : MilestoneKey.parse(milestone));
  const items = await queryPartition(ctx.client, ctx.tableName, keys.schoolPartition(Id.parse(schoolId)), prefix);
  return items.map(documentFromItem);
}

export async function getDocument(ctx: StoreContext, schoolId: string, id: string): Promise<DocumentRecord | null> {
  const documents = await listDocuments(ctx, schoolId);
  return documents.find((d) => d.id === Id.parse(id)) ?? null;
}
