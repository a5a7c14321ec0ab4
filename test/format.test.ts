/**
 * The formatter's verdict as a test: every source file the formatter covers (see .prettierignore) is
 * as Prettier writes it, so `npm run lint` and `npm test` agree and a change that skipped
 * `npm run format` fails here with the files named.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const SKIPPED_DIRS = new Set(['node_modules', 'cdk.out', '.data', '.git', 'test-results', 'dist']);

async function* sources(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) yield* sources(full);
    } else if (entry.isFile()) {
      yield full;
    }
  }
}

describe('formatting', () => {
  it('every covered file is formatted by Prettier', async () => {
    const ignorePath = path.join(root, '.prettierignore');
    const unformatted: string[] = [];
    let checked = 0;
    for await (const file of sources(root)) {
      const info = await prettier.getFileInfo(file, { ignorePath });
      if (info.ignored || !info.inferredParser) continue;
      const options = { ...(await prettier.resolveConfig(file)), filepath: file };
      checked++;
      if (!(await prettier.check(await readFile(file, 'utf8'), options))) unformatted.push(path.relative(root, file));
    }
    expect(checked).toBeGreaterThan(200);
    expect(unformatted, `run \`npm run format\`; not formatted: ${unformatted.join(', ')}`).toEqual([]);
  }, 120_000);
});
