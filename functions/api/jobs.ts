/**
 * Bulk jobs: one action on one milestone of every school a filter selects, processed asynchronously.
 *
 * Items (same table as everything else; TTL `expiresAt`, 30 days):
 *   JOB#<id>   JOB                 the job: what, for whom, counters, status
 *   JOB#<id>   RESULT#<schoolId>   one school's outcome
 *
 * `POST /api/bulk/{action}` writes the job and asks the queue to run it: an asynchronous (`Event`)
 * invocation of the API function itself with `{"source": "cos.bulk-job", "jobId": ...}`; locally the
 * Lambda API of the local stack does the same with the same handler. Running a job again (Lambda retries
 * an asynchronous invocation that failed) skips the schools that already have an outcome, and each
 * school's command carries the idempotency key `bulk.<jobId>.<schoolId>`, so nothing is applied twice.
 */
import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { BulkFilter} from '../../shared/api/schemas.js';
import { Job, JobOutcome, type JobStatus } from '../../shared/api/schemas.js';
import { createCommandService, type CommandDeps } from '../../shared/commands/execute.js';
import { isOverdue } from '../../shared/domain/index.js';
import type { Actor, Command, CommandType, School } from '../../shared/program/model.js';
import { fromItem, toAttr, toItem, type Item } from '../../shared/store/marshall.js';
import type { WorkflowSignal } from '../common/workflow-signal.js';
import type { Log } from '../common/log.js';
import { mapLimit, matchesText } from './views.js';

export const JOB_EVENT_SOURCE = 'cos.bulk-job';
export const JobEvent = z.object({ source: z.literal(JOB_EVENT_SOURCE), jobId: z.string().min(1).max(64) }).strict();
export type JobEvent = z.infer<typeof JobEvent>;

const TTL_DAYS = 30;
const JOB_ENTITY = 'job';
const RESULT_ENTITY = 'job-result';

const StoredJob = Job.omit({ results: true }).extend({ body: z.record(z.string(), z.unknown()) });
type StoredJob = z.infer<typeof StoredJob>;

export interface NewJob {
  action: CommandType;
  milestone: string;
  filter: BulkFilter;
  body: Record<string, unknown>;
  createdBy: Actor;
}

export interface JobStore {
  create(job: NewJob): Promise<Job>;
  get(id: string): Promise<(Job & { body: Record<string, unknown> }) | null>;
}

const jobKey = (id: string) => ({ PK: { S: `JOB#${id}` }, SK: { S: 'JOB' } });

export function newJobId(nowMs: number): string {
  return `job-${nowMs.toString(36)}-${randomBytes(6).toString('hex')}`;
}

export function createJobStore(client: DynamoDBClient, tableName: string, now: () => Date): JobStore & JobProgress {
  const strip = (item: Item) => {
    const { PK: _pk, SK: _sk, entity: _entity, expiresAt: _exp, ...rest } = fromItem(item);
    return rest;
  };
  return {
    async create(input) {
      const at = now();
      const job: StoredJob = {
        id: newJobId(at.getTime()),
        action: input.action,
        milestone: input.milestone,
        filter: input.filter,
        body: input.body,
        status: 'queued',
        createdAt: at.toISOString(),
        updatedAt: at.toISOString(),
        createdBy: input.createdBy,
        total: null,
        processed: 0,
        succeeded: 0,
        failed: 0,
        skipped: 0,
        error: null,
      };
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: { ...jobKey(job.id), ...toItem({ entity: JOB_ENTITY, ...job, expiresAt: ttl(at) }) },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      const { body: _body, ...view } = job;
      return { ...view, results: [] };
    },

    async get(id) {
      const items: Item[] = [];
      let start: Record<string, { S: string }> | undefined;
      do {
        const out = await client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'PK = :pk',
            ExpressionAttributeValues: { ':pk': { S: `JOB#${id}` } },
            ConsistentRead: true,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        items.push(...(out.Items ?? []));
        start = out.LastEvaluatedKey as typeof start;
      } while (start);
      const header = items.find((i) => i.SK?.S === 'JOB');
      if (!header) return null;
      const job = StoredJob.parse(strip(header));
      const results = items.filter((i) => i.SK?.S?.startsWith('RESULT#')).map((i) => JobOutcome.parse(strip(i)));
      return { ...job, results };
    },

    async setStatus(id, status, extra = {}) {
      const names: Record<string, string> = { '#status': 'status', '#updatedAt': 'updatedAt' };
      const values: Record<string, ReturnType<typeof toAttr>> = { ':status': toAttr(status), ':updatedAt': toAttr(now().toISOString()) };
      const sets = ['#status = :status', '#updatedAt = :updatedAt'];
      for (const [k, v] of Object.entries(extra)) {
        names[`#${k}`] = k;
        values[`:${k}`] = toAttr(v);
        sets.push(`#${k} = :${k}`);
      }
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: jobKey(id),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    },

    async record(id, outcome) {
      // The outcome first (once per school), then the counters: a crash in between is repaired by the
      // rerun, which finds the outcome and skips the school (its counters are recomputed at the end).
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: { PK: { S: `JOB#${id}` }, SK: { S: `RESULT#${outcome.schoolId}` }, ...toItem({ entity: RESULT_ENTITY, ...outcome, expiresAt: ttl(now()) }) },
            ConditionExpression: 'attribute_not_exists(PK)',
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return;
        throw error;
      }
      const counter = outcome.outcome === 'ok' ? 'succeeded' : outcome.outcome === 'skipped' ? 'skipped' : 'failed';
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: jobKey(id),
          UpdateExpression: 'ADD #processed :one, #counter :one SET #updatedAt = :now',
          ExpressionAttributeNames: { '#processed': 'processed', '#counter': counter, '#updatedAt': 'updatedAt' },
          ExpressionAttributeValues: { ':one': { N: '1' }, ':now': toAttr(now().toISOString()) },
        }),
      );
    },

    async exists(id) {
      const out = await client.send(new GetItemCommand({ TableName: tableName, Key: jobKey(id), ProjectionExpression: 'PK' }));
      return out.Item !== undefined;
    },
  };
}

function ttl(at: Date): number {
  return Math.floor(at.getTime() / 1000) + TTL_DAYS * 86_400;
}

export interface JobProgress {
  setStatus(id: string, status: JobStatus, extra?: Record<string, unknown>): Promise<void>;
  record(id: string, outcome: JobOutcome): Promise<void>;
  exists(id: string): Promise<boolean>;
}

/** Hands a job to whatever runs it asynchronously. */
export interface JobQueue {
  enqueue(jobId: string): Promise<void>;
}

/** The function invokes itself asynchronously (`InvocationType: Event`) with a JobEvent. */
export function lambdaJobQueue(lambda: LambdaClient, functionName: string): JobQueue {
  return {
    async enqueue(jobId) {
      const event: JobEvent = { source: JOB_EVENT_SOURCE, jobId };
      const out = await lambda.send(
        new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify(event)) }),
      );
      if (out.StatusCode !== 202) throw new Error(`asynchronous invocation of ${functionName} answered ${out.StatusCode}`);
    },
  };
}

export interface JobRunnerDeps extends CommandDeps {
  jobs: JobStore & JobProgress;
  signal: WorkflowSignal;
  log: Log;
  /** Schools processed at the same time. */
  concurrency?: number;
}

/** The schools a filter selects, in district/id order (profiles only; status filters apply per school later). */
export async function selectSchools(deps: CommandDeps, filter: BulkFilter): Promise<School[]> {
  let schools: School[] = [];
  if (filter.schoolIds) {
    const records = await mapLimit([...new Set(filter.schoolIds)], 8, (id) => deps.store.getSchool(id));
    schools = records.flatMap((r) => (r ? [r.school] : []));
  } else {
    let cursor: string | null = null;
    do {
      const page: { items: School[]; cursor: string | null } = filter.district
        ? await deps.store.listSchoolsByDistrict(filter.district, { limit: 1000, cursor })
        : await deps.store.listAllSchools({ limit: 1000, cursor });
      schools.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
  }
  return schools.filter((s) => (filter.district === undefined || s.district === filter.district) && matchesText(s, filter.q));
}

/** Runs (or resumes) a job to the end. Never throws for one school's failure; marks the job failed on a job-level error. */
export async function runJob(deps: JobRunnerDeps, jobId: string): Promise<void> {
  const job = await deps.jobs.get(jobId);
  if (!job) {
    deps.log('warn', 'bulk job not found', { jobId });
    return;
  }
  if (job.status === 'done' || job.status === 'failed') return;
  try {
    const schools = await selectSchools(deps, job.filter);
    await deps.jobs.setStatus(jobId, 'running', { total: schools.length });
    const done = new Set(job.results.map((r) => r.schoolId));
    const body = job.body;
    await mapLimit(
      schools.filter((s) => !done.has(s.id)),
      deps.concurrency ?? 4,
      async (school) => deps.jobs.record(jobId, await runOne(deps, job, body, school)),
    );
    // Counters from the outcomes themselves: exact even when a crashed run is resumed.
    const results = (await deps.jobs.get(jobId))?.results ?? [];
    const count = (o: JobOutcome['outcome']) => results.filter((r) => r.outcome === o).length;
    const counters = { processed: results.length, succeeded: count('ok'), skipped: count('skipped'), failed: count('rejected') + count('error') };
    await deps.jobs.setStatus(jobId, 'done', counters);
    deps.log('info', 'bulk job done', { jobId, total: schools.length, ...counters });
  } catch (error) {
    deps.log('error', 'bulk job failed', { jobId, error: String(error) });
    await deps.jobs.setStatus(jobId, 'failed', { error: error instanceof Error ? error.message : String(error) }).catch(() => undefined);
  }
}

async function runOne(deps: JobRunnerDeps, job: Job, body: Record<string, unknown>, school: School): Promise<JobOutcome> {
  const { filter } = job;
  try {
    if (filter.status !== undefined || filter.overdue !== undefined) {
      const record = await deps.store.getSchool(school.id);
      const state = record?.milestones.find((m) => m.state.key === job.milestone)?.state;
      const matches =
        state !== undefined &&
        (filter.status === undefined || state.status === filter.status) &&
        (filter.overdue === undefined || isOverdue(state, deps.clock.now(), deps.program.timeZone) === filter.overdue);
      if (!matches) return { schoolId: school.id, outcome: 'skipped', status: 0, detail: 'the milestone does not match the filter' };
    }
    const command = { type: job.action, ...body } as Command;
    const { outcome } = await createCommandService({ ...deps, signals: deps.signal }).execute({
      schoolId: school.id,
      milestone: job.milestone,
      command,
      actor: job.createdBy,
      idempotencyKey: `bulk.${job.id}.${school.id}`,
    });
    if (!outcome.ok) {
      return { schoolId: school.id, outcome: 'rejected', status: outcome.status, code: outcome.code, detail: outcome.message };
    }
    return { schoolId: school.id, outcome: 'ok', status: 200, version: outcome.state.version, milestoneStatus: outcome.state.status };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    deps.log('warn', 'bulk job: one school failed', { jobId: job.id, schoolId: school.id, error: String(error) });
    return {
      schoolId: school.id,
      outcome: 'error',
      status: code === 'version-conflict' || code === 'transaction-conflict' ? 409 : 500,
      ...(typeof code === 'string' ? { code } : {}),
      detail: error instanceof Error ? error.message : String(error),
    };
  }
}
