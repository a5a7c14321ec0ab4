/**
 * What the milestone workflows cost per school, measured: a seeded simulation of the reference program
 * (2021–2024, people acting through the API's command path, see infra/local/simulation) runs on the
 * synthesized state machines with the real workflow functions on the local runtime (virtual clock) and
 * DynamoDB Local. Counted:
 *
 * - state transitions: every state entered (the runtime's count, checked against the `…StateEntered`
 *   events of every execution's history), by state machine and state;
 * - Lambda invocations and their duration, per workflow function;
 * - DynamoDB request units of the workflow functions: a proxy between their SDK clients and DynamoDB
 *   Local adds `ReturnConsumedCapacity: TOTAL` to every request and sums what DynamoDB Local reports
 *   (table and index units, transactions doubled, as on-demand billing counts them);
 * - the daily workflow sweep, sampled on the first of every month and scaled to every day;
 * - the functions the table's stream feeds (the workflow-signal and outbox dispatchers), counted from the
 *   stream the run wrote (stream-fed.helpers.ts): an invocation per record (an upper bound), their
 *   DynamoDB units through the same proxy, and a message to the topic per notification.
 *
 * The people's own requests (commands, reading the school) are the API's cost, not the workflows', and
 * are not counted here.
 *
 * Prices: AWS us-east-1 (N. Virginia), on-demand list prices from the AWS pricing pages, as of
 * 2026-11-29 (taken from copies of the pages, not from a live pricing API; DynamoDB's are the on-demand
 * prices after the November 2024 reduction). Free tiers, CloudWatch Logs, X-Ray, storage and data
 * transfer are left out.
 *   Step Functions Standard   $0.025 per 1,000 state transitions
 *   Lambda (arm64)            $0.20 per 1M requests, $0.0000133334 per GB-second
 *   DynamoDB on-demand        $0.625 per 1M write request units, $0.125 per 1M read request units
 *   SNS                       $0.50 per 1M publishes (the deliveries to its subscribers are left out)
 *
 * `npm run bench -- cost` (SCHOOLS=60 SEED=cost-1 by default). Runs when imported; the default export
 * returns the same run.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { localDate, zonedInstant } from '../../shared/calendar.js';
import { REFERENCE_PROGRAM } from '../../shared/program/reference-program.js';
import { startDynamoDbLocal } from '../../infra/local/dynamodb-local.js';
import { Simulation, type SimulatedSystem } from '../../infra/local/simulation/engine.js';
import { WORKFLOW_ENTRIES, WORKFLOW_SWEEP_TIME } from '../../infra/aws/constructs/workflows.js';
import { createHarness, workflowTemplate, type Harness } from '../workflow/harness.js';
import { streamFedWork } from './stream-fed.helpers.js';

const SCHOOLS = Number(process.env.SCHOOLS ?? 60);
const SEED = process.env.SEED ?? 'cost-1';
const FROM = '2021-01-01';
const TO = '2025-03-31';
const LAMBDA_MEMORY_GB = 256 / 1024;
/** An assumed average billed duration in AWS (network round trips to DynamoDB, some cold starts). */
const ASSUMED_AWS_MS = 100;
const GOAL_TRANSITIONS = 200;
/** General-education schools in the whole country. */
const NATIONAL_SCHOOLS = 40_000;

export const PRICES = {
  region: 'us-east-1',
  takenOn: '2026-11-29',
  stepFunctionsPerTransition: 0.025 / 1000,
  lambdaPerRequest: 0.2 / 1_000_000,
  lambdaPerGbSecond: 0.0000133334,
  dynamodbPerWru: 0.625 / 1_000_000,
  dynamodbPerRru: 0.125 / 1_000_000,
  snsPerPublish: 0.5 / 1_000_000,
} as const;

// ---------- a counting proxy in front of DynamoDB Local ----------

interface Units {
  requests: number;
  reads: number;
  writes: number;
  rru: number;
  wru: number;
  /** Refused writes (conditional check failed, cancelled transaction): no units reported, counted as 1 WRU each. */
  refusedWrites: number;
}

const zeroUnits = (): Units => ({ requests: 0, reads: 0, writes: 0, rru: 0, wru: 0, refusedWrites: 0 });
const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

async function countingProxy(target: string): Promise<{ endpoint: string; units: Units; close(): Promise<void> }> {
  const upstream = new URL(target);
  const units = zeroUnits();
  const body = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const op = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      let payload = await body(req);
      const counted = READS.has(op) || WRITES.has(op);
      if (counted) {
        const json = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
        json.ReturnConsumedCapacity = 'TOTAL';
        payload = Buffer.from(JSON.stringify(json));
      }
      const headers = { ...req.headers, 'content-length': String(payload.length), host: upstream.host };
      const up = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (r) => {
        void (async () => {
          const answer = await body(r);
          if (counted) {
            units.requests++;
            if (READS.has(op)) units.reads++;
            else units.writes++;
            const parsed = JSON.parse(answer.toString('utf8') || '{}') as { ConsumedCapacity?: unknown; __type?: string };
            const consumed = ([] as { CapacityUnits?: number }[]).concat((parsed.ConsumedCapacity as never) ?? []);
            const total = consumed.reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
            if (READS.has(op)) units.rru += total;
            else units.wru += total;
            if (WRITES.has(op) && (r.statusCode ?? 200) >= 400) units.refusedWrites++;
          }
          res.writeHead(r.statusCode ?? 500, r.headers);
          res.end(answer);
        })();
      });
      up.on('error', (error) => {
        res.writeHead(502);
        res.end(String(error));
      });
      up.end(payload);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    units,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

// ---------- the run ----------

interface FunctionStats {
  invocations: number;
  ms: number;
}

const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const usd = (n: number) => `$${n.toFixed(n < 1 ? 4 : 2)}`;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** The school an execution drives, from its deterministic name. */
function schoolOf(name: string, schools: readonly string[]): string | undefined {
  return schools.find((id) => name.startsWith(`school-${id}-`) || name.startsWith(`ms-${id}-`));
}

async function main(): Promise<void> {
  const ddb = await startDynamoDbLocal();
  const proxy = await countingProxy(ddb.endpoint);
  const functions = new Map<string, FunctionStats>();
  let h: Harness | undefined;
  try {
    const start = Simulation.startInstant(REFERENCE_PROGRAM, FROM);
    h = await createHarness({
      start: new Date(start).toISOString(),
      dynamodbEndpoint: ddb.endpoint,
      functionsDynamodbEndpoint: proxy.endpoint,
      wrap: (fn, handler) => {
        if (fn.entry === WORKFLOW_ENTRIES.sweep) return handler; // measured on its own below
        const name = `${fn.entry.replace('functions/workflow/', '').replace('.ts', '')}${fn.exportName === 'handler' ? '' : `#${fn.exportName}`}`;
        return async (event, context) => {
          const t0 = performance.now();
          try {
            return await handler(event, context);
          } finally {
            const stats = functions.get(name) ?? { invocations: 0, ms: 0 };
            stats.invocations++;
            stats.ms += performance.now() - t0;
            functions.set(name, stats);
          }
        };
      },
    });
    const harness = h;

    // The sweep, sampled on the first of every month at its scheduled time.
    const sweepUnits = zeroUnits();
    let sweeps = 0;
    let sweepMs = 0;
    const tz = REFERENCE_PROGRAM.timeZone;
    const sweepTime = `${WORKFLOW_SWEEP_TIME.hour.padStart(2, '0')}:${WORKFLOW_SWEEP_TIME.minute.padStart(2, '0')}`;
    let nextSweep = zonedInstant(FROM, sweepTime, tz);
    const sweepHandler = harness.handler(WORKFLOW_ENTRIES.sweep);
    const advanceTo = async (target: number) => {
      while (nextSweep.getTime() <= target) {
        await harness.runtime.advanceTo(nextSweep);
        const before = { ...proxy.units };
        const t0 = performance.now();
        await sweepHandler({ task: 'workflow-sweep', scheduledTime: nextSweep.toISOString() }, {} as never);
        sweepMs += performance.now() - t0;
        for (const k of Object.keys(sweepUnits) as (keyof Units)[]) sweepUnits[k] += proxy.units[k] - before[k];
        for (const k of Object.keys(sweepUnits) as (keyof Units)[]) proxy.units[k] = before[k];
        sweeps++;
        await harness.runtime.idle();
        const [y, m] = localDate(nextSweep, tz).split('-').map(Number) as [number, number];
        nextSweep = zonedInstant(`${m === 12 ? y + 1 : y}-${String(m === 12 ? 1 : m + 1).padStart(2, '0')}-01`, sweepTime, tz);
      }
      await harness.runtime.advanceTo(target);
    };
    const system: SimulatedSystem = {
      runtime: { advanceTo, idle: () => harness.runtime.idle(), stats: () => harness.runtime.stats() },
      store: harness.store,
      signal: harness.signal,
      clock: harness.clock,
    };

    const t0 = performance.now();
    const simulation = new Simulation(system, { schools: SCHOOLS, seed: SEED, from: FROM, to: TO, program: REFERENCE_PROGRAM });
    const run = await simulation.run();
    const wall = (performance.now() - t0) / 1000;
    const schoolIds = run.region.schools.map((s) => s.id);

    // The stream-fed functions, from the stream the run wrote; their DynamoDB units apart from the workflows'.
    const unitsBefore = { ...proxy.units };
    const streamed = await streamFedWork({
      template: workflowTemplate().template,
      dynamodb: harness.dynamodb,
      direct: ddb.endpoint,
      counted: proxy.endpoint,
      tableName: harness.tableName,
      clock: harness.clock,
    });
    const streamUnits = zeroUnits();
    for (const k of Object.keys(streamUnits) as (keyof Units)[]) {
      streamUnits[k] = proxy.units[k] - unitsBefore[k];
      proxy.units[k] = unitsBefore[k];
    }

    // Transitions, from the histories: by state machine and state, and per school.
    const byState = new Map<string, number>();
    const bySchoolState = new Map<string, Map<string, number>>();
    const perSchool = new Map<string, number>(schoolIds.map((id) => [id, 0]));
    let fromHistory = 0;
    let executions = 0;
    const statuses = new Map<string, number>();
    for (const machine of [harness.programArn, harness.lifecycleArn]) {
      const machineName = machine.slice(machine.lastIndexOf(':') + 1).replace(/^.*-/, '');
      let nextToken: string | undefined;
      do {
        const page = harness.runtime.listExecutions({ stateMachineArn: machine, maxResults: 1000, ...(nextToken ? { nextToken } : {}) });
        for (const e of page.executions) {
          executions++;
          statuses.set(e.status, (statuses.get(e.status) ?? 0) + 1);
          let historyToken: string | undefined;
          do {
            const history = harness.runtime.getExecutionHistory({
              executionArn: e.executionArn,
              maxResults: 1000,
              ...(historyToken ? { nextToken: historyToken } : {}),
            });
            for (const event of history.events) {
              if (!String(event.type).endsWith('StateEntered')) continue;
              fromHistory++;
              const state = (event as { stateEnteredEventDetails?: { name?: string } }).stateEnteredEventDetails?.name ?? '?';
              byState.set(`${machineName}.${state}`, (byState.get(`${machineName}.${state}`) ?? 0) + 1);
              const school = schoolOf(e.name, schoolIds);
              if (school) {
                perSchool.set(school, perSchool.get(school)! + 1);
                const states = bySchoolState.get(school) ?? new Map<string, number>();
                states.set(`${machineName}.${state}`, (states.get(`${machineName}.${state}`) ?? 0) + 1);
                bySchoolState.set(school, states);
              }
            }
            historyToken = history.nextToken;
          } while (historyToken);
        }
        nextToken = page.nextToken;
      } while (nextToken);
    }
    const transitions = harness.runtime.stats().transitions;
    if (transitions !== fromHistory) throw new Error(`the runtime counted ${transitions} transitions, the histories ${fromHistory}`);

    const n = schoolIds.length;
    const invocations = [...functions.values()].reduce((a, f) => a + f.invocations, 0);
    const measuredMs = [...functions.values()].reduce((a, f) => a + f.ms, 0);
    const units = proxy.units;
    const wru = units.wru + units.refusedWrites;
    const days = (zonedInstant(TO, '00:00', REFERENCE_PROGRAM.timeZone).getTime() - start) / 86_400_000;
    const sweepDailyPerSchool = {
      rru: sweepUnits.rru / sweeps / n,
      wru: (sweepUnits.wru + sweepUnits.refusedWrites) / sweeps / n,
      ms: sweepMs / sweeps / n,
    };

    // Per school, for the whole program.
    const per = {
      transitions: transitions / n,
      invocations: invocations / n,
      gbSecondsMeasured: ((measuredMs / 1000) * LAMBDA_MEMORY_GB) / n,
      gbSecondsAssumed: (((invocations * ASSUMED_AWS_MS) / 1000) * LAMBDA_MEMORY_GB) / n,
      rru: units.rru / n,
      wru: wru / n,
      sweepRequests: days / n, // one sweep invocation a day for the whole (simulated) region: its share per school
      sweepRru: sweepDailyPerSchool.rru * days,
      sweepWru: sweepDailyPerSchool.wru * days,
      sweepGbSeconds: (sweepDailyPerSchool.ms / 1000) * (512 / 1024) * days,
      streamInvocations: streamed.functions.reduce((a, f) => a + f.records, 0) / n,
      streamGbSecondsMeasured: ((streamed.functions.reduce((a, f) => a + f.ms, 0) / 1000) * LAMBDA_MEMORY_GB) / n,
      streamRru: streamUnits.rru / n,
      streamWru: (streamUnits.wru + streamUnits.refusedWrites) / n,
      publishes: streamed.notifications / n,
    };
    const cost = (gbSeconds: number) => ({
      stepFunctions: per.transitions * PRICES.stepFunctionsPerTransition,
      lambdaRequests: (per.invocations + per.sweepRequests + per.streamInvocations) * PRICES.lambdaPerRequest,
      lambdaDuration: (gbSeconds + per.sweepGbSeconds) * PRICES.lambdaPerGbSecond,
      dynamodb:
        (per.rru + per.sweepRru + per.streamRru) * PRICES.dynamodbPerRru + (per.wru + per.sweepWru + per.streamWru) * PRICES.dynamodbPerWru,
      sns: per.publishes * PRICES.snsPerPublish,
    });
    const measured = cost(per.gbSecondsMeasured + per.streamGbSecondsMeasured);
    const assumed = cost(per.gbSecondsAssumed + (per.streamInvocations * ASSUMED_AWS_MS * LAMBDA_MEMORY_GB) / 1000);
    const total = (c: ReturnType<typeof cost>) => Object.values(c).reduce((a, b) => a + b, 0);

    const schoolCounts = [...perSchool.values()].sort((a, b) => a - b);
    console.log(`${n} schools, seed ${JSON.stringify(SEED)}, ${FROM} → ${TO} (virtual), ${fmt(wall, 0)} s wall clock`);
    console.log(
      `commands: ${JSON.stringify(run.stats.commands)}; refused ${run.stats.refused.length}; signals ${JSON.stringify(run.stats.signals)}`,
    );
    console.log(
      `executions: ${executions} (${[...statuses].map(([s, c]) => `${c} ${s}`).join(', ')}); the daily sweep sampled ${sweeps} times\n`,
    );

    console.log('Per school, whole program:');
    console.log(
      `  state transitions        ${fmt(per.transitions)}   (median ${schoolCounts[Math.floor(n / 2)]}, p95 ${percentile(schoolCounts, 0.95)}, max ${schoolCounts.at(-1)}; goal ≤ ${GOAL_TRANSITIONS}: ${per.transitions <= GOAL_TRANSITIONS ? 'met' : 'NOT met'} on average, ${schoolCounts.filter((c) => c > GOAL_TRANSITIONS).length} of ${n} schools above)`,
    );
    console.log(`  Lambda invocations       ${fmt(per.invocations)}   (+ the daily sweep: one a day for the whole region)`);
    console.log(
      `  Lambda GB-s (256 MB)     ${fmt(per.gbSecondsMeasured, 3)} measured locally, ${fmt(per.gbSecondsAssumed, 3)} at an assumed ${ASSUMED_AWS_MS} ms each`,
    );
    console.log(
      `  DynamoDB                 ${fmt(units.reads / n)} reads = ${fmt(per.rru)} RRU, ${fmt(units.writes / n)} writes = ${fmt(per.wru)} WRU (incl. ${fmt(units.refusedWrites / n)} refused conditional writes at 1 WRU)`,
    );
    console.log(
      `  daily sweep (scaled)     ${fmt(per.sweepRru)} RRU, ${fmt(per.sweepWru)} WRU, ${fmt(per.sweepGbSeconds, 3)} GB-s over ${fmt(days, 0)} days`,
    );
    console.log(
      `  stream-fed functions     ${fmt(per.streamInvocations)} invocations (one per record, at most), ${fmt(per.streamRru)} RRU, ${fmt(per.streamWru)} WRU, ${fmt(per.streamGbSecondsMeasured, 3)} GB-s measured; ${fmt(per.publishes)} messages to the topic`,
    );
    for (const f of streamed.functions) {
      const name = f.entry.replace(/^functions\//, '').replace(/\.ts$/, '');
      console.log(
        `    ${name.padEnd(36)} ${fmt(f.records / n).padStart(7)} records per school (${fmt(f.removals / n)} removals), at least ${fmt(Math.ceil(f.records / f.batchSize) / n)} invocations in batches of ${f.batchSize}`,
      );
    }

    console.log('\nTransitions per school by state:');
    for (const [state, count] of [...byState].sort((a, b) => b[1] - a[1]))
      console.log(`  ${state.padEnd(38)} ${fmt(count / n).padStart(7)}`);
    const [busiest, most] = [...perSchool].sort((a, b) => b[1] - a[1])[0]!;
    const events = run.events.filter((e) => e.schoolId === busiest);
    const kinds = new Map<string, number>();
    for (const e of events) kinds.set(e.type, (kinds.get(e.type) ?? 0) + 1);
    console.log(`\nThe busiest school, ${busiest}: ${most} transitions; its events ${JSON.stringify(Object.fromEntries(kinds))}`);
    console.log(
      `  ${[...(bySchoolState.get(busiest) ?? [])]
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    console.log('\nInvocations per school by function (mean local duration):');
    for (const [name, f] of [...functions].sort((a, b) => b[1].invocations - a[1].invocations)) {
      console.log(`  ${name.padEnd(38)} ${fmt(f.invocations / n).padStart(7)}   ${fmt(f.ms / f.invocations)} ms`);
    }

    const line = (label: string, c: ReturnType<typeof cost>) =>
      `  ${label.padEnd(40)} Step Functions ${usd(c.stepFunctions * 1000).padStart(8)}  Lambda ${usd((c.lambdaRequests + c.lambdaDuration) * 1000).padStart(7)}  DynamoDB ${usd(c.dynamodb * 1000).padStart(7)}  SNS ${usd(c.sns * 1000).padStart(7)}  total ${usd(total(c) * 1000).padStart(8)}`;
    console.log(`\nAWS cost per 1,000 schools for the whole program (${PRICES.region} list prices of ${PRICES.takenOn}):`);
    console.log(line('Lambda durations as measured locally', measured));
    console.log(line(`Lambda durations at ${ASSUMED_AWS_MS} ms per invocation`, assumed));
    console.log(
      `  Step Functions share of the total: ${fmt((100 * measured.stepFunctions) / total(measured), 0)} % (measured) / ${fmt((100 * assumed.stepFunctions) / total(assumed), 0)} % (assumed)`,
    );
    // The whole country: about 40,000 general-education schools, each with the same program (the cost is per school).
    console.log(
      `\nThe national scale, ${NATIONAL_SCHOOLS.toLocaleString('en-US')} schools, whole program: ${usd(total(measured) * NATIONAL_SCHOOLS)} with the local durations, ${usd(total(assumed) * NATIONAL_SCHOOLS)} at ${ASSUMED_AWS_MS} ms per invocation (about ${usd((total(assumed) * NATIONAL_SCHOOLS * 365.25) / days)} a year over the ${fmt(days / 365.25)} years simulated)`,
    );
    if (run.stats.refused.length > 0) console.log(`\nrefused commands (expected none):\n  ${run.stats.refused.slice(0, 10).join('\n  ')}`);
  } finally {
    await h?.close();
    await proxy.close();
    await ddb.stop();
  }
}

let run: Promise<void> | undefined;
export default function bench(): Promise<void> {
  return (run ??= main());
}
await bench();
