/**
 * Command-line options of `npm run simulate`:
 *
 *   --schools N      schools in the demo region (1–20000, default 750)
 *   --seed S         seed of the region and of the behaviour model (default 1; a number or a word)
 *   --from DATE      first simulated day (default 2021-01-01)
 *   --to DATE        last simulated day (default 2024-12-31)
 *   --out FILE       where the HTML report goes (default .data/simulation/report-<schools>-seed-<seed>.html)
 *   --data DIR       keep the run in DIR and resume it from there if it was killed (default: in memory)
 *   --program-version N   the version of the reference program the schools follow: 1 (default) or 2 (with content filtering)
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { IsoDate } from '../../../shared/program/model.js';
import { MAX_DEMO_REGION_SCHOOLS } from '../../../shared/region/index.js';

export interface SimulateOptions {
  schools: number;
  seed: number | string;
  from: string;
  to: string;
  out: string;
  /** The data folder of a resumable run. */
  data?: string;
  /** The version of the reference program every school follows (1, or 2 with content filtering). */
  programVersion: 1 | 2;
  /** Threads the region is shared out to (parallel.ts); unset: one per core, at most four, or one with `data`. */
  shards?: number;
}

/** The most threads `--shards` takes. */
export const MAX_SHARDS = 16;

export const USAGE = `Usage: npm run simulate -- [--schools N] [--seed S] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--out FILE]

Runs the school workflows of the whole program on the local runtime with a virtual clock, with seeded
contractors and managers acting through the command path of the API; prints the yearly KPI table and
writes an HTML report. The same seed gives the same table and report.

  --schools N   schools in the demo region, 1 to ${MAX_DEMO_REGION_SCHOOLS} (default 750)
  --seed S      seed of the region and of the people's behaviour (default 1)
  --from DATE   first simulated day (default 2021-01-01)
  --to DATE     last simulated day (default 2024-12-31)
  --out FILE    the HTML report (default .data/simulation/report-<schools>-seed-<seed>.html)
  --data DIR    keep everything in DIR (DynamoDB Local's files, the runtime's checkpoints, the
                simulation's own checkpoint, the local mailbox); a run killed at any point is resumed
                by the same command, and ends with DIR/final-state.json (what the kill test compares)
  --program-version N   the reference program's version the schools follow: 1 (default) or 2 (adds content filtering)
  --shards N    drive the schools in N threads side by side, each with its own workflow runtime on the
                same DynamoDB Local (default: one per core, at most 4; the same table and report as one
                thread); a run with --data runs in one
`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The seed as given: a whole number stays a number (so `--seed 1` is the demo region's seed 1), anything else is text. */
export function parseSeed(text: string): number | string {
  if (text.trim() === '') throw new UsageError('--seed must not be empty');
  return /^-?\d{1,15}$/.test(text) ? Number(text) : text;
}

export function parseSimulateArgs(argv: readonly string[], cwd = process.cwd()): SimulateOptions | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        schools: { type: 'string' },
        seed: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        out: { type: 'string' },
        data: { type: 'string' },
        'program-version': { type: 'string' },
        shards: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const schoolsText = (values.schools as string | undefined) ?? '750';
  if (!/^\d+$/.test(schoolsText)) throw new UsageError(`--schools must be a whole number, got "${schoolsText}"`);
  const schools = Number(schoolsText);
  if (schools < 1 || schools > MAX_DEMO_REGION_SCHOOLS)
    throw new UsageError(`--schools must be from 1 to ${MAX_DEMO_REGION_SCHOOLS}, got ${schools}`);
  const seed = parseSeed((values.seed as string | undefined) ?? '1');
  const date = (name: 'from' | 'to', fallback: string): string => {
    const text = (values[name] as string | undefined) ?? fallback;
    if (!IsoDate.safeParse(text).success) throw new UsageError(`--${name} must be a date as YYYY-MM-DD, got "${text}"`);
    return text;
  };
  const from = date('from', '2021-01-01');
  const to = date('to', '2024-12-31');
  if (from > to) throw new UsageError(`--to (${to}) is before --from (${from})`);
  const safeSeed = String(seed)
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .slice(0, 40);
  const out = path.resolve(
    cwd,
    (values.out as string | undefined) ?? path.join('.data', 'simulation', `report-${schools}-seed-${safeSeed}.html`),
  );
  const data = values.data as string | undefined;
  if (data !== undefined && data.trim() === '') throw new UsageError('--data must name a folder');
  const versionText = (values['program-version'] as string | undefined) ?? '1';
  if (versionText !== '1' && versionText !== '2') throw new UsageError(`--program-version must be 1 or 2, got "${versionText}"`);
  const shardsText = values.shards as string | undefined;
  let shards: number | undefined;
  if (shardsText !== undefined) {
    shards = /^\d+$/.test(shardsText) ? Number(shardsText) : NaN;
    if (!(shards >= 1 && shards <= MAX_SHARDS))
      throw new UsageError(`--shards must be a whole number from 1 to ${MAX_SHARDS}, got "${shardsText}"`);
    if (data !== undefined && shards > 1) throw new UsageError('--shards: a resumable run (--data) runs in one thread');
  }
  return {
    schools,
    seed,
    from,
    to,
    out,
    programVersion: Number(versionText) as 1 | 2,
    ...(data !== undefined ? { data: path.resolve(cwd, data) } : {}),
    ...(shards !== undefined ? { shards } : {}),
  };
}
