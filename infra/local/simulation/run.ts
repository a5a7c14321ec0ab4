/**
 * A program simulation from start to finish: the local system (the synthesized app on DynamoDB Local
 * and the local Step Functions runtime, driven by a virtual clock), the simulation on it, and its
 * results: the KPIs, the yearly table and the HTML report.
 */
import './quiet-handlers.js';
import { DescribeTableCommand, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { VirtualClock } from '../../../shared/clock.js';
import type { IsoDate, ProgramDefinition } from '../../../shared/program/model.js';
import type { Seed } from '../../../shared/region/index.js';
import { createWorkflowSignal } from '../../../functions/common/workflow-signal.js';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../stack.js';
import { Simulation, type SimulatedSystem, type SimulationDurability, type SimulationProgress, type SimulationRun } from './engine.js';
import { fileDurability, inspectResume, mailboxDelivery, resumeInstant, simulationFolder } from './durable.js';
import type { Mailbox } from '../mailbox.js';
import type { BehaviourRates } from './behaviour.js';
import { computeKpis, formatKpiTable, type Kpis } from './kpi.js';
import { renderReport } from './report.js';

export interface SimulationSystem extends SimulatedSystem {
  readonly stack: LocalStack;
  /** Problems the workflow signal logged (it never throws): expected to stay empty. */
  readonly signalProblems: string[];
  /** A durable run's checkpoint in its data folder. */
  readonly durability?: SimulationDurability;
  /** A durable run's local mailbox. */
  readonly mailbox?: Mailbox;
  stop(): Promise<void>;
}

export interface SystemOptions {
  program: ProgramDefinition;
  /** First simulated day: the virtual clock starts at its midnight in the program's time zone. */
  from: IsoDate;
  /** An existing DynamoDB Local (tests share one); without it an in-memory one is started and stopped. */
  dynamodbEndpoint?: string;
  /** An existing S3 server and user directory (the shards of a parallel run share the first's). */
  s3Endpoint?: string;
  cognitoEndpoint?: string;
  /** Where the synthesized template is kept and read back (template-cache.ts); default synthesized afresh. */
  cdkOut?: string;
  tableName?: string;
  /** Keep the system's data (DynamoDB, executions) in this folder, as `npm start` does; default in memory. */
  dataDir?: string;
  /** Serve the API and the dashboard on this port while the simulation runs (default: a free port). */
  port?: number;
  /** More routes for the local gateway (the demo history's progress). */
  routes?: LocalStackOptions['routes'];
  /**
   * A run that can be killed and resumed (needs `dataDir`; see durable.ts): the clock starts where the
   * data says the last process stopped, the simulation keeps its checkpoint in the folder, and the
   * notifications are delivered to the local mailbox there after every entry of the agenda.
   */
  durable?: boolean;
}

/**
 * Starts the local system (`startLocalStack`, without the demo region) on a virtual clock at the first
 * simulated day. The workflow functions run in this process (their logs: see quiet-handlers.ts).
 */
export async function startSimulationSystem(options: SystemOptions): Promise<SimulationSystem> {
  if (options.durable && !options.dataDir) throw new Error('a durable simulation needs a data folder');
  const durable = options.durable && options.dataDir ? simulationFolder(options.dataDir) : undefined;
  const start = Simulation.startInstant(options.program, options.from);
  const resuming = durable ? inspectResume(durable, start) : null;
  if (resuming && resuming.problems.length > 0)
    throw new Error(`cannot resume the run in ${options.dataDir}: ${resuming.problems.join('; ')}`);
  const clock = new VirtualClock(durable ? resumeInstant(durable, start) : start);
  const stack = await startLocalStack({
    clock,
    seed: false,
    rateLimit: false,
    // The stack's other event sources are not part of a simulation: the stream poller (outbox delivery)
    // runs on wall-clock time, and schedules fire asynchronously whenever the virtual clock moves, beside
    // the runtime rather than on its timeline. Both would make runs differ; notifications stay in the
    // outbox, where the simulation counts them (and a durable one delivers them on its own timeline).
    eventSources: false,
    ...(options.dynamodbEndpoint ? { dynamodbEndpoint: options.dynamodbEndpoint } : {}),
    ...(options.s3Endpoint ? { s3Endpoint: options.s3Endpoint } : {}),
    ...(options.cognitoEndpoint ? { cognitoEndpoint: options.cognitoEndpoint } : {}),
    ...(options.cdkOut ? { cdkOut: options.cdkOut } : {}),
    ...(options.tableName ? { tableName: options.tableName } : {}),
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.routes ? { routes: options.routes } : {}),
  });
  try {
    if (!stack.schoolProgramArn) throw new Error('the synthesized template has no school-program state machine');
    // With nobody reading it, the table's stream only costs: DynamoDB Local keeps stream records for 24 h
    // of wall-clock time, and a write to any table gets slower with every other table on the same
    // instance whose stream holds records (tests and the benchmark run several simulations on one
    // instance: 100 schools took 56 s, then 229 s, then 454 s on the third table); writing the records
    // alone is about a fifth of DynamoDB Local's work in a simulation. Switched off for this table, also
    // when its data is kept (the demo history): the live stack switches it on again over that data and
    // its outbox re-drive delivers the notifications the run left pending (stack.ts).
    const { Table } = await stack.dynamodb.send(new DescribeTableCommand({ TableName: stack.tableName }));
    // A durable run that is resumed finds it off already.
    if (Table?.StreamSpecification?.StreamEnabled) {
      await stack.dynamodb.send(new UpdateTableCommand({ TableName: stack.tableName, StreamSpecification: { StreamEnabled: false } }));
    }
    const signalProblems: string[] = [];
    const sfn = new SFNClient({
      endpoint: stack.sfnEndpoint,
      region: process.env.AWS_REGION ?? 'eu-central-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const signal = createWorkflowSignal({
      sfn,
      store: stack.store,
      stateMachineArn: stack.schoolProgramArn,
      log: (level, message, data) => {
        if (level !== 'info') signalProblems.push(`${level}: ${message} ${JSON.stringify(data)}`);
      },
    });
    const runtime = stack.runtime;
    const delivery = durable ? mailboxDelivery(durable, stack.store, clock) : undefined;
    return {
      stack,
      signalProblems,
      clock,
      store: stack.store,
      signal,
      documents: { s3: stack.s3, bucket: stack.documentBucket },
      ...(durable && delivery
        ? { durability: fileDurability(durable), mailbox: delivery.mailbox, deliverNotifications: delivery.deliverPending }
        : {}),
      runtime: {
        advanceTo: (target) => runtime.advanceTo(target),
        idle: () => runtime.idle(),
        stats: () => runtime.stats(),
      },
      stop: async () => {
        sfn.destroy();
        await stack.stop();
      },
    };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

/** What a run simulates: the program, the region and the period, and how the people behave. */
export interface SimulationScope {
  program: ProgramDefinition;
  /** The version of the program `program` is (default 1); it must be published in the system's table. */
  programVersion?: number;
  schools: number;
  seed: Seed;
  from: IsoDate;
  to: IsoDate;
  rates?: Partial<BehaviourRates>;
}

export interface ProgramSimulationOptions extends SimulationScope {
  onProgress?: (p: SimulationProgress) => void;
  /** The command line shown in the report. */
  command?: string;
  durability?: SimulationDurability;
  /** One shard of the region (engine.ts; parallel.ts runs them). */
  shard?: { index: number; count: number };
}

export interface ProgramSimulationResult {
  run: SimulationRun;
  kpis: Kpis;
  /** The yearly KPI table with its heading line. */
  table: string;
  html: string;
}

export function commandLine(o: Pick<ProgramSimulationOptions, 'schools' | 'seed' | 'from' | 'to'>): string {
  return `npm run simulate -- --schools ${o.schools} --seed ${String(o.seed)} --from ${o.from} --to ${o.to}`;
}

export function tableHeading(o: Pick<ProgramSimulationOptions, 'schools' | 'seed' | 'from' | 'to'>): string {
  return `Yearly KPIs: ${o.schools} schools, seed ${String(o.seed)}, ${o.from} to ${o.to} (share of schools with the milestone completed or waived at 31 December; reminders and escalations sent in the year)`;
}

/** Runs the simulation on a started system: the data it leaves, and the audit log only when `auditLog` (default true). */
export function runProgram(system: SimulatedSystem, options: ProgramSimulationOptions & { auditLog?: boolean }): Promise<SimulationRun> {
  return new Simulation(system, {
    program: options.program,
    ...(options.programVersion ? { programVersion: options.programVersion } : {}),
    schools: options.schools,
    seed: options.seed,
    from: options.from,
    to: options.to,
    ...(options.rates ? { rates: options.rates } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.durability ? { durability: options.durability } : {}),
    ...(options.auditLog === false ? { auditLog: false } : {}),
    ...(options.shard ? { shard: options.shard } : {}),
  }).run();
}

/** Runs the simulation on a started system and computes its results. */
export async function simulateProgram(system: SimulatedSystem, options: ProgramSimulationOptions): Promise<ProgramSimulationResult> {
  return programResult(await runProgram(system, options), options);
}

/** The KPIs, the yearly table and the HTML report of a run. */
export function programResult(run: SimulationRun, options: ProgramSimulationOptions): ProgramSimulationResult {
  const kpis = computeKpis({
    program: options.program,
    schools: run.region.schools,
    districts: run.region.districts,
    events: run.events,
    from: options.from,
    to: options.to,
  });
  const table = `${tableHeading(options)}\n\n${formatKpiTable(kpis)}`;
  const s = run.stats;
  const commands = Object.entries(s.commands)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([type, n]) => `${type} ${n}`)
    .join(', ');
  const events = Object.entries(kpis.events)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([type, n]) => `${type} ${n}`)
    .join(', ');
  const html = renderReport({
    kpis,
    title: `${options.program.title.en} — ${options.program.title.ru}`,
    parameters: [
      ['Schools', String(options.schools)],
      ['Districts with schools', String(kpis.districts.length)],
      ['Contractors', String(run.region.contractors.length)],
      ['Seed', String(options.seed)],
      ['Period', `${options.from} to ${options.to}`],
      ['Time zone', options.program.timeZone],
      ['Program', options.program.id],
    ],
    facts: [
      ['Commands by the people', commands || 'none'],
      ['Commands refused', String(s.refused.length)],
      ['Milestones started by the workflows', String(s.activations)],
      ['Audit events', events || 'none'],
      ['Workflow executions', `${s.executions} (${s.runningExecutions} still running at the end)`],
      ['State transitions', String(s.transitions)],
    ],
    command: options.command ?? commandLine(options),
  });
  return { run, kpis, table, html };
}
