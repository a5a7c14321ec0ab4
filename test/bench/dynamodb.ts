/**
 * What DynamoDB Local's settings cost (`npm run bench -- dynamodb`): each configuration is a fresh
 * DynamoDB Local (the milestone table from the CDK definition, indexes and stream as deployed) under the
 * same load, one after the other in the same run, the project's current settings first and last so
 * that a drift of the machine's load shows:
 *
 *   - start: wall time until the port answers and until the first CreateTable is done, and the CPU
 *     the JVM spent until then;
 *   - commit: the transactional commit (milestone with its version check + audit event + outbox
 *     notification), 16 in flight, COMMITS of them after a warm-up;
 *   - read: a school with its milestones (one Query), 16 in flight, READS of them after a warm-up.
 *
 * The figure is the JVM's CPU time per operation (from /proc), which a busy machine disturbs much less
 * than the operations per second it also prints: the machine is shared, wall-clock rates move with
 * whatever else runs.
 *
 * Configurations: in memory vs a data folder on disk vs one on tmpfs (/dev/shm); the table's stream and
 * its indexes switched off (to see what they cost: the system needs both); JVM options (garbage
 * collector, class-data sharing, C1 only, heap); `-delayTransientStatuses`, `-optimizeDbBeforeStartup`.
 * Absolute numbers depend on the machine's load; read each row against the baseline rows.
 *
 * BENCH_DYNAMODB_OPS (default 600): commits measured per configuration (twice as many reads).
 */
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { JAVA_OPTIONS, QUICK_START_JAVA_OPTIONS, startDynamoDbLocal, type DynamoDbLocalOptions } from '../../infra/local/dynamodb-local.js';
import { createTablesFromTemplate } from '../../infra/local/tables.js';
import { createStore, type MilestoneStore } from '../../shared/store/index.js';
import { school } from '../store/fixtures.js';
import { milestoneTableTemplate } from '../support/table.js';
import { commitPerWorker, descendantsCpuSeconds, measureCount, type Window } from './measure.helpers.js';

const CONCURRENCY = 16;
const COMMITS = Number(process.env.BENCH_DYNAMODB_OPS ?? 600);
const READS = 2 * COMMITS;
const WARM_UP = 400;

interface Config {
  name: string;
  storage?: 'memory' | 'disk' | 'tmpfs';
  java?: readonly string[];
  extraArgs?: readonly string[];
  stream?: boolean;
  indexes?: boolean;
}

const CURRENT = 'current settings';
const configs: Config[] = [
  { name: CURRENT },
  { name: 'data folder on disk (npm start before)', storage: 'disk' },
  { name: 'data folder on tmpfs', storage: 'tmpfs' },
  { name: 'stream off', stream: false },
  { name: 'no secondary indexes', indexes: false },
  { name: 'JVM: -Xms64m (previous default)', java: ['-Xms64m'] },
  { name: 'JVM: -XX:+UseSerialGC', java: [...JAVA_OPTIONS.filter((o) => !o.startsWith('-XX:+Use')), '-XX:+UseSerialGC'] },
  { name: 'JVM: -XX:+UseParallelGC', java: [...JAVA_OPTIONS.filter((o) => !o.startsWith('-XX:+Use')), '-XX:+UseParallelGC'] },
  { name: 'JVM: -XX:TieredStopAtLevel=1 (C1 only)', java: [...JAVA_OPTIONS, '-XX:TieredStopAtLevel=1'] },
  { name: "JVM: npm start's server (C1 only, serial GC)", java: QUICK_START_JAVA_OPTIONS },
  { name: 'JVM: -Xshare:off (no class-data sharing)', java: [...JAVA_OPTIONS, '-Xshare:off'] },
  { name: 'JVM: -Xms512m -Xmx512m', java: [...JAVA_OPTIONS.filter((o) => !/^-Xm[sx]/.test(o)), '-Xms512m', '-Xmx512m'] },
  { name: '-delayTransientStatuses', extraArgs: ['-delayTransientStatuses'] },
  { name: '-optimizeDbBeforeStartup (data folder on disk)', storage: 'disk', extraArgs: ['-optimizeDbBeforeStartup'] },
  { name: `${CURRENT} (again)` },
];

interface Measured extends Window {
  /** JVM CPU milliseconds per operation. */
  jvmMs: number;
}

interface Result {
  config: Config;
  listenMs: number;
  firstTableMs: number;
  /** JVM CPU seconds from its start until the first table was created. */
  startCpu: number;
  commits: Measured;
  reads: Measured;
}

async function withJvmCpu(op: () => Promise<Window>): Promise<Measured> {
  const before = descendantsCpuSeconds();
  const w = await op();
  return { ...w, jvmMs: ((descendantsCpuSeconds() - before) * 1000) / w.ops };
}

async function run(config: Config): Promise<Result> {
  let dir: string | undefined;
  if (config.storage === 'disk') dir = mkdtempSync(path.join(tmpdir(), 'ddb-bench-'));
  if (config.storage === 'tmpfs') {
    if (!existsSync('/dev/shm')) throw new Error('no /dev/shm on this machine');
    dir = mkdtempSync('/dev/shm/ddb-bench-');
  }
  const options: DynamoDbLocalOptions = {
    ...(dir ? { dataDir: dir } : {}),
    ...(config.java ? { javaOptions: config.java } : {}),
    ...(config.extraArgs ? { extraArgs: config.extraArgs } : {}),
  };
  const started = performance.now();
  const ddb = await startDynamoDbLocal(options);
  const listenMs = performance.now() - started;
  const client = new DynamoDBClient({
    endpoint: ddb.endpoint,
    region: 'eu-central-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const template = milestoneTableTemplate();
    const tableName = 'bench';
    const table = config.indexes === false ? withoutIndexes(template) : template;
    await createTablesFromTemplate(client, table, { tableName: () => tableName });
    const firstTableMs = performance.now() - started;
    const startCpu = descendantsCpuSeconds();
    if (config.stream === false)
      await client.send(new UpdateTableCommand({ TableName: tableName, StreamSpecification: { StreamEnabled: false } }));
    const store: MilestoneStore = createStore({ client, tableName });

    // One school per worker: requests in flight never touch the same milestone.
    await store.putSchools(Array.from({ length: CONCURRENCY }, (_, w) => school(`bench-${w}`)));
    const { commit } = await commitPerWorker(store, CONCURRENCY);
    const read = async (worker: number) => {
      if (!(await store.getSchool(`bench-${worker}`))) throw new Error('school missing');
    };
    await measureCount(CONCURRENCY, WARM_UP, commit);
    const commits = await withJvmCpu(() => measureCount(CONCURRENCY, COMMITS, commit));
    await measureCount(CONCURRENCY, WARM_UP, read);
    const reads = await withJvmCpu(() => measureCount(CONCURRENCY, READS, read));
    return { config, listenMs, firstTableMs, startCpu, commits, reads };
  } finally {
    client.destroy();
    await ddb.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

function withoutIndexes(template: ReturnType<typeof milestoneTableTemplate>): ReturnType<typeof milestoneTableTemplate> {
  const resources = Object.fromEntries(
    Object.entries(template.Resources ?? {}).map(([id, r]) => {
      if (r.Type !== 'AWS::DynamoDB::Table') return [id, r];
      const { GlobalSecondaryIndexes: _g, LocalSecondaryIndexes: _l, ...properties } = r.Properties ?? {};
      const keys = new Set(((properties.KeySchema as { AttributeName: string }[]) ?? []).map((k) => k.AttributeName));
      const attributes = (properties.AttributeDefinitions as { AttributeName: string }[]).filter((a) => keys.has(a.AttributeName));
      return [id, { ...r, Properties: { ...properties, AttributeDefinitions: attributes } }];
    }),
  );
  return { ...template, Resources: resources };
}

const perSecond = (w: Window) => (w.ops / w.ms) * 1000;

console.log(
  `DynamoDB Local settings: ${CONCURRENCY} requests in flight, ${COMMITS} commits and ${READS} reads after a warm-up, one configuration after the other`,
);
console.log(`current JVM options: ${JAVA_OPTIONS.join(' ') || '(none)'}; -sharedDb -disableTelemetry; in memory unless said`);
const results: Result[] = [];
for (const config of configs) {
  try {
    results.push(await run(config));
  } catch (error) {
    console.log(`  ${config.name}: failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
}
const baseline = results.filter((r) => r.config.name.startsWith(CURRENT));
const mean = (f: (r: Result) => number) => baseline.reduce((n, r) => n + f(r), 0) / Math.max(1, baseline.length);
const base = { commit: mean((r) => r.commits.jvmMs), read: mean((r) => r.reads.jvmMs) };
console.log(
  `\n  ${'configuration'.padEnd(48)} ${'listen'.padStart(7)} ${'table'.padStart(7)} ${'start CPU'.padStart(9)}  ${'JVM CPU per commit'.padStart(18)}  ${'per read'.padStart(14)}   commits/s reads/s (wall, moves with the load)`,
);
for (const r of results) {
  const c = r.commits.jvmMs;
  const q = r.reads.jvmMs;
  console.log(
    `  ${r.config.name.padEnd(48)} ${(r.listenMs / 1000).toFixed(1).padStart(6)}s ${(r.firstTableMs / 1000).toFixed(1).padStart(6)}s ${r.startCpu.toFixed(1).padStart(8)}s  ${c.toFixed(2).padStart(9)} ms ×${(c / base.commit).toFixed(2)}  ${q.toFixed(2).padStart(6)} ms ×${(q / base.read).toFixed(2)}   ${perSecond(r.commits).toFixed(0).padStart(9)} ${perSecond(r.reads).toFixed(0).padStart(7)}`,
  );
}
console.log(
  `  (× = against the mean of the "${CURRENT}" rows: ${base.commit.toFixed(2)} ms of JVM CPU per commit, ${base.read.toFixed(2)} ms per read; lower is better)`,
);
console.log(
  `  machine load average at the end: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${cpus().length} cores`,
);
