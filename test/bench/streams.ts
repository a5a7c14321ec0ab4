/**
 * Reading the table's stream, as the local event source mappings do: the SDK's GetRecords (the
 * baseline: every record deserialized into the SDK's shapes) against `recordReader` (the records as the
 * stream sends them, `infra/local/stream-records.ts`), over the same records of the same stream, in
 * alternating rounds. The records are the system's own: commands' commits (the milestone, its audit
 * event, an outbox notification and the school's summary line) on an in-memory DynamoDB Local. Prints the
 * CPU of this process and of DynamoDB Local's JVM per 1,000 records read, and their ratios.
 *
 * `npm run bench -- streams`. Runs when imported; the default export returns the same run.
 *
 *   BENCH_STREAM_COMMITS=2500 BENCH_STREAM_ROUNDS=3
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { startDynamoDbLocal } from '../../infra/local/dynamodb-local.js';
import { recordReader } from '../../infra/local/stream-records.js';
import { createStore } from '../../shared/store/index.js';
import { school } from '../store/fixtures.js';
import { createMilestoneTable } from '../support/table.js';
import { commitPerWorker, descendantsCpuSeconds, measureCount } from './measure.helpers.js';

const COMMITS = Number(process.env.BENCH_STREAM_COMMITS ?? 2500);
const ROUNDS = Number(process.env.BENCH_STREAM_ROUNDS ?? 3);
const WORKERS = 8;

interface Pass {
  records: number;
  nodeMs: number;
  jvmMs: number;
  wallMs: number;
}

async function main(): Promise<void> {
  const ddb = await startDynamoDbLocal();
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const client = new DynamoDBClient({ endpoint: ddb.endpoint, region: 'eu-central-1', credentials });
  const streams = new DynamoDBStreamsClient({ endpoint: ddb.endpoint, region: 'eu-central-1', credentials });
  const reader = recordReader(streams);
  try {
    const tableName = await createMilestoneTable(client, 'bench-streams');
    const store = createStore({ client, tableName });
    await store.putSchools(Array.from({ length: WORKERS }, (_, w) => school(`bench-${w}`)));
    const { commit } = await commitPerWorker(store, WORKERS);
    await measureCount(WORKERS, COMMITS, commit);

    const streamArn = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.LatestStreamArn;
    const shards = (await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }))).StreamDescription?.Shards ?? [];
    const firstIterators = () =>
      Promise.all(
        shards.map(
          async (s) =>
            (
              await streams.send(
                new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: s.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
              )
            ).ShardIterator!,
        ),
      );
    /** Every record of the stream, page by page, as the mappings read it (1,000 a page). */
    const pass = async (read: (iterator: string) => Promise<{ count: number; next: string | undefined }>): Promise<Pass> => {
      const iterators = await firstIterators();
      const cpu = process.cpuUsage();
      const jvm = descendantsCpuSeconds();
      const started = performance.now();
      let records = 0;
      for (let iterator of iterators as (string | undefined)[]) {
        while (iterator) {
          const page = await read(iterator);
          records += page.count;
          if (page.count === 0) break;
          iterator = page.next;
        }
      }
      const used = process.cpuUsage(cpu);
      return {
        records,
        nodeMs: (used.user + used.system) / 1000,
        jvmMs: (descendantsCpuSeconds() - jvm) * 1000,
        wallMs: performance.now() - started,
      };
    };
    const sdk = () =>
      pass(async (iterator) => {
        const out = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
        return { count: out.Records?.length ?? 0, next: out.NextShardIterator };
      });
    const raw = () =>
      pass(async (iterator) => {
        const out = await reader.getRecords(iterator, 1000);
        return { count: out.Records.length, next: out.NextShardIterator };
      });

    // A warm-up pass each, then alternating rounds, so that a change in the machine's load hits both alike.
    await sdk();
    await raw();
    const passes = { sdk: [] as Pass[], raw: [] as Pass[] };
    for (let round = 0; round < ROUNDS; round++) {
      passes.sdk.push(await sdk());
      passes.raw.push(await raw());
    }
    const sum = (ps: Pass[], k: keyof Pass) => ps.reduce((s, p) => s + p[k], 0);
    const per1000 = (ps: Pass[], k: 'nodeMs' | 'jvmMs' | 'wallMs') => (1000 * sum(ps, k)) / sum(ps, 'records');
    const records = passes.raw[0]!.records;
    const sample = (await reader.getRecords((await firstIterators())[0]!, 1000)).Records;
    const bytesEach = Buffer.byteLength(JSON.stringify(sample)) / sample.length;
    console.log(
      `The table's stream after ${COMMITS} commits (${records} records, about ${bytesEach.toFixed(0)} bytes each as JSON), read to its end ${ROUNDS} times each way, alternating; load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
    );
    console.log('  per 1,000 records                                 this process (CPU)   DynamoDB Local (CPU)   wall');
    const row = (name: string, ps: Pass[]) =>
      console.log(
        `  ${name.padEnd(48)} ${per1000(ps, 'nodeMs').toFixed(1).padStart(8)} ms ×${(per1000(ps, 'nodeMs') / per1000(passes.sdk, 'nodeMs')).toFixed(2)}   ${per1000(ps, 'jvmMs').toFixed(1).padStart(8)} ms ×${(per1000(ps, 'jvmMs') / per1000(passes.sdk, 'jvmMs')).toFixed(2)}   ${per1000(ps, 'wallMs').toFixed(1).padStart(7)} ms ×${(per1000(ps, 'wallMs') / per1000(passes.sdk, 'wallMs')).toFixed(2)}`,
      );
    row("the SDK's GetRecords = baseline", passes.sdk);
    row('recordReader (as the stream sends them)', passes.raw);
  } finally {
    streams.destroy();
    client.destroy();
    await ddb.stop();
  }
}

let run: Promise<void> | undefined;
export default function bench(): Promise<void> {
  return (run ??= main());
}
await bench();
