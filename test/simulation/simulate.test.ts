/**
 * The program simulation end to end, small: 20 schools over the whole 2021–2024 timeline, on the real
 * workflows (synthesized state machines and handlers on the local runtime, virtual clock) against the
 * test run's DynamoDB Local, a table of its own per run.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { localDate } from '../../shared/calendar.js';
import type { Notification } from '../../shared/program/model.js';
import { REFERENCE_PROGRAM } from '../../shared/program/index.js';
import type { MilestoneStore } from '../../shared/store/index.js';
import { simulateProgram, startSimulationSystem, type ProgramSimulationResult } from '../../infra/local/simulation/run.js';
import { simulateInShards, type ParallelSimulationResult } from '../../infra/local/simulation/parallel.js';
import { meterServiceCalls, type CallPeak } from '../../infra/local/simulation/service-calls.js';
import { dynamodbEndpoint } from '../support/dynamodb.js';

const program = REFERENCE_PROGRAM;
const TZ = program.timeZone;
const base = { program, schools: 20, from: '2021-01-01', to: '2024-12-31' } as const;

interface StoreView {
  /** Milestones completed or waived, by key, read from the milestone items. */
  done: Record<string, { completed: number; waived: number }>;
  open: number;
  /** Every outbox notification, from every recipient's inbox. */
  notifications: Notification[];
}

async function readStore(store: MilestoneStore, result: ProgramSimulationResult): Promise<StoreView> {
  const { region } = result.run;
  const done: StoreView['done'] = Object.fromEntries(program.milestones.map((m) => [m.key, { completed: 0, waived: 0 }]));
  let open = 0;
  for (const s of region.schools) {
    const record = await store.getSchool(s.id);
    for (const m of record!.milestones) {
      if (m.state.status === 'completed') done[m.state.key]!.completed++;
      else if (m.state.status === 'waived') done[m.state.key]!.waived++;
      else open++;
    }
  }
  const recipients: Notification['recipient'][] = [
    { type: 'program-manager' },
    ...region.districts.map((d) => ({ type: 'district-coordinator' as const, district: d.id })),
    ...region.contractors.map((c) => ({ type: 'contractor' as const, org: c.id })),
    ...region.schools.map((s) => ({ type: 'contractor' as const, org: s.id })),
  ];
  const byId = new Map<string, Notification>();
  for (const r of recipients) {
    let cursor: string | null = null;
    do {
      const page = await store.listNotificationsFor(r, { limit: 1000, cursor });
      for (const e of page.items) byId.set(e.notification.id, e.notification);
      cursor = page.cursor;
    } while (cursor);
  }
  return { done, open, notifications: [...byId.values()] };
}

async function simulate(seed: number, inspect?: (store: MilestoneStore, result: ProgramSimulationResult) => Promise<void>) {
  const system = await startSimulationSystem({
    program,
    from: base.from,
    dynamodbEndpoint: dynamodbEndpoint(),
    tableName: `simulation-${seed}-${randomBytes(4).toString('hex')}`,
  });
  const meter = meterServiceCalls(system.clock);
  try {
    const result = await simulateProgram(system, { ...base, seed });
    const calls = meter.peaks().services;
    meter.stop();
    await inspect?.(system.store, result);
    return { result, signalProblems: [...system.signalProblems], calls };
  } finally {
    meter.stop();
    await system.stop();
  }
}

describe('program simulation, 20 schools, 2021–2024', () => {
  let first: ProgramSimulationResult;
  let again: ProgramSimulationResult;
  let other: ProgramSimulationResult;
  let sharded: ParallelSimulationResult;
  let view: StoreView;
  let signalProblems: string[];
  let calls: Record<string, CallPeak>;

  beforeAll(async () => {
    ({
      result: first,
      signalProblems,
      calls,
    } = await simulate(11, async (store, result) => {
      view = await readStore(store, result);
    }));
    ({ result: again } = await simulate(11));
    ({ result: other } = await simulate(12));
    sharded = await simulateInShards({
      ...base,
      seed: 11,
      shards: 3,
      dynamodbEndpoint: dynamodbEndpoint(),
      tableName: `simulation-sharded-${randomBytes(4).toString('hex')}`,
    });
  }, 900_000);

  it('finishes the program: people acted through the commands, the workflows drove every school', () => {
    const s = first.run.stats;
    expect(s.refused).toEqual([]);
    expect(signalProblems).toEqual([]);
    expect(s.signals.failed ?? 0).toBe(0);
    expect(s.activations).toBeGreaterThanOrEqual(20 * 3);
    expect(s.commands.submit).toBeGreaterThan(0);
    expect(s.commands.accept).toBeGreaterThan(0);
    expect(s.transitions).toBeGreaterThan(0);
    // The last year: nearly everything done, and no milestone left behind unstarted.
    const last = first.kpis.years.at(-1)!;
    expect(last.asOf).toBe('2024-12-31');
    for (const m of program.milestones) expect(last.milestones[m.key]!.done).toBeGreaterThanOrEqual(18);
    // Late contractors exist: reminders and escalations went out.
    const reminders = first.kpis.years.reduce((n, y) => n + y.reminders, 0);
    const escalations = first.kpis.years.reduce((n, y) => n + y.escalations, 0);
    expect(reminders).toBeGreaterThan(0);
    expect(escalations).toBeGreaterThan(0);
  });

  it('gives the same KPI table and the same HTML for the same seed, and others for another seed', () => {
    expect(again.table).toBe(first.table);
    expect(again.html).toBe(first.html);
    expect(other.table).not.toBe(first.table);
    expect(other.html).not.toBe(first.html);
  });

  it('does in three threads side by side what it does in one: the same audit log, table, report, counts and calls', () => {
    expect(sharded.table).toBe(first.table);
    expect(sharded.html).toBe(first.html);
    expect(sharded.run.events).toEqual(first.run.events);
    expect(sharded.run.stats).toEqual(first.run.stats);
    expect(sharded.signalProblems).toEqual([]);
    // Every call to Lambda, S3 and Step Functions, and in the same virtual seconds (so the same peaks).
    const shardedCalls = sharded.meter.peaks().services;
    for (const service of ['Lambda', 'S3', 'Step Functions'])
      expect({ service, ...shardedCalls[service] }).toEqual({ service, ...calls[service] });
    // DynamoDB: as many but for what each shard reads once and keeps (the functions' caches, as each Lambda
    // environment keeps its own) and the import's batches of 25 schools, cut per shard.
    const dynamodb = { serial: calls.DynamoDB!.calls, sharded: shardedCalls.DynamoDB!.calls };
    expect(dynamodb.sharded, JSON.stringify(dynamodb)).toBeGreaterThanOrEqual(dynamodb.serial);
    expect(dynamodb.sharded - dynamodb.serial, JSON.stringify(dynamodb)).toBeLessThanOrEqual(2 * 8);
  });

  it('agrees with the store: milestones completed or waived at the end are the last year’s counts', () => {
    const last = first.kpis.years.at(-1)!;
    for (const m of program.milestones) {
      expect({ key: m.key, ...view.done[m.key] }).toEqual({
        key: m.key,
        completed: last.milestones[m.key]!.completed,
        waived: last.milestones[m.key]!.waived,
      });
    }
    const doneTotal = Object.values(view.done).reduce((n, d) => n + d.completed + d.waived, 0);
    expect(doneTotal + view.open).toBe(20 * program.milestones.length);
    expect(first.table).toContain(`2024`);
  });

  it('counts as many reminders and escalations per year as the outbox holds', () => {
    const reminders = view.notifications.filter((n) => n.kind === 'reminder');
    const escalations = view.notifications.filter((n) => n.kind === 'escalation');
    expect(reminders.length).toBeGreaterThan(0);
    for (const year of first.kpis.years) {
      const inYear = (n: Notification) => localDate(new Date(n.createdAt), TZ).startsWith(String(year.year));
      // One notification per reminder; an escalation goes to several recipients (ids `<reminder id>:<recipient>`).
      expect(reminders.filter(inYear).length).toBe(year.reminders);
      const escalated = new Set(escalations.filter(inYear).map((n) => n.id.slice(0, n.id.lastIndexOf(':'))));
      expect(escalated.size).toBe(year.escalations);
    }
  });
});
