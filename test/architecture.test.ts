/**
 * DESIGN.md §4: every arrow between folders points inward. `shared/` is the core and imports neither
 * `functions/` nor `infra/`; `functions/` never imports `infra/`. And the functions log through one
 * logger (Powertools, functions/common/log.ts), never with console writes of their own.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sources(full));
    else if (/\.(ts|tsx|mts)$/.test(name)) out.push(full);
  }
  return out;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)];
  return specifiers.map((m) => path.resolve(path.dirname(file), m[1] ?? m[2] ?? '')).filter((p) => p.startsWith(root));
}

function violations(folder: string, forbidden: string[]): string[] {
  const found: string[] = [];
  for (const file of sources(path.join(root, folder))) {
    for (const target of importsOf(file)) {
      const top = path.relative(root, target).split(path.sep)[0] ?? '';
      if (forbidden.includes(top)) found.push(`${path.relative(root, file)} -> ${path.relative(root, target)}`);
    }
  }
  return found;
}

describe('dependency direction', () => {
  it('shared/ imports neither functions/ nor infra/', () => {
    expect(violations('shared', ['functions', 'infra'])).toEqual([]);
  });
  it('functions/ does not import infra/', () => {
    expect(violations('functions', ['infra'])).toEqual([]);
  });
  it('the check sees relative imports (self-test on a known import)', () => {
    const file = path.join(root, 'test/support/global-setup.ts');
    expect(importsOf(file).some((p) => p.endsWith(path.join('infra', 'local', 'dynamodb-local.js')))).toBe(true);
  });
});

describe('one logger', () => {
  // The dashboard's browser code and its build script are not Lambda functions.
  const notFunctions = [path.join('functions', 'web', 'app'), path.join('functions', 'web', 'build.ts')];
  const handWritten = /\bconsole\.(log|info|warn|error|debug)\b|JSON\.stringify\(\{\s*level\b/;

  it('no function or shared module writes log lines by hand', () => {
    const files = [...sources(path.join(root, 'functions')), ...sources(path.join(root, 'shared'))]
      .map((f) => path.relative(root, f))
      .filter((f) => !notFunctions.some((n) => f.startsWith(n)));
    expect(files.length).toBeGreaterThan(20);
    expect(files.filter((f) => handWritten.test(readFileSync(path.join(root, f), 'utf8')))).toEqual([]);
  });
});

describe('the table’s keys', () => {
  /** Item reads and writes, and literal key prefixes, outside comments. */
  const ITEM_ACCESS =
    /\b(?:(?:Put|Get|Update|Delete|BatchWrite|BatchGet|TransactWrite|TransactGet)Items?|Query|Scan)Command\b|['"`](?:SCHOOL|JOB|OUTBOX|IDEMPOTENCY|CONTRACTORS|SIGNAL|MILESTONE|EVENT|RESULT|ROW)#/;
  const code = (file: string) =>
    readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');

  it('only shared/store reads and writes items and knows their keys (the local Step Functions runtime runs definitions’ own DynamoDB tasks)', () => {
    const offenders = ['functions', 'infra']
      .flatMap((folder) => sources(path.join(root, folder)))
      .filter((file) => !file.startsWith(path.join(root, 'infra', 'local', 'sfn') + path.sep))
      .filter((file) => ITEM_ACCESS.test(code(file)))
      .map((file) => path.relative(root, file));
    expect(offenders).toEqual([]);
  });
  it('the check sees item access (self-test on the store)', () => {
    expect(ITEM_ACCESS.test(code(path.join(root, 'shared', 'store', 'jobs.ts')))).toBe(true);
  });
});

describe('the local stack loads no CDK library', () => {
  // A restart reuses the synthesized template (infra/local/template-cache.ts): only a synthesis, imported
  // when it is needed (infra/local/synth.ts), loads aws-cdk-lib, which takes about a second and hundreds
  // of modules. So the modules the stack imports at load time must not import it, nor a construct.
  const CDK = /^(?:aws-cdk-lib|constructs)(?:\/|$)/;

  /** The imports a module runs when it is loaded: neither `import type` nor `import()`. */
  function loadTimeImports(file: string): { local: string[]; packages: string[] } {
    const text = readFileSync(file, 'utf8');
    const specifiers = [...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s*)?['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
    const local = specifiers
      .filter((s) => s.startsWith('.'))
      .map((s) => path.resolve(path.dirname(file), s).replace(/\.js$/, '.ts'))
      .filter((p) => p.startsWith(root));
    return { local, packages: specifiers.filter((s) => !s.startsWith('.')) };
  }

  /** Every import chain from `entry` that reaches a CDK package. */
  function cdkChains(entry: string): string[] {
    const found: string[] = [];
    const seen = new Set<string>();
    const walk = (file: string, chain: string[]) => {
      if (seen.has(file)) return;
      seen.add(file);
      const { local, packages } = loadTimeImports(file);
      const here = [...chain, path.relative(root, file)];
      for (const p of packages.filter((p) => CDK.test(p))) found.push([...here, p].join(' -> '));
      for (const next of local) walk(next, here);
    };
    walk(path.join(root, entry), []);
    return found;
  }

  it('the local stack, the processes of npm start and what they import at load time do not import aws-cdk-lib', () => {
    for (const entry of ['infra/local/stack.ts', 'infra/local/start.ts', 'infra/local/serve.ts', 'infra/local/demo-history.ts'])
      expect(cdkChains(entry)).toEqual([]);
  });
  it('the check follows load-time imports (self-test on a construct)', () => {
    expect(cdkChains('infra/aws/constructs/notification-delivery.ts').length).toBeGreaterThan(0);
  });
});
