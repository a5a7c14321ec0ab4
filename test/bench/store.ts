/**
 * Store benchmark: commits per second of the transactional commit (milestone update with its version
 * check + audit event + outbox notification, one TransactWriteItems) beside raw PutItems per second, on
 * the same in-memory DynamoDB Local, in the same run, with the same number of requests in flight. The
 * ratio is the figure to watch; absolute numbers depend on the machine.
 *
 * `npm run bench -- store`. Runs when imported; the default export returns the same run.
 */
import { PutItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal } from '../../infra/local/dynamodb-local.js';
import { createStore, toItem, type MilestoneStore } from '../../shared/store/index.js';
import { createMilestoneTable } from '../support/table.js';
import { commitPerWorker, measureWindow, type Window } from './measure.helpers.js';

const CONCURRENCY = 16;
const WARM_UP_MS = 1_000;
const WINDOW_MS = 3_000;
const ROUNDS = 2;
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
    const { states, commit } = await commitPerWorker(store, CONCURRENCY);
    let puts = 0;
    const put = async (worker: number) => {
      const n = puts++;
      const item = toItem({ PK: `RAW#${worker}`, SK: `ITEM#${String(n).padStart(9, '0')}`, entity: 'raw', ...states[worker]! });
      await client.send(new PutItemCommand({ TableName: tableName, Item: item }));
    };

    await measure(WARM_UP_MS, commit);
    await measure(WARM_UP_MS, put);
    const commits: Window[] = [];
    const rawPuts: Window[] = [];
    // Interleaved rounds, so that a change in the machine's load hits both sides alike.
    for (let round = 0; round < ROUNDS; round++) {
      commits.push(await measure(WINDOW_MS, commit));
      rawPuts.push(await measure(WINDOW_MS, put));
    }
    const c = summary(commits);
    const p = summary(rawPuts);
    const line = (name: string, s: ReturnType<typeof summary>) =>
      `  ${name.padEnd(54)} ${String(s.ops).padStart(6)} ops ${s.perSecond.toFixed(0).padStart(6)}/s   p50 ${s.p50.toFixed(1)} ms   p95 ${s.p95.toFixed(1)} ms`;
    console.log(
      `DynamoDB Local (in memory), ${CONCURRENCY} requests in flight, ${ROUNDS} interleaved windows of ${WINDOW_MS / 1000} s after a ${WARM_UP_MS / 1000} s warm-up`,
    );
    console.log(line('store.commit (state + audit event + outbox, 1 transaction)', c));
    console.log(line('raw PutItem (one milestone-sized item, no index)', p));
    console.log(
      `  ratio commit/PutItem: ${(c.perSecond / p.perSecond).toFixed(2)}  (a commit writes 3 items and 4 index entries, all or nothing)`,
    );
  } finally {
    await ddb.stop();
  }
}

let run: Promise<void> | undefined;
export default function bench(): Promise<void> {
  return (run ??= main());
}
await bench();
