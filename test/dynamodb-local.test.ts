import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { localDynamoClient } from './support/dynamodb.js';

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
        const { execSync } = await import('node:child_process');
        const java = execSync('pgrep -f "DynamoDbLocalLoopback -port ' + d.port + '"').toString().trim().split('\\n')[0];
        console.log(JSON.stringify({ java: Number(java) }));
        if (${JSON.stringify(how)} === 'stop') { await d.stop(); process.exit(0); }
        setInterval(() => {}, 1000);
      `;
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const line = await new Promise<string>((resolve, reject) => {
        let buf = '';
        child.stdout.on('data', (c: Buffer) => {
          buf += c.toString();
          if (buf.includes('\n')) resolve(buf.split('\n')[0]!);
        });
        child.once('exit', () => reject(new Error(`child exited early: ${buf}`)));
      });
      const { java } = JSON.parse(line) as { java: number };
      expect(alive(java)).toBe(true);
      if (how !== 'stop') child.kill(how);
      expect(await waitFor(() => !alive(java), 10_000)).toBe(true);
    });
  }
});
