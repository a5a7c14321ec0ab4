/**
 * Store benchmark: commits per second of the transactional commit beside raw PutItems per second, on the
 * same in-memory DynamoDB Local, in the same run, with the same number of requests in flight. The ratio is
 * the figure to watch; absolute numbers depend on the machine.
 *
 * The commit is the one commands make: the school's profile is stored, so one TransactWriteItems writes
 * the milestone with its version check, its audit event, one outbox notification and the milestone's line
 * in the school's summary (4 items). A second row commits to milestones whose school has no profile: the
 * store's first transaction is then cancelled on the summary line and sent again without it.
 *
 * Then the same two with 1 to 16 requests in flight, and the cost of a TransactWriteItems itself:
 * transactions of 1 to 4 plain items, with and without conditions and a ClientRequestToken, beside
 * PutItem, a conditional UpdateItem and a BatchWriteItem, each a fixed number of requests, with the CPU
 * DynamoDB Local's JVM spent per request (the steadier figure when the machine is loaded).
 *
 * `npm run bench -- store`. Runs when imported; the default export returns the same run.
 */
import {
  BatchWriteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal } from '../../infra/local/dynamodb-local.js';
import { createStore, toItem, type MilestoneStore } from '../../shared/store/index.js';
import { createMilestoneTable } from '../support/table.js';
import { pending, school } from '../store/fixtures.js';
import { commitPerWorker, descendantsCpuSeconds, measureCount, measureWindow, type Window } from './measure.helpers.js';

const CONCURRENCY = 16;
const WARM_UP_MS = 1_000;
const WINDOW_MS = 3_000;
const ROUNDS = 2;
/** Requests per row and pass of the TransactWriteItems breakdown (a warm-up pass, then two measured). */
const SHAPE_REQUESTS = 400;
const measure = (ms: number, op: (worker: number, i: number) => Promise<void>) => measureWindow(CONCURRENCY, ms, op);

function summary(windows: Window[]): { ops: number; perSecond: number; p50: number; p95: number } {
  const ops = windows.reduce((n, w) => n + w.ops, 0);
  const ms = windows.reduce((n, w) => n + w.ms, 0);
  const sorted = windows.flatMap((w) => w.latencies).sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { ops, perSecond: (ops / ms) * 1000, p50: at(0.5), p95: at(0.95) };
}

async function main(): Promise<void> {
  const ddb = await startDynamoDbLocal();
  try {
    const client = new DynamoDBClient({
      endpoint: ddb.endpoint,
      region: 'eu-central-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const tableName = await createMilestoneTable(client, 'bench');
    const store: MilestoneStore = createStore({ client, tableName });

    // One milestone per worker: requests in flight never touch the same milestone.
    await store.putSchools(Array.from({ length: CONCURRENCY }, (_, w) => school(`bench-${w}`)));
    const { states, commit } = await commitPerWorker(store, CONCURRENCY);
    const { commit: commitNoProfile } = await commitPerWorker(store, CONCURRENCY, 'noprofile-');
    let puts = 0;
    const rawItem = (worker: number) =>
      toItem({ PK: `RAW#${worker}`, SK: `ITEM#${String(puts++).padStart(9, '0')}`, entity: 'raw', ...states[worker]! });
    const put = async (worker: number) => {
      await client.send(new PutItemCommand({ TableName: tableName, Item: rawItem(worker) }));
    };

    await measure(WARM_UP_MS, commit);
    await measure(WARM_UP_MS, commitNoProfile);
    await measure(WARM_UP_MS, put);
    const commits: Window[] = [];
    const noProfile: Window[] = [];
    const rawPuts: Window[] = [];
    // Interleaved rounds, so that a change in the machine's load hits every side alike.
    for (let round = 0; round < ROUNDS; round++) {
      commits.push(await measure(WINDOW_MS, commit));
      noProfile.push(await measure(WINDOW_MS, commitNoProfile));
      rawPuts.push(await measure(WINDOW_MS, put));
    }
    const c = summary(commits);
    const n = summary(noProfile);
    const p = summary(rawPuts);
    const line = (name: string, s: ReturnType<typeof summary>) =>
      `  ${name.padEnd(66)} ${String(s.ops).padStart(6)} ops ${s.perSecond.toFixed(0).padStart(6)}/s   p50 ${s.p50.toFixed(1)} ms   p95 ${s.p95.toFixed(1)} ms   ×${(s.perSecond / p.perSecond).toFixed(2)}`;
    console.log(
      `DynamoDB Local (in memory), ${CONCURRENCY} requests in flight, ${ROUNDS} interleaved windows of ${WINDOW_MS / 1000} s after a ${WARM_UP_MS / 1000} s warm-up`,
    );
    console.log(line('store.commit (state + audit event + outbox + summary line, 1 txn)', c));
    console.log(line('store.commit, school without profile (2 txns: cancelled, resent)', n));
    console.log(line('raw PutItem (one milestone-sized item, no index) = baseline', p));
    console.log(
      `  ratio commit/PutItem: ${(c.perSecond / p.perSecond).toFixed(2)}  (a commit writes 4 items in one TransactWriteItems, all or nothing)`,
    );

    await byConcurrency(commit, put);
    await transactionShapes(client, tableName);
  } finally {
    await ddb.stop();
  }
}

/** Requests per row and pass of the breakdown by requests in flight. */
const IN_FLIGHT_REQUESTS = { commit: 300, put: 900 };
const IN_FLIGHT = [1, 2, 4, 8, 16];

/**
 * The commit and PutItem with 1 to 16 requests in flight: the ratio depends on it, as DynamoDB Local's
 * JVM runs every request's SQLite work on one thread, where the commits queue; the JVM CPU per request
 * says whether the extra requests in flight cost it work or only wait.
 */
async function byConcurrency(commit: (worker: number) => Promise<void>, put: (worker: number) => Promise<void>): Promise<void> {
  const totals = IN_FLIGHT.map(() => ({ commit: { ops: 0, ms: 0, jvm: 0 }, put: { ops: 0, ms: 0, jvm: 0 } }));
  // Two passes, the second in reverse order, so that the machine's load hits every row alike.
  for (const order of [IN_FLIGHT.map((_, i) => i), IN_FLIGHT.map((_, i) => IN_FLIGHT.length - 1 - i)]) {
    for (const i of order) {
      for (const [kind, op] of [
        ['commit', commit],
        ['put', put],
      ] as const) {
        const cpu = descendantsCpuSeconds();
        const w = await measureCount(IN_FLIGHT[i]!, IN_FLIGHT_REQUESTS[kind], op);
        const t = totals[i]![kind];
        t.jvm += descendantsCpuSeconds() - cpu;
        t.ops += w.ops;
        t.ms += w.ms;
      }
    }
  }
  console.log(
    `By requests in flight: 2 × ${IN_FLIGHT_REQUESTS.commit} commits and 2 × ${IN_FLIGHT_REQUESTS.put} PutItems per row (in order, then in reverse); JVM CPU per request`,
  );
  IN_FLIGHT.forEach((n, i) => {
    const rate = (t: { ops: number; ms: number }) => (t.ops / t.ms) * 1000;
    const jvm = (t: { ops: number; jvm: number }) => (t.jvm * 1000) / t.ops;
    const { commit: c, put: p } = totals[i]!;
    console.log(
      `  ${String(n).padStart(2)} in flight: commit ${rate(c).toFixed(0).padStart(5)}/s (JVM ${jvm(c).toFixed(2)} ms)   PutItem ${rate(p).toFixed(0).padStart(5)}/s (JVM ${jvm(p).toFixed(2)} ms)   ratio ${(rate(c) / rate(p)).toFixed(2)}`,
    );
  });
}

/** What a TransactWriteItems costs DynamoDB Local, by shape, beside the single-item writes. */
async function transactionShapes(client: DynamoDBClient, table: string): Promise<void> {
  let seq = 0;
  const base = pending('shape', 'connection', { deadline: '2024-12-31' });
  const plain = (worker: number, condition = false): TransactWriteItem => ({
    Put: {
      TableName: table,
      Item: toItem({ PK: `SHAPE#${worker}`, SK: `ITEM#${String(seq++).padStart(9, '0')}`, entity: 'raw', ...base }),
      ...(condition ? { ConditionExpression: 'attribute_not_exists(PK)' } : {}),
    },
  });
  // A counter item per worker, updated with a version condition as a commit updates its milestone.
  const versions = Array.from({ length: CONCURRENCY }, () => 0);
  for (let w = 0; w < CONCURRENCY; w++)
    await client.send(new PutItemCommand({ TableName: table, Item: toItem({ PK: `COUNTER#${w}`, SK: 'COUNTER', version: 0 }) }));
  const update = (worker: number): TransactWriteItem => ({
    Update: {
      TableName: table,
      Key: toItem({ PK: `COUNTER#${worker}`, SK: 'COUNTER' }),
      UpdateExpression: 'SET #v = :next',
      ConditionExpression: '#v = :expected',
      ExpressionAttributeNames: { '#v': 'version' },
      ExpressionAttributeValues: toItem({ ':expected': versions[worker]!, ':next': ++versions[worker]! }),
    },
  });
  const transact = async (items: TransactWriteItem[], token = false) => {
    await client.send(new TransactWriteItemsCommand({ TransactItems: items, ...(token ? { ClientRequestToken: `token-${seq++}` } : {}) }));
  };
  const shapes: [string, (worker: number) => Promise<void>][] = [
    ['PutItem, 1 item = baseline', (w) => client.send(new PutItemCommand(plain(w).Put!)).then(() => undefined)],
    ['UpdateItem with a version condition', (w) => client.send(new UpdateItemCommand(update(w).Update!)).then(() => undefined)],
    [
      'BatchWriteItem, 3 items',
      (w) =>
        client
          .send(
            new BatchWriteItemCommand({ RequestItems: { [table]: [1, 2, 3].map(() => ({ PutRequest: { Item: plain(w).Put!.Item } })) } }),
          )
          .then(() => undefined),
    ],
    ['TransactWriteItems, 1 item', (w) => transact([plain(w)])],
    ['TransactWriteItems, 1 update with a version condition', (w) => transact([update(w)])],
    ['TransactWriteItems, 2 items', (w) => transact([plain(w), plain(w)])],
    ['TransactWriteItems, 3 items', (w) => transact([plain(w), plain(w), plain(w)])],
    ['TransactWriteItems, 3 items, conditions on all', (w) => transact([update(w), plain(w, true), plain(w, true)])],
    ['TransactWriteItems, 3 items + ClientRequestToken', (w) => transact([plain(w), plain(w), plain(w)], true)],
    ['TransactWriteItems, 4 items', (w) => transact([plain(w), plain(w), plain(w), plain(w)])],
  ];
  // Two passes, the second in reverse order, so that the JVM's warming and the machine's load hit every row alike.
  const totals = shapes.map(() => ({ ops: 0, ms: 0, jvm: 0 }));
  for (const [, op] of shapes) await measureCount(CONCURRENCY, SHAPE_REQUESTS, op);
  for (const order of [shapes.map((_, i) => i), shapes.map((_, i) => shapes.length - 1 - i)]) {
    for (const i of order) {
      const cpu = descendantsCpuSeconds();
      const w = await measureCount(CONCURRENCY, SHAPE_REQUESTS, shapes[i]![1]);
      totals[i]!.jvm += descendantsCpuSeconds() - cpu;
      totals[i]!.ops += w.ops;
      totals[i]!.ms += w.ms;
    }
  }
  const rows = shapes.map(([name], i) => ({
    name,
    perSecond: (totals[i]!.ops / totals[i]!.ms) * 1000,
    jvmMs: (totals[i]!.jvm * 1000) / totals[i]!.ops,
  }));
  const baseline = rows[0]!;
  console.log(
    `What a write costs DynamoDB Local: 2 × ${SHAPE_REQUESTS} requests per row (in order, then in reverse) after a warm-up pass, ${CONCURRENCY} in flight; JVM CPU per request`,
  );
  for (const r of rows) {
    console.log(
      `  ${r.name.padEnd(66)} ${r.perSecond.toFixed(0).padStart(6)}/s ×${(r.perSecond / baseline.perSecond).toFixed(2)}   JVM ${r.jvmMs.toFixed(2)} ms ×${(r.jvmMs / baseline.jvmMs).toFixed(2)}`,
    );
  }
}

let run: Promise<void> | undefined;
export default function bench(): Promise<void> {
  return (run ??= main());
}
await bench();
