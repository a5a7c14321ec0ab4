/**
 * The DynamoDB store (DESIGN.md §6): one table, the layout in keys.ts, every item read back checked with
 * zod. Request paths only Query, GetItem and BatchGetItem (no Scan). A state change is one
 * TransactWriteItems: the milestone with its version check, its line in the school's summary (on the
 * profile, so that a page of a school list is one Query of the schools index), its audit events, its
 * outbox notifications and, optionally, the idempotency record of the request that caused it.
 */
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  TransactionCanceledException,
  UpdateItemCommand,
  type AttributeValue,
  type BatchGetItemCommandOutput,
  type DynamoDBClient,
  type KeysAndAttributes,
  type QueryCommandInput,
  type TransactWriteItem,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import type { DocumentRecord, UploadIntent } from '../documents/model.js';
import * as documents from './documents.js';
import { queryAll, queryPartition } from './query.js';
import { SystemClock, type Clock } from '../clock.js';
import {
  AdminEvent,
  Contractor,
  Id,
  IsoDate,
  IsoInstant,
  MilestoneEvent,
  MilestoneKey,
  MilestoneState,
  type MilestoneStatus,
  Notification,
  NotificationRecipient,
  School,
} from '../program/model.js';
import { ProgramVersion } from '../program/versions.js';
import {
  decodeCursor,
  decodeShardCursor,
  encodeCursor,
  encodeShardCursor,
  keyValues,
  toStartKey,
  type KeyValues,
  type ShardPosition,
} from './cursor.js';
import {
  DuplicateNotificationError,
  IdempotencyLeaseLostError,
  StoreError,
  TaskTokenRejectedError,
  TransactionConflictError,
  VersionConflictError,
} from './errors.js';
import {
  completeInTransaction,
  withIdempotency,
  type IdempotencyLease,
  type IdempotencyOptions,
  type IdempotentResult,
} from './idempotency.js';
import {
  DUE_SHARDS,
  ENTITY,
  Entity,
  INDEX,
  PK,
  SCHOOLS_PARTITION,
  SK,
  assigneePartition,
  schoolIndexAttrs,
  duePartitions,
  inboxPartition,
  keys,
  milestoneIndexAttrs,
  type IndexNames,
  type Recipient,
} from './keys.js';
import {
  signalFromItem,
  signalToItem,
  PendingSignal,
  DELIVERED_AT,
  DOCUMENTS_LISTED,
  DELIVERED_TO,
  DELIVERY,
  TASK_ATTRS,
  PROFILE_VERSION,
  auditFromItem,
  auditToItem,
  contractorFromItem,
  contractorRecordFromItem,
  contractorToItem,
  schoolVersionFromItem,
  eventFromItem,
  eventToItem,
  fromAttr,
  lineOf,
  milestoneFromItem,
  milestoneToItem,
  notificationFromItem,
  notificationToItem,
  programVersionFromItem,
  programVersionStatusFromItem,
  programVersionToItem,
  schoolFromItem,
  schoolSummaryFromItem,
  schoolToItem,
  summaryAttribute,
  toAttr,
  toItem,
  type Item,
  type MilestoneLine,
  type OutboxEntry,
  type StoredMilestone,
  type TaskPhase,
} from './marshall.js';
import { mapLimit } from '../map-limit.js';

export interface StoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Stamps task tokens and idempotency records; the system clock unless a simulation drives time. */
  clock?: Clock;
}

export interface StoreContext {
  client: DynamoDBClient;
  tableName: string;
  clock: Clock;
}

export interface PageOptions {
  /** 1 to 1000; default 50. */
  limit?: number;
  /** From the previous page; absent or null for the first page. */
  cursor?: string | null;
}

export interface Page<T> {
  items: T[];
  /** Opaque; null when there is nothing more. */
  cursor: string | null;
}

export interface SchoolRecord {
  school: School;
  milestones: StoredMilestone[];
  /** The profile's version (its ETag): 0 until the first edit after import. */
  version: number;
}

export interface ContractorRecord {
  contractor: Contractor;
  /** The record's version (its ETag), 1 when created. */
  version: number;
}

/** A contractor to create (`expectedVersion` 0) or to change (its current version), with the audit of the change. */
export interface ContractorChange {
  contractor: Contractor;
  expectedVersion: number;
  event: AdminEvent;
}

/** At most this many contractors change in one transaction (two items each: the record and its audit). */
export const MAX_CONTRACTOR_CHANGES = 50;

/** A school as a list shows it: the profile and the lines of its stored milestones (see marshall.ts). */
export interface SchoolSummary {
  school: School;
  /** The stored ones of the milestones asked for, in key order; a milestone never stored is missing. */
  milestones: MilestoneLine[];
}

export interface SummaryListOptions extends PageOptions {
  /** A district's schools; all schools without. */
  district?: string;
  /**
   * The milestones whose lines are wanted (the program's), or per school (the milestones of the program
   * version it follows: no read for a milestone its version does not have).
   */
  milestones: readonly string[] | ((school: School) => readonly string[]);
}

export interface CommitInput {
  schoolId: string;
  key: string;
  /** The version the command was decided against; 0 also matches a milestone not stored yet. */
  expectedVersion: number;
  /** The state after the events; its version is `expectedVersion + events.length`. */
  state: MilestoneState;
  /** The events the decision produced, versions `expectedVersion + 1` onwards. */
  events: MilestoneEvent[];
  notifications?: Notification[];
  /** Stores the request's response with the state change (see idempotency.ts). */
  idempotency?: { lease: IdempotencyLease; response: unknown };
  /**
   * The workflow signal the change owes, kept in the outbox until delivered (replaces an older one of the
   * milestone). When it carries the step that was waiting, the commit takes that step's token off the
   * milestone item (see `commit`): the signal returned says whether it did.
   */
  signal?: PendingSignal;
}

export interface OpenByDeadlineOptions extends PageOptions {
  /** Inclusive bounds on the deadline. */
  from?: string;
  to?: string;
}

export interface HistoryOptions extends PageOptions {
  milestone?: string;
  /** Default newest-first. */
  order?: 'newest-first' | 'oldest-first';
}

export interface TaskTokenInput {
  token: string;
  executionArn: string;
  phase: TaskPhase;
  /** Also require this version (the one the workflow read before it started waiting). */
  expectedVersion?: number;
}

/** The milestone status a workflow must find to wait in each phase. */
export const PHASE_STATUS: Record<TaskPhase, MilestoneStatus> = {
  submission: 'active',
  acceptance: 'submitted',
  resume: 'on-hold',
};

/** Program versions: drafts that can be rewritten, published versions that cannot. */
export interface ProgramVersionStore {
  /**
   * Writes a draft: a new version, or over a draft of the same number. Refused with a StoreError
   * `version-published` when that version is published, `version-exists` when `create` and it exists.
   */
  saveProgramDraft(draft: ProgramVersion, options?: { create?: boolean }): Promise<void>;
  /** Publishes a draft as `published` (its definition, validated, as given). Refused unless it is a draft. */
  publishProgramVersion(published: ProgramVersion): Promise<void>;
  /** Writes a published version only when that version does not exist yet; true when it wrote it. */
  putProgramVersionIfAbsent(published: ProgramVersion): Promise<boolean>;
  getProgramVersion(programId: string, version: number): Promise<ProgramVersion | null>;
  /** Every version of a program, oldest first. */
  listProgramVersions(programId: string): Promise<ProgramVersion[]>;
  /**
   * The same versions with their number and status only, read without their definitions: what a catalog
   * of the published versions needs (each definition is read once by number and kept; shared/programs).
   */
  listProgramVersionStatuses(programId: string): Promise<ProgramVersionStatusLine[]>;
}

/** A version of a program without its definition. */
export type ProgramVersionStatusLine = Pick<ProgramVersion, 'version' | 'status'>;

export interface MilestoneStore extends ProgramVersionStore {
  putSchool(school: School): Promise<void>;
  /** Batched (25 a request, unprocessed items retried); writing the same schools again changes nothing. */
  putSchools(schools: readonly School[]): Promise<void>;
  putContractor(contractor: Contractor): Promise<void>;
  getContractor(id: string): Promise<Contractor | null>;
  listContractors(): Promise<Contractor[]>;
  getContractorRecord(id: string): Promise<ContractorRecord | null>;
  listContractorRecords(): Promise<ContractorRecord[]>;
  /**
   * Creates or changes contractors with their audit events, all or nothing (one transaction, at most
   * MAX_CONTRACTOR_CHANGES): each conditional on its version. Throws a `version-conflict` StoreError
   * naming the first contractor that was not at its expected version.
   */
  saveContractors(changes: readonly ContractorChange[]): Promise<void>;
  /**
   * Writes a school's profile fields (its milestone summary stays), conditional on the profile's version,
   * with the audit event, in one transaction. Throws a `version-conflict` StoreError.
   */
  updateSchoolProfile(school: School, expectedVersion: number, event: AdminEvent): Promise<{ version: number }>;
  /** The changes to a contractor or a school profile, newest first. */
  adminHistory(subject: AdminEvent['subject'], page?: PageOptions): Promise<Page<AdminEvent>>;
  /** Creates the milestone items that do not exist yet; existing ones are left untouched. */
  initMilestones(states: readonly MilestoneState[]): Promise<{ created: number; existing: number }>;

  /** The profile and every milestone of a school, in one Query (the audit events are not read). */
  getSchool(id: string): Promise<SchoolRecord | null>;
  /**
   * The profiles and the named milestones of many schools (a list page, a report) by BatchGetItem:
   * strongly consistent, 100 keys a request, unprocessed keys retried. One entry per id, in the order
   * given: null for a school that does not exist; a milestone never stored is missing, as in getSchool.
   */
  getSchools(ids: readonly string[], milestoneKeys: readonly string[]): Promise<(SchoolRecord | null)[]>;
  getMilestone(schoolId: string, key: string): Promise<StoredMilestone | null>;
  listSchoolsByDistrict(district: string, page?: PageOptions): Promise<Page<School>>;
  listAllSchools(page?: PageOptions): Promise<Page<School>>;
  /**
   * A page of schools with their milestone summaries, from the schools index alone (one Query; the index
   * is eventually consistent). Lines missing from a profile are read from the milestone items (one
   * BatchGetItem for the page). Its cursors are those of listSchoolsByDistrict / listAllSchools.
   */
  listSchoolSummaries(options: SummaryListOptions): Promise<Page<SchoolSummary>>;
  /** Open milestones assigned to a contractor, soonest deadline first. */
  listAssignments(contractorId: string, page?: PageOptions): Promise<Page<MilestoneState>>;
  /** Open (not completed, not waived) milestones by deadline, soonest first, merged over the shards. */
  listOpenByDeadline(options?: OpenByDeadlineOptions): Promise<Page<MilestoneState>>;
  history(schoolId: string, options?: HistoryOptions): Promise<Page<MilestoneEvent>>;

  /** One transaction; throws VersionConflictError, DuplicateNotificationError, IdempotencyLeaseLostError. */
  commit(input: CommitInput): Promise<{ version: number; signal: PendingSignal | null }>;
  withIdempotency<T>(
    scope: string,
    key: string,
    requestHash: string,
    fn: (lease: IdempotencyLease) => Promise<T>,
    options?: IdempotencyOptions,
  ): Promise<IdempotentResult<T>>;

  /** Throws TaskTokenRejectedError when the milestone is not in the phase's status (or version). */
  setTaskToken(schoolId: string, key: string, task: TaskTokenInput): Promise<void>;
  /** Removes the waiting task (only if it is still `token`, when given); false when there was none. */
  clearTaskToken(schoolId: string, key: string, options?: { token?: string }): Promise<boolean>;

  listPendingNotifications(page?: PageOptions): Promise<Page<OutboxEntry>>;
  /** The workflow signal a milestone's last commit owes, if not delivered yet. */
  getSignal(schoolId: string, key: string): Promise<PendingSignal | null>;
  /** Every undelivered workflow signal, oldest first within each shard. */
  listPendingSignals(page?: PageOptions): Promise<Page<PendingSignal>>;
  /** Deletes the signal if it is still the one of `version`; false when a later commit replaced it, or it is gone. */
  clearSignal(schoolId: string, key: string, version: number): Promise<boolean>;
  getNotification(id: string): Promise<OutboxEntry | null>;
  /**
   * Writes a notification that no command causes (the weekly digest) to the outbox, on the condition that
   * its id is free: true when this call wrote it, false when it was already there (a retry, a second run).
   */
  enqueueNotification(notification: Notification): Promise<boolean>;
  /** True when this call marked it; false when it was already delivered. */
  markDelivered(id: string, at: string): Promise<boolean>;
  /**
   * Records that a notification reached one destination (an e-mail address, a topic), before the next
   * is tried, so that a retry sends only to the destinations it has not reached. With `deliveredAt`
   * (the last destination left) the same write marks it delivered, as `markDelivered` does: false, and
   * nothing written, when it was delivered already. Throws when the notification is not in the outbox.
   */
  recordDestination(id: string, destination: string, options?: { deliveredAt?: string }): Promise<boolean>;
  /** A recipient's notifications, newest first. */
  listNotificationsFor(recipient: Recipient, page?: PageOptions): Promise<Page<OutboxEntry>>;

  /** Evidence documents (documents.ts): upload intents with their expiry (epoch seconds), attached documents. */
  putUploadIntent(intent: UploadIntent, expiresAt: number): Promise<void>;
  getUploadIntent(uploadId: string): Promise<UploadIntent | null>;
  deleteUploadIntent(uploadId: string): Promise<void>;
  /** Throws AttachRefusedError when the milestone is not active or the intent was consumed. */
  attachDocument(uploadId: string | null, document: DocumentRecord): Promise<void>;
  /** Throws AttachRefusedError when the milestone is not active or the document is gone. */
  detachDocument(document: DocumentRecord): Promise<void>;
  /** Documents of one milestone without an upload (generated evidence), in one transaction while it is active. */
  attachDocuments(documents: readonly DocumentRecord[]): Promise<void>;
  listDocuments(schoolId: string, milestone?: string): Promise<DocumentRecord[]>;
  getDocument(schoolId: string, id: string): Promise<DocumentRecord | null>;
}

export function createStore(options: StoreOptions): MilestoneStore {
  return new DynamoMilestoneStore({ client: options.client, tableName: options.tableName, clock: options.clock ?? new SystemClock() });
}

/** A school's whole audit history, oldest first (every page of `history`). */
export async function wholeHistory(store: Pick<MilestoneStore, 'history'>, schoolId: string): Promise<MilestoneEvent[]> {
  const events: MilestoneEvent[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.history(schoolId, { order: 'oldest-first', limit: 1000, cursor });
    events.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return events;
}

// ---------- helpers ----------

const Limit = z.number().int().min(1).max(1000);
const MAX_TRANSACTION_ITEMS = 100;
/** BatchGetItem's limit of keys per request. */
const BATCH_GET_KEYS = 100;
const TRANSACTION_ATTEMPTS = 8;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One BatchWriteItem (at most 25 requests), its unprocessed items retried with backoff. */
export async function batchWriteAll(client: DynamoDBClient, table: string, requests: WriteRequest[]): Promise<void> {
  let pending = requests;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 0) {
      if (attempt > 10) throw new StoreError('batch-unprocessed', `${pending.length} items still unprocessed after ${attempt} attempts`);
      await sleep(Math.min(50 * 2 ** attempt, 2000) * Math.random());
    }
    const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
    pending = out.UnprocessedItems?.[table] ?? [];
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function keyAttrs(index: IndexNames | null): string[] {
  return index ? [PK, SK, index.pk, index.sk] : [PK, SK];
}

interface ListSpec {
  /** Names the listing inside its cursors. */
  q: string;
  index: IndexNames | null;
  keyCondition: string;
  names: Record<string, string>;
  values: Record<string, AttributeValue>;
  forward: boolean;
  filter?: string;
  /** Whether a decoded cursor key belongs to this listing. */
  allowed: (k: KeyValues) => boolean;
}

interface ShardedSpec {
  q: string;
  index: IndexNames;
  partition: (shard: number) => string;
  range?: { lo: string; hi: string };
}

class DynamoMilestoneStore implements MilestoneStore {
  constructor(private readonly ctx: StoreContext) {}

  // ---------- evidence documents (documents.ts) ----------

  putUploadIntent(intent: UploadIntent, expiresAt: number): Promise<void> {
    return documents.putUploadIntent(this.ctx, intent, expiresAt);
  }
  getUploadIntent(uploadId: string): Promise<UploadIntent | null> {
    return documents.getUploadIntent(this.ctx, uploadId);
  }
  deleteUploadIntent(uploadId: string): Promise<void> {
    return documents.deleteUploadIntent(this.ctx, uploadId);
  }
  attachDocument(uploadId: string | null, document: DocumentRecord): Promise<void> {
    return documents.attachDocument(this.ctx, uploadId, document);
  }
  detachDocument(document: DocumentRecord): Promise<void> {
    return documents.detachDocument(this.ctx, document);
  }
  attachDocuments(records: readonly DocumentRecord[]): Promise<void> {
    return documents.attachDocuments(this.ctx, records);
  }
  listDocuments(schoolId: string, milestone?: string): Promise<DocumentRecord[]> {
    return documents.listDocuments(this.ctx, schoolId, milestone);
  }
  getDocument(schoolId: string, id: string): Promise<DocumentRecord | null> {
    return documents.getDocument(this.ctx, schoolId, id);
  }

  private get table(): string {
    return this.ctx.tableName;
  }

  // ---------- reference data ----------

  async putSchool(school: School): Promise<void> {
    await this.ctx.client.send(new PutItemCommand({ TableName: this.table, Item: schoolToItem(School.parse(school)) }));
  }

  async putSchools(schools: readonly School[]): Promise<void> {
    const unique = [...new Map(schools.map((s) => [s.id, School.parse(s)])).values()];
    const requests = unique.map((s): WriteRequest => ({ PutRequest: { Item: schoolToItem(s) } }));
    await mapLimit(chunks(requests, 25), 4, (batch) => this.batchWrite(batch));
  }

  private batchWrite(requests: WriteRequest[]): Promise<void> {
    return batchWriteAll(this.ctx.client, this.table, requests);
  }

  async putContractor(contractor: Contractor): Promise<void> {
    await this.ctx.client.send(new PutItemCommand({ TableName: this.table, Item: contractorToItem(Contractor.parse(contractor)) }));
  }

  async getContractor(id: string): Promise<Contractor | null> {
    const item = await this.get(keys.contractor(Id.parse(id)));
    return item ? contractorFromItem(item) : null;
  }

  async listContractors(): Promise<Contractor[]> {
    const items = await this.queryAll({
      TableName: this.table,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
      ExpressionAttributeValues: { ':pk': toAttr(keys.contractorPartition), ':prefix': toAttr('CONTRACTOR#') },
    });
    return items.map(contractorFromItem);
  }

  async getContractorRecord(id: string): Promise<ContractorRecord | null> {
    const item = await this.get(keys.contractor(Id.parse(id)));
    return item ? contractorRecordFromItem(item) : null;
  }

  async listContractorRecords(): Promise<ContractorRecord[]> {
    const items = await queryPartition(this.ctx.client, this.table, keys.contractorPartition, 'CONTRACTOR#');
    return items.map(contractorRecordFromItem);
  }

  async saveContractors(changes: readonly ContractorChange[]): Promise<void> {
    if (changes.length === 0) return;
    if (changes.length > MAX_CONTRACTOR_CHANGES)
      throw new RangeError(`at most ${MAX_CONTRACTOR_CHANGES} contractors change at once, got ${changes.length}`);
    const items: TransactWriteItem[] = changes.flatMap(({ contractor, expectedVersion, event }): TransactWriteItem[] => {
      const parsed = Contractor.parse(contractor);
      const audit = AdminEvent.parse(event);
      if (audit.subject.type !== 'contractor' || audit.subject.id !== parsed.id || audit.version !== expectedVersion + 1) {
        throw new StoreError('invalid-commit', `the audit event of ${parsed.id} must be for it, version ${expectedVersion + 1}`);
      }
      return [
        {
          Put: {
            TableName: this.table,
            Item: contractorToItem(parsed, expectedVersion + 1),
            ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(PK)' : '#version = :expected',
            ...(expectedVersion === 0
              ? {}
              : {
                  ExpressionAttributeNames: { '#version': 'version' },
                  ExpressionAttributeValues: { ':expected': toAttr(expectedVersion) },
                }),
          },
        },
        { Put: { TableName: this.table, Item: auditToItem(audit), ConditionExpression: 'attribute_not_exists(PK)' } },
      ];
    });
    await this.transactAdmin(items, (i) => {
      const change = changes[Math.floor(i / 2)]!;
      return change.expectedVersion === 0
        ? `contractor ${change.contractor.id} already exists`
        : `contractor ${change.contractor.id} is not at version ${change.expectedVersion}`;
    });
  }

  async updateSchoolProfile(school: School, expectedVersion: number, event: AdminEvent): Promise<{ version: number }> {
    const parsed = School.parse(school);
    const audit = AdminEvent.parse(event);
    const version = expectedVersion + 1;
    if (audit.subject.type !== 'school' || audit.subject.id !== parsed.id || audit.version !== version) {
      throw new StoreError('invalid-commit', `the audit event of school ${parsed.id} must be for it, version ${version}`);
    }
    // SET every field the profile has, REMOVE the optional ones it does not: the summary lines stay.
    const fields = { ...parsed, ...schoolIndexAttrs(parsed), [PROFILE_VERSION]: version } as Record<string, unknown>;
    const names: Record<string, string> = { '#pv': PROFILE_VERSION };
    const values: Record<string, AttributeValue> = { ':expected': toAttr(expectedVersion) };
    const sets: string[] = [];
    Object.entries(fields).forEach(([name, value], i) => {
      names[`#f${i}`] = name;
      values[`:f${i}`] = toAttr(value);
      sets.push(`#f${i} = :f${i}`);
    });
    const removed = (['students', 'archived'] as const).filter((f) => parsed[f] === undefined);
    removed.forEach((name, i) => (names[`#r${i}`] = name));
    const update = `SET ${sets.join(', ')}${removed.length ? ` REMOVE ${removed.map((_, i) => `#r${i}`).join(', ')}` : ''}`;
    await this.transactAdmin(
      [
        {
          Update: {
            TableName: this.table,
            Key: toItem(keys.school(parsed.id)),
            UpdateExpression: update,
            ConditionExpression: expectedVersion === 0 ? 'attribute_exists(PK) AND attribute_not_exists(#pv)' : '#pv = :expected',
            ExpressionAttributeNames: names,
            ...(expectedVersion === 0
              ? { ExpressionAttributeValues: Object.fromEntries(Object.entries(values).filter(([k]) => k !== ':expected')) }
              : { ExpressionAttributeValues: values }),
          },
        },
        { Put: { TableName: this.table, Item: auditToItem(audit), ConditionExpression: 'attribute_not_exists(PK)' } },
      ],
      () => `school ${parsed.id} does not exist or its profile is not at version ${expectedVersion}`,
    );
    return { version };
  }

  adminHistory(subject: AdminEvent['subject'], page: PageOptions = {}): Promise<Page<AdminEvent>> {
    const partition = keys.auditPartition(AdminEvent.shape.subject.parse(subject));
    return this.list(
      {
        q: 'audit',
        index: null,
        keyCondition: '#pk = :pk',
        names: { '#pk': PK },
        values: { ':pk': toAttr(partition) },
        forward: false,
        allowed: (k) => k[PK] === partition,
      },
      page,
      auditFromItem,
    );
  }

  /** One transaction of the register or a profile: a failed condition is a version conflict, described by `conflict(index)`. */
  private async transactAdmin(items: TransactWriteItem[], conflict: (index: number) => string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.ctx.client.send(new TransactWriteItemsCommand({ TransactItems: items }));
        return;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        const failed = reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed');
        if (failed >= 0) throw new StoreError('version-conflict', conflict(failed));
        if (reasons.some((r) => r.Code === 'TransactionConflict') && attempt < TRANSACTION_ATTEMPTS) {
          await sleep(Math.random() * 10 * 2 ** attempt);
          continue;
        }
        throw error;
      }
    }
  }

  async initMilestones(states: readonly MilestoneState[]): Promise<{ created: number; existing: number }> {
    const bySchool = new Map<string, Map<string, MilestoneState>>();
    for (const state of states.map((s) => MilestoneState.parse(s))) {
      const school = bySchool.get(state.schoolId) ?? new Map<string, MilestoneState>();
      if (!school.has(state.key)) school.set(state.key, state);
      bySchool.set(state.schoolId, school);
    }
    const counts = await mapLimit([...bySchool.values()], 8, (school) => this.initSchoolMilestones([...school.values()]));
    return counts.reduce((sum, c) => ({ created: sum.created + c.created, existing: sum.existing + c.existing }), {
      created: 0,
      existing: 0,
    });
  }

  /**
   * One transaction per school: the milestone items that do not exist yet and their lines in the school's
   * summary. An item that exists is left out and the transaction tried again; so is the summary when the
   * school has no profile.
   */
  private async initSchoolMilestones(states: MilestoneState[]): Promise<{ created: number; existing: number }> {
    if (states.length + 1 > MAX_TRANSACTION_ITEMS)
      throw new RangeError(`at most ${MAX_TRANSACTION_ITEMS - 1} milestones of a school at once, got ${states.length}`);
    const schoolId = states[0]!.schoolId;
    let pending = states;
    let withSummary = true;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const items: TransactWriteItem[] = pending.map((state) => ({
        Put: { TableName: this.table, Item: milestoneToItem(state), ConditionExpression: 'attribute_not_exists(PK)' },
      }));
      if (withSummary) items.push({ Update: this.summaryUpdate(schoolId, pending.map(lineOf)) });
      try {
        await this.ctx.client.send(new TransactWriteItemsCommand({ TransactItems: items }));
        break;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        const failed = (i: number) => reasons[i]?.Code === 'ConditionalCheckFailed';
        const existing = pending.filter((_, i) => failed(i));
        const noProfile = withSummary && failed(pending.length);
        if (existing.length > 0 || noProfile) {
          pending = pending.filter((_, i) => !failed(i));
          if (noProfile) withSummary = false;
          continue;
        }
        if (reasons.some((r) => r.Code === 'TransactionConflict') && attempt < TRANSACTION_ATTEMPTS) {
          await sleep(Math.random() * 10 * 2 ** attempt);
          continue;
        }
        throw error;
      }
    }
    return { created: pending.length, existing: states.length - pending.length };
  }

  /** Writes milestone lines into the school's summary on its profile; the condition fails when there is no profile. */
  private summaryUpdate(schoolId: string, lines: readonly MilestoneLine[]): NonNullable<TransactWriteItem['Update']> {
    const names: Record<string, string> = { '#pk': PK };
    const values: Record<string, AttributeValue> = {};
    const sets = lines.map((line, i) => {
      names[`#l${i}`] = summaryAttribute(line.key);
      values[`:l${i}`] = toAttr(line);
      return `#l${i} = :l${i}`;
    });
    return {
      TableName: this.table,
      Key: toItem(keys.school(schoolId)),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: 'attribute_exists(#pk)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
  }

  // ---------- reads ----------

  async getSchool(id: string): Promise<SchoolRecord | null> {
    // 'MILESTONE#…' < 'PROFILE' and 'EVENT#…' sorts before both: one range read skips the audit log.
    const items = await this.queryAll({
      TableName: this.table,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
      ExpressionAttributeValues: {
        ':pk': toAttr(keys.schoolPartition(Id.parse(id))),
        ':from': toAttr('MILESTONE#'),
        ':to': toAttr('PROFILE'),
      },
      ConsistentRead: true,
    });
    const profile = items.find((i) => i[SK]?.S === 'PROFILE');
    if (!profile) return null;
    const { school, version } = schoolVersionFromItem(profile);
    return { school, version, milestones: items.filter((i) => i !== profile).map(milestoneFromItem) };
  }

  async getSchools(ids: readonly string[], milestoneKeys: readonly string[]): Promise<(SchoolRecord | null)[]> {
    const schoolIds = [...new Set(ids.map((id) => Id.parse(id)))];
    const milestones = [...new Set(milestoneKeys.map((k) => MilestoneKey.parse(k)))];
    const wanted = schoolIds.flatMap((id) => [keys.school(id), ...milestones.map((k) => keys.milestone(id, k))]);
    const items = (await mapLimit(chunks(wanted, BATCH_GET_KEYS), 4, (batch) => this.batchGet(batch))).flat();
    const profiles = new Map<string, { school: School; version: number }>();
    const stored = new Map<string, StoredMilestone[]>();
    for (const item of items) {
      const partition = item[PK]?.S ?? '';
      if (item[SK]?.S === 'PROFILE') profiles.set(partition, schoolVersionFromItem(item));
      else stored.set(partition, [...(stored.get(partition) ?? []), milestoneFromItem(item)]);
    }
    return ids.map((id) => {
      const partition = keys.schoolPartition(id);
      const profile = profiles.get(partition);
      if (!profile) return null;
      // In key order, as getSchool's Query returns them.
      const list = (stored.get(partition) ?? []).sort((a, b) => (a.state.key < b.state.key ? -1 : a.state.key > b.state.key ? 1 : 0));
      return { ...profile, milestones: list };
    });
  }

  private async batchGet(wanted: readonly { PK: string; SK: string }[]): Promise<Item[]> {
    const items: Item[] = [];
    let pending: KeysAndAttributes | undefined = { Keys: wanted.map((k) => toItem(k)), ConsistentRead: true };
    for (let attempt = 0; pending?.Keys?.length; attempt++) {
      if (attempt > 0) {
        if (attempt > 10)
          throw new StoreError('batch-unprocessed', `${pending.Keys.length} keys still unprocessed after ${attempt} attempts`);
        await sleep(Math.min(50 * 2 ** attempt, 2000) * Math.random());
      }
      const out: BatchGetItemCommandOutput = await this.ctx.client.send(
        new BatchGetItemCommand({ RequestItems: { [this.table]: pending } }),
      );
      items.push(...(out.Responses?.[this.table] ?? []));
      pending = out.UnprocessedKeys?.[this.table];
    }
    return items;
  }

  async getMilestone(schoolId: string, key: string): Promise<StoredMilestone | null> {
    const item = await this.get(keys.milestone(Id.parse(schoolId), MilestoneKey.parse(key)));
    return item ? milestoneFromItem(item) : null;
  }

  listSchoolsByDistrict(district: string, page: PageOptions = {}): Promise<Page<School>> {
    return this.list(schoolsSpec(district), page, schoolFromItem);
  }

  listAllSchools(page: PageOptions = {}): Promise<Page<School>> {
    return this.list(schoolsSpec(undefined), page, schoolFromItem);
  }

  async listSchoolSummaries(options: SummaryListOptions): Promise<Page<SchoolSummary>> {
    const keysOf = (list: readonly string[]) => [...new Set(list.map((k) => MilestoneKey.parse(k)))].sort();
    const { milestones } = options;
    const all = typeof milestones === 'function' ? null : keysOf(milestones);
    const wantedBy = (school: School): string[] => (typeof milestones === 'function' ? keysOf(milestones(school)) : all!);
    const page = await this.list(schoolsSpec(options.district), options, schoolSummaryFromItem);
    const wantedOf = new Map(page.items.map(({ school }) => [school.id, wantedBy(school)]));
    // Lines a profile lacks: read those milestone items (they may exist from before lines were kept).
    const missing = page.items.flatMap(({ school, lines }) =>
      wantedOf
        .get(school.id)!
        .filter((k) => !lines.has(k))
        .map((k) => keys.milestone(school.id, k)),
    );
    const items = missing.length > 0 ? (await mapLimit(chunks(missing, BATCH_GET_KEYS), 4, (batch) => this.batchGet(batch))).flat() : [];
    const found = new Map(items.map((item) => [`${item[PK]?.S}|${item[SK]?.S}`, lineOf(milestoneFromItem(item).state)]));
    return {
      cursor: page.cursor,
      items: page.items.map(({ school, lines }) => ({
        school,
        milestones: wantedOf.get(school.id)!.flatMap((k) => {
          const line = lines.get(k) ?? found.get(`${keys.schoolPartition(school.id)}|${keys.milestone(school.id, k).SK}`);
          return line ? [line] : [];
        }),
      })),
    };
  }

  listAssignments(contractorId: string, page: PageOptions = {}): Promise<Page<MilestoneState>> {
    const partition = assigneePartition(Id.parse(contractorId));
    return this.list(
      {
        q: 'assignments',
        index: INDEX.party,
        keyCondition: '#pk = :pk',
        names: { '#pk': INDEX.party.pk },
        values: { ':pk': toAttr(partition) },
        forward: true,
        allowed: (k) => k[INDEX.party.pk] === partition,
      },
      page,
      (item) => milestoneFromItem(item).state,
    );
  }

  listOpenByDeadline(options: OpenByDeadlineOptions = {}): Promise<Page<MilestoneState>> {
    // Sort keys are `<deadline>#<school>#<key>`; '~' sorts after every character of an Id and of a date.
    const range =
      options.from === undefined && options.to === undefined
        ? undefined
        : {
            lo: options.from === undefined ? '0' : IsoDate.parse(options.from),
            hi: options.to === undefined ? '~' : `${IsoDate.parse(options.to)}#~`,
          };
    return this.listSharded(
      { q: 'open', index: INDEX.due, partition: duePartitions.open, ...(range ? { range } : {}) },
      options,
      (item) => milestoneFromItem(item).state,
    );
  }

  history(schoolId: string, options: HistoryOptions = {}): Promise<Page<MilestoneEvent>> {
    const partition = keys.schoolPartition(Id.parse(schoolId));
    const milestone = options.milestone === undefined ? undefined : MilestoneKey.parse(options.milestone);
    return this.list(
      {
        q: 'history',
        index: null,
        keyCondition: '#pk = :pk AND begins_with(#sk, :prefix)',
        names: { '#pk': PK, '#sk': SK, ...(milestone ? { '#milestone': 'milestone' } : {}) },
        values: { ':pk': toAttr(partition), ':prefix': toAttr('EVENT#'), ...(milestone ? { ':milestone': toAttr(milestone) } : {}) },
        forward: options.order === 'oldest-first',
        ...(milestone ? { filter: '#milestone = :milestone' } : {}),
        allowed: (k) => k[PK] === partition && k[SK]!.startsWith('EVENT#'),
      },
      options,
      eventFromItem,
    );
  }

  // ---------- the transactional commit ----------

  async commit(input: CommitInput): Promise<{ version: number; signal: PendingSignal | null }> {
    const state = MilestoneState.parse(input.state);
    const events = input.events.map((e) => MilestoneEvent.parse(e));
    const notifications = [...new Map((input.notifications ?? []).map((n) => [n.id, Notification.parse(n)])).values()];
    const { schoolId, key, expectedVersion } = input;
    checkCommitShape(schoolId, key, expectedVersion, state, events);
    const given = input.signal ? PendingSignal.parse(input.signal) : null;
    if (
      given &&
      (given.schoolId !== schoolId ||
        given.milestone !== key ||
        given.version !== state.version ||
        (given.committed && given.committed.state.version !== state.version))
    ) {
      throw new RangeError(`the signal of a commit reports its own milestone and version (${schoolId}/${key} v${state.version})`);
    }

    const stateFields = Object.entries(state);
    const index = milestoneIndexAttrs(state);
    const names: Record<string, string> = {};
    const values: Record<string, AttributeValue> = {};
    const sets: string[] = [];
    stateFields.forEach(([field, value], i) => {
      names[`#f${i}`] = field;
      values[`:f${i}`] = toAttr(value, field);
      sets.push(`#f${i} = :f${i}`);
    });
    Object.entries(index.set).forEach(([attr, value], i) => {
      names[`#g${i}`] = attr;
      values[`:g${i}`] = toAttr(value);
      sets.push(`#g${i} = :g${i}`);
    });
    const removes = index.remove.map((attr, i) => {
      names[`#r${i}`] = attr;
      return `#r${i}`;
    });
    names['#entity'] = ENTITY;
    values[':entity'] = toAttr(Entity.milestone);
    sets.push('#entity = :entity');
    if (events.some((e) => e.type === 'started')) {
      // Started (from pending: no document can be attached yet): the item lists its documents from now on.
      names['#listed'] = DOCUMENTS_LISTED;
      values[':listed'] = toAttr(true);
      sets.push('#listed = :listed');
    }
    names['#version'] = 'version';
    values[':expected'] = toAttr(expectedVersion);
    // Version 0 is also the state of a milestone never stored (the decider's initial state).
    const versionCondition = expectedVersion === 0 ? 'attribute_not_exists(PK) OR #version = :expected' : '#version = :expected';

    /**
     * The milestone's update. When the signal carries the step that was waiting, the same write takes
     * that step's token off the item, on condition that it is still the one stored: from then on the
     * signal in the outbox is the token's only holder (whoever delivers it has nothing to clear, and no
     * later command finds a used token), and a step that stored a new token in between is left alone.
     */
    const milestoneUpdate = (takeTask: boolean): TransactWriteItem => {
      const taskNames = takeTask ? Object.fromEntries(Object.values(TASK_ATTRS).map((attr, i) => [`#t${i}`, attr])) : {};
      const removed = [...removes, ...Object.keys(taskNames)];
      return {
        Update: {
          TableName: this.table,
          Key: toItem(keys.milestone(schoolId, key)),
          UpdateExpression: `SET ${sets.join(', ')}${removed.length ? ` REMOVE ${removed.join(', ')}` : ''}`,
          ConditionExpression: takeTask ? `(${versionCondition}) AND #taskToken = :taskToken` : versionCondition,
          ExpressionAttributeNames: takeTask ? { ...names, ...taskNames, '#taskToken': TASK_ATTRS.token } : names,
          ExpressionAttributeValues: takeTask ? { ...values, ':taskToken': toAttr(given!.task!.token) } : values,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      };
    };
    /*
     * How the signal holds the waiting step's token. `take`: the signal carries the step the command
     * read, and the commit takes its token off the item (a Put of the signal). Otherwise the command read
     * no step (or the one it read changed since): the signal is written with an update that leaves the
     * step an undelivered signal of the milestone holds, if there is one — a token an earlier commit took
     * off the item, whose step still waits for it — so it is carried on and never overwritten and lost.
     * Whoever delivers the signal reads the stored one (the dispatcher, the sweep) or finds it there
     * (`WorkflowSignal.deliver`, when the milestone holds no token).
     */
    let take = given?.task !== undefined;
    type Built = { items: TransactWriteItem[]; signal: PendingSignal | null; summaryAt: number; idempotencyAt: number };
    const build = (): Built => {
      const items: TransactWriteItem[] = [
        milestoneUpdate(take),
        ...events.map((e): TransactWriteItem => ({
          Put: { TableName: this.table, Item: eventToItem(e), ConditionExpression: 'attribute_not_exists(PK)' },
        })),
        ...notifications.map((n): TransactWriteItem => ({
          Put: { TableName: this.table, Item: notificationToItem(n), ConditionExpression: 'attribute_not_exists(PK)' },
        })),
      ];
      // The milestone's line in the school's summary (see marshall.ts), when the school has a profile.
      const summaryAt = items.length;
      items.push({ Update: this.summaryUpdate(schoolId, [lineOf(state)]) });
      const idempotencyAt = input.idempotency ? items.length : -1;
      if (input.idempotency) items.push(completeInTransaction(this.ctx, input.idempotency.lease, input.idempotency.response));
      let signal: PendingSignal | null = null;
      if (given) {
        const { task, taskTaken: _, ...rest } = given;
        if (take && task) {
          signal = { ...rest, task, taskTaken: true };
          items.push({ Put: { TableName: this.table, Item: signalToItem(signal) } });
        } else {
          signal = rest;
          const { [PK]: _pk, [SK]: _sk, ...attrs } = signalToItem(signal);
          const names: Record<string, string> = {};
          const values: Record<string, AttributeValue> = {};
          const sets = Object.entries(attrs).map(([attr, value], i) => {
            names[`#s${i}`] = attr;
            values[`:s${i}`] = value;
            return `#s${i} = :s${i}`;
          });
          // A committed state of an earlier signal kept on the item would describe an older version.
          const drop = signal.committed ? '' : ' REMOVE #committed';
          if (drop) names['#committed'] = 'committed';
          items.push({
            Update: {
              TableName: this.table,
              Key: toItem(keys.signal(schoolId, key)),
              UpdateExpression: `SET ${sets.join(', ')}${drop}`,
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
            },
          });
        }
      }
      if (items.length > MAX_TRANSACTION_ITEMS) {
        throw new RangeError(`a commit writes at most ${MAX_TRANSACTION_ITEMS} items, this one ${items.length}`);
      }
      return { items, signal, summaryAt, idempotencyAt };
    };
    const firstNotification = 1 + events.length;

    let { items, signal, summaryAt, idempotencyAt } = build();
    let transactItems = items;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.ctx.client.send(new TransactWriteItemsCommand({ TransactItems: transactItems }));
        return { version: state.version, signal };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        const failed = (i: number) => reasons[i]?.Code === 'ConditionalCheckFailed';
        if (transactItems === items && failed(summaryAt)) {
          // No profile (a milestone stored for a school not imported): commit without the summary line.
          transactItems = items.filter((_, i) => i !== summaryAt);
          attempt--;
          continue;
        }
        const failedItem = (i: number) => failed(transactItems === items || i < summaryAt ? i : i - 1);
        if (failedItem(0)) {
          const current = reasons[0]?.Item ?? (await this.get(keys.milestone(schoolId, key)));
          const version = current?.['version'] ? (fromAttr(current['version']) as number) : null;
          if (take && version === expectedVersion) {
            // The version holds; the token the command read is no longer the one stored: commit without taking it.
            const withoutSummary = transactItems !== items;
            take = false;
            ({ items, signal, summaryAt, idempotencyAt } = build());
            transactItems = withoutSummary ? items.filter((_, i) => i !== summaryAt) : items;
            attempt--;
            continue;
          }
          throw new VersionConflictError(schoolId, key, expectedVersion, version);
        }
        const duplicates = notifications.filter((_, i) => failedItem(firstNotification + i)).map((n) => n.id);
        if (duplicates.length > 0) throw new DuplicateNotificationError(duplicates);
        if (input.idempotency && failedItem(idempotencyAt)) {
          throw new IdempotencyLeaseLostError(input.idempotency.lease.scope, input.idempotency.lease.key);
        }
        if (events.some((_, i) => failedItem(1 + i))) {
          throw new StoreError('audit-collision', `an audit event of ${schoolId}/${key} with the same key already exists`, {
            cause: error,
          });
        }
        // Cancelled because another transaction held one of the items: back off and let the conditions decide.
        if (reasons.some((r) => r.Code === 'TransactionConflict')) {
          if (attempt >= TRANSACTION_ATTEMPTS) throw new TransactionConflictError(`commit of ${schoolId}/${key}`);
          await sleep(Math.random() * 10 * 2 ** attempt);
          continue;
        }
        throw error;
      }
    }
  }

  withIdempotency<T>(
    scope: string,
    key: string,
    requestHash: string,
    fn: (lease: IdempotencyLease) => Promise<T>,
    options?: IdempotencyOptions,
  ): Promise<IdempotentResult<T>> {
    return withIdempotency(this.ctx, scope, key, requestHash, fn, options);
  }

  // ---------- the waiting workflow ----------

  async setTaskToken(schoolId: string, key: string, task: TaskTokenInput): Promise<void> {
    const status = PHASE_STATUS[task.phase];
    const values: Record<string, AttributeValue> = {
      ':token': toAttr(z.string().min(1).parse(task.token)),
      ':execution': toAttr(z.string().min(1).parse(task.executionArn)),
      ':phase': toAttr(task.phase),
      ':since': toAttr(this.ctx.clock.now().toISOString()),
      ':status': toAttr(status),
    };
    let condition = 'attribute_exists(PK) AND #status = :status';
    if (task.expectedVersion !== undefined) {
      condition += ' AND #version = :version';
      values[':version'] = toAttr(task.expectedVersion);
    }
    try {
      await this.ctx.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: toItem(keys.milestone(Id.parse(schoolId), MilestoneKey.parse(key))),
          // The version the workflow read is the one the item has now (the condition pins it when given).
          UpdateExpression: 'SET #token = :token, #execution = :execution, #phase = :phase, #since = :since, #taskVersion = #version',
          ConditionExpression: condition,
          ExpressionAttributeNames: {
            '#token': TASK_ATTRS.token,
            '#execution': TASK_ATTRS.executionArn,
            '#phase': TASK_ATTRS.phase,
            '#since': TASK_ATTRS.since,
            '#taskVersion': TASK_ATTRS.version,
            '#status': 'status',
            '#version': 'version',
          },
          ExpressionAttributeValues: values,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const stored = error.Item ? milestoneFromItem(error.Item) : null;
      const old = stored?.state ?? null;
      const reason = !old
        ? 'the milestone does not exist'
        : old.status !== status
          ? `it is ${old.status}, waiting for ${task.phase} needs ${status}`
          : `it is at version ${old.version}, not ${String(task.expectedVersion)}`;
      throw new TaskTokenRejectedError(schoolId, key, reason, stored);
    }
  }

  async clearTaskToken(schoolId: string, key: string, options: { token?: string } = {}): Promise<boolean> {
    try {
      await this.ctx.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: toItem(keys.milestone(Id.parse(schoolId), MilestoneKey.parse(key))),
          UpdateExpression: 'REMOVE #token, #execution, #phase, #since, #taskVersion',
          ConditionExpression: options.token === undefined ? 'attribute_exists(#token)' : '#token = :token',
          ExpressionAttributeNames: {
            '#token': TASK_ATTRS.token,
            '#execution': TASK_ATTRS.executionArn,
            '#phase': TASK_ATTRS.phase,
            '#since': TASK_ATTRS.since,
            '#taskVersion': TASK_ATTRS.version,
          },
          ...(options.token === undefined ? {} : { ExpressionAttributeValues: { ':token': toAttr(options.token) } }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  // ---------- workflow signals (outbox) ----------

  async getSignal(schoolId: string, key: string): Promise<PendingSignal | null> {
    const item = await this.get(keys.signal(Id.parse(schoolId), MilestoneKey.parse(key)));
    return item ? signalFromItem(item) : null;
  }

  listPendingSignals(page: PageOptions = {}): Promise<Page<PendingSignal>> {
    return this.listSharded({ q: 'signals', index: INDEX.due, partition: duePartitions.signals }, page, signalFromItem);
  }

  async clearSignal(schoolId: string, key: string, version: number): Promise<boolean> {
    try {
      await this.ctx.client.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: toItem(keys.signal(Id.parse(schoolId), MilestoneKey.parse(key))),
          ConditionExpression: '#version = :version',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':version': toAttr(version) },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  // ---------- outbox ----------

  listPendingNotifications(page: PageOptions = {}): Promise<Page<OutboxEntry>> {
    return this.listSharded({ q: 'pending', index: INDEX.due, partition: duePartitions.pending }, page, notificationFromItem);
  }

  async getNotification(id: string): Promise<OutboxEntry | null> {
    const item = await this.get(keys.notification(z.string().min(1).max(200).parse(id)));
    return item ? notificationFromItem(item) : null;
  }

  async enqueueNotification(notification: Notification): Promise<boolean> {
    try {
      await this.ctx.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: notificationToItem(Notification.parse(notification)),
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async markDelivered(id: string, at: string): Promise<boolean> {
    try {
      await this.ctx.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: toItem(keys.notification(id)),
          UpdateExpression: 'SET #delivery = :delivered, #at = :at REMOVE #gpk, #gsk',
          ConditionExpression: '#delivery = :pending',
          ExpressionAttributeNames: { '#delivery': DELIVERY, '#at': DELIVERED_AT, '#gpk': INDEX.due.pk, '#gsk': INDEX.due.sk },
          ExpressionAttributeValues: {
            ':delivered': toAttr('delivered'),
            ':pending': toAttr('pending'),
            ':at': toAttr(IsoInstant.parse(at)),
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      if (!error.Item) throw new StoreError('not-found', `notification ${id} is not in the outbox`);
      return false;
    }
  }

  async recordDestination(id: string, destination: string, options: { deliveredAt?: string } = {}): Promise<boolean> {
    const append = '#to = list_append(if_not_exists(#to, :none), :one)';
    const names: Record<string, string> = { '#to': DELIVERED_TO, '#pk': PK };
    const values: Record<string, AttributeValue> = {
      ':none': { L: [] },
      ':one': { L: [toAttr(z.string().min(1).max(320).parse(destination))] },
    };
    const last = options.deliveredAt !== undefined;
    if (last) {
      Object.assign(names, { '#delivery': DELIVERY, '#at': DELIVERED_AT, '#gpk': INDEX.due.pk, '#gsk': INDEX.due.sk });
      Object.assign(values, {
        ':delivered': toAttr('delivered'),
        ':pending': toAttr('pending'),
        ':at': toAttr(IsoInstant.parse(options.deliveredAt)),
      });
    }
    try {
      await this.ctx.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: toItem(keys.notification(id)),
          UpdateExpression: last ? `SET ${append}, #delivery = :delivered, #at = :at REMOVE #gpk, #gsk` : `SET ${append}`,
          ConditionExpression: last ? 'attribute_exists(#pk) AND #delivery = :pending' : 'attribute_exists(#pk)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ...(last ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } : {}),
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      if (last && error.Item) return false;
      throw new StoreError('not-found', `notification ${id} is not in the outbox`);
    }
  }

  listNotificationsFor(recipient: Recipient, page: PageOptions = {}): Promise<Page<OutboxEntry>> {
    const partition = inboxPartition(NotificationRecipient.parse(recipient));
    return this.list(
      {
        q: 'inbox',
        index: INDEX.party,
        keyCondition: '#pk = :pk',
        names: { '#pk': INDEX.party.pk },
        values: { ':pk': toAttr(partition) },
        forward: false,
        allowed: (k) => k[INDEX.party.pk] === partition,
      },
      page,
      notificationFromItem,
    );
  }

  // ---------- query machinery ----------

  // ---------- program versions ----------

  async saveProgramDraft(draft: ProgramVersion, options: { create?: boolean } = {}): Promise<void> {
    const v = ProgramVersion.parse(draft);
    if (v.status !== 'draft') throw new StoreError('invalid', 'saveProgramDraft writes drafts only');
    const condition = options.create ? 'attribute_not_exists(#pk)' : 'attribute_not_exists(#pk) OR #status = :draft';
    try {
      await this.ctx.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: programVersionToItem(v),
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#pk': PK, ...(options.create ? {} : { '#status': 'status' }) },
          ...(options.create ? {} : { ExpressionAttributeValues: { ':draft': toAttr('draft') } }),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) {
        const published = e.Item?.status?.S === 'published';
        throw new StoreError(
          published ? 'version-published' : 'version-exists',
          published
            ? `version ${v.version} of ${v.programId} is published and cannot change`
            : `version ${v.version} of ${v.programId} exists`,
        );
      }
      throw e;
    }
  }

  async publishProgramVersion(published: ProgramVersion): Promise<void> {
    const v = ProgramVersion.parse(published);
    if (v.status !== 'published' || v.publishedAt === null)
      throw new StoreError('invalid', 'publishProgramVersion writes a published version with its publishedAt');
    try {
      await this.ctx.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: programVersionToItem(v),
          ConditionExpression: '#status = :draft',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':draft': toAttr('draft') },
        }),
      );
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException)
        throw new StoreError('version-not-draft', `version ${v.version} of ${v.programId} is not a draft`);
      throw e;
    }
  }

  async putProgramVersionIfAbsent(published: ProgramVersion): Promise<boolean> {
    const v = ProgramVersion.parse(published);
    try {
      await this.ctx.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: programVersionToItem(v),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      );
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return false;
      throw e;
    }
  }

  async getProgramVersion(programId: string, version: number): Promise<ProgramVersion | null> {
    const item = await this.get(keys.programVersion(Id.parse(programId), version));
    return item ? programVersionFromItem(item) : null;
  }

  async listProgramVersions(programId: string): Promise<ProgramVersion[]> {
    return (await this.programVersionItems(programId)).map(programVersionFromItem);
  }

  async listProgramVersionStatuses(programId: string): Promise<ProgramVersionStatusLine[]> {
    return (await this.programVersionItems(programId, ['version', 'status'])).map(programVersionStatusFromItem);
  }

  /** Every version item of a program, oldest first; with `only`, just those attributes (and the keys and entity). */
  private programVersionItems(programId: string, only?: readonly string[]): Promise<Item[]> {
    const projected = only ? [ENTITY, ...only] : [];
    return this.queryAll({
      TableName: this.table,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ...(only ? { ProjectionExpression: ['#pk', '#sk', ...projected.map((_, i) => `#a${i}`)].join(', ') } : {}),
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK, ...Object.fromEntries(projected.map((name, i) => [`#a${i}`, name])) },
      ExpressionAttributeValues: { ':pk': toAttr(keys.programPartition(Id.parse(programId))), ':prefix': toAttr('VERSION#') },
      ConsistentRead: true,
    });
  }

  private async get(key: { PK: string; SK: string }): Promise<Item | undefined> {
    const out = await this.ctx.client.send(new GetItemCommand({ TableName: this.table, Key: toItem(key), ConsistentRead: true }));
    return out.Item;
  }

  private queryAll(input: QueryCommandInput): Promise<Item[]> {
    return queryAll(this.ctx.client, input);
  }

  /** One page of one partition. With a filter it reads on until the page is full or the partition ends. */
  private async list<T>(spec: ListSpec, page: PageOptions, decode: (item: Item) => T): Promise<Page<T>> {
    const limit = Limit.parse(page.limit ?? 50);
    const attrs = keyAttrs(spec.index);
    let start = page.cursor ? decodeCursor(page.cursor, spec.q, attrs, spec.allowed) : undefined;
    const items: T[] = [];
    do {
      const out = await this.ctx.client.send(
        new QueryCommand({
          TableName: this.table,
          ...(spec.index ? { IndexName: spec.index.name } : {}),
          KeyConditionExpression: spec.keyCondition,
          ...(spec.filter ? { FilterExpression: spec.filter } : {}),
          ExpressionAttributeNames: spec.names,
          ExpressionAttributeValues: spec.values,
          ScanIndexForward: spec.forward,
          Limit: limit - items.length,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(out.Items ?? []).map(decode));
      start = out.LastEvaluatedKey;
    } while (start && items.length < limit);
    return { items, cursor: start ? encodeCursor(spec.q, keyValues(start, attrs)) : null };
  }

  /**
   * One page merged over the shards of the "due" index: read up to `limit` items from every shard still
   * open, merge by sort key, keep the first `limit`. Each shard's position in the cursor is the last item
   * taken from it, so nothing is skipped or repeated.
   */
  private async listSharded<T>(spec: ShardedSpec, page: PageOptions, decode: (item: Item) => T): Promise<Page<T>> {
    const limit = Limit.parse(page.limit ?? 50);
    const attrs = keyAttrs(spec.index);
    const positions: ShardPosition[] = page.cursor
      ? decodeShardCursor(page.cursor, spec.q, DUE_SHARDS, attrs, (shard, k) => k[spec.index.pk] === spec.partition(shard))
      : Array.from({ length: DUE_SHARDS }, () => null);

    const reads = await Promise.all(
      positions.map(async (position, shard) => {
        if (position === 'done') return { shard, items: [] as Item[], more: false };
        const out = await this.ctx.client.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: spec.index.name,
            KeyConditionExpression: spec.range ? '#pk = :pk AND #sk BETWEEN :lo AND :hi' : '#pk = :pk',
            ExpressionAttributeNames: { '#pk': spec.index.pk, ...(spec.range ? { '#sk': spec.index.sk } : {}) },
            ExpressionAttributeValues: {
              ':pk': toAttr(spec.partition(shard)),
              ...(spec.range ? { ':lo': toAttr(spec.range.lo), ':hi': toAttr(spec.range.hi) } : {}),
            },
            Limit: limit,
            ExclusiveStartKey: position ? toStartKey(position) : undefined,
          }),
        );
        return { shard, items: out.Items ?? [], more: out.LastEvaluatedKey !== undefined };
      }),
    );

    const sortKey = (item: Item) => item[spec.index.sk]?.S ?? '';
    const merged = reads
      .flatMap((r) => r.items.map((item) => ({ shard: r.shard, item })))
      .sort((a, b) => (sortKey(a.item) < sortKey(b.item) ? -1 : sortKey(a.item) > sortKey(b.item) ? 1 : a.shard - b.shard))
      .slice(0, limit);

    const next = positions.slice();
    for (const r of reads) {
      if (positions[r.shard] === 'done') continue;
      const taken = merged.filter((m) => m.shard === r.shard);
      const last = taken.at(-1);
      if (taken.length === r.items.length && !r.more) next[r.shard] = 'done';
      else if (last) next[r.shard] = keyValues(last.item, attrs);
    }
    const cursor = next.every((p) => p === 'done') ? null : encodeShardCursor(spec.q, next);
    return { items: merged.map((m) => decode(m.item)), cursor };
  }
}

/** The schools index: every school, or a district's by its key prefix. */
function schoolsSpec(district: string | undefined): ListSpec {
  if (district === undefined) {
    return {
      q: 'schools',
      index: INDEX.schools,
      keyCondition: '#pk = :pk',
      names: { '#pk': INDEX.schools.pk },
      values: { ':pk': toAttr(SCHOOLS_PARTITION) },
      forward: true,
      allowed: (k) => k[INDEX.schools.pk] === SCHOOLS_PARTITION,
    };
  }
  const prefix = `${Id.parse(district)}#`;
  return {
    q: 'district',
    index: INDEX.schools,
    keyCondition: '#pk = :pk AND begins_with(#sk, :prefix)',
    names: { '#pk': INDEX.schools.pk, '#sk': INDEX.schools.sk },
    values: { ':pk': toAttr(SCHOOLS_PARTITION), ':prefix': toAttr(prefix) },
    forward: true,
    allowed: (k) => k[INDEX.schools.pk] === SCHOOLS_PARTITION && k[INDEX.schools.sk]!.startsWith(prefix),
  };
}

function checkCommitShape(schoolId: string, key: string, expectedVersion: number, state: MilestoneState, events: MilestoneEvent[]): void {
  const problem = (message: string) => new StoreError('invalid-commit', `commit of ${schoolId}/${key}: ${message}`);
  if (state.schoolId !== schoolId || state.key !== key) throw problem(`the state is of ${state.schoolId}/${state.key}`);
  if (events.length === 0) throw problem('no events: every committed change is audited');
  events.forEach((e, i) => {
    if (e.schoolId !== schoolId || e.milestone !== key) throw problem(`event ${i} is of ${e.schoolId}/${e.milestone}`);
    if (e.version !== expectedVersion + i + 1) throw problem(`event ${i} has version ${e.version}, expected ${expectedVersion + i + 1}`);
  });
  if (state.version !== expectedVersion + events.length) {
    throw problem(`state version ${state.version}, expected ${expectedVersion + events.length}`);
  }
}
