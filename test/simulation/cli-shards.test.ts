/**
 * `npm run simulate` in threads side by side (`--shards`, the default on a machine with more than one
 * core) against one thread: the command prints the same KPI table and writes the same report, and its
 * calls to AWS, merged over the shards, peak in the same virtual seconds.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'simulate-shards-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function simulate(shards: number): Promise<{ stdout: string; stderr: string; html: string }> {
  const out = path.join(dir, `report-${shards}.html`);
  const args = ['--import', 'tsx', 'infra/local/simulate.ts', '--schools', '12', '--seed', '5', '--to', '2021-09-30'];
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [...args, '--shards', String(shards), '--out', out], {
    cwd: root,
    maxBuffer: 16 * 1024 * 1024,
  });
  return { stdout: stdout.replace(out, 'REPORT'), stderr, html: readFileSync(out, 'utf8') };
}

/** The rows of the calls table for a service or operation: its name, calls, peak and peak after the import, and when. */
function callRow(stderr: string, name: string): string | undefined {
  return stderr
    .split('\n')
    .find((line) => line.startsWith(`  ${name} `))
    ?.trim()
    .replace(/\s+/g, ' ');
}

describe('npm run simulate --shards', () => {
  it('prints the same table and writes the same report in three threads as in one', async () => {
    const one = await simulate(1);
    const three = await simulate(3);
    expect(three.stderr).toContain('the schools in 3 threads');
    expect(one.stderr).not.toContain('threads');
    expect(three.stdout).toBe(one.stdout);
    expect(three.stdout).toMatch(/^Yearly KPIs: 12 schools, seed 5/);
    expect(three.html).toBe(one.html);
    for (const name of ['Lambda', 'S3', 'Step Functions', 'Step Functions:StartExecution', 'Step Functions:SendTaskSuccess'])
      expect({ name, row: callRow(three.stderr, name) }).toEqual({ name, row: callRow(one.stderr, name) });
    expect(callRow(three.stderr, 'Lambda')).toMatch(/^Lambda \d+ \d+/);
    expect(three.stderr).not.toMatch(/refused|signal problem/);
  }, 300_000);
});
