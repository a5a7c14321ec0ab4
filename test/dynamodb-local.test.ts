import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient, GetItemCommand, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { QUICK_START_JAVA_OPTIONS, startDynamoDbLocal } from '../infra/local/dynamodb-local.js';
import { startLocalServices, stopLocalServices } from '../infra/local/services.js';
import { localDynamoClient } from './support/dynamodb.js';
import { createMilestoneTable } from './support/table.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

describe('embedded DynamoDB Local', () => {
  it('serves the run (started once by the global setup)', async () => {
    const out = await localDynamoClient().send(new ListTablesCommand({}));
    expect(Array.isArray(out.TableNames)).toBe(true);
  });

  for (const how of ['SIGKILL', 'SIGTERM', 'stop'] as const) {
    it(`leaves no Java process behind when its parent ends by ${how}`, async () => {
      const script = `
        import { startDynamoDbLocal } from ${JSON.stringify(new URL('../infra/local/dynamodb-local.ts', import.meta.url).pathname)};
        const d = await startDynamoDbLocal();
        console.log(JSON.stringify({ port: d.port }));
        // Told on stdin, once the test has found the Java process.
        process.stdin.once('data', async () => { await d.stop(); process.exit(0); });
        setInterval(() => {}, 1000);
      `;
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      const line = await new Promise<string>((resolve, reject) => {
        let buf = '';
        child.stdout.on('data', (c: Buffer) => {
          buf += c.toString();
          if (buf.includes('\n')) resolve(buf.split('\n')[0]!);
        });
        child.once('exit', () => reject(new Error(`child exited early: ${buf}`)));
      });
      // The Java process itself: a pattern over command lines also matches the watchdog shell and the
      // shell that runs the pattern's search, which is gone by the time it is looked at.
      const java = javaPid((JSON.parse(line) as { port: number }).port);
      expect(alive(java)).toBe(true);
      if (how === 'stop') child.stdin.write('stop\n');
      else child.kill(how);
      expect(await waitFor(() => !alive(java), 10_000)).toBe(true);
    });
  }

  it("runs npm start's quick-start JVM options over a data folder, which a restart keeps", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'cos-quick-jvm-'));
    const clientOf = (endpoint: string) =>
      new DynamoDBClient({ endpoint, region: 'eu-central-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    try {
      // As serve.ts starts it: through the service processes, with the options for a server that mostly waits.
      const services = startLocalServices({
        dataDir,
        dynamodbJavaOptions: QUICK_START_JAVA_OPTIONS,
        cognitoEndpoint: 'unused',
        s3Endpoint: 'unused',
      });
      const first = await services.dynamodb!;
      const commandLine = readFileSync(`/proc/${javaPid(first.port)}/cmdline`, 'utf8').split('\0');
      for (const option of QUICK_START_JAVA_OPTIONS) expect(commandLine).toContain(option);
      const client = clientOf(first.endpoint);
      const tableName = await createMilestoneTable(client, 'quick');
      const Key = { PK: { S: 'SCHOOL#s1' }, SK: { S: 'PROFILE' } };
      await client.send(new PutItemCommand({ TableName: tableName, Item: { ...Key, name: { S: 'Школа №1' } } }));
      client.destroy();
      await stopLocalServices(services);

      const again = await startDynamoDbLocal({ dataDir: path.join(dataDir, 'dynamodb'), javaOptions: QUICK_START_JAVA_OPTIONS });
      const reader = clientOf(again.endpoint);
      try {
        const out = await reader.send(new GetItemCommand({ TableName: tableName, Key, ConsistentRead: true }));
        expect(out.Item?.name?.S).toBe('Школа №1');
      } finally {
        reader.destroy();
        await again.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

/** The Java process of the DynamoDB Local listening on `port`. */
function javaPid(port: number): number {
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv[0] === 'java' && argv.includes(String(port))) return Number(pid);
    } catch {
      // ended meanwhile
    }
  }
  throw new Error(`no Java process listens on port ${port}`);
}
