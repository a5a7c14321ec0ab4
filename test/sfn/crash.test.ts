/**
 * Crash and resume: 200 executions waiting on timers and task tokens; the runtime (`sfn serve`, its
 * own process, SQLite checkpoints in a temporary directory) is killed with SIGKILL mid-flight and
 * started again on the same data.
 *
 * Shown: every execution ends exactly once, with the output of an uninterrupted (in-memory) run; a
 * task whose result was checkpointed before the kill is never invoked again; only tasks in flight at
 * the kill may be invoked a second time (at-least-once), and their conditional writes keep the side
 * effect single; task tokens issued before the kill are still valid after it.
 */
import type * as Sqlite from 'node:sqlite';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateTableCommand, DeleteTableCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  DescribeExecutionCommand,
} from '@aws-sdk/client-sfn';
import { VirtualClock } from '../../shared/clock.js';
import { createRuntime } from '../../infra/local/sfn/index.js';
import { loadTemplate } from '../../infra/local/template.js';
import { dynamodbEndpoint, localDynamoClient } from '../support/dynamodb.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = path.join(root, 'infra/local/sfn/cli.ts');
const template = path.join(root, 'test/sfn/fixtures/crash-template.json');
const COUNT = 200;
const dir = mkdtempSync(path.join(tmpdir(), 'sfn-crash-'));
const dataDir = path.join(dir, 'data');
const markerFile = path.join(dir, 'markers.log');
const table = `sfn-crash-${process.pid}`;
const dynamodb = localDynamoClient();
const children: ChildProcess[] = [];

function serve(): Promise<{ child: ChildProcess; endpoint: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', cli, 'serve', '--data', dataDir, '--port', '0', '--template', template, '--root', root],
    {
      cwd: root,
      env: { ...process.env, DYNAMODB_ENDPOINT: dynamodbEndpoint(), MARKER_FILE: markerFile, CRASH_TABLE: table },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ child, endpoint: (JSON.parse(out.slice(0, nl)) as { endpoint: string }).endpoint });
    });
    child.once('exit', (code) => reject(new Error(`sfn serve exited (${code}) before it was ready:\n${stderr}`)));
  });
}

function client(endpoint: string): SFNClient {
  return new SFNClient({
    endpoint,
    region: 'eu-central-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

async function tokensInTable(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let start: Record<string, never> | undefined;
  do {
    const page = await dynamodb.send(new ScanCommand({ TableName: table, ...(start ? { ExclusiveStartKey: start } : {}) }));
    for (const item of page.Items ?? []) {
      const pk = item.pk!.S!;
      if (pk.startsWith('token#')) out.set(pk.slice('token#'.length), item.token!.S!);
    }
    start = page.LastEvaluatedKey as typeof start;
  } while (start);
  return out;
}

const answer = (exec: string) => JSON.stringify({ approvedFor: exec });
// Every tenth execution naps 10 s, so some are still on their timer when the kill comes even on a slow machine.
const input = (i: number) => JSON.stringify({ n: i, wait: i % 10 === 9 ? 10 : 1 + (i % 3) });

beforeAll(async () => {
  writeFileSync(markerFile, '');
  await dynamodb.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await dynamodb.send(new DeleteTableCommand({ TableName: table }));
  dynamodb.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** The same executions, uninterrupted, in memory on a virtual clock, with side-effect-free handlers. */
async function referenceOutputs(): Promise<Map<string, string>> {
  const stack = loadTemplate(template);
  const fns = Object.fromEntries(stack.functions.map((f) => [f.logicalId, f.arn]));
  const rt = createRuntime({
    clock: new VirtualClock('2025-01-01T00:00:00Z'),
    lambdas: {
      [fns.MarkFn!]: async (e: { step: string; n: number }) => ({ step: e.step, n: e.n + 1 }),
      [fns.ParkFn!]: async () => undefined,
    },
  });
  const { stateMachineArn } = rt.createStateMachine({ name: 'crash-flow', definition: stack.stateMachines[0]!.definitionString });
  const arns = Array.from(
    { length: COUNT },
    (_, i) => rt.startExecution({ stateMachineArn, name: `e-${i}`, input: input(i) }).executionArn,
  );
  // Answer every token as soon as it is issued, then move to the next timer.
  for (;;) {
    await rt.idle();
    let answered = 0;
    for (const arn of arns) {
      for (const { token } of rt.waitingTaskTokens(arn)) {
        await rt.sendTaskSuccess({ taskToken: token, output: answer(arn.split(':').pop()!) });
        answered++;
      }
    }
    if (answered > 0) continue;
    const next = rt.nextTimerDue();
    if (!next) break;
    await rt.advanceTo(next);
  }
  const outputs = new Map(arns.map((arn) => [arn.split(':').pop()!, rt.describeExecution({ executionArn: arn }).output!]));
  await rt.close();
  return outputs;
}

/** Reads the checkpoint file (after the kill, or read-only while the process runs: WAL lets a reader in): per execution, the tasks checkpointed as scheduled and as succeeded. */
function checkpointed(options: { readOnly?: boolean } = {}): {
  succeeded: Set<string>;
  inFlight: Set<string>;
  waitingOnToken: Set<string>;
  waitingOnTimer: Set<string>;
} {
  const sqlite = createRequire(import.meta.url)('node:sqlite') as typeof Sqlite;
  const db = new sqlite.DatabaseSync(path.join(dataDir, 'stepfunctions.sqlite'), options);
  // The events of each commit, per execution: one deflated JSON array per row.
  const rows = db.prepare('SELECT exec, events FROM history_chunks ORDER BY exec, id').all() as { exec: string; events: Uint8Array }[];
  db.close();
  const succeeded = new Set<string>();
  const scheduled = new Set<string>();
  const last = new Map<string, { type: string; state: string }>();
  let state = '';
  type Event = { type: string; stateEnteredEventDetails?: { name: string } };
  for (const row of rows) {
    const exec = row.exec.split(':').pop()!;
    for (const e of JSON.parse(inflateRawSync(row.events).toString('utf8')) as Event[]) {
      if (e.stateEnteredEventDetails) state = e.stateEnteredEventDetails.name;
      if (e.type === 'TaskScheduled') scheduled.add(`${exec}|${state}`);
      if (e.type === 'TaskSucceeded') succeeded.add(`${exec}|${state}`);
      last.set(exec, { type: e.type, state });
    }
  }
  const inFlight = new Set([...scheduled].filter((k) => !succeeded.has(k)));
  const waitingOnToken = new Set(
    [...last].filter(([, v]) => v.state === 'Ask' && v.type !== 'TaskSucceeded' && v.type !== 'TaskStateExited').map(([k]) => k),
  );
  const waitingOnTimer = new Set([...last].filter(([, v]) => v.type === 'WaitStateEntered').map(([k]) => k));
  return { succeeded, inFlight, waitingOnToken, waitingOnTimer };
}

describe('crash and resume of the runtime process', () => {
  it('SIGKILL mid-flight, restart on the same data: every execution ends once, as an uninterrupted run would', async () => {
    const reference = await referenceOutputs();

    // ---- first life -------------------------------------------------------------------------
    const first = await serve();
    let sfn = client(first.endpoint);
    const { stateMachineArn } = { stateMachineArn: 'arn:aws:states:eu-central-1:000000000000:stateMachine:crash-flow' };
    for (let i = 0; i < COUNT; i++) await sfn.send(new StartExecutionCommand({ stateMachineArn, name: `e-${i}`, input: input(i) }));
    // Answer the tokens of even executions while the process lives; odd ones wait across the crash.
    const answered = new Set<string>();
    const answerSome = async (filter: (exec: string) => boolean) => {
      for (const [exec, token] of await tokensInTable()) {
        if (answered.has(token) || !filter(exec)) continue;
        await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: answer(exec) }));
        answered.add(token);
      }
    };
    // Kill mid-flight: after at least 2.3 s, and only once the live checkpoint shows executions waiting
    // on a timer and odd ones waiting on a token (a loaded machine may need longer to get there).
    const started = Date.now();
    const midFlight = () => {
      const live = checkpointed({ readOnly: true });
      return live.waitingOnTimer.size > 0 && [...live.waitingOnToken].some((exec) => Number(exec.slice(2)) % 2 === 1);
    };
    while (Date.now() - started < 2300 || !midFlight()) {
      if (Date.now() - started > 60_000) throw new Error('the runtime never had executions waiting on both a timer and a token');
      await answerSome((exec) => Number(exec.slice(2)) % 2 === 0);
      await new Promise((r) => setTimeout(r, 50));
    }
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    sfn.destroy();

    const before = checkpointed();
    const tokensBefore = await tokensInTable();
    const pendingTokens = [...tokensBefore].filter(([exec, token]) => !answered.has(token) && before.waitingOnToken.has(exec));
    // The kill happened mid-flight: executions were waiting on timers and on task tokens.
    expect(before.waitingOnTimer.size).toBeGreaterThan(0);
    expect(pendingTokens.length).toBeGreaterThan(0);

    // ---- second life ------------------------------------------------------------------------
    const second = await serve();
    sfn = client(second.endpoint);
    // Tokens issued before the kill are still valid.
    for (const [exec, token] of pendingTokens) {
      await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: answer(exec) }));
      answered.add(token);
    }
    const deadline = Date.now() + 100_000;
    for (;;) {
      await answerSome(() => true);
      const running = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 1 }));
      if ((running.executions ?? []).length === 0) break;
      if (Date.now() > deadline) throw new Error('executions still running 100 s after the restart');
      await new Promise((r) => setTimeout(r, 100));
    }

    // Every execution ended exactly once, with the reference output.
    for (let i = 0; i < COUNT; i++) {
      const executionArn = `arn:aws:states:eu-central-1:000000000000:execution:crash-flow:e-${i}`;
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      expect(d.status, `e-${i}: ${d.error} ${d.cause}`).toBe('SUCCEEDED');
      expect(d.output).toBe(reference.get(`e-${i}`));
      const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
      const types = history.events!.map((e) => e.type);
      expect(types.filter((t) => t === 'ExecutionStarted')).toHaveLength(1);
      expect(types.filter((t) => t === 'ExecutionSucceeded')).toHaveLength(1);
      expect(types.at(-1)).toBe('ExecutionSucceeded');
    }

    // Side effects: each task ran at least once; checkpointed ones exactly once; repeats only for tasks in flight at the kill.
    const counts = new Map<string, number>();
    for (const line of readFileSync(markerFile, 'utf8').trim().split('\n')) {
      const [exec, step] = line.split('|');
      counts.set(`${exec}|${step}`, (counts.get(`${exec}|${step}`) ?? 0) + 1);
    }
    expect(counts.size).toBe(COUNT * 2);
    const repeated = [...counts].filter(([, n]) => n > 1).map(([k]) => k);
    for (const key of before.succeeded) if (counts.has(key)) expect(counts.get(key), key).toBe(1);
    for (const key of repeated) expect(before.inFlight.has(key), `${key} ran twice but was not in flight at the kill`).toBe(true);
    // The conditional writes kept one marker per task whatever the repeats.
    const markers = await dynamodb.send(
      new ScanCommand({
        TableName: table,
        Select: 'COUNT',
        FilterExpression: 'begins_with(pk, :m)',
        ExpressionAttributeValues: { ':m': { S: 'mark#' } },
      }),
    );
    expect(markers.Count).toBe(COUNT * 2);
    console.log(
      `crash test: ${before.succeeded.size} task results checkpointed before the kill, ${before.waitingOnTimer.size} executions waiting on a timer, ` +
        `${pendingTokens.length} on a token across the restart, ${before.inFlight.size} tasks in flight; ${repeated.length} invoked again (at-least-once)`,
    );

    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
    sfn.destroy();
  }, 240_000);
});
