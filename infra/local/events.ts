/**
 * The event sources of the template, run locally against the same handlers:
 *
 * - `AWS::Lambda::EventSourceMapping` on a table's stream: the stream of the table on DynamoDB Local is
 *   read shard by shard (DynamoDB Streams API), records are filtered with the mapping's FilterCriteria
 *   (the subset of EventBridge patterns CDK's FilterRule writes: equals, prefix, exists, numeric
 *   comparisons, anything-but), batched by BatchSize, and handed to the function; with
 *   ReportBatchItemFailures the failed records are retried up to MaximumRetryAttempts.
 * - `AWS::Scheduler::Schedule` with `cron(...)` or `rate(...)` in its time zone: fired on the clock, the
 *   target's Input with `<aws.scheduler.scheduled-time>` replaced by the scheduled time, retried up to the
 *   RetryPolicy's attempts.
 *
 * Anything else in such a resource that changes behaviour and is not understood is refused when the
 * sources are started, never ignored.
 */
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../../shared/clock.js';
import { zonedInstant, localDate, addDays, weekday } from '../../shared/calendar.js';
import type { CfnTemplate } from './template.js';
import { lambdaContext } from './lambda-context.js';
import { recordReader, type StreamRecord } from './stream-records.js';

export type EventHandler = (event: unknown, context: Context) => Promise<unknown> | unknown;

export interface EventSourcesOptions {
  template: CfnTemplate;
  /** Handlers by function logical id. */
  handlers: Record<string, EventHandler>;
  /** Physical table names by logical id. */
  tables: Record<string, string>;
  dynamodb: DynamoDBClient;
  dynamodbEndpoint: string;
  clock: Clock;
  /** How often streams are read (default 250 ms). */
  pollMs?: number;
  /** Where each stream mapping keeps the last record it delivered per shard, so a restart goes on from there. */
  checkpointDir?: string;
  log?: (message: string) => void;
}

export interface EventSources {
  /** Names of what runs: `stream:<mapping>` and `schedule:<name> next <time>`. */
  describe(): string[];
  /** Reads every stream to its current end and delivers what it found (tests). */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

type Resource = { Type: string; Properties?: Record<string, unknown> };

const getAtt = (v: unknown): [string, string] | null =>
  v && typeof v === 'object' && Array.isArray((v as Record<string, unknown>)['Fn::GetAtt'])
    ? ((v as Record<string, unknown>)['Fn::GetAtt'] as [string, string])
    : null;
const ref = (v: unknown): string | null =>
  v && typeof v === 'object' && typeof (v as Record<string, unknown>).Ref === 'string'
    ? ((v as Record<string, unknown>).Ref as string)
    : null;

export async function startEventSources(options: EventSourcesOptions): Promise<EventSources> {
  const log = options.log ?? (() => undefined);
  const resources = (options.template.Resources ?? {}) as Record<string, Resource>;
  const stoppers: (() => Promise<void> | void)[] = [];
  const descriptions: (() => string)[] = [];
  const drains: (() => Promise<void>)[] = [];
  // The stream mappings start side by side (each reads its table's stream first); kept in template order.
  const mappings: Promise<{ stop: () => Promise<void>; drain: () => Promise<void> }>[] = [];

  // A resource the local stack cannot run, or a mapping that fails to start: what did start stops again.
  let refused: { error: unknown } | undefined;
  try {
    for (const [id, r] of Object.entries(resources)) {
      if (r.Type === 'AWS::Lambda::EventSourceMapping') {
        const p = r.Properties ?? {};
        const source = getAtt(p.EventSourceArn);
        if (!source || source[1] !== 'StreamArn') throw new Error(`${id}: only table streams are supported as event sources locally`);
        const table = options.tables[source[0]];
        if (!table) throw new Error(`${id}: no local table for ${source[0]}`);
        const fnId = ref(p.FunctionName) ?? getAtt(p.FunctionName)?.[0];
        const handler = fnId ? options.handlers[fnId] : undefined;
        if (!fnId || !handler) throw new Error(`${id}: no local handler for the function ${JSON.stringify(p.FunctionName)}`);
        mappings.push(
          startStreamMapping({
            id,
            table,
            functionName: fnId,
            handler,
            properties: p,
            dynamodb: options.dynamodb,
            streams: new DynamoDBStreamsClient({ endpoint: options.dynamodbEndpoint }),
            pollMs: options.pollMs ?? 250,
            ...(options.checkpointDir ? { checkpointFile: path.join(options.checkpointDir, `${id}.json`) } : {}),
            log,
          }),
        );
        descriptions.push(() => `stream ${table} → ${fnId}`);
      } else if (r.Type === 'AWS::Scheduler::Schedule') {
        const p = r.Properties ?? {};
        if (p.State === 'DISABLED') continue;
        const target = (p.Target ?? {}) as Record<string, unknown>;
        const fnId = getAtt(target.Arn)?.[0] ?? ref(target.Arn);
        const handler = fnId ? options.handlers[fnId] : undefined;
        if (!fnId || !handler) throw new Error(`${id}: no local handler for the target ${JSON.stringify(target.Arn)}`);
        const schedule = startSchedule({
          id,
          expression: String(p.ScheduleExpression),
          timeZone: typeof p.ScheduleExpressionTimezone === 'string' ? p.ScheduleExpressionTimezone : 'UTC',
          input: typeof target.Input === 'string' ? target.Input : '{}',
          retries: Number((target.RetryPolicy as { MaximumRetryAttempts?: number } | undefined)?.MaximumRetryAttempts ?? 0),
          handler,
          functionName: fnId,
          clock: options.clock,
          log,
        });
        stoppers.push(schedule.stop);
        descriptions.push(
          () =>
            `schedule ${id} (${String(p.ScheduleExpression)} ${String(p.ScheduleExpressionTimezone ?? 'UTC')}) → ${fnId}, next ${schedule.next()?.toISOString() ?? 'never'}`,
        );
      }
    }
  } catch (error) {
    refused = { error };
  }
  const started = await Promise.allSettled(mappings);
  for (const m of started) {
    if (m.status === 'fulfilled') {
      stoppers.push(m.value.stop);
      drains.push(m.value.drain);
    } else refused ??= { error: m.reason };
  }
  if (refused) {
    // The caller gets no handle to stop what did start.
    for (const stopOne of stoppers) await stopOne();
    throw refused.error;
  }
  return {
    describe: () => descriptions.map((d) => d()),
    drain: async () => {
      for (const d of drains) await d();
    },
    stop: async () => {
      for (const s of stoppers) await s();
    },
  };
}

// ---------- streams ----------

interface MappingOptions {
  id: string;
  table: string;
  functionName: string;
  handler: EventHandler;
  properties: Record<string, unknown>;
  dynamodb: DynamoDBClient;
  streams: DynamoDBStreamsClient;
  pollMs: number;
  checkpointFile?: string;
  log: (message: string) => void;
}

async function startStreamMapping(o: MappingOptions): Promise<{ stop: () => Promise<void>; drain: () => Promise<void> }> {
  const p = o.properties;
  const batchSize = Number(p.BatchSize ?? 100);
  const maxRetries = Number(p.MaximumRetryAttempts ?? 2);
  const reportFailures = Array.isArray(p.FunctionResponseTypes) && p.FunctionResponseTypes.includes('ReportBatchItemFailures');
  const selects = recordSelector(p);
  const start = String(p.StartingPosition ?? 'LATEST');
  if (start !== 'TRIM_HORIZON' && start !== 'LATEST') throw new Error(`${o.id}: StartingPosition ${start} is not supported locally`);

  const described = await o.dynamodb.send(new DescribeTableCommand({ TableName: o.table }));
  const streamArn = described.Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`${o.id}: table ${o.table} has no stream`);

  const iterators = new Map<string, string | null>(); // shard → iterator (null: closed and read to the end)
  // The last delivered record of each shard (kept in the checkpoint file, when there is one).
  const delivered: Record<string, string> =
    o.checkpointFile && existsSync(o.checkpointFile) ? (JSON.parse(readFileSync(o.checkpointFile, 'utf8')) as Record<string, string>) : {};
  const saveCheckpoint = () => {
    if (!o.checkpointFile) return;
    mkdirSync(path.dirname(o.checkpointFile), { recursive: true });
    writeFileSync(`${o.checkpointFile}.tmp`, JSON.stringify(delivered));
    renameSync(`${o.checkpointFile}.tmp`, o.checkpointFile);
  };
  let stopped = false;
  let running: Promise<void> | null = null;
  // The records as the stream sends them (see stream-records.ts).
  const reader = recordReader(o.streams);

  async function refreshShards(): Promise<void> {
    let exclusiveStart: string | undefined;
    do {
      const out = await o.streams.send(
        new DescribeStreamCommand({ StreamArn: streamArn, ...(exclusiveStart ? { ExclusiveStartShardId: exclusiveStart } : {}) }),
      );
      for (const shard of out.StreamDescription?.Shards ?? []) {
        if (!shard.ShardId || iterators.has(shard.ShardId)) continue;
        // A shard seen before goes on after its last delivered record; shards found after the first look
        // are new: read from their start.
        const after = delivered[shard.ShardId];
        let it;
        try {
          it = await o.streams.send(
            new GetShardIteratorCommand({
              StreamArn: streamArn,
              ShardId: shard.ShardId,
              ...(after
                ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }
                : { ShardIteratorType: iterators.size === 0 && start === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON' }),
            }),
          );
        } catch (error) {
          if (!after || !(error instanceof TrimmedDataAccessException)) throw error;
          it = await o.streams.send(
            new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
          );
        }
        iterators.set(shard.ShardId, it.ShardIterator ?? null);
      }
      exclusiveStart = out.StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStart);
  }

  async function deliver(records: StreamRecord[]): Promise<void> {
    if (stopped) return;
    const matching = records.filter(selects);
    for (let i = 0; i < matching.length; i += batchSize) {
      let batch = matching.slice(i, i + batchSize);
      for (let attempt = 0; batch.length > 0; attempt++) {
        try {
          const result = (await o.handler(
            { Records: batch.map(lambdaRecord(streamArn!)) },
            lambdaContext(o.functionName, { timeoutMs: 900_000, memoryMb: 256 }),
          )) as { batchItemFailures?: { itemIdentifier: string }[] } | undefined;
          const failed = reportFailures ? (result?.batchItemFailures ?? []).map((f) => f.itemIdentifier) : [];
          if (failed.length === 0) break;
          // Lambda retries from the first failed record on.
          const first = batch.findIndex((r) => failed.includes(r.dynamodb?.SequenceNumber ?? ''));
          batch = first < 0 ? [] : batch.slice(first);
        } catch (error) {
          o.log(`${o.id}: ${o.functionName} failed on a batch of ${batch.length}: ${String(error)}`);
        }
        if (stopped) return; // the records are read again from the stream on the next start
        if (attempt >= maxRetries) {
          o.log(`${o.id}: gave up on ${batch.length} record(s) after ${attempt + 1} attempts`);
          break;
        }
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
      }
    }
  }

  async function pollOnce(): Promise<boolean> {
    await refreshShards();
    let any = false;
    for (const [shard, iterator] of iterators) {
      if (!iterator) continue;
      let out;
      try {
        out = await reader.getRecords(iterator, 1000);
      } catch (error) {
        const name = error instanceof Error ? error.name : '';
        if (name === 'ExpiredIteratorException' || name === 'TrimmedDataAccessException') {
          iterators.delete(shard); // looked at again (from its start) by the next refresh
          continue;
        }
        throw error;
      }
      iterators.set(shard, out.NextShardIterator ?? null);
      if (out.Records.length) {
        any = true;
        await deliver(out.Records);
        if (stopped) return any; // not delivered to the end: read again on the next start
        const last = out.Records.at(-1)?.dynamodb?.SequenceNumber;
        if (last) {
          delivered[shard] = last;
          saveCheckpoint();
        }
      }
    }
    return any;
  }

  const loop = async () => {
    while (!stopped) {
      try {
        running = pollOnce().then(() => undefined);
        await running;
      } catch (error) {
        if (!stopped) o.log(`${o.id}: reading the stream failed: ${String(error)}`);
      } finally {
        running = null;
      }
      await new Promise((r) => setTimeout(r, o.pollMs));
    }
  };
  const done = loop();
  return {
    stop: async () => {
      stopped = true;
      await done;
      o.streams.destroy();
    },
    drain: async () => {
      while (running) await running;
      while (await pollOnce()) {
        /* until a read finds nothing new */
      }
    },
  };
}

/** Whether an event source mapping (its properties in the template) hands a stream record to its function. */
export function recordSelector(properties: Record<string, unknown>): (record: FilterableRecord) => boolean {
  const patterns = ((properties.FilterCriteria as { Filters?: { Pattern: string }[] } | undefined)?.Filters ?? []).map(
    (f) => JSON.parse(f.Pattern) as Pattern,
  );
  return (record) => patterns.length === 0 || patterns.some((pat) => matches(pat, recordForFilter(record)));
}

/** What a filter pattern looks at: a record as the stream sends it, or as the SDK returns it. */
type FilterableRecord = Pick<StreamRecord, 'eventName'> & { dynamodb?: object };

function recordForFilter(rec: FilterableRecord): Record<string, unknown> {
  return { eventName: rec.eventName, eventSource: 'aws:dynamodb', dynamodb: rec.dynamodb ?? {} };
}

const lambdaRecord = (streamArn: string) => (rec: StreamRecord) => ({
  eventID: rec.eventID,
  eventName: rec.eventName,
  eventVersion: rec.eventVersion ?? '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: rec.awsRegion ?? 'local',
  eventSourceARN: streamArn,
  dynamodb: {
    ...rec.dynamodb,
    ...(rec.dynamodb?.ApproximateCreationDateTime !== undefined
      ? { ApproximateCreationDateTime: Math.floor(rec.dynamodb.ApproximateCreationDateTime) }
      : {}),
  },
});

// ---------- filter patterns ----------

type Pattern = { [key: string]: Pattern | unknown[] };

/** An EventBridge-style pattern against a value: every key must match; a list is "any of". */
export function matches(pattern: Pattern, value: unknown): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    const v = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(rule)) return rule.some((r) => matchOne(r, v));
    if (rule && typeof rule === 'object') return v !== undefined && matches(rule as Pattern, v);
    throw new Error(`unsupported filter pattern at ${key}: ${JSON.stringify(rule)}`);
  });
}

function matchOne(rule: unknown, v: unknown): boolean {
  if (rule === null || typeof rule !== 'object') return v === rule;
  const r = rule as Record<string, unknown>;
  if ('exists' in r) return r.exists ? v !== undefined : v === undefined;
  if (typeof r.prefix === 'string') return typeof v === 'string' && v.startsWith(r.prefix);
  if (Array.isArray(r['anything-but'])) return !(r['anything-but'] as unknown[]).includes(v);
  if ('anything-but' in r) return v !== r['anything-but'];
  if (Array.isArray(r.numeric)) {
    const n = typeof v === 'string' ? Number(v) : v;
    if (typeof n !== 'number' || Number.isNaN(n)) return false;
    const ops = r.numeric as (string | number)[];
    for (let i = 0; i < ops.length; i += 2) {
      const op = ops[i] as string;
      const x = ops[i + 1] as number;
      const ok = op === '=' ? n === x : op === '<' ? n < x : op === '<=' ? n <= x : op === '>' ? n > x : op === '>=' ? n >= x : false;
      if (!ok) return false;
    }
    return true;
  }
  throw new Error(`unsupported filter rule ${JSON.stringify(rule)}`);
}

// ---------- schedules ----------

interface ScheduleOptions {
  id: string;
  expression: string;
  timeZone: string;
  input: string;
  retries: number;
  handler: EventHandler;
  functionName: string;
  clock: Clock;
  log: (message: string) => void;
}

/** The next time a `cron(...)`/`rate(...)` expression fires after `afterMs`. */
export function nextFire(expression: string, timeZone: string, afterMs: number): Date {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const unit = rate[2]!.startsWith('minute') ? 60_000 : rate[2]!.startsWith('hour') ? 3_600_000 : 86_400_000;
    const period = Number(rate[1]) * unit;
    return new Date(Math.floor(afterMs / period) * period + period);
  }
  const cron = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$/.exec(expression);
  if (!cron) throw new Error(`unsupported schedule expression ${expression}`);
  const [, minutes, hours, dom, month, dow, year] = cron as unknown as string[];
  for (const [field, v] of [
    ['day-of-month', dom],
    ['month', month],
    ['year', year],
  ] as const) {
    if (v !== '*' && v !== '?')
      throw new Error(`unsupported cron ${field} "${v}" in ${expression} (only days of the week are supported locally)`);
  }
  const days = weekDays(dow!, expression);
  const list = (field: string, max: number): number[] => {
    if (field === '*') return Array.from({ length: max + 1 }, (_, i) => i);
    return field.split(',').flatMap((part) => {
      const range = /^(\d+)-(\d+)$/.exec(part);
      if (range) return Array.from({ length: Number(range[2]) - Number(range[1]) + 1 }, (_, i) => Number(range[1]) + i);
      if (/^\d+$/.test(part)) return [Number(part)];
      throw new Error(`unsupported cron field "${field}" in ${expression}`);
    });
  };
  const mins = list(minutes!, 59);
  const hrs = list(hours!, 23);
  const today = localDate(new Date(afterMs), timeZone);
  for (let day = 0; day < 9; day++) {
    const date = addDays(today, day);
    if (!days.has(weekday(date))) continue;
    for (const h of hrs) {
      for (const m of mins) {
        const at = zonedInstant(date, `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`, timeZone);
        if (at.getTime() > afterMs) return at;
      }
    }
  }
  throw new Error(`no next time for ${expression}`);
}

const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** The days (0 = Sunday … 6 = Saturday) a cron day-of-week field names: `*`, `?`, `MON-FRI`, `MON,WED`, or 1–7 (1 = Sunday). */
export function weekDays(field: string, expression: string): ReadonlySet<number> {
  if (field === '*' || field === '?') return new Set([0, 1, 2, 3, 4, 5, 6]);
  const day = (v: string): number => {
    const named = DAY_NAMES.indexOf(v.toUpperCase());
    if (named >= 0) return named;
    if (/^[1-7]$/.test(v)) return Number(v) - 1;
    throw new Error(`unsupported cron day-of-week "${field}" in ${expression}`);
  };
  const out = new Set<number>();
  for (const part of field.split(',')) {
    const [from, to] = part.split('-');
    if (to === undefined) out.add(day(from!));
    else
      for (let d = day(from!), end = day(to); ; d = (d + 1) % 7) {
        out.add(d);
        if (d === end) break;
      }
  }
  return out;
}

function startSchedule(o: ScheduleOptions): { stop: () => void; next: () => Date | null } {
  let next: Date | null = nextFire(o.expression, o.timeZone, o.clock.nowMs());
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let unsubscribe: (() => void) | undefined;

  const fire = async (at: Date) => {
    const input = JSON.parse(o.input.replaceAll('<aws.scheduler.scheduled-time>', at.toISOString().replace(/\.\d{3}Z$/, 'Z'))) as unknown;
    for (let attempt = 0; attempt <= o.retries; attempt++) {
      try {
        await o.handler(input, lambdaContext(o.functionName, { timeoutMs: 900_000, memoryMb: 256 }));
        o.log(`schedule ${o.id} ran ${o.functionName} for ${at.toISOString()}`);
        return;
      } catch (error) {
        o.log(`schedule ${o.id}: ${o.functionName} failed (attempt ${attempt + 1}): ${String(error)}`);
      }
    }
  };
  const due = async () => {
    while (!stopped && next && next.getTime() <= o.clock.nowMs()) {
      const at = next;
      next = nextFire(o.expression, o.timeZone, at.getTime());
      await fire(at);
    }
    arm();
  };
  const arm = () => {
    clearTimeout(timer);
    if (stopped || !next) return;
    if (o.clock.virtual) return; // a virtual clock tells us when it moves
    // Re-checked at least hourly, so a machine that slept does not miss a day.
    timer = setTimeout(() => void due(), Math.min(Math.max(0, next.getTime() - o.clock.nowMs()), 3_600_000));
    timer.unref();
  };
  const onChange = (o.clock as { onChange?: (fn: (ms: number) => void) => () => void }).onChange;
  if (o.clock.virtual && onChange) unsubscribe = onChange.call(o.clock, () => void due());
  arm();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      unsubscribe?.();
    },
    next: () => next,
  };
}
