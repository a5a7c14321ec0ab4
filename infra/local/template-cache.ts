/**
 * The local stack's template, read back from the folder it was last synthesized into when nothing it is
 * made from has changed since, else synthesized again (synth.ts, loaded only then). Loading the CDK
 * library and synthesizing take several seconds of every start on a 2-core machine; a restart on
 * unchanged sources reads the template it wrote last time instead.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CfnTemplate } from './template.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Everything the template is made from: the CDK app, the code it names and embeds, the locked packages. */
const SOURCES = ['infra/aws', 'shared', 'functions', 'package-lock.json', 'cdk.json'];
const SKIPPED = new Set(['node_modules', 'dist']);
const CACHE_FILE = 'local-template.json';

/** The template synthesized into `outdir`, read back when its sources are unchanged since, else synthesized again. */
export async function cachedTemplate(outdir: string): Promise<{ template: CfnTemplate; cached: boolean }> {
  const key = sourceKey();
  const file = path.join(outdir, CACHE_FILE);
  if (existsSync(file)) {
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { key?: string; template?: CfnTemplate };
      if (saved.key === key && saved.template) return { template: saved.template, cached: true };
    } catch {
      /* unreadable: synthesized again below */
    }
  }
  const { synthTemplate } = await import('./synth.js');
  const template = synthTemplate(outdir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ key, template }));
  renameSync(tmp, file);
  return { template, cached: false };
}

/** A hash of the names and contents of every source file the template is made from. */
function sourceKey(): string {
  const hash = createHash('sha256');
  const visit = (relative: string) => {
    const full = path.join(ROOT, relative);
    for (const entry of readdirSync(full, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (SKIPPED.has(entry.name)) continue;
      const child = path.join(relative, entry.name);
      if (entry.isDirectory()) visit(child);
      else if (entry.isFile())
        hash
          .update(child)
          .update('\0')
          .update(readFileSync(path.join(ROOT, child)))
          .update('\0');
    }
  };
  for (const source of SOURCES) {
    const full = path.join(ROOT, source);
    if (!existsSync(full)) continue;
    if (statSync(full).isDirectory()) visit(source);
    else hash.update(source).update('\0').update(readFileSync(full)).update('\0');
  }
  return hash.digest('hex');
}
