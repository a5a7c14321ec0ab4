/**
 * What the API load generators and their reports share, kept free of the stack's imports so that a load
 * generator process starts light: the callers' shape, the process body, percentiles.
 */

export interface Caller {
  managerToken: string;
  contractorToken: string;
  /** The schools whose connection this caller drives, with the contractor's token. */
  targets: { schoolId: string; contractorToken: string }[];
}

/** The p-th percentile of sorted values (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const fmt = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '-');

/** Reads a plan as JSON from stdin, runs it, prints the result as one JSON line: the body of a load generator process. */
export async function loadProcessMain<Plan, Result>(run: (plan: Plan) => Promise<Result>): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const plan = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Plan;
  const result = await run(plan);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** A contractor's connection evidence dated today in the region (the body of a submission). */
export function connectionEvidence(): { evidence: Record<string, unknown> } {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Omsk', year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    new Date(),
  );
  return { evidence: { kind: 'connection', actNumber: `B-${Math.floor(Math.random() * 1e6)}`, actDate: today, bandwidthMbps: 200 } };
}
