/**
 * The source of a worker thread that runs a TypeScript module of the project: the TypeScript loader the
 * project runs with (tsx), registered in the thread whatever the parent runs under (tsx, or the test
 * runner's own transform), then the module. Start it with `new Worker(source, { eval: true, … })`.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

export function tsWorkerSource(entry: URL): string {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href;
  return `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
}
