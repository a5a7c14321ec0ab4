/** The sfn CLI's `run` subcommand. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../infra/local/sfn/cli.ts', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'sfn-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sfn(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', cli, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function file(name: string, content: unknown): string {
  const p = path.join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

describe('npm run sfn -- run', () => {
  it('runs a definition through its timers on a virtual clock and prints one JSON line', async () => {
    const def = file('ok.json', {
      QueryLanguage: 'JSONata',
      StartAt: 'Wait a year',
      States: {
        'Wait a year': { Type: 'Wait', Seconds: 300 * 86400, Next: 'Done' },
        Done: {
          Type: 'Pass',
          Output: {
            greeting: "{% 'hello ' & $states.input.name %}",
            waited: '{% $toMillis($now()) - $toMillis($states.context.Execution.StartTime) %}',
          },
          End: true,
        },
      },
    });
    const r = await sfn(['run', '--definition', def, '--input', '{"name":"Omsk"}']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({
      status: 'SUCCEEDED',
      output: { greeting: 'hello Omsk', waited: 300 * 86400 * 1000 },
      error: null,
      cause: null,
    });
  });

  it('reports failures (a Lambda without a handler) with exit 0', async () => {
    const def = file('lambda.json', {
      QueryLanguage: 'JSONata',
      StartAt: 'T',
      States: { T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Arguments: { FunctionName: 'nobody' }, End: true } },
    });
    const r = await sfn(['run', '--definition', def, '--input', '{}']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { status: string; error: string; cause: string };
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('Lambda.ResourceNotFoundException');
    expect(out.cause).toContain('nobody');
  });

  it('exits 2 with the message on stderr for an unsupported definition', async () => {
    const def = file('bad.json', { QueryLanguage: 'JSONata', StartAt: 'A', States: { A: { Type: 'Pass', ResultPath: '$.x', End: true } } });
    const r = await sfn(['run', '--definition', def, '--input', '{}']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/State 'A': field 'ResultPath' is a JSONPath field/);
  });
});
