/**
 * Jobs: bulk commands and CSV imports, processed asynchronously and resumable (keys.ts has the items).
 *
 * A job is run in attempts. `beginAttempt` counts them; a run that stops part way (a timeout, a crash)
 * leaves the job `running`, and the next attempt skips every school that already has an outcome. A job
 * never finishes `running` for good: after `MAX_JOB_ATTEMPTS` attempts it ends `failed` with the reason
 * its last run stopped, and a job that made no progress for `JOB_STALE_AFTER_MS` (its runs stopped and
 * nothing ran it again) is marked `failed` by the next read of it.
 *
 * An import job keeps the file's rows; each school is created in one transaction with its milestones
 * and the job's outcome for it, on the condition that the school does not exist: a school id is created
 * exactly once, even by two imports at the same time, and a resumed import never creates one twice.
 */
import {
  ConditionalCheckFailedException,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type TransactWriteItem,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { queryPartition } from './query.js';
import { z } from 'zod';
import { Job, JobOutcome, type BulkFilter, type JobStatus } from '../api/schemas.js';
import type { Clock } from '../clock.js';
import { MilestoneState, School, type Actor, type CommandType } from '../program/model.js';
import { StoreError, TransactionConflictError } from './errors.js';
import { ENTITY, Entity, JOB_SK, keys, PK, SK, TTL_ATTRIBUTE } from './keys.js';
import { batchWriteAll } from './store.js';
import { fromItem, lineOf, milestoneToItem, schoolToItem, summaryAttribute, toAttr, toItem, type Item } from './marshall.js';

/** Attempts a job gets (Lambda runs an asynchronous invocation up to three times). */
export const MAX_JOB_ATTEMPTS = 3;
/** A job unfinished and without progress for this long has no run left: it is marked failed when read. */
export const JOB_STALE_AFTER_MS = 10 * 60_000;
const TTL_DAYS = 30;
const TRANSACTION_ATTEMPTS = 8;

const StoredJob = Job.omit({ results: true }).extend({ body: z.record(z.string(), z.unknown()) });
export type StoredJob = z.infer<typeof StoredJob>;
export type JobRecord = StoredJob & { results: JobOutcome[] };

export interface NewBulkJob {
  action: CommandType;
  milestone: string;
  filter: BulkFilter;
  body: Record<string, unknown>;
  createdBy: Actor;
}

/** What creating one school of an import did. */
export type ImportRowResult = 'created' | 'done-before' | 'exists';

export interface JobStore {
  createBulk(job: NewBulkJob): Promise<Job>;
  /** A migration of the schools `filter` selects to a program version (`body`: programId, version). */
  createMigration(job: { filter: BulkFilter; body: { programId: string; version: number }; createdBy: Actor }): Promise<Job>;
  /** Stores the rows, then the job: a job that exists has all its rows. */
  createImport(input: { schools: readonly School[]; createdBy: Actor }): Promise<Job>;
  /** The job with every outcome; a job whose runs all stopped is marked failed first (see above). */
  get(id: string): Promise<JobRecord | null>;
  /** An import job's rows, in school id order. */
  rows(id: string): Promise<School[]>;
  /** Starts a run: `running`, one more attempt; answers the attempt's number. */
  beginAttempt(id: string): Promise<number>;
  setStatus(id: string, status: JobStatus, extra?: Record<string, unknown>): Promise<void>;
  /** Records one school's outcome once (a second outcome for the same school is ignored). */
  record(id: string, outcome: JobOutcome): Promise<void>;
  /** Creates the school with its milestones and the job's outcome `ok` for it, in one transaction. */
  importSchool(id: string, school: School, milestones: readonly MilestoneState[]): Promise<ImportRowResult>;
}

export function newJobId(nowMs: number): string {
  return `job-${nowMs.toString(36)}-${randomBytes(6).toString('hex')}`;
}

export function createJobStore(options: { client: DynamoDBClient; tableName: string; clock: Clock }): JobStore {
  const { client, tableName: table, clock } = options;
  const now = () => clock.now();
  const ttl = () => Math.floor(now().getTime() / 1000) + TTL_DAYS * 86_400;
  const strip = (item: Item) => {
    const { [PK]: _pk, [SK]: _sk, [ENTITY]: _entity, [TTL_ATTRIBUTE]: _exp, ...rest } = fromItem(item);
    return rest;
  };

  async function put(job: StoredJob): Promise<Job> {
    await client.send(
      new PutItemCommand({
        TableName: table,
        Item: toItem({ ...keys.job(job.id), [ENTITY]: Entity.job, ...job, [TTL_ATTRIBUTE]: ttl() }),
        ConditionExpression: 'attribute_not_exists(PK)',
      }),
    );
    const { body: _body, ...view } = job;
    return { ...view, results: [] };
  }

  function fresh(fields: Pick<StoredJob, 'kind' | 'action' | 'milestone' | 'filter' | 'body' | 'createdBy'>): StoredJob {
    const at = now();
    return {
      id: newJobId(at.getTime()),
      ...fields,
      status: 'queued',
      attempts: 0,
      createdAt: at.toISOString(),
      updatedAt: at.toISOString(),
      total: null,
      processed: 0,
      succeeded: 0,
      failed: 0,
      skipped: 0,
      error: null,
    };
  }

  function partition(id: string, prefix: string | null): Promise<Item[]> {
    return queryPartition(client, table, keys.jobPartition(id), prefix);
  }

  async function setStatus(
    id: string,
    status: JobStatus,
    extra: Record<string, unknown> = {},
    condition?: { updatedAt: string },
  ): Promise<void> {
    const names: Record<string, string> = { '#status': 'status', '#updatedAt': 'updatedAt', '#pk': PK };
    const values: Record<string, AttributeValue> = { ':status': toAttr(status), ':updatedAt': toAttr(now().toISOString()) };
    const sets = ['#status = :status', '#updatedAt = :updatedAt'];
    for (const [k, v] of Object.entries(extra)) {
      names[`#${k}`] = k;
      values[`:${k}`] = toAttr(v);
      sets.push(`#${k} = :${k}`);
    }
    let conditionExpression = 'attribute_exists(#pk)';
    if (condition) {
      values[':seen'] = toAttr(condition.updatedAt);
      conditionExpression += ' AND #updatedAt = :seen';
    }
    await client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: toItem(keys.job(id)),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: conditionExpression,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  const counterUpdate = (id: string, outcome: JobOutcome['outcome']): NonNullable<TransactWriteItem['Update']> => ({
    TableName: table,
    Key: toItem(keys.job(id)),
    UpdateExpression: 'ADD #processed :one, #counter :one SET #updatedAt = :now',
    ExpressionAttributeNames: {
      '#processed': 'processed',
      '#counter': outcome === 'ok' ? 'succeeded' : outcome === 'skipped' ? 'skipped' : 'failed',
      '#updatedAt': 'updatedAt',
    },
    ExpressionAttributeValues: { ':one': toAttr(1), ':now': toAttr(now().toISOString()) },
  });

  const resultItem = (id: string, outcome: JobOutcome): Item =>
    toItem({ ...keys.jobResult(id, outcome.schoolId), [ENTITY]: Entity.jobResult, ...JobOutcome.parse(outcome), [TTL_ATTRIBUTE]: ttl() });

  return {
    createBulk(input) {
      return put(
        fresh({
          kind: 'bulk',
          action: input.action,
          milestone: input.milestone,
          filter: input.filter,
          body: input.body,
          createdBy: input.createdBy,
        }),
      );
    },

    createMigration(input) {
      return put(
        fresh({ kind: 'migration', action: null, milestone: null, filter: input.filter, body: input.body, createdBy: input.createdBy }),
      );
    },

    async createImport(input) {
      const job = fresh({ kind: 'import', action: null, milestone: null, filter: {}, body: {}, createdBy: input.createdBy });
      const schools = [...new Map(input.schools.map((s) => [s.id, School.parse(s)])).values()];
      const requests = schools.map((school): WriteRequest => ({
        PutRequest: { Item: toItem({ ...keys.jobRow(job.id, school.id), [ENTITY]: Entity.jobRow, school, [TTL_ATTRIBUTE]: ttl() }) },
      }));
      for (let i = 0; i < requests.length; i += 25) await batchWriteAll(client, table, requests.slice(i, i + 25));
      return put({ ...job, total: schools.length });
    },

    async get(id) {
      const items = await partition(id, null);
      const header = items.find((i) => i[SK]?.S === JOB_SK.header);
      if (!header) return null;
      let job = StoredJob.parse(strip(header));
      const results = items.filter((i) => i[SK]?.S?.startsWith(JOB_SK.result)).map((i) => JobOutcome.parse(strip(i)));
      const unfinished = job.status === 'queued' || job.status === 'running';
      if (unfinished && now().getTime() - Date.parse(job.updatedAt) > JOB_STALE_AFTER_MS) {
        const error = `no progress since ${job.updatedAt}: its last run (attempt ${job.attempts} of ${MAX_JOB_ATTEMPTS}) stopped without finishing and no run is left${job.error ? ` (${job.error})` : ''}`;
        try {
          await setStatus(id, 'failed', { error }, { updatedAt: job.updatedAt });
          job = { ...job, status: 'failed', error, updatedAt: now().toISOString() };
        } catch (e) {
          // It moved on meanwhile: it is alive after all; read it again.
          if (e instanceof ConditionalCheckFailedException) return this.get(id);
          throw e;
        }
      }
      return { ...job, results };
    },

    async rows(id) {
      const items = await partition(id, JOB_SK.row);
      return items.map((i) => School.parse(strip(i)['school']));
    },

    async beginAttempt(id) {
      const out = await client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: toItem(keys.job(id)),
          UpdateExpression: 'SET #status = :running, #updatedAt = :now ADD #attempts :one',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#status': 'status', '#updatedAt': 'updatedAt', '#attempts': 'attempts', '#pk': PK },
          ExpressionAttributeValues: { ':running': toAttr('running'), ':now': toAttr(now().toISOString()), ':one': toAttr(1) },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(out.Attributes?.['attempts']?.N ?? '0');
    },

    setStatus: (id, status, extra) => setStatus(id, status, extra),

    async record(id, outcome) {
      // The outcome and the counters in one transaction; an outcome already there leaves both alone.
      try {
        await transact(client, [
          { Put: { TableName: table, Item: resultItem(id, outcome), ConditionExpression: 'attribute_not_exists(PK)' } },
          { Update: counterUpdate(id, outcome.outcome) },
        ]);
      } catch (error) {
        if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return;
        throw error;
      }
    },

    async importSchool(id, school, milestones) {
      const states = milestones.map((m) => MilestoneState.parse(m));
      if (states.some((s) => s.schoolId !== school.id))
        throw new StoreError('invalid-commit', `the milestones of an imported school are its own (${school.id})`);
      const profile = schoolToItem(School.parse(school));
      for (const state of states) profile[summaryAttribute(state.key)] = toAttr(lineOf(state));
      const ok: JobOutcome = { schoolId: school.id, outcome: 'ok', status: 201 };
      const items: TransactWriteItem[] = [
        { Put: { TableName: table, Item: resultItem(id, ok), ConditionExpression: 'attribute_not_exists(PK)' } },
        { Put: { TableName: table, Item: profile, ConditionExpression: 'attribute_not_exists(PK)' } },
        ...states.map((state): TransactWriteItem => ({
          Put: { TableName: table, Item: milestoneToItem(state), ConditionExpression: 'attribute_not_exists(PK)' },
        })),
        { Update: counterUpdate(id, 'ok') },
      ];
      try {
        await transact(client, items);
        return 'created';
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        if (reasons[0]?.Code === 'ConditionalCheckFailed') return 'done-before';
        if (reasons.slice(1, 2 + states.length).some((r) => r.Code === 'ConditionalCheckFailed')) return 'exists';
        throw error;
      }
    },
  };
}

/** One transaction, tried again while another transaction holds one of its items. */
async function transact(client: DynamoDBClient, items: TransactWriteItem[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.send(new TransactWriteItemsCommand({ TransactItems: items }));
      return;
    } catch (error) {
      const conflict =
        error instanceof TransactionCanceledException && (error.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict');
      const failed =
        error instanceof TransactionCanceledException && (error.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed');
      if (!conflict || failed) throw error;
      if (attempt >= TRANSACTION_ATTEMPTS) throw new TransactionConflictError('job transaction');
      await new Promise((r) => setTimeout(r, Math.random() * 10 * 2 ** attempt));
    }
  }
}
