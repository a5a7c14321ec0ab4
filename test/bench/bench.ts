/**
 * Benchmark dispatcher: `npm run bench -- runtime store` imports ./runtime.ts then ./store.ts (each file
 * runs its benchmark when imported); with no names, every .ts file of this folder except this one and
 * helpers (`*.helpers.ts`, files starting with `_`) runs, in alphabetical order.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const dir = path.dirname(fileURLToPath(import.meta.url));
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'bench.ts' && !f.startsWith('_') && !f.includes('.helpers.') && !f.endsWith('.d.ts'))
  .map((f) => f.slice(0, -3))
  .sort();
const requested = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = requested.length > 0 ? requested : available;
for (const name of names) {
  if (!available.includes(name)) {
    console.error(`No benchmark named '${name}' (available: ${available.join(', ') || 'none'})`);
    process.exitCode = 2;
    continue;
  }
  console.log(`\n=== bench: ${name} ===`);
  await import(pathToFileURL(path.join(dir, `${name}.ts`)).href);
}
