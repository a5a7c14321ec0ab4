/**
 * Simulation benchmark: how the wall time of a whole-program simulation (2021-01-01 to 2024-12-31, seed
 * 1, the real workflows on the local runtime with a virtual clock) grows with the number of schools.
 * One in-memory DynamoDB Local serves every size (a fresh table and a fresh local stack each), after an
 * untimed warm-up run of 20 schools, so that the JVM's and Node's warm-up do not weigh on the first
 * size; the sizes run one after the other in this process, and the stack's start-up is timed apart.
 * The figure to watch is the time per school relative to N = 100: 1.00 means linear growth.
 *
 * `npm run bench -- simulate` (sizes: SIM_BENCH_SIZES=100,250,750). Runs when imported; the default
 * export returns the same run.
 */
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import { startDynamoDbLocal } from '../../infra/local/dynamodb-local.js';
import { simulateProgram, startSimulationSystem } from '../../infra/local/simulation/run.js';

const SIZES = (process.env.SIM_BENCH_SIZES ?? '100,250,750').split(',').map((s) => Number(s.trim()));
const FROM = '2021-01-01';
const TO = '2024-12-31';

interface Row {
  schools: number;
  startupMs: number;
  simulationMs: number;
  transitions: number;
  commands: number;
  executions: number;
}

async function measure(schools: number, dynamodbEndpoint: string): Promise<Row> {
  const t0 = performance.now();
  const system = await startSimulationSystem({
    program: REFERENCE_PROGRAM,
    from: FROM,
    dynamodbEndpoint,
    tableName: `bench-simulate-${schools}-${Date.now()}`,
  });
  const t1 = performance.now();
  try {
    const result = await simulateProgram(system, { program: REFERENCE_PROGRAM, schools, seed: 1, from: FROM, to: TO });
    const t2 = performance.now();
    const s = result.run.stats;
    if (s.refused.length > 0) throw new Error(`${s.refused.length} commands refused, first: ${s.refused[0]}`);
    return {
      schools,
      startupMs: t1 - t0,
      simulationMs: t2 - t1,
      transitions: s.transitions,
      commands: Object.values(s.commands).reduce((a, b) => a + b, 0),
      executions: s.executions,
    };
  } finally {
    await system.stop();
  }
}

async function main(): Promise<void> {
  for (const n of SIZES) if (!Number.isInteger(n) || n < 1) throw new Error(`SIM_BENCH_SIZES: not a size: ${n}`);
  console.log(
    `Whole program ${FROM} to ${TO}, seed 1, sizes ${SIZES.join(', ')} one after the other (fresh stack and table each, one DynamoDB Local)`,
  );
  const ddb = await startDynamoDbLocal();
  const rows: Row[] = [];
  try {
    const warm = await measure(20, ddb.endpoint);
    console.log(`  warm-up, 20 schools: ${(warm.simulationMs / 1000).toFixed(1)} s (not counted)`);
    for (const n of SIZES) {
      const row = await measure(n, ddb.endpoint);
      rows.push(row);
      console.log(`  ${n} schools: ${(row.simulationMs / 1000).toFixed(1)} s`);
    }
  } finally {
    await ddb.stop();
  }
  const base = rows[0]!;
  const perSchool = (r: Row) => r.simulationMs / r.schools;
  const header = [
    'schools',
    'start-up s',
    'simulation s',
    'ms/school',
    'ratio',
    'transitions',
    'transitions/s',
    'transitions/school',
    'commands',
    'executions',
  ];
  const cells = rows.map((r) => [
    String(r.schools),
    (r.startupMs / 1000).toFixed(1),
    (r.simulationMs / 1000).toFixed(1),
    perSchool(r).toFixed(1),
    (perSchool(r) / perSchool(base)).toFixed(2),
    String(r.transitions),
    ((r.transitions / r.simulationMs) * 1000).toFixed(0),
    (r.transitions / r.schools).toFixed(0),
    String(r.commands),
    String(r.executions),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => x.padStart(widths[i]!)).join('  ');
  console.log('');
  console.log(line(header));
  for (const c of cells) console.log(line(c));
  console.log(`ratio = time per school relative to N = ${base.schools} (1.00: linear in the number of schools)`);
}

let run: Promise<void> | undefined;
export default function bench(): Promise<void> {
  return (run ??= main());
}
await bench();
