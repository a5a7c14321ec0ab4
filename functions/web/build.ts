/**
 * Builds the dashboard: bundles `app/main.tsx` (Preact, the shared zod schemas, the XLSX writer) and its
 * CSS with esbuild into `dist/assets/` under content-hashed names, and writes `dist/index.html` that
 * loads them. `serve.ts` serves that folder; the API Lambda's bundling copies it next to the handler.
 *
 *   tsx functions/web/build.ts [--out DIR] [--dev]
 */
import { build, type Plugin } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WEB_DIST_DIR } from './serve.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export interface BuildOptions {
  /** The output folder (emptied first); defaults to `functions/web/dist`. */
  outDir?: string;
  /** Readable output for debugging: no minification. */
  dev?: boolean;
}

export interface BuildResult {
  outDir: string;
  /** Files written, relative to `outDir`. */
  files: string[];
}

export async function buildWeb(options: BuildOptions = {}): Promise<BuildResult> {
  const outDir = path.resolve(options.outDir ?? WEB_DIST_DIR);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(path.join(outDir, 'assets'), { recursive: true });

  const result = await build({
    entryPoints: { app: path.join(HERE, 'app/main.tsx') },
    outdir: path.join(outDir, 'assets'),
    entryNames: '[name]-[hash]',
    chunkNames: '[name]-[hash]',
    splitting: true,
    assetNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome109', 'firefox115', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: !options.dev,
    sourcemap: 'linked',
    legalComments: 'linked',
    metafile: true,
    loader: { '.svg': 'dataurl' },
    logLevel: 'warning',
    plugins: [zodEnglishOnly],
    define: { 'process.env.NODE_ENV': options.dev ? '"development"' : '"production"' },
  });

  const outputs = Object.keys(result.metafile.outputs).map((f) => path.relative(outDir, path.resolve(f)));
  const script = outputs.find((f) => /^assets\/app-[A-Z0-9]+\.js$/.test(f));
  const style = outputs.find((f) => /^assets\/app-[A-Z0-9]+\.css$/.test(f));
  if (!script || !style) throw new Error(`esbuild did not write the app's script and style: ${outputs.join(', ')}`);

  copyFileSync(path.join(HERE, 'app/favicon.svg'), path.join(outDir, 'assets/favicon.svg'));
  writeFileSync(path.join(outDir, 'index.html'), indexHtml(script, style));
  return { outDir, files: ['index.html', 'assets/favicon.svg', ...outputs].sort() };
}

/**
 * zod's `z` and `core` namespaces re-export every one of its message locales (about 260 kB minified)
 * and a bundler cannot drop them; the dashboard words its own messages (validation.ts) and zod itself
 * only configures English, so the locale index is replaced by English alone.
 */
const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic|core)[\\/]/.test(args.importer)
        ? { path: 'zod-locales', namespace: 'zod-english-only', pluginData: path.dirname(args.importer) }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
      contents: "export { default as en } from '../locales/en.js';",
      resolveDir: args.pluginData as string,
      loader: 'js',
    }));
  },
};

/** Paths are relative so the page also works under a path prefix (an API stage). */
function indexHtml(script: string, style: string): string {
  return `<!doctype html>
<html lang="ru">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>ЦОС — мониторинг внедрения</title>
<link rel="icon" href="assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${style}">
<script type="module" src="${script}"></script>
</head>
<body>
<div id="app"><noscript>Для работы панели нужен JavaScript. / The dashboard needs JavaScript.</noscript></div>
</body>
</html>
`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--out');
  const outDir = at >= 0 ? args[at + 1] : undefined;
  if (at >= 0 && !outDir) throw new Error('--out needs a folder');
  const { outDir: written, files } = await buildWeb({ outDir, dev: args.includes('--dev') });
  console.log(`dashboard built into ${path.relative(process.cwd(), written) || '.'}: ${files.length} files`);
}
